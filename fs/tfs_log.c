/* The write side of the log: the pending transaction, commits and
 * compaction (docs/tfs.md, "Writable version").
 *
 * Every change appends sub-records to one pending transaction in memory;
 * INODE records for nodes whose size/times/mode changed are added only at
 * commit (one per node, however many writes touched it). A commit writes the
 * dirty data blocks, flushes, appends the whole transaction as one BATCH
 * record (all or nothing at replay) and flushes again. Then blocks the
 * transaction freed become reusable.
 *
 * Invariant between calls: log_used + the pending batch fits in the log
 * area, so a commit never has to find space. tfs_log_reserve keeps it, by
 * committing, compacting into the spare area, or compacting into a bigger
 * area, before a change is applied; if none works the change gets -ENOSPC
 * and nothing happens. */
#include "tfs_internal.h"
#include "../klib/format.h"
#include "../klib/string.h"

#define PEND_HEAD 536u              /* room before the records: sector prefix + record header */
#define PEND_TAIL 512u              /* room after: sector padding */
#define PEND_SOFT (64u * 1024)      /* commit once the pending batch is this large */
#define SNAP_BATCH (64u * 1024)     /* batch payload size in a compacted log */
#define WIN_BYTES (64u * 1024)
#define TAIL_ZERO_LIMIT (TFS_MAX_RECORD + 2 * TFS_BLOCK_SIZE)

uint64_t tfs_now(struct tfs *fs) { return fs->clock_ns ? fs->clock_ns(fs->clock_ctx) : 0; }

int tfs_fail(struct tfs *fs, int rc)
{
    fs->broken = true;
    return rc == -ENOMEM ? rc : -EIO;
}

int tfs_device_flush(struct tfs *fs) { return fs->dev->flush ? fs->dev->flush(fs->dev) : 0; }

static size_t pend_total(const struct tfs *fs) { return fs->pend_len + (size_t)fs->ndirty * TFS_SUB_INODE_BYTES; }

static uint64_t record_bytes(size_t payload) { return ALIGN_UP((uint64_t)TFS_REC_HEADER_SIZE + payload, (uint64_t)TFS_REC_ALIGN); }

static bool fits(const struct tfs *fs, size_t extra)
{
    return fs->log_used + record_bytes(pend_total(fs) + extra) <= fs->log_blocks * TFS_BLOCK_SIZE;
}

static int pend_room(struct tfs *fs, size_t extra)
{
    size_t need = PEND_HEAD + fs->pend_len + extra + PEND_TAIL;
    if (need <= fs->pend_cap) return 0;
    size_t cap = fs->pend_cap ? fs->pend_cap : 16384;
    while (cap < need) cap *= 2;
    uint8_t *p = allocate(fs->heap, cap);
    if (!p) return -ENOMEM;
    if (fs->pend) memcpy(p + PEND_HEAD, fs->pend + PEND_HEAD, fs->pend_len);
    deallocate(fs->heap, fs->pend, fs->pend_cap);
    fs->pend = p;
    fs->pend_cap = cap;
    return 0;
}

void tfs_encode_inode(const struct tfs_node *n, uint8_t *p)
{
    memset(p, 0, TFS_INODE_LEN);
    tfs_put64(p + TFS_INODE_INO, n->ino);
    tfs_put32(p + TFS_INODE_MODE, n->mode);
    tfs_put32(p + TFS_INODE_NLINK, n->nlink);
    tfs_put64(p + TFS_INODE_SIZE, tfs_is_dir(n) ? 0 : n->size);
    tfs_put64(p + TFS_INODE_ATIME, n->atime_ns);
    tfs_put64(p + TFS_INODE_MTIME, n->mtime_ns);
    tfs_put64(p + TFS_INODE_CTIME, n->ctime_ns);
    tfs_put32(p + TFS_INODE_UID, n->uid);
    tfs_put32(p + TFS_INODE_GID, n->gid);
}

