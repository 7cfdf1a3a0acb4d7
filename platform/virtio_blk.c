#include "virtio_blk.h"
#include "virtio_pci.h"
#include "virtio_mmio.h"
#include "virtqueue.h"
#include "blk_engine.h"
#include "../klib/format.h"
#include "../kernel/interrupt.h"
#include "../kernel/io.h"
#include "../kernel/mm.h"
#include "../kernel/clock.h"
#include "../kernel/console.h"
#include "devlog.h"
#include "../klib/errno.h"
#include "../klib/string.h"

#define VIRTIO_BLK_DEVICE_MODERN 0x1042
#define VIRTIO_BLK_DEVICE_TRANSITIONAL 0x1001

#define VIRTIO_BLK_F_SIZE_MAX 1
#define VIRTIO_BLK_F_SEG_MAX 2
#define VIRTIO_BLK_F_RO 5
#define VIRTIO_BLK_F_FLUSH 9

/* struct virtio_blk_config offsets. */
#define BLK_CFG_CAPACITY 0
#define BLK_CFG_SIZE_MAX 8
#define BLK_CFG_SEG_MAX 12

#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4
#define VIRTIO_BLK_S_OK 0

#define QUEUE_MAX 256
#define MAX_DATA_SEGS 128
#define SLOT_COUNT 32
#define DEFAULT_MAX_SEG_BYTES (4u << 20)

/* The device-visible part of a request: header (read by the device) then the
 * status byte (written by it). Padded so each slot owns its own 32 bytes. */
struct blk_dma {
    uint32_t type;
    uint32_t reserved;
    uint64_t sector;
    uint8_t status;
    uint8_t pad[15];
};
_Static_assert(sizeof(struct blk_dma) == 32, "blk_dma layout");
_Static_assert(SLOT_COUNT * sizeof(struct blk_dma) <= 4096, "slots fit one page");

/* What the driver hands the engine (blk_engine_run/submit) for one request.
 * The data is either described in place (physical segments) or, for memory
 * that has no linear physical address, copied through the bounce page. */
struct vblk_cmd {
    uint32_t type;
    uint64_t sector;
    char *buf;          /* NULL for a flush */
    uint64_t bytes;     /* wanted; submit may post fewer unless `whole` */
    bool whole;         /* all of it as one request, or refuse with -E2BIG */
    bool bounced;       /* the data is in vb->bounce */
    uint64_t posted;    /* set by submit: bytes this request covers */
};

struct virtio_blk {
    struct blockdev bd; /* first: the blockdev callbacks get this pointer */
    struct heap *heap;
    struct virtio_transport *t; /* points into `tr`; all the driver uses */
    union {
        struct virtio_pci pci;
        struct virtio_mmio mmio;
    } tr;
    struct virtqueue *vq;
    struct blk_engine engine; /* tags, waiting, timeouts (platform/blk_engine.h) */
    char engine_name[48];
    uint64_t slots_phys;
    struct blk_dma *dma; /* one per tag, in the page at slots_phys */
    uint64_t bounce_phys;
    char *bounce; /* one page, for buffers we cannot translate to physical */
    uint32_t max_segs;
    uint32_t max_seg_bytes;
    bool read_only;
    struct virtq_buf bufs[MAX_DATA_SEGS + 2]; /* scratch for submit, under the engine lock */
};

static struct virtio_blk *to_vb(struct blockdev *bd) { return container_of(bd, struct virtio_blk, bd); }
static struct virtio_blk *engine_vb(struct blk_engine *e) { return container_of(e, struct virtio_blk, engine); }

/* The virtqueue cookie is the tag plus one: NULL stays "no request". */
static void vblk_drain(struct blk_engine *e)
{
    struct virtio_blk *vb = engine_vb(e);
    void *cookie;
    while (virtq_pop_used(vb->vq, &cookie, NULL))
        if (cookie) blk_engine_finished(e, (unsigned)((uintptr_t)cookie - 1));
}

