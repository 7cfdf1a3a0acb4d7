#include "virtio_blk.h"
#include "virtio_pci.h"
#include "virtio_mmio.h"
#include "virtqueue.h"
#include "io_slot.h"
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
#define REQUEST_TIMEOUT_NS (30ull * 1000 * 1000 * 1000)
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

/* Driver-side bookkeeping for one in-flight request; its address is the
 * virtqueue cookie, so a completion (polled or from an interrupt) finds it. */
struct blk_slot {
    struct io_slot io;        /* first: claim, finish, timeout (platform/io_slot.h) */
    struct blk_dma *dma;
    uint64_t dma_phys;
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
    uint64_t slots_phys;
    struct blk_slot slots[SLOT_COUNT];
    uint64_t bounce_phys;
    char *bounce; /* one page, for buffers we cannot translate to physical */
    uint32_t max_segs;
    uint32_t max_seg_bytes;
    bool read_only;
    bool broken; /* a request timed out: the device still owns descriptors */
    int async_busy; /* slots held by asynchronous requests */
    struct bio_list finished; /* asynchronous requests waiting for poll */
    struct virtq_buf bufs[MAX_DATA_SEGS + 2];
};

static struct virtio_blk *to_vb(struct blockdev *bd) { return container_of(bd, struct virtio_blk, bd); }

void virtio_blk_complete(struct blockdev *bd)
{
    struct virtio_blk *vb = to_vb(bd);
    void *cookie;
    while (virtq_pop_used(vb->vq, &cookie, NULL))
        if (cookie) ((struct blk_slot *)cookie)->io.done = true;
}

static struct blk_slot *slot_get(struct virtio_blk *vb)
{
    for (int i = 0; i < SLOT_COUNT; i++)
        if (io_slot_claim(&vb->slots[i].io)) return &vb->slots[i];
    return NULL;
}

/* Move finished asynchronous requests to the finished list (no callbacks
 * here: they run from poll). A request past the timeout disables the
 * device and fails every asynchronous request still out; their slots stay
 * busy because the device may still write into them. */
static void reap(struct virtio_blk *vb)
{
    virtio_blk_complete(&vb->bd);
    uint64_t now = 0;
    for (int i = 0; i < SLOT_COUNT; i++) {
        struct blk_slot *s = &vb->slots[i];
        if (!s->io.busy || !s->io.bio) continue;
        if (s->io.done) {
            int status = *(volatile uint8_t *)&s->dma->status == VIRTIO_BLK_S_OK ? 0 : -EIO;
            io_slot_finish(&s->io, status, &vb->finished, &vb->async_busy);
            continue;
        }
        if (!now) now = clock_monotonic_ns();
        if (!vb->broken && io_slot_overdue(&s->io, now, REQUEST_TIMEOUT_NS)) {
            vb->broken = true;
            kprintf("virtio-blk: request timed out; device disabled\n");
        }
        if (vb->broken) io_slot_abandon(&s->io, &vb->finished);
    }
}

/* A slot and `ndesc` descriptors for a synchronous request, waiting for
 * asynchronous ones to finish if they hold everything. */
static struct blk_slot *slot_wait(struct virtio_blk *vb, int ndesc)
{
    for (;;) {
        if (vb->broken) return NULL;
        if (vb->vq->num_free >= ndesc) {
            struct blk_slot *slot = slot_get(vb);
            if (slot) return slot;
        }
        if (vb->async_busy == 0) return NULL; /* nothing will free up */
        reap(vb);
        cpu_relax();
    }
}

/* Put header + bufs[1..ndata] + status in the ring and notify the device. */
static int post(struct virtio_blk *vb, struct blk_slot *slot, uint32_t type, uint64_t sector, int ndata)
{
    slot->dma->type = type;
    slot->dma->reserved = 0;
    slot->dma->sector = sector;
    slot->dma->status = 0xff;
    vb->bufs[0] = (struct virtq_buf){slot->dma_phys, 16, false};
    vb->bufs[ndata + 1] = (struct virtq_buf){slot->dma_phys + offsetof(struct blk_dma, status), 1, true};
    int head = virtq_add(vb->vq, vb->bufs, ndata + 2, slot);
    if (head < 0) return -EIO;
    virtio_kick(vb->t, vb->vq);
    return 0;
}