/* Append one sub-record made of two pieces (no staging copy on the stack);
 * room was reserved by tfs_log_reserve. */
void tfs_log_add2(struct tfs *fs, uint16_t type, const void *a, uint32_t alen, const void *b, uint32_t blen)
{
    uint32_t len = alen + blen;
    if (pend_room(fs, TFS_SUB_HEADER_SIZE + ALIGN_UP((size_t)len, (size_t)8))) {
        fs->broken = true;   /* cannot happen after a successful reserve */
        return;
    }
    uint8_t *p = fs->pend + PEND_HEAD + fs->pend_len;
    tfs_put16(p + TFS_SUB_TYPE, type);
    tfs_put16(p + TFS_SUB_RESERVED, 0);
    tfs_put32(p + TFS_SUB_LEN, len);
    memcpy(p + TFS_SUB_HEADER_SIZE, a, alen);
    if (blen) memcpy(p + TFS_SUB_HEADER_SIZE + alen, b, blen);
    size_t total = TFS_SUB_HEADER_SIZE + ALIGN_UP((size_t)len, (size_t)8);
    memset(p + TFS_SUB_HEADER_SIZE + len, 0, total - TFS_SUB_HEADER_SIZE - len);
    fs->pend_last = fs->pend_len;
    fs->pend_has_last = true;
    fs->pend_len += total;
}

void tfs_log_add(struct tfs *fs, uint16_t type, const void *payload, uint32_t len)
{
    tfs_log_add2(fs, type, payload, len, 0, 0);
}

void tfs_log_extent(struct tfs *fs, uint64_t ino, uint64_t fb, uint64_t db, uint64_t count)
{
    if (fs->pend_has_last) {
        uint8_t *s = fs->pend + PEND_HEAD + fs->pend_last;
        uint8_t *p = s + TFS_SUB_HEADER_SIZE;
        if (tfs_get16(s + TFS_SUB_TYPE) == TFS_REC_EXTENT && tfs_get64(p + TFS_EXTENT_INO) == ino) {
            uint64_t lc = tfs_get64(p + TFS_EXTENT_COUNT);
            if (tfs_get64(p + TFS_EXTENT_FILE_BLOCK) + lc == fb && tfs_get64(p + TFS_EXTENT_DISK_BLOCK) + lc == db) {
                tfs_put64(p + TFS_EXTENT_COUNT, lc + count);
                return;
            }
        }
    }
    uint8_t p[TFS_EXTENT_LEN];
    tfs_put64(p + TFS_EXTENT_INO, ino);
    tfs_put64(p + TFS_EXTENT_FILE_BLOCK, fb);
    tfs_put64(p + TFS_EXTENT_DISK_BLOCK, db);
    tfs_put64(p + TFS_EXTENT_COUNT, count);
    tfs_log_add(fs, TFS_REC_EXTENT, p, sizeof(p));
}

void tfs_mark_dirty(struct tfs *fs, struct tfs_node *n)
{
    if (n->dirty || n->dead) return;
    n->dirty = true;
    n->dirty_next = fs->dirty_list;
    fs->dirty_list = n;
    fs->ndirty++;
}

void tfs_undirty(struct tfs *fs, struct tfs_node *n)
{
    if (!n->dirty) return;
    struct tfs_node **pp = &fs->dirty_list;
    while (*pp && *pp != n) pp = &(*pp)->dirty_next;
    if (*pp) *pp = n->dirty_next;
    n->dirty = false;
    fs->ndirty--;
}

void tfs_log_inode_now(struct tfs *fs, struct tfs_node *n)
{
    uint8_t p[TFS_INODE_LEN];
    tfs_undirty(fs, n);
    tfs_encode_inode(n, p);
    tfs_log_add(fs, TFS_REC_INODE, p, sizeof(p));
}

