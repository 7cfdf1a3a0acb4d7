#include "virtio_scsi.h"
#include "virtio_pci.h"
#include "virtqueue.h"
#include "blk_engine.h"
#include "../klib/format.h"
#include "lba_io.h"
#include "../kernel/io.h"
#include "../kernel/mm.h"
#include "../kernel/clock.h"
#include "../kernel/console.h"
#include "devlog.h"
#include "../klib/errno.h"
#include "../klib/string.h"

#define VIRTIO_SCSI_DEVICE_MODERN 0x1048
#define VIRTIO_SCSI_DEVICE_TRANSITIONAL 0x1004

/* struct virtio_scsi_config offsets. */
#define CFG_NUM_QUEUES 0
#define CFG_SEG_MAX 4
#define CFG_MAX_SECTORS 8
#define CFG_SENSE_SIZE 20
#define CFG_CDB_SIZE 24
#define CFG_MAX_CHANNEL_TARGET 28 /* u16 max_channel, u16 max_target */

#define QUEUE_CONTROL 0
#define QUEUE_EVENT 1
#define QUEUE_REQUEST 2

/* virtio_scsi_req_cmd / virtio_scsi_resp_cmd layout. */
#define REQ_LUN 0
#define REQ_TAG 8
#define REQ_TASK_ATTR 16
#define REQ_CDB 19
#define RESP_SENSE_LEN 0
#define RESP_RESID 4
#define RESP_STATUS 10
#define RESP_RESPONSE 11
#define RESP_SENSE 12

/* virtio-scsi response codes. */
#define VS_OK 0
#define VS_BAD_TARGET 3
#define VS_RESET 4
#define VS_BUSY 5
#define VS_ABORTED 2
#define VS_TRANSPORT_FAILURE 6

/* SCSI status and sense keys. */
#define SAM_GOOD 0x00
#define SAM_CHECK_CONDITION 0x02
#define SAM_BUSY 0x08
#define SAM_TASK_SET_FULL 0x28
#define SENSE_NOT_READY 0x2
#define SENSE_ILLEGAL_REQUEST 0x5
#define SENSE_UNIT_ATTENTION 0x6
#define SENSE_DATA_PROTECT 0x7

#define OP_TEST_UNIT_READY 0x00
#define OP_INQUIRY 0x12
#define OP_READ_CAPACITY_10 0x25
#define OP_SYNCHRONIZE_CACHE_10 0x35
#define OP_READ_16 0x88
#define OP_WRITE_16 0x8a
#define OP_SERVICE_ACTION_IN_16 0x9e
#define SA_READ_CAPACITY_16 0x10

/* Each request slot owns one DMA page: request header, response, and a small
 * data area for the scan commands' replies. */
#define SLOT_HEADER 0
#define SLOT_RESPONSE 256
#define SLOT_RESPONSE_MAX 768
#define SLOT_DATA 1024
#define SLOT_DATA_MAX 3072
#define MAX_CDB_SIZE (SLOT_RESPONSE - REQ_CDB)

#define SLOT_COUNT 32 /* commands in flight (one DMA page each) */
#define QUEUE_MAX 256
#define MAX_DATA_SEGS 128
#define MAX_TRANSFER_BYTES (1u << 20)
#define BOUNCE_PAGES 16
#define EVENT_BUFFERS 8
#define EVENT_SIZE 16
#define MAX_TARGET_SCANNED 255
#define RETRY_WINDOW_NS (10ull * 1000 * 1000 * 1000)
#define UNIT_ATTENTION_RETRIES 8

struct vscsi_disk;

/* Each engine tag's DMA page. */
struct scsi_slot {
    uint8_t *dma;
    uint64_t dma_phys;
    uint32_t resp_len;
};

/* What the driver hands the engine for one command: one CDB to LUN 0 of
 * `target`; `data` (linear, or NULL when `len` is 0) is read by the device
 * when `write`, else filled by it. A synchronous caller gets the answer in
 * *res. */