static int vblk_complete(struct blk_engine *e, unsigned tag, void *cmd)
{
    (void)cmd;
    return *(volatile uint8_t *)&engine_vb(e)->dma[tag].status == VIRTIO_BLK_S_OK ? 0 : -EIO;
}

static uint64_t build_segments(struct virtio_blk *vb, char *p, uint64_t max_bytes, bool device_writes, int *nsegs);

/* Put header + data + status in the ring and notify the device. */
static int vblk_submit_tag(struct blk_engine *e, unsigned tag, void *arg)
{
    struct virtio_blk *vb = engine_vb(e);
    struct vblk_cmd *c = arg;
    int ndata = 0;
    uint64_t bytes = 0;
    if (c->bounced) {
        bytes = MIN(c->bytes, (uint64_t)PAGE_SIZE);
        vb->bufs[1] = (struct virtq_buf){vb->bounce_phys, (uint32_t)bytes, c->type == VIRTIO_BLK_T_IN};
        ndata = 1;
    } else if (c->bytes) {
        bytes = build_segments(vb, c->buf, c->bytes, c->type == VIRTIO_BLK_T_IN, &ndata);
        if (bytes == 0 || (c->whole && bytes != c->bytes)) return -E2BIG;
    }
    if (vb->vq->num_free < ndata + 2) return -EAGAIN;
    struct blk_dma *d = &vb->dma[tag];
    uint64_t d_phys = vb->slots_phys + tag * sizeof(struct blk_dma);
    d->type = c->type;
    d->reserved = 0;
    d->sector = c->sector;
    d->status = 0xff;
    vb->bufs[0] = (struct virtq_buf){d_phys, 16, false};
    vb->bufs[ndata + 1] = (struct virtq_buf){d_phys + offsetof(struct blk_dma, status), 1, true};
    if (virtq_add(vb->vq, vb->bufs, ndata + 2, (void *)(uintptr_t)(tag + 1)) < 0) return -EIO;
    virtio_kick(vb->t, vb->vq);
    c->posted = bytes;
    blk_engine_describe(e, tag, c->type == VIRTIO_BLK_T_IN ? "read sector" : c->type == VIRTIO_BLK_T_OUT ? "write sector" : "flush",
                        c->type == VIRTIO_BLK_T_FLUSH ? BLK_WHERE_NONE : c->sector, c->bounced ? vb->bounce : c->buf, bytes);
    return 0;
}

static const struct blk_engine_ops vblk_engine_ops = {
    .submit = vblk_submit_tag,
    .drain = vblk_drain,
    .complete = vblk_complete,
};

/* Kernel addresses that map linearly to physical memory. Anything else (user
 * memory, MMIO windows) goes through the bounce page. */
static bool translatable(const void *va)
{
    uint64_t v = (uint64_t)va;
    return (v >= DIRECT_MAP_BASE && v < MMIO_BASE) || v >= KERNEL_IMAGE_BASE;
}

/* Describe up to `max_bytes` of `p` as physical segments in bufs[1..]. Returns
 * the byte count described, a multiple of SECTOR_SIZE (0 when not even one
 * sector can be described directly), and sets *nsegs. */
static uint64_t build_segments(struct virtio_blk *vb, char *p, uint64_t max_bytes, bool device_writes, int *nsegs)
{
    struct virtq_buf *segs = vb->bufs + 1;
    uint64_t bytes = 0;
    uint32_t n = 0;
    while (bytes < max_bytes) {
        char *va = p + bytes;
        if (!translatable(va)) break;
        uint64_t pa = virt_to_phys(va);
        uint64_t len = PAGE_SIZE - (pa & (PAGE_SIZE - 1));
        if (len > max_bytes - bytes) len = max_bytes - bytes;
        if (n > 0 && segs[n - 1].phys + segs[n - 1].len == pa && segs[n - 1].len + len <= vb->max_seg_bytes) {
            segs[n - 1].len += len;
        } else {
            if (n == vb->max_segs) break;
            if (len > vb->max_seg_bytes) len = vb->max_seg_bytes;
            segs[n++] = (struct virtq_buf){pa, (uint32_t)len, device_writes};
        }
        bytes += len;
    }
    /* The request must cover whole sectors; give back the ragged tail. */
    uint64_t trim = bytes % SECTOR_SIZE;
    bytes -= trim;
    while (trim > 0 && n > 0) {
        uint64_t cut = MIN(trim, (uint64_t)segs[n - 1].len);
        segs[n - 1].len -= cut;
        trim -= cut;
        if (segs[n - 1].len == 0) n--;
    }
    *nsegs = n;
    return bytes;
}