static void fill_header(uint8_t *h, uint16_t type, uint32_t len, uint64_t seq)
{
    memset(h, 0, TFS_REC_HEADER_SIZE);
    tfs_put16(h + TFS_REC_TYPE, type);
    tfs_put32(h + TFS_REC_LEN, len);
    tfs_put64(h + TFS_REC_SEQ, seq);
}

/* ---- superblocks ---- */

int tfs_write_supers(struct tfs *fs)
{
    uint8_t *b = allocate_zero(fs->heap, TFS_BLOCK_SIZE);
    if (!b) return -ENOMEM;
    memcpy(b + TFS_SB_MAGIC, TFS_MAGIC, TFS_MAGIC_LEN);
    tfs_put32(b + TFS_SB_VERSION, TFS_VERSION);
    tfs_put32(b + TFS_SB_BLOCK_SIZE, TFS_BLOCK_SIZE);
    tfs_put64(b + TFS_SB_BLOCK_COUNT, fs->block_count);
    memcpy(b + TFS_SB_UUID, fs->uuid, 16);
    tfs_put64(b + TFS_SB_GENERATION, fs->generation);
    tfs_put64(b + TFS_SB_LOG_START, fs->log_start);
    tfs_put64(b + TFS_SB_LOG_BLOCKS, fs->log_blocks);
    tfs_put64(b + TFS_SB_LOG_BYTES, fs->log_used);
    tfs_put64(b + TFS_SB_LOG_RECORDS, fs->log_records);
    tfs_put64(b + TFS_SB_FIRST_SEQ, fs->first_seq);
    tfs_put64(b + TFS_SB_ROOT_INO, fs->root_ino);
    tfs_put64(b + TFS_SB_DATA_START, fs->data_start);
    tfs_put32(b + TFS_SB_CRC, tfs_crc32c(0, b, TFS_SB_CRC));
    /* A then B, each made durable before the next: a torn write leaves
     * the other copy valid, and the newer valid copy wins at mount. */
    int rc = fs->dev->write(fs->dev, TFS_SUPER_BLOCK_A * TFS_SECTORS_PER_BLOCK, b, TFS_SECTORS_PER_BLOCK);
    if (!rc) rc = tfs_device_flush(fs);
    if (!rc) rc = fs->dev->write(fs->dev, TFS_SUPER_BLOCK_B * TFS_SECTORS_PER_BLOCK, b, TFS_SECTORS_PER_BLOCK);
    if (!rc) rc = tfs_device_flush(fs);
    deallocate(fs->heap, b, TFS_BLOCK_SIZE);
    return rc;
}

/* ---- compaction: the live state as a fresh log ---- */

struct snap {
    struct tfs *fs;
    bool measure;
    uint64_t area_start, area_bytes;
    uint64_t pos, records, seq;   /* bytes and records emitted so far */
    uint8_t *win;                 /* WIN_BYTES window of the area starting at win_base */
    uint64_t win_base;
    uint8_t *batch;
    size_t batch_len;
    int rc;
};

static void snap_bytes(struct snap *s, const void *data, size_t n)
{
    const uint8_t *p = data;
    if (s->measure || s->rc) {
        s->pos += n;
        return;
    }
    if (n > s->area_bytes - s->pos) {
        s->rc = -ENOSPC;   /* measured wrong: never write past the area */
        return;
    }
    while (n) {
        size_t in = (size_t)(s->pos - s->win_base);
        size_t chunk = MIN(n, (size_t)WIN_BYTES - in);
        memcpy(s->win + in, p, chunk);
        s->pos += chunk;
        p += chunk;
        n -= chunk;
        if (s->pos - s->win_base == WIN_BYTES || s->pos == s->area_bytes) {
            uint32_t sectors = (uint32_t)((s->pos - s->win_base) / 512);
            int rc = s->fs->dev->write(s->fs->dev, (s->area_start * TFS_BLOCK_SIZE + s->win_base) / 512, s->win, sectors);
            if (rc) s->rc = rc < 0 ? rc : -EIO;
            s->win_base = s->pos;
            memset(s->win, 0, WIN_BYTES);
        }
    }
}