struct scsi_request {
    uint8_t target;
    const uint8_t *cdb;
    uint32_t cdb_len;
    char *data;
    uint32_t len;
    bool write;
    struct scsi_result *res;
};

struct vscsi_ctrl {
    struct heap *heap;
    struct virtio_pci vp;
    struct virtqueue *controlq, *eventq, *requestq;
    uint64_t slots_phys;
    struct scsi_slot slots[SLOT_COUNT];
    uint64_t bounce_phys;
    uint64_t events_phys;
    uint32_t cdb_size, sense_size;
    uint32_t max_data_segs;
    uint32_t max_bytes;
    uint64_t next_tag;
    struct blk_engine engine; /* the request queue's tags, waits, timeouts */
    char engine_name[40];
    struct virtq_buf bufs[MAX_DATA_SEGS + 2]; /* scratch for submit, under the engine lock */
};

struct vscsi_disk {
    struct blockdev bd; /* first: the blockdev callbacks get this pointer */
    struct vscsi_ctrl *ctrl;
    uint8_t target;
    struct lba_io lio;
    char name[24];
};

/* What came back for one command. */
struct scsi_result {
    uint8_t status;
    uint8_t sense_key, asc, ascq;
    uint32_t resid;
};

static struct vscsi_disk *to_disk(struct blockdev *bd) { return container_of(bd, struct vscsi_disk, bd); }

static void put_be32(uint8_t *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (24 - 8 * i)); }
static void put_be64(uint8_t *p, uint64_t v) { for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (56 - 8 * i)); }
static uint32_t get_be32(const uint8_t *p) { return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3]; }
static uint64_t get_be64(const uint8_t *p) { return ((uint64_t)get_be32(p) << 32) | get_be32(p + 4); }

static struct vscsi_ctrl *engine_ctrl(struct blk_engine *e) { return container_of(e, struct vscsi_ctrl, engine); }

/* Describe a linear buffer as merged physical segments in c->bufs[first..].
 * Returns the segment count, or -EINVAL when it needs more than allowed. */
static int data_segments(struct vscsi_ctrl *c, int first, char *p, uint32_t bytes, bool device_writes)
{
    int n = 0;
    struct virtq_buf *segs = c->bufs + first;
    for (uint32_t off = 0; off < bytes;) {
        uint64_t pa = virt_to_phys(p + off);
        uint32_t len = MIN((uint32_t)(PAGE_SIZE - (pa & (PAGE_SIZE - 1))), bytes - off);
        if (n > 0 && segs[n - 1].phys + segs[n - 1].len == pa) {
            segs[n - 1].len += len;
        } else {
            if ((uint32_t)n == c->max_data_segs) return -EINVAL;
            segs[n++] = (struct virtq_buf){pa, len, device_writes};
        }
        off += len;
    }
    return n;
}

/* Fill tag's header for the request and put it in the request queue.
 * 0, -EAGAIN when the queue lacks descriptors (nothing posted), -E2BIG when
 * the buffer is too fragmented. */
/* For the timeout message: READ/WRITE (10) and (16) by their LBA, anything
 * else by its operation code. */
static void describe(struct blk_engine *e, unsigned tag, const struct scsi_request *r)
{
    const uint8_t *cdb = r->cdb;
    uint64_t lba = 0;
    const char *what = "scsi opcode";
    if ((cdb[0] == 0x28 || cdb[0] == 0x2a) && r->cdb_len >= 10) {
        for (int i = 2; i < 6; i++) lba = lba << 8 | cdb[i];
        what = cdb[0] == 0x28 ? "read lba" : "write lba";
    } else if ((cdb[0] == 0x88 || cdb[0] == 0x8a) && r->cdb_len >= 16) {
        for (int i = 2; i < 10; i++) lba = lba << 8 | cdb[i];
        what = cdb[0] == 0x88 ? "read lba" : "write lba";
    } else {
        lba = cdb[0];
    }
    blk_engine_describe(e, tag, what, lba, r->data, r->len);
}

