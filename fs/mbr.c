/* MBR decoding/encoding and the partition window block device. */
#include "mbr.h"
#include "../klib/errno.h"
#include "../klib/format.h"
#include "../klib/string.h"

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

bool mbr_decode(const uint8_t sector0[512], struct mbr_partition out[4])
{
    if (sector0[510] != 0x55 || sector0[511] != 0xAA) return false;
    for (int i = 0; i < 4; i++) {
        const uint8_t *e = sector0 + MBR_TABLE_OFFSET + i * MBR_ENTRY_SIZE;
        out[i].status = e[0];
        out[i].type = e[4];
        out[i].start_lba = get32(e + 8);
        out[i].sectors = get32(e + 12);
    }
    return true;
}

void mbr_encode_entry(uint8_t sector0[512], int index, const struct mbr_partition *p)
{
    uint8_t *e = sector0 + MBR_TABLE_OFFSET + index * MBR_ENTRY_SIZE;
    memset(e, 0, MBR_ENTRY_SIZE);
    if (!p->type) return;
    /* CHS 1023/254/63 everywhere: the conventional "too big, use LBA" marker. */
    static const uint8_t chs_max[3] = { 0xFE, 0xFF, 0xFF };
    e[0] = p->status;
    memcpy(e + 1, chs_max, 3);
    e[4] = p->type;
    memcpy(e + 5, chs_max, 3);
    put32(e + 8, p->start_lba);
    put32(e + 12, p->sectors);
}

void mbr_set_signature(uint8_t sector0[512])
{
    sector0[510] = 0x55;
    sector0[511] = 0xAA;
}

static bool in_window(struct part_blockdev *p, uint64_t sector, uint32_t count)
{
    return sector < p->dev.sectors && count <= p->dev.sectors - sector;
}

static int part_read(struct blockdev *dev, uint64_t sector, void *buf, uint32_t count)
{
    struct part_blockdev *p = container_of(dev, struct part_blockdev, dev);
    if (!in_window(p, sector, count)) return -EIO;
    return p->parent->read(p->parent, p->start + sector, buf, count);
}

static int part_flush(struct blockdev *dev)
{
    struct part_blockdev *p = container_of(dev, struct part_blockdev, dev);
    return p->parent->flush ? p->parent->flush(p->parent) : 0;
}

static int part_write(struct blockdev *dev, uint64_t sector, const void *buf, uint32_t count)
{
    struct part_blockdev *p = container_of(dev, struct part_blockdev, dev);
    if (!in_window(p, sector, count)) return -EIO;
    if (!p->parent->write) return -EROFS;
    return p->parent->write(p->parent, p->start + sector, buf, count);
}

/* Hand a finished bio back to its submitter with its own sector and callback. */
static void part_bio_done(struct bio *b, void *ctx)
{
    (void)ctx;
    b->sector = b->saved_sector;
    b->done = b->saved_done;
    b->ctx = b->saved_ctx;
    if (b->done) b->done(b, b->ctx);
}

static int part_submit(struct blockdev *dev, struct bio *b)
{
    struct part_blockdev *p = container_of(dev, struct part_blockdev, dev);
    if (!in_window(p, b->sector, b->count) || (b->write && !p->parent->write) || !p->parent->submit) {
        /* Refused, or a parent without an asynchronous path: finish it now,
         * but report it from poll like any other completion. */
        if (!in_window(p, b->sector, b->count)) b->status = -EIO;
        else if (b->write && !p->parent->write) b->status = -EROFS;
        else {
            b->sector += p->start;
            blockdev_run_sync(p->parent, b);
            b->sector -= p->start;
        }
        bio_list_add(&p->finished, b);
        return 0;
    }
    b->saved_sector = b->sector;
    b->saved_done = b->done;
    b->saved_ctx = b->ctx;
    b->sector += p->start;
    b->done = part_bio_done;
    b->ctx = p;
    int rc = p->parent->submit(p->parent, b);
    if (rc) {
        b->sector = b->saved_sector;
        b->done = b->saved_done;
        b->ctx = b->saved_ctx;
    }
    return rc;
}

static int part_poll(struct blockdev *dev)
{
    struct part_blockdev *p = container_of(dev, struct part_blockdev, dev);
    int n = bio_list_complete(&p->finished);
    return n + blockdev_poll(p->parent);
}

int part_blockdev_init(struct part_blockdev *p, struct blockdev *parent, uint64_t start, uint64_t sectors,
                       const char *name)
{
    if (start > parent->sectors || sectors > parent->sectors - start) return -EINVAL;
    p->parent = parent;
    p->start = start;
    p->dev.sectors = sectors;
    p->dev.read = part_read;
    p->dev.write = part_write;
    p->dev.flush = part_flush;
    p->dev.submit = part_submit;
    p->dev.poll = part_poll;
    p->dev.name = name;
    p->finished = (struct bio_list){ 0 };
    return 0;
}

int mbr_open_partition(struct blockdev *disk, uint8_t type, struct part_blockdev *out, char *err, size_t errlen)
{
    uint8_t sector0[512];
    const char *dname = disk->name ? disk->name : "disk";
    if (disk->sectors == 0 || disk->read(disk, 0, sector0, 1)) {
        format_sn(err, errlen, "mbr: %s: cannot read sector 0", dname);
        return -EIO;
    }
    struct mbr_partition parts[4];
    if (!mbr_decode(sector0, parts))
        return part_blockdev_init(out, disk, 0, disk->sectors, dname);
    for (int i = 0; i < 4; i++) {
        if (parts[i].type != type) continue;
        if (parts[i].start_lba == 0 ||
            part_blockdev_init(out, disk, parts[i].start_lba, parts[i].sectors, dname)) {
            format_sn(err, errlen, "mbr: %s: partition %d (type 0x%02x) lies outside the disk", dname, i, type);
            return -EINVAL;
        }
        return 0;
    }
    format_sn(err, errlen, "mbr: %s: no partition of type 0x%02x", dname, type);
    return -ENOENT;
}