/* One request for up to `bytes` at p: in place when the memory allows,
 * else through the bounce page (one page at a time; the bounce page is the
 * driver's, so these are synchronous). Returns bytes done or an errno. */
static int64_t transfer_chunk(struct virtio_blk *vb, uint32_t type, uint64_t sector, char *p, uint64_t bytes)
{
    struct vblk_cmd c = {.type = type, .sector = sector, .buf = p, .bytes = bytes};
    int rc = blk_engine_run(&vb->engine, &c);
    if (rc != -E2BIG) return rc ? rc : (int64_t)c.posted;
    c = (struct vblk_cmd){.type = type, .sector = sector, .buf = p, .bytes = MIN(bytes, (uint64_t)PAGE_SIZE),
                          .bounced = true};
    if (type == VIRTIO_BLK_T_OUT) memcpy(vb->bounce, p, c.bytes);
    rc = blk_engine_run(&vb->engine, &c);
    if (rc) return rc;
    if (type == VIRTIO_BLK_T_IN) memcpy(p, vb->bounce, c.posted);
    return (int64_t)c.posted;
}

static int transfer(struct virtio_blk *vb, uint64_t sector, char *p, uint32_t count, bool write)
{
    if (count == 0) return 0;
    if (sector >= vb->bd.sectors || count > vb->bd.sectors - sector) return -EINVAL;
    if (write && vb->read_only) return -EROFS;
    uint32_t type = write ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_IN;
    while (count > 0) {
        int64_t done = transfer_chunk(vb, type, sector, p, (uint64_t)count * SECTOR_SIZE);
        if (done < 0) return (int)done;
        p += done;
        sector += (uint64_t)done / SECTOR_SIZE;
        count -= (uint32_t)((uint64_t)done / SECTOR_SIZE);
    }
    return 0;
}

static int vblk_read(struct blockdev *bd, uint64_t sector, void *buf, uint32_t count)
{
    return transfer(to_vb(bd), sector, buf, count, false);
}

static int vblk_write(struct blockdev *bd, uint64_t sector, const void *buf, uint32_t count)
{
    return transfer(to_vb(bd), sector, (char *)buf, count, true);
}

/* A request whose buffer maps to at most max_segs segments goes into the
 * ring and returns at once; anything else (a buffer outside the linear
 * kernel memory, or too fragmented) is done synchronously here. Either way
 * its callback runs from poll. */
static int vblk_submit(struct blockdev *bd, struct bio *b)
{
    struct virtio_blk *vb = to_vb(bd);
    if (b->count && b->sector < bd->sectors && b->count <= bd->sectors - b->sector && !(b->write && vb->read_only)) {
        struct vblk_cmd c = {.type = b->write ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_IN, .sector = b->sector,
                             .buf = b->buf, .bytes = (uint64_t)b->count * SECTOR_SIZE, .whole = true};
        int rc = blk_engine_submit(&vb->engine, b, &c);
        if (rc == 0 || rc == -EAGAIN) return rc;
    }
    blk_engine_finish_bio(&vb->engine, b, transfer(vb, b->sector, b->buf, b->count, b->write));
    return 0;
}

static int vblk_poll(struct blockdev *bd) { return blk_engine_poll(&to_vb(bd)->engine); }

int virtio_blk_flush(struct blockdev *bd)
{
    struct virtio_blk *vb = to_vb(bd);
    if (!virtio_has_feature(vb->t, VIRTIO_BLK_F_FLUSH)) return 0;
    struct vblk_cmd c = {.type = VIRTIO_BLK_T_FLUSH};
    return blk_engine_run(&vb->engine, &c);
}