static int post(struct blk_engine *e, unsigned tag, void *arg)
{
    struct vscsi_ctrl *c = engine_ctrl(e);
    struct scsi_request *r = arg;
    struct scsi_slot *slot = &c->slots[tag];
    uint8_t target = r->target;
    const uint8_t *cdb = r->cdb;
    uint32_t cdb_len = r->cdb_len, len = r->len;
    char *data = r->data;
    bool write = r->write;
    uint8_t *hdr = slot->dma + SLOT_HEADER, *resp = slot->dma + SLOT_RESPONSE;
    memset(hdr, 0, REQ_CDB + c->cdb_size);
    /* Single-level LUN structure: flat addressing of LUN 0 on `target`. */
    hdr[REQ_LUN] = 1;
    hdr[REQ_LUN + 1] = target;
    hdr[REQ_LUN + 2] = 0x40;
    uint64_t scsi_tag = ++c->next_tag;
    memcpy(hdr + REQ_TAG, &scsi_tag, 8);
    hdr[REQ_TASK_ATTR] = 0; /* SIMPLE */
    memcpy(hdr + REQ_CDB, cdb, cdb_len);
    slot->resp_len = MIN((uint32_t)RESP_SENSE + c->sense_size, (uint32_t)SLOT_RESPONSE_MAX);
    memset(resp, 0, slot->resp_len);
    resp[RESP_RESPONSE] = 0xff;

    /* Device-readable parts first: header, data-out; then response, data-in. */
    int n = 0;
    c->bufs[n++] = (struct virtq_buf){slot->dma_phys + SLOT_HEADER, REQ_CDB + c->cdb_size, false};
    int segs = 0;
    if (len && write) {
        segs = data_segments(c, n, data, len, false);
        n += segs;
    }
    if (segs >= 0) {
        c->bufs[n++] = (struct virtq_buf){slot->dma_phys + SLOT_RESPONSE, slot->resp_len, true};
        if (len && !write) {
            segs = data_segments(c, n, data, len, true);
            n += segs;
        }
    }
    if (segs < 0) return -E2BIG;
    int rc = virtq_add(c->requestq, c->bufs, n, (void *)(uintptr_t)(tag + 1));
    if (rc < 0) return rc == -ENOSPC ? -EAGAIN : -EIO;
    virtq_kick(c->requestq);
    describe(e, tag, r);
    return 0;
}

/* Decode a finished slot's response into *res. 0 when the command reached
 * the target; -ENODEV, -EAGAIN (transient transport answer) or -EIO. */
static int read_result(struct scsi_slot *slot, struct scsi_result *res)
{
    const uint8_t *resp = slot->dma + SLOT_RESPONSE;
    uint8_t response = resp[RESP_RESPONSE];
    *res = (struct scsi_result){.status = resp[RESP_STATUS]};
    memcpy(&res->resid, resp + RESP_RESID, 4);
    uint32_t sense_len;
    memcpy(&sense_len, resp + RESP_SENSE_LEN, 4);
    sense_len = MIN(sense_len, slot->resp_len - RESP_SENSE);
    const uint8_t *sense = resp + RESP_SENSE;
    uint8_t format = sense_len ? sense[0] & 0x7f : 0;
    if ((format == 0x70 || format == 0x71) && sense_len >= 14) {
        res->sense_key = sense[2] & 0xf;
        res->asc = sense[12];
        res->ascq = sense[13];
    } else if ((format == 0x72 || format == 0x73) && sense_len >= 4) {
        res->sense_key = sense[1] & 0xf;
        res->asc = sense[2];
        res->ascq = sense[3];
    }
    switch (response) {
    case VS_OK: return 0;
    case VS_BAD_TARGET: return -ENODEV;
    case VS_BUSY:
    case VS_RESET:
    case VS_ABORTED:
    case VS_TRANSPORT_FAILURE: return -EAGAIN;
    default: return -EIO;
    }
}