/* One record made of a header and up to three payload pieces. */
static void snap_record(struct snap *s, uint16_t type, const void *a, size_t alen, const void *b, size_t blen)
{
    uint8_t h[TFS_REC_HEADER_SIZE];
    fill_header(h, type, (uint32_t)(alen + blen), s->seq);
    uint32_t crc = tfs_crc32c(0, h, sizeof(h));
    crc = tfs_crc32c(crc, a, alen);
    if (blen) crc = tfs_crc32c(crc, b, blen);
    tfs_put32(h + TFS_REC_CRC, crc);
    snap_bytes(s, h, sizeof(h));
    snap_bytes(s, a, alen);
    if (blen) snap_bytes(s, b, blen);
    static const uint8_t zeros[8];
    size_t pad = (size_t)(ALIGN_UP(s->pos, (uint64_t)TFS_REC_ALIGN) - s->pos);
    snap_bytes(s, zeros, pad);
    s->records++;
    s->seq++;
}

static void snap_close_batch(struct snap *s)
{
    if (!s->batch_len) return;
    snap_record(s, TFS_REC_BATCH, s->batch, s->batch_len, 0, 0);
    s->batch_len = 0;
}

static void snap_sub2(struct snap *s, uint16_t type, const void *a, size_t alen, const void *b, size_t blen)
{
    size_t len = alen + blen;
    size_t total = TFS_SUB_HEADER_SIZE + ALIGN_UP(len, (size_t)8);
    if (s->batch_len + total > SNAP_BATCH) snap_close_batch(s);
    uint8_t *p = s->batch + s->batch_len;
    memset(p, 0, total);
    tfs_put16(p + TFS_SUB_TYPE, type);
    tfs_put32(p + TFS_SUB_LEN, (uint32_t)len);
    memcpy(p + TFS_SUB_HEADER_SIZE, a, alen);
    if (blen) memcpy(p + TFS_SUB_HEADER_SIZE + alen, b, blen);
    s->batch_len += total;
}

static void snap_sub(struct snap *s, uint16_t type, const void *payload, size_t len)
{
    snap_sub2(s, type, payload, len, 0, 0);
}

static void snapshot(struct snap *s)
{
    struct tfs *fs = s->fs;
    uint8_t rec[TFS_DIRENT_NAME + TFS_NAME_MAX + 8];
    for (int pass = 0; pass < 3; pass++) {
        for (uint64_t b = 0; b < fs->itab_size; b++) {
            for (struct tfs_node *n = fs->itab[b]; n; n = n->hash_next) {
                if (pass == 0) {
                    tfs_encode_inode(n, rec);
                    snap_sub(s, TFS_REC_INODE, rec, TFS_INODE_LEN);
                } else if (pass == 1 && n->target) {
                    tfs_put64(rec + TFS_SYMLINK_INO, n->ino);
                    snap_sub2(s, TFS_REC_SYMLINK, rec, TFS_SYMLINK_TARGET, n->target, n->target_len);
                } else if (pass == 1) {
                    for (uint32_t i = 0; i < n->nextents; i++) {
                        tfs_put64(rec + TFS_EXTENT_INO, n->ino);
                        tfs_put64(rec + TFS_EXTENT_FILE_BLOCK, n->extents[i].file_block);
                        tfs_put64(rec + TFS_EXTENT_DISK_BLOCK, n->extents[i].disk_block);
                        tfs_put64(rec + TFS_EXTENT_COUNT, n->extents[i].count);
                        snap_sub(s, TFS_REC_EXTENT, rec, TFS_EXTENT_LEN);
                    }
                } else if (pass == 2 && tfs_is_dir(n)) {
                    for (uint32_t i = 0; i < n->nentries; i++) {
                        const struct tfs_dent *d = n->order[i];
                        if (!d) continue;
                        tfs_put64(rec + TFS_DIRENT_DIR, n->ino);
                        tfs_put64(rec + TFS_DIRENT_CHILD, d->child->ino);
                        tfs_put16(rec + TFS_DIRENT_NAMELEN, d->namelen);
                        memcpy(rec + TFS_DIRENT_NAME, d->name, d->namelen);
                        snap_sub(s, TFS_REC_DIRENT_ADD, rec, TFS_DIRENT_NAME + (size_t)d->namelen);
                    }
                }
            }
        }
    }
    snap_close_batch(s);
    if (fs->has_config) {
        /* The strings follow the pointer arrays in config_mem (tfs_mount.c). */
        const struct tfs_config *c = &fs->config;
        size_t ptrs = tfs_config_pointer_bytes(c->argc, c->envc, c->mountc);
        uint8_t h[TFS_CONFIG_STRINGS] = { 0 };
        tfs_put32(h + TFS_CONFIG_FLAGS, c->flags);
        tfs_put32(h + TFS_CONFIG_ARGC, (uint32_t)c->argc);
        tfs_put32(h + TFS_CONFIG_ENVC, (uint32_t)c->envc);
        tfs_put32(h + TFS_CONFIG_MOUNTC, (uint32_t)c->mountc);
        tfs_put64(h + TFS_CONFIG_LAYOUT_SEED, c->layout_seed);
        snap_record(s, TFS_REC_CONFIG, h, sizeof(h), (uint8_t *)fs->config_mem + ptrs, fs->config_mem_len - ptrs);
    }
}