static void vb_free(struct virtio_blk *vb)
{
    if (vb->t == &vb->tr.pci.transport) msix_disable(&vb->tr.pci.msix);
    virtq_destroy(vb->vq);
    if (vb->slots_phys) page_free(vb->slots_phys);
    if (vb->bounce_phys) page_free(vb->bounce_phys);
    deallocate(vb->heap, vb, sizeof *vb);
}

/* MSI-X is edge-triggered and needs no acknowledgement: an answer posted
 * after the drain sends another message. */
static void vblk_pci_interrupt(void *arg) { blk_engine_interrupt(&((struct virtio_blk *)arg)->engine); }

/* Completions by MSI-X where the device has it and takes the vector;
 * otherwise the engine polls. */
static void wire_pci_interrupt(struct virtio_blk *vb)
{
    if (virtio_pci_queue_interrupt(&vb->tr.pci, vb->vq, vblk_pci_interrupt, vb, "virtio-blk-req"))
        blk_engine_use_interrupts(&vb->engine);
}

/* Bring up a device whose transport vb->t is attached: features, config,
 * queue, DMA pages. Returns false (device marked FAILED when it got that
 * far, message printed) on any failure; the caller frees vb. */
static bool start_device(struct virtio_blk *vb)
{
    struct virtio_transport *t = vb->t;
    uint64_t wanted = (1ull << VIRTIO_BLK_F_SIZE_MAX) | (1ull << VIRTIO_BLK_F_SEG_MAX) |
                      (1ull << VIRTIO_BLK_F_RO) | (1ull << VIRTIO_BLK_F_FLUSH);
    if (virtio_negotiate(t, wanted) != 0) goto fail;

    vb->bd.sectors = virtio_cfg_read64(t, BLK_CFG_CAPACITY);
    vb->bd.read = vblk_read;
    vb->bd.write = vblk_write;
    vb->bd.flush = virtio_blk_flush;
    vb->bd.submit = vblk_submit;
    vb->bd.poll = vblk_poll;
    vb->bd.name = "virtio-blk";
    vb->read_only = virtio_has_feature(t, VIRTIO_BLK_F_RO);

    vb->vq = virtio_setup_queue(t, vb->heap, 0, QUEUE_MAX);
    if (!vb->vq) goto fail_device;

    /* Header + status take two descriptors; the rest may carry data. */
    vb->max_segs = MIN((uint32_t)MAX_DATA_SEGS, (uint32_t)vb->vq->size - 2);
    if (virtio_has_feature(t, VIRTIO_BLK_F_SEG_MAX)) {
        uint32_t seg_max = virtio_cfg_read32(t, BLK_CFG_SEG_MAX);
        if (seg_max >= 1 && seg_max < vb->max_segs) vb->max_segs = seg_max;
    }
    vb->max_seg_bytes = DEFAULT_MAX_SEG_BYTES;
    if (virtio_has_feature(t, VIRTIO_BLK_F_SIZE_MAX)) {
        uint32_t size_max = virtio_cfg_read32(t, BLK_CFG_SIZE_MAX);
        /* Below one sector we could not make progress; keep whole sectors. */
        if (size_max >= SECTOR_SIZE && size_max < vb->max_seg_bytes)
            vb->max_seg_bytes = ALIGN_DOWN(size_max, SECTOR_SIZE);
    }

    vb->slots_phys = page_alloc();
    vb->bounce_phys = page_alloc();
    if (!vb->slots_phys || !vb->bounce_phys) goto fail_device;
    vb->bounce = phys_to_virt(vb->bounce_phys);
    vb->dma = phys_to_virt(vb->slots_phys);
    format_sn(vb->engine_name, sizeof vb->engine_name, "virtio-blk %s", t->name);
    blk_engine_init(&vb->engine, &vblk_engine_ops, vb->engine_name, SLOT_COUNT);

    if (vb->t == &vb->tr.pci.transport) wire_pci_interrupt(vb);
    virtio_driver_ok(t);
    dev_info("virtio-blk %s: %llu sectors (%llu MiB)%s, queue %u, %u segs of <= %u bytes\n", t->name,
             (unsigned long long)vb->bd.sectors, (unsigned long long)(vb->bd.sectors >> 11),
             vb->read_only ? " read-only" : "", vb->vq->size, vb->max_segs, vb->max_seg_bytes);
    return true;

fail_device:
    virtio_fail(t);
fail:
    kprintf("virtio-blk %s: initialisation failed\n", t->name);
    return false;
}