/* The virtqueue cookie is the tag plus one: NULL stays "no request". */
static void ctrl_drain(struct blk_engine *e)
{
    void *cookie;
    while (virtq_pop_used(engine_ctrl(e)->requestq, &cookie, NULL))
        if (cookie) blk_engine_finished(e, (unsigned)((uintptr_t)cookie - 1));
}

/* A synchronous caller gets the decoded answer. An asynchronous command
 * that did not end GOOD is redone synchronously from poll (scsi_redo), where
 * the retry policy and error messages of scsi_exec apply. */
static int ctrl_complete(struct blk_engine *e, unsigned tag, void *arg)
{
    struct scsi_slot *slot = &engine_ctrl(e)->slots[tag];
    struct scsi_request *r = arg;
    if (r) return read_result(slot, r->res);
    struct scsi_result res;
    if (read_result(slot, &res) != 0 || res.status != SAM_GOOD || res.resid != 0) return BLK_STATUS_REDO;
    return 0;
}

static int scsi_redo(struct blk_engine *e, struct bio *b);

static const struct blk_engine_ops scsi_engine_ops = {
    .submit = post,
    .drain = ctrl_drain,
    .complete = ctrl_complete,
    .redo = scsi_redo,
};

/* Send one CDB to LUN 0 of `target` and wait (see struct scsi_request).
 * 0 with *res filled when the command reached the target; -ENODEV for a
 * missing target, -EAGAIN for a transient transport answer, -EIO otherwise. */
static int scsi_command(struct vscsi_ctrl *c, uint8_t target, const uint8_t *cdb, uint32_t cdb_len,
                        char *data, uint32_t len, bool write, struct scsi_result *res)
{
    struct scsi_request r = {.target = target, .cdb = cdb, .cdb_len = cdb_len, .data = data, .len = len,
                             .write = write, .res = res};
    int rc = blk_engine_run(&c->engine, &r);
    return rc == -E2BIG ? -EIO : rc;
}

/* scsi_command plus the retry policy: unit attentions (reported once after a
 * reset or media change), "becoming ready", and busy answers are retried.
 * 0 when the target answered GOOD; -EINVAL for ILLEGAL REQUEST, -EROFS for
 * DATA PROTECT, -ENODEV for a missing target, -EIO otherwise. */
static int scsi_exec(struct vscsi_ctrl *c, uint8_t target, const uint8_t *cdb, uint32_t cdb_len,
                     char *data, uint32_t len, bool write, struct scsi_result *res, const char *what)
{
    uint64_t start = clock_monotonic_ns();
    int unit_attentions = 0;
    for (;;) {
        int rc = scsi_command(c, target, cdb, cdb_len, data, len, write, res);
        bool again = false;
        if (rc == -EAGAIN) {
            again = true;
        } else if (rc) {
            return rc;
        } else if (res->status == SAM_GOOD) {
            return 0;
        } else if (res->status == SAM_BUSY || res->status == SAM_TASK_SET_FULL) {
            again = true;
        } else if (res->status == SAM_CHECK_CONDITION) {
            if (res->sense_key == SENSE_UNIT_ATTENTION && ++unit_attentions <= UNIT_ATTENTION_RETRIES) {
                dev_info("virtio-scsi target %u: %s: unit attention %02x/%02x, retrying\n", target, what, res->asc,
                         res->ascq);
                continue;
            }
            if (res->sense_key == SENSE_NOT_READY && res->asc == 0x04 && res->ascq == 0x01) again = true;
            if (res->sense_key == SENSE_ILLEGAL_REQUEST) return -EINVAL; /* callers may fall back */
            if (res->sense_key == SENSE_DATA_PROTECT) return -EROFS;
        }
        if (!again || clock_monotonic_ns() - start > RETRY_WINDOW_NS) {
            kprintf("virtio-scsi target %u: %s failed (status 0x%x, sense key 0x%x, asc/ascq %02x/%02x%s)\n",
                    target, what, res->status, res->sense_key, res->asc, res->ascq, rc ? ", transport busy" : "");
            return -EIO;
        }
        dev_info("virtio-scsi target %u: %s: retrying (status 0x%x, sense key 0x%x, asc/ascq %02x/%02x)\n", target,
                 what, res->status, res->sense_key, res->asc, res->ascq);
        clock_delay_ns(10 * 1000 * 1000);
    }
}