static void clear_pending(struct tfs *fs)
{
    fs->pend_len = 0;
    fs->pend_has_last = false;
    while (fs->dirty_list) {
        struct tfs_node *n = fs->dirty_list;
        fs->dirty_list = n->dirty_next;
        n->dirty = false;
    }
    fs->ndirty = 0;
}

/* Write the live state into a new log area with room for `extra` more
 * pending bytes, then switch the superblocks to it. */
static int compact(struct tfs *fs, size_t extra)
{
    int rc = tfs_cache_writeback(fs->cache);
    if (!rc) rc = tfs_device_flush(fs);
    if (rc) return tfs_fail(fs, rc);

    struct snap s = { .fs = fs, .measure = true, .seq = fs->next_seq };
    s.batch = allocate(fs->heap, SNAP_BATCH);
    if (!s.batch) return -ENOMEM;
    snapshot(&s);
    uint64_t need = s.pos + record_bytes(extra + 4 * TFS_SUB_INODE_BYTES + PEND_SOFT);
    /* Keep the new log at most half full so compactions stay rare. */
    uint64_t blocks = fs->log_blocks;
    if (need * 2 > blocks * TFS_BLOCK_SIZE) blocks = MAX(2 * blocks, (need * 2 + TFS_BLOCK_SIZE - 1) / TFS_BLOCK_SIZE);
    uint64_t start = 0;
    bool from_spare = false;
    if (fs->spare_blocks >= blocks) {
        start = fs->spare_start;
        blocks = fs->spare_blocks;
        from_spare = true;
    } else if ((start = tfs_alloc_exact(fs, blocks)) == 0) {
        if (fs->spare_blocks * TFS_BLOCK_SIZE >= need) {
            start = fs->spare_start;
            blocks = fs->spare_blocks;
            from_spare = true;
        } else {
            deallocate(fs->heap, s.batch, SNAP_BATCH);
            return -ENOSPC;
        }
    }

    struct snap w = { .fs = fs, .area_start = start, .area_bytes = blocks * TFS_BLOCK_SIZE, .seq = fs->next_seq,
                      .batch = s.batch };
    w.win = allocate_zero(fs->heap, WIN_BYTES);
    if (!w.win) {
        if (!from_spare) tfs_mark_free(fs, start, blocks);
        deallocate(fs->heap, s.batch, SNAP_BATCH);
        return -ENOMEM;
    }
    snapshot(&w);
    uint64_t used = w.pos;
    uint8_t tail[512];
    memcpy(tail, w.win + ALIGN_DOWN(used - w.win_base, 512ull), 512);
    /* Zeros after the records: stale bytes from an older log here must not
     * look like a continuation. */
    while (!w.rc && w.pos < w.area_bytes) {
        uint64_t left = w.area_bytes - w.pos;
        static const uint8_t zeros[512];
        snap_bytes(&w, zeros, (size_t)MIN(left, (uint64_t)sizeof(zeros)));
    }
    deallocate(fs->heap, w.win, WIN_BYTES);
    deallocate(fs->heap, s.batch, SNAP_BATCH);
    rc = w.rc;
    if (!rc) rc = tfs_device_flush(fs);
    if (rc) return tfs_fail(fs, rc);

    uint64_t old_start = fs->log_start, old_blocks = fs->log_blocks, old_data_start = fs->data_start;
    fs->generation++;
    fs->log_start = start;
    fs->log_blocks = blocks;
    fs->log_used = used;
    fs->log_records = w.records;
    fs->first_seq = fs->next_seq;
    fs->next_seq += w.records;
    fs->data_start = 2;   /* the mkfs log area, if that was the old log, becomes data space */
    rc = tfs_write_supers(fs);
    if (rc) return tfs_fail(fs, rc);
    memcpy(fs->tail_sector, tail, 512);
    if (used % 512 == 0) memset(fs->tail_sector, 0, 512);

    /* The old area (and the mkfs area below the old data_start) is free now. */
    if (old_data_start > 2) tfs_mark_free(fs, 2, old_data_start - 2);
    if (old_start >= old_data_start) tfs_mark_free(fs, old_start, old_blocks);
    if (!from_spare && fs->spare_blocks) tfs_mark_free(fs, fs->spare_start, fs->spare_blocks);
    fs->spare_start = fs->spare_blocks = 0;
    uint64_t sp = tfs_alloc_exact(fs, blocks);
    if (sp) {
        fs->spare_start = sp;
        fs->spare_blocks = blocks;
    }
    clear_pending(fs);
    tfs_release_frees(fs);
    return 0;
}