/* Submit header + bufs[1..ndata] + status and wait for the device. */
static int submit_and_wait(struct virtio_blk *vb, uint32_t type, uint64_t sector, int ndata)
{
    struct blk_slot *slot = slot_wait(vb, ndata + 2);
    if (!slot) return -EIO;
    if (post(vb, slot, type, sector, ndata) != 0) {
        slot->io.busy = false;
        return -EIO;
    }

    uint64_t start = clock_monotonic_ns();
    while (!slot->io.done) {
        virtio_blk_complete(&vb->bd);
        if (slot->io.done) break;
        if (clock_monotonic_ns() - start > REQUEST_TIMEOUT_NS) {
            /* The slot stays busy: the device may still write its status. */
            vb->broken = true;
            kprintf("virtio-blk: request timed out; device disabled\n");
            return -EIO;
        }
        cpu_relax();
    }
    uint8_t status = *(volatile uint8_t *)&slot->dma->status;
    slot->io.busy = false;
    return status == VIRTIO_BLK_S_OK ? 0 : -EIO;
}

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

static int transfer(struct virtio_blk *vb, uint64_t sector, char *p, uint32_t count, bool write)
{
    if (vb->broken) return -EIO;
    if (count == 0) return 0;
    if (sector >= vb->bd.sectors || count > vb->bd.sectors - sector) return -EINVAL;
    if (write && vb->read_only) return -EROFS;
    uint32_t type = write ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_IN;

    while (count > 0) {
        int nsegs;
        uint64_t bytes = build_segments(vb, p, (uint64_t)count * SECTOR_SIZE, !write, &nsegs);
        int rc;
        if (bytes > 0) {
            rc = submit_and_wait(vb, type, sector, nsegs);
        } else {
            bytes = MIN((uint64_t)count * SECTOR_SIZE, PAGE_SIZE);
            if (write) memcpy(vb->bounce, p, bytes);
            vb->bufs[1] = (struct virtq_buf){vb->bounce_phys, (uint32_t)bytes, !write};
            rc = submit_and_wait(vb, type, sector, 1);
            if (rc == 0 && !write) memcpy(p, vb->bounce, bytes);
        }
        if (rc) return rc;
        p += bytes;
        sector += bytes / SECTOR_SIZE;
        count -= bytes / SECTOR_SIZE;
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
    uint64_t bytes = (uint64_t)b->count * SECTOR_SIZE;
    if (!vb->broken && b->count && b->sector < bd->sectors && b->count <= bd->sectors - b->sector &&
        !(b->write && vb->read_only)) {
        struct blk_slot *slot = NULL;
        for (int i = 0; i < SLOT_COUNT && !slot; i++)
            if (!vb->slots[i].io.busy) slot = &vb->slots[i];
        if (!slot) return -EAGAIN;
        int nsegs;
        if (build_segments(vb, b->buf, bytes, !b->write, &nsegs) == bytes) {
            if (vb->vq->num_free < nsegs + 2) return -EAGAIN;
            slot = slot_get(vb);
            if (post(vb, slot, b->write ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_IN, b->sector, nsegs) == 0) {
                slot->io.bio = b;
                slot->io.started_ns = clock_monotonic_ns();
                vb->async_busy++;
                return 0;
            }
            slot->io.busy = false;
        }
    }
    b->status = transfer(vb, b->sector, b->buf, b->count, b->write);
    bio_list_add(&vb->finished, b);
    return 0;
}

static int vblk_poll(struct blockdev *bd)
{
    struct virtio_blk *vb = to_vb(bd);
    reap(vb);
    return bio_list_complete(&vb->finished);
}

int virtio_blk_flush(struct blockdev *bd)
{
    struct virtio_blk *vb = to_vb(bd);
    if (vb->broken) return -EIO;
    if (!virtio_has_feature(vb->t, VIRTIO_BLK_F_FLUSH)) return 0;
    return submit_and_wait(vb, VIRTIO_BLK_T_FLUSH, 0, 0);
}

static void vb_free(struct virtio_blk *vb)
{
    virtq_destroy(vb->vq);
    if (vb->slots_phys) page_free(vb->slots_phys);
    if (vb->bounce_phys) page_free(vb->bounce_phys);
    deallocate(vb->heap, vb, sizeof *vb);
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
    struct blk_dma *dma = phys_to_virt(vb->slots_phys);
    for (int i = 0; i < SLOT_COUNT; i++) {
        vb->slots[i].dma = &dma[i];
        vb->slots[i].dma_phys = vb->slots_phys + i * sizeof(struct blk_dma);
    }

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