static int scsi_raw(struct lba_io *io, uint64_t lba, uint32_t nlba, char *buf, bool write)
{
    struct vscsi_disk *d = container_of(io, struct vscsi_disk, lio);
    uint8_t cdb[16] = {write ? OP_WRITE_16 : OP_READ_16};
    put_be64(cdb + 2, lba);
    put_be32(cdb + 10, nlba);
    struct scsi_result res;
    uint32_t bytes = nlba * io->lba_size;
    int rc = scsi_exec(d->ctrl, d->target, cdb, sizeof cdb, buf, bytes, write, &res, write ? "WRITE(16)" : "READ(16)");
    if (rc == 0 && res.resid != 0) {
        kprintf("virtio-scsi target %u: short %s (%u of %u bytes missing)\n", d->target,
                write ? "write" : "read", res.resid, bytes);
        return -EIO;
    }
    return rc == -EINVAL ? -EIO : rc;
}

static int vscsi_read(struct blockdev *bd, uint64_t sector, void *buf, uint32_t count)
{
    return lba_io_transfer(&to_disk(bd)->lio, sector, buf, count, false);
}

static int vscsi_write(struct blockdev *bd, uint64_t sector, const void *buf, uint32_t count)
{
    return lba_io_transfer(&to_disk(bd)->lio, sector, (char *)buf, count, true);
}

/* A request the device can take as one command (whole blocks, a linear
 * buffer within the transfer and segment limits) goes into the queue and
 * returns at once; anything else goes through lba_io synchronously here.
 * Either way its callback runs from poll. */
static int vscsi_submit(struct blockdev *bd, struct bio *b)
{
    struct vscsi_disk *d = to_disk(bd);
    struct vscsi_ctrl *c = d->ctrl;
    struct lba_io *io = &d->lio;
    uint32_t per_lba = io->lba_size / SECTOR_SIZE;
    uint64_t bytes = (uint64_t)b->count * SECTOR_SIZE;
    if (b->count && b->sector < bd->sectors && b->count <= bd->sectors - b->sector &&
        b->sector % per_lba == 0 && b->count % per_lba == 0 && bytes <= io->max_bytes && dma_linear(b->buf, bytes)) {
        uint8_t cdb[16] = {b->write ? OP_WRITE_16 : OP_READ_16};
        put_be64(cdb + 2, b->sector / per_lba);
        put_be32(cdb + 10, b->count / per_lba);
        struct scsi_request r = {.target = d->target, .cdb = cdb, .cdb_len = sizeof cdb, .data = b->buf,
                                 .len = (uint32_t)bytes, .write = b->write};
        b->dev_priv = d; /* for scsi_redo */
        int rc = blk_engine_submit(&c->engine, b, &r);
        if (rc == 0) return 0;
        /* Out of descriptors with nothing in flight: it will never fit. */
        if (rc == -EAGAIN && blk_engine_busy(&c->engine)) return -EAGAIN;
    }
    blk_engine_finish_bio(&c->engine, b, lba_io_transfer(io, b->sector, b->buf, b->count, b->write));
    return 0;
}

static int scsi_redo(struct blk_engine *e, struct bio *b)
{
    (void)e;
    struct vscsi_disk *d = b->dev_priv;
    return lba_io_transfer(&d->lio, b->sector, b->buf, b->count, b->write);
}

static int vscsi_poll(struct blockdev *bd) { return blk_engine_poll(&to_disk(bd)->ctrl->engine); }