/* ---- commit ---- */

int tfs_commit(struct tfs *fs)
{
    if (!fs->writable) return 0;
    if (fs->broken) return -EIO;
    int rc = tfs_cache_writeback(fs->cache);
    if (!rc) rc = tfs_device_flush(fs);   /* data before the records that point at it */
    if (rc) return tfs_fail(fs, rc);
    if (!fs->pend_len && !fs->ndirty) {
        tfs_release_frees(fs);   /* whatever freed them is already in the log */
        return 0;
    }
    if (!fits(fs, 0)) return compact(fs, 0);
    if (pend_room(fs, (size_t)fs->ndirty * TFS_SUB_INODE_BYTES)) return -ENOMEM;
    while (fs->dirty_list) {
        struct tfs_node *n = fs->dirty_list;
        uint8_t p[TFS_INODE_LEN];
        tfs_encode_inode(n, p);
        fs->ndirty--;
        fs->dirty_list = n->dirty_next;
        n->dirty = false;
        tfs_log_add(fs, TFS_REC_INODE, p, sizeof(p));
    }
    /* Layout in fs->pend: [sector prefix][header][records][zero padding]. */
    size_t prefix = (size_t)(fs->log_used % 512);
    uint8_t *h = fs->pend + PEND_HEAD - TFS_REC_HEADER_SIZE;
    uint8_t *start = h - prefix;
    fill_header(h, TFS_REC_BATCH, (uint32_t)fs->pend_len, fs->next_seq);
    tfs_put32(h + TFS_REC_CRC, tfs_crc32c(0, h, TFS_REC_HEADER_SIZE + fs->pend_len));
    memcpy(start, fs->tail_sector, prefix);
    size_t bytes = prefix + TFS_REC_HEADER_SIZE + fs->pend_len;
    size_t padded = ALIGN_UP(bytes, (size_t)512);
    memset(start + bytes, 0, padded - bytes);
    uint64_t sector = fs->log_start * TFS_SECTORS_PER_BLOCK + fs->log_used / 512;
    rc = fs->dev->write(fs->dev, sector, start, (uint32_t)(padded / 512));
    if (!rc) rc = tfs_device_flush(fs);
    if (rc) return tfs_fail(fs, rc);
    uint64_t from_byte = ALIGN_DOWN(fs->log_used, 512ull);
    fs->log_used += record_bytes(fs->pend_len);
    if (fs->log_used % 512) memcpy(fs->tail_sector, start + ALIGN_DOWN(fs->log_used - from_byte, 512ull), 512);
    else memset(fs->tail_sector, 0, 512);
    fs->log_records++;
    fs->next_seq++;
    clear_pending(fs);
    tfs_release_frees(fs);
    return 0;
}