struct blockdev *virtio_blk_probe(struct heap *h, struct pci_device *dev)
{
    if (dev->vendor != VIRTIO_PCI_VENDOR) return NULL;
    if (dev->device != VIRTIO_BLK_DEVICE_MODERN && dev->device != VIRTIO_BLK_DEVICE_TRANSITIONAL) return NULL;

    struct virtio_blk *vb = allocate_zero(h, sizeof *vb);
    if (!vb) return NULL;
    vb->heap = h;
    vb->t = &vb->tr.pci.transport;
    /* Transitional devices without modern capabilities are refused here. */
    if (virtio_pci_attach(&vb->tr.pci, dev) != 0 || !vb->tr.pci.device_cfg) {
        kprintf("virtio-blk %02x:%02x.%x: no usable virtio 1.0 capabilities (legacy-only devices are not supported)\n",
                dev->bus, dev->dev, dev->fn);
        vb_free(vb);
        return NULL;
    }
    if (!start_device(vb)) {
        vb_free(vb);
        return NULL;
    }
    return &vb->bd;
}

/* virtio-mmio raises a level-triggered line until its interrupt is
 * acknowledged, so acknowledge first, then reap: an answer posted after the
 * acknowledgement raises the line again. */
static void vblk_mmio_interrupt(void *arg)
{
    struct virtio_blk *vb = arg;
    virtio_mmio_ack_interrupt(&vb->tr.mmio);
    blk_engine_interrupt(&vb->engine);
}

/* Completions by interrupt where the host named the transport's GSI (the
 * command line, or microvm's second IOAPIC); otherwise the engine polls. */
static void wire_mmio_interrupt(struct virtio_blk *vb)
{
    uint32_t gsi = vb->tr.mmio.irq;
    if (gsi == VIRTIO_MMIO_IRQ_UNKNOWN) return;
    int vector = irq_alloc_vector(vblk_mmio_interrupt, vb);
    if (vector < 0) return;
    char name[IRQ_NAME_MAX];
    format_sn(name, sizeof name, "IO-APIC %u-level virtio-blk", gsi);
    irq_set_name(vector, name);
    if (ioapic_route((int)gsi, vector, true, false)) blk_engine_use_interrupts(&vb->engine);
}

struct blockdev *virtio_blk_probe_mmio(struct heap *h, const struct virtio_mmio_entry *e)
{
    struct virtio_blk *vb = allocate_zero(h, sizeof *vb);
    if (!vb) return NULL;
    vb->heap = h;
    vb->t = &vb->tr.mmio.transport;
    /* An empty or broken transport, or another kind of device: not ours
     * (virtio_mmio_attach has said what is wrong with a broken one). */
    if (virtio_mmio_attach(&vb->tr.mmio, e) != 0 || vb->tr.mmio.device_id != VIRTIO_ID_BLOCK ||
        !start_device(vb)) {
        vb_free(vb);
        return NULL;
    }
    wire_mmio_interrupt(vb);
    return &vb->bd;
}

struct blockdev *virtio_blk_find_first(struct heap *h)
{
    struct pci_device *list;
    int n = pci_enumerate(h, &list);
    struct blockdev *found = NULL;
    for (int i = 0; i < n && !found; i++) found = virtio_blk_probe(h, &list[i]);
    if (n > 0) deallocate(h, list, n * sizeof *list);
    return found;
}