int virtio_scsi_flush(struct blockdev *bd)
{
    struct vscsi_disk *d = to_disk(bd);
    uint8_t cdb[10] = {OP_SYNCHRONIZE_CACHE_10}; /* LBA 0, 0 blocks: everything */
    struct scsi_result res;
    int rc = scsi_exec(d->ctrl, d->target, cdb, sizeof cdb, NULL, 0, false, &res, "SYNCHRONIZE CACHE");
    return rc == -EINVAL ? 0 : rc; /* not supported: nothing is cached */
}

/* Small replies (INQUIRY, READ CAPACITY) land in the spare tail of slot 0's
 * page; scanning is synchronous, so nothing else uses it meanwhile. */
static char *scan_buffer(struct vscsi_ctrl *c)
{
    return (char *)c->slots[0].dma + SLOT_DATA;
}

/* Ask for the size. READ CAPACITY(16) first (it also covers disks over 2 TiB);
 * targets that reject it get READ CAPACITY(10). */
static int read_capacity(struct vscsi_ctrl *c, uint8_t target, uint64_t *blocks, uint32_t *block_size)
{
    char *buf = scan_buffer(c);
    struct scsi_result res;
    uint8_t cdb16[16] = {OP_SERVICE_ACTION_IN_16, SA_READ_CAPACITY_16};
    put_be32(cdb16 + 10, 32);
    memset(buf, 0, 32);
    int rc = scsi_exec(c, target, cdb16, sizeof cdb16, buf, 32, false, &res, "READ CAPACITY(16)");
    if (rc == 0) {
        *blocks = get_be64((uint8_t *)buf) + 1;
        *block_size = get_be32((uint8_t *)buf + 8);
        return 0;
    }
    if (rc != -EINVAL) return rc;
    uint8_t cdb10[10] = {OP_READ_CAPACITY_10};
    memset(buf, 0, 8);
    rc = scsi_exec(c, target, cdb10, sizeof cdb10, buf, 8, false, &res, "READ CAPACITY(10)");
    if (rc) return rc;
    uint32_t last = get_be32((uint8_t *)buf);
    if (last == 0xffffffff) return -EIO; /* too big for (10), and (16) failed */
    *blocks = (uint64_t)last + 1;
    *block_size = get_be32((uint8_t *)buf + 4);
    return 0;
}

/* Bring up LUN 0 of `target` as a disk. NULL when there is no direct-access
 * device there (silently) or it cannot be used (with one line). */
static struct vscsi_disk *scan_target(struct vscsi_ctrl *c, uint8_t target)
{
    char *buf = scan_buffer(c);
    struct scsi_result res;
    uint8_t inquiry[6] = {OP_INQUIRY, 0, 0, 0, 36, 0};
    memset(buf, 0, 36);
    /* INQUIRY is exempt from unit attentions, so it is the probe. */
    if (scsi_command(c, target, inquiry, sizeof inquiry, buf, 36, false, &res) != 0 || res.status != SAM_GOOD)
        return NULL;
    uint8_t peripheral = (uint8_t)buf[0];
    if (peripheral != 0x00) return NULL; /* not a connected direct-access block device */

    uint8_t tur[6] = {OP_TEST_UNIT_READY};
    if (scsi_exec(c, target, tur, sizeof tur, NULL, 0, false, &res, "TEST UNIT READY") != 0) return NULL;

    uint64_t blocks;
    uint32_t block_size;
    if (read_capacity(c, target, &blocks, &block_size) != 0) return NULL;
    if (block_size < SECTOR_SIZE || block_size > PAGE_SIZE || (block_size & (block_size - 1))) {
        kprintf("virtio-scsi target %u: block size %u is not 512..4096 bytes; ignored\n", target, block_size);
        return NULL;
    }
    uint64_t per_lba = block_size / SECTOR_SIZE;
    if (blocks == 0 || blocks > UINT64_MAX / per_lba) return NULL;