int tfs_log_reserve(struct tfs *fs, size_t bytes)
{
    if (!fs->writable) return -EROFS;
    if (fs->broken) return -EIO;
    bytes += 4 * TFS_SUB_INODE_BYTES;
    int rc;
    if (pend_total(fs) + bytes > PEND_SOFT && pend_total(fs) && (rc = tfs_commit(fs))) return rc;
    if (!fits(fs, bytes) && (rc = compact(fs, bytes))) return rc;
    if (!fits(fs, bytes)) return -ENOSPC;
    return pend_room(fs, bytes);
}

int tfs_sync_locked(struct tfs *fs)
{
    if (!fs->writable) return 0;
    return tfs_commit(fs);
}

int tfs_fsync_locked(struct tfs *fs, struct tfs_node *n, bool datasync)
{
    (void)n;
    (void)datasync;
    return tfs_sync_locked(fs);
}

/* ---- opening the log for appending ---- */

int tfs_log_open(struct tfs *fs, char *err, size_t errlen)
{
    uint64_t area = fs->log_blocks * TFS_BLOCK_SIZE;
    uint64_t from = ALIGN_DOWN(fs->log_used, 512ull);
    uint64_t to = MIN(area, from + TAIL_ZERO_LIMIT);
    uint8_t *win = allocate(fs->heap, WIN_BYTES);
    if (!win) {
        format_sn(err, errlen, "tfs: out of memory");
        return -ENOMEM;
    }
    /* A commit torn by a crash can leave valid-looking records after the
     * end that replay stopped at; zero them before appending there. */
    int rc = 0;
    bool wrote = false;
    for (uint64_t pos = from; pos < to && !rc; pos += WIN_BYTES) {
        uint32_t sectors = (uint32_t)(MIN((uint64_t)WIN_BYTES, to - pos) / 512);
        uint64_t sector = fs->log_start * TFS_SECTORS_PER_BLOCK + pos / 512;
        rc = fs->dev->read(fs->dev, sector, win, sectors);
        if (rc) break;
        if (pos == from) {
            memset(fs->tail_sector, 0, 512);
            memcpy(fs->tail_sector, win, (size_t)(fs->log_used - from));
        }
        size_t keep = pos == from ? (size_t)(fs->log_used - from) : 0;
        bool dirty = false;
        for (size_t i = keep; i < (size_t)sectors * 512; i++)
            if (win[i]) {
                dirty = true;
                break;
            }
        if (!dirty) continue;
        memset(win + keep, 0, (size_t)sectors * 512 - keep);
        rc = fs->dev->write(fs->dev, sector, win, sectors);
        wrote = true;
    }
    if (!rc && wrote) rc = tfs_device_flush(fs);
    deallocate(fs->heap, win, WIN_BYTES);
    if (rc) {
        format_sn(err, errlen, "tfs: cannot clean the log tail: device error");
        return -EIO;
    }
    uint64_t sp = tfs_alloc_exact(fs, fs->log_blocks);
    if (sp) {
        fs->spare_start = sp;
        fs->spare_blocks = fs->log_blocks;
    }
    return 0;
}