    struct vscsi_disk *d = allocate_zero(c->heap, sizeof *d);
    if (!d) return NULL;
    d->ctrl = c;
    d->target = target;
    d->lio.sectors = blocks * per_lba;
    d->lio.lba_size = block_size;
    d->lio.max_bytes = ALIGN_DOWN(c->max_bytes, block_size);
    d->lio.align = 1; /* descriptors take any byte address */
    d->lio.bounce = phys_to_virt(c->bounce_phys);
    d->lio.bounce_bytes = MIN((uint32_t)(BOUNCE_PAGES * PAGE_SIZE), d->lio.max_bytes);
    d->lio.raw = scsi_raw;
    d->bd.sectors = d->lio.sectors;
    d->bd.read = vscsi_read;
    d->bd.write = vscsi_write;
    d->bd.flush = virtio_scsi_flush; /* whether the target caches writes is not asked */
    d->bd.submit = vscsi_submit;
    d->bd.poll = vscsi_poll;
    d->bd.name = "virtio-scsi";
    dev_info("virtio-scsi %02x:%02x.%x target %u: %llu sectors (%llu MiB), %u-byte blocks\n", c->vp.pci.bus,
             c->vp.pci.dev, c->vp.pci.fn, target, (unsigned long long)d->bd.sectors,
             (unsigned long long)(d->bd.sectors >> 11), block_size);
    return d;
}

/* Give the device somewhere to report hot-plug events. They are not acted on
 * yet; once these run out the device just flags that events were missed. */
static void post_event_buffers(struct vscsi_ctrl *c)
{
    for (int i = 0; i < EVENT_BUFFERS; i++) {
        struct virtq_buf b = {c->events_phys + i * EVENT_SIZE, EVENT_SIZE, true};
        if (virtq_add(c->eventq, &b, 1, NULL) < 0) break;
    }
    virtq_kick(c->eventq);
}

static void ctrl_free(struct vscsi_ctrl *c)
{
    msix_disable(&c->vp.msix);
    virtq_destroy(c->controlq);
    virtq_destroy(c->eventq);
    virtq_destroy(c->requestq);
    if (c->slots_phys) pages_free(c->slots_phys, SLOT_COUNT);
    if (c->bounce_phys) pages_free(c->bounce_phys, BOUNCE_PAGES);
    if (c->events_phys) page_free(c->events_phys);
    deallocate(c->heap, c, sizeof *c);
}

/* MSI-X: edge-triggered, nothing to acknowledge. */
static void ctrl_interrupt(void *arg) { blk_engine_interrupt(&((struct vscsi_ctrl *)arg)->engine); }

static const char *ctrl_setup(struct vscsi_ctrl *c, struct heap *h)
{
    if (virtio_pci_negotiate(&c->vp, 0) != 0) return "feature negotiation failed";
    if (virtio_pci_cfg_read32(&c->vp, CFG_NUM_QUEUES) == 0) return "no request queues";
    c->cdb_size = virtio_pci_cfg_read32(&c->vp, CFG_CDB_SIZE);
    c->sense_size = virtio_pci_cfg_read32(&c->vp, CFG_SENSE_SIZE);
    if (c->cdb_size < 16 || c->cdb_size > MAX_CDB_SIZE) return "unsupported CDB size";

    c->controlq = virtio_pci_setup_queue(&c->vp, h, QUEUE_CONTROL, 8);
    c->eventq = virtio_pci_setup_queue(&c->vp, h, QUEUE_EVENT, EVENT_BUFFERS);
    c->requestq = virtio_pci_setup_queue(&c->vp, h, QUEUE_REQUEST, QUEUE_MAX);
    if (!c->controlq || !c->eventq || !c->requestq) return "queue setup failed";

    /* Header and response take two descriptors; the rest may carry data. */
    c->max_data_segs = MIN((uint32_t)MAX_DATA_SEGS, (uint32_t)c->requestq->size - 2);
    uint32_t seg_max = virtio_pci_cfg_read32(&c->vp, CFG_SEG_MAX);
    if (seg_max >= 1 && seg_max < c->max_data_segs) c->max_data_segs = seg_max;
    if (c->max_data_segs < 2) return "too few data segments per request";
    /* Every page touched may need its own segment, and a buffer that does
     * not start on a page boundary touches one more. */
    c->max_bytes = MIN((uint32_t)MAX_TRANSFER_BYTES, (c->max_data_segs - 1) * (uint32_t)PAGE_SIZE);
    uint32_t max_sectors = virtio_pci_cfg_read32(&c->vp, CFG_MAX_SECTORS);
    if (max_sectors >= PAGE_SIZE / SECTOR_SIZE && (uint64_t)max_sectors * SECTOR_SIZE < c->max_bytes)
        c->max_bytes = max_sectors * SECTOR_SIZE;
    c->max_bytes = ALIGN_DOWN(c->max_bytes, (uint32_t)PAGE_SIZE);

    c->slots_phys = pages_alloc_contig(SLOT_COUNT);
    c->bounce_phys = pages_alloc_contig(BOUNCE_PAGES);
    c->events_phys = page_alloc();
    if (!c->slots_phys || !c->bounce_phys || !c->events_phys) return "out of memory";
    for (int i = 0; i < SLOT_COUNT; i++) {
        c->slots[i].dma_phys = c->slots_phys + i * PAGE_SIZE;
        c->slots[i].dma = phys_to_virt(c->slots[i].dma_phys);
    }
    format_sn(c->engine_name, sizeof c->engine_name, "virtio-scsi %02x:%02x.%x", c->vp.pci.bus, c->vp.pci.dev,
              c->vp.pci.fn);
    blk_engine_init(&c->engine, &scsi_engine_ops, c->engine_name, SLOT_COUNT);
    /* Only the request queue's answers are waited for; the control and
     * event queues keep no vector. */
    if (virtio_pci_queue_interrupt(&c->vp, c->requestq, ctrl_interrupt, c, "virtio-scsi-req"))
        blk_engine_use_interrupts(&c->engine);
    virtio_pci_driver_ok(&c->vp);
    return NULL;
}

int virtio_scsi_probe(struct heap *h, struct pci_device *dev, struct blockdev **out, int max)
{
    if (dev->vendor != VIRTIO_PCI_VENDOR || max <= 0) return 0;
    if (dev->device != VIRTIO_SCSI_DEVICE_MODERN && dev->device != VIRTIO_SCSI_DEVICE_TRANSITIONAL) return 0;
    struct vscsi_ctrl *c = allocate_zero(h, sizeof *c);
    if (!c) return 0;
    c->heap = h;
    if (virtio_pci_attach(&c->vp, dev) != 0 || !c->vp.device_cfg) {
        kprintf("virtio-scsi %02x:%02x.%x: no usable virtio 1.0 capabilities (legacy-only devices are not supported)\n",
                dev->bus, dev->dev, dev->fn);
        ctrl_free(c);
        return 0;
    }
    const char *why = ctrl_setup(c, h);
    if (why) {
        virtio_pci_fail(&c->vp);
        kprintf("virtio-scsi %02x:%02x.%x: %s\n", dev->bus, dev->dev, dev->fn, why);
        ctrl_free(c);
        return 0;
    }

    uint32_t max_target = virtio_pci_cfg_read32(&c->vp, CFG_MAX_CHANNEL_TARGET) >> 16;
    int found = 0;
    for (uint32_t t = 0; t <= MIN(max_target, (uint32_t)MAX_TARGET_SCANNED) && found < max && !c->engine.broken; t++) {
        struct vscsi_disk *d = scan_target(c, (uint8_t)t);
        if (d) out[found++] = &d->bd;
    }
    if (found == 0) {
        /* Nothing is queued to the device (event buffers are posted only
         * for a controller we keep), so its memory can go, unless a request
         * timed out and the device may still write into it. */
        dev_info("virtio-scsi %02x:%02x.%x: no disks\n", dev->bus, dev->dev, dev->fn);
        virtio_pci_fail(&c->vp);
        if (!c->engine.broken) ctrl_free(c);
        return 0;
    }
    post_event_buffers(c);
    return found;
}
