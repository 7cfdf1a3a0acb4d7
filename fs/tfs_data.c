/* File contents: read, write, truncate, fallocate, SEEK_DATA/SEEK_HOLE.
 *
 * Data goes through the block cache. Mapped blocks are overwritten in place
 * (they belong to the file in every durable state, so this is crash-safe);
 * holes get newly allocated blocks, recorded by EXTENT records that reach
 * the log only after the data (tfs_commit). Invariant: the bytes of a mapped
 * block past the file size are zero, so growing a file never exposes old
 * data; truncate keeps it by zeroing the tail of the new last block. */
#include "tfs_internal.h"
#include "../klib/string.h"

#define DIRECT_MAX_BLOCKS 16u   /* uncached reads go straight to the caller, 64 KiB per request */
#define DIRECT_DEPTH 8u         /* ... with up to this many requests in flight */
#define DIRECT_MIN_BYTES (DIRECT_MAX_BLOCKS * TFS_BLOCK_SIZE)   /* smaller reads use the cache */
#define READAHEAD_MAX_BLOCKS 128u
#define ALLOC_RUN 16u           /* blocks allocated per step of a write */
#define ZERO_RUN 16u            /* fallocate zeroes new blocks 64 KiB at a time */
#define MAX_BYTES (TFS_MAX_FILE_BLOCKS * TFS_BLOCK_SIZE)

static uint64_t file_blocks(const struct tfs_node *n) { return (n->size + TFS_BLOCK_SIZE - 1) / TFS_BLOCK_SIZE; }

/* File block fb of n, at `disk`, through the cache (lent when `lend`). A
 * miss also reads ahead the blocks of the file that follow it on disk: small
 * readers (the kernel reads and faults a page at a time) then find them. */
static int cached_block(struct tfs *fs, struct tfs_node *n, uint64_t fb, uint64_t disk, bool lend, uint8_t **b)
{
    if (!tfs_cache_has(fs->cache, disk)) {
        uint64_t ahead;
        tfs_extent_map(n, fb, READAHEAD_MAX_BLOCKS, &ahead);
        ahead = MIN(ahead, file_blocks(n) - fb);
        int rc = tfs_cache_readahead(fs->cache, disk, ahead);
        if (rc) return rc;
    }
    return lend ? tfs_cache_lend(fs->cache, disk, b) : tfs_cache_get(fs->cache, disk, true, b);
}

int64_t tfs_read_cached(struct tfs *fs, struct tfs_node *n, uint64_t off, void *buf, size_t len)
{
    if (tfs_is_dir(n)) return -EISDIR;
    if (!tfs_is_reg(n)) return -EINVAL;
    if (off >= n->size) return 0;
    if (len > n->size - off) len = (size_t)(n->size - off);
    uint8_t *dst = buf;
    size_t done = 0;
    while (done < len) {
        uint64_t pos = off + done, fb = pos / TFS_BLOCK_SIZE, run;
        size_t in = (size_t)(pos % TFS_BLOCK_SIZE), want = len - done;
        uint64_t disk = tfs_extent_map(n, fb, 1, &run);
        size_t chunk = MIN(want, (size_t)TFS_BLOCK_SIZE - in);
        if (!disk) {
            memset(dst + done, 0, chunk);
        } else {
            uint8_t *b = tfs_cache_peek(fs->cache, disk);
            if (!b) break;
            memcpy(dst + done, b + in, chunk);
        }
        done += chunk;
    }
    return (int64_t)done;
}

/* After a failed batch of direct reads: the bytes of buf before the first
 * request that failed are good (earlier requests, holes, cached blocks). */
static size_t good_before(const struct bio *bios, uint32_t nb, const uint8_t *dst)
{
    for (uint32_t i = 0; i < nb; i++)
        if (bios[i].status) return (size_t)((const uint8_t *)bios[i].buf - dst);
    return 0;
}

/* A read that hit a device error returns what it read before it, as Linux
 * does (a short read), or -EIO when that is nothing. */
static int64_t read_failed(size_t good) { return good ? (int64_t)good : -EIO; }

int64_t tfs_read_locked(struct tfs *fs, struct tfs_node *n, uint64_t off, void *buf, size_t len)
{
    if (tfs_is_dir(n)) return -EISDIR;
    if (!tfs_is_reg(n)) return -EINVAL;
    if (off >= n->size) return 0;
    if (len > n->size - off) len = (size_t)(n->size - off);
    uint8_t *dst = buf;
    size_t done = 0;
    /* Direct requests are collected and sent DIRECT_DEPTH at a time. They
     * cover only uncached blocks and disjoint parts of buf, and the batch is
     * finished before the cache is touched, so order does not matter. */
    struct bio bios[DIRECT_DEPTH];
    uint32_t nb = 0;
    while (done < len) {
        uint64_t pos = off + done, fb = pos / TFS_BLOCK_SIZE, run;
        size_t in = (size_t)(pos % TFS_BLOCK_SIZE), want = len - done;
        uint64_t disk = tfs_extent_map(n, fb, DIRECT_MAX_BLOCKS, &run);
        if (!disk) {
            size_t chunk = (size_t)MIN((uint64_t)want, run * TFS_BLOCK_SIZE - in);
            memset(dst + done, 0, chunk);
            done += chunk;
            continue;
        }
        if (in == 0 && want >= DIRECT_MIN_BYTES && !tfs_cache_has(fs->cache, disk)) {
            /* Whole uncached blocks: straight into buf, no copy. */
            uint64_t k = 1;
            while (k < run && (k + 1) * TFS_BLOCK_SIZE <= want && !tfs_cache_has(fs->cache, disk + k)) k++;
            bios[nb++] = (struct bio){ .sector = disk * TFS_SECTORS_PER_BLOCK,
                                       .count = (uint32_t)(k * TFS_SECTORS_PER_BLOCK), .buf = dst + done };
            done += (size_t)(k * TFS_BLOCK_SIZE);
            if (nb == DIRECT_DEPTH) {
                if (blockdev_submit_all(fs->dev, bios, nb)) return read_failed(good_before(bios, nb, dst));
                nb = 0;
            }
            continue;
        }
        if (nb) {
            if (blockdev_submit_all(fs->dev, bios, nb)) return read_failed(good_before(bios, nb, dst));
            nb = 0;
        }
        uint8_t *b;
        if (cached_block(fs, n, fb, disk, false, &b)) return read_failed(done);
        size_t chunk = MIN(want, (size_t)TFS_BLOCK_SIZE - in);
        memcpy(dst + done, b + in, chunk);
        done += chunk;
    }
    if (nb && blockdev_submit_all(fs->dev, bios, nb)) return read_failed(good_before(bios, nb, dst));
    return (int64_t)done;
}

static int check_file(struct tfs *fs, struct tfs_node *n)
{
    if (!fs->writable) return -EROFS;
    if (fs->broken) return -EIO;
    if (tfs_is_dir(n)) return -EISDIR;
    if (!tfs_is_reg(n)) return -EINVAL;
    return 0;
}

static uint64_t goal_after(const struct tfs_node *n, uint64_t fb)
{
    uint64_t run;
    uint64_t d = fb ? tfs_extent_map(n, fb - 1, 1, &run) : 0;
    return d ? d + 1 : 0;
}

/* Map up to `max` blocks of the hole at fb to new zeroed blocks (in the
 * cache when `cached`, else written to disk as zeros now). *got = blocks. */
static int fill_hole(struct tfs *fs, struct tfs_node *n, uint64_t fb, uint64_t max, bool cached, uint8_t *zeros,
                     uint64_t *got)
{
    int rc = tfs_log_reserve(fs, TFS_SUB_EXTENT_BYTES);
    if (rc) return rc;
    uint64_t db = tfs_alloc(fs, goal_after(n, fb), max, got, true);
    if (!*got) return -ENOSPC;
    if (cached) {
        for (uint64_t i = 0; i < *got; i++) {
            uint8_t *b;
            rc = tfs_cache_get(fs->cache, db + i, false, &b);
            if (rc) break;
            tfs_cache_dirty(fs->cache, db + i);
        }
    } else {
        tfs_cache_drop(fs->cache, db, *got);
        rc = fs->dev->write(fs->dev, db * TFS_SECTORS_PER_BLOCK, zeros, (uint32_t)(*got * TFS_SECTORS_PER_BLOCK));
    }
    if (rc) {
        tfs_mark_free(fs, db, *got);
        return tfs_fail(fs, rc);
    }
    if (tfs_extent_insert(fs->heap, n, fb, db, *got)) {
        tfs_mark_free(fs, db, *got);
        return -ENOMEM;
    }
    if (!n->dead) tfs_log_extent(fs, n->ino, fb, db, *got);
    if (fs->holes_filled) fs->holes_filled(n, fb, *got);
    return 0;
}

static void touch(struct tfs *fs, struct tfs_node *n)
{
    n->mtime_ns = n->ctime_ns = tfs_now(fs);
    tfs_mark_dirty(fs, n);
}

int64_t tfs_write_locked(struct tfs *fs, struct tfs_node *n, uint64_t off, const void *buf, size_t len)
{
    int rc = check_file(fs, n);
    if (rc) return rc;
    if (len == 0) return 0;
    if (off >= MAX_BYTES || len > MAX_BYTES - off) return -EFBIG;
    if ((rc = tfs_log_reserve(fs, 0))) return rc;   /* room for the INODE record */
    const uint8_t *src = buf;
    size_t done = 0;
    uint64_t last_fb = (off + len - 1) / TFS_BLOCK_SIZE;
    while (done < len) {
        uint64_t pos = off + done, fb = pos / TFS_BLOCK_SIZE, run;
        size_t in = (size_t)(pos % TFS_BLOCK_SIZE), chunk = MIN(len - done, (size_t)TFS_BLOCK_SIZE - in);
        uint64_t disk = tfs_extent_map(n, fb, MIN((uint64_t)ALLOC_RUN, last_fb - fb + 1), &run);
        bool fresh = false;
        if (!disk) {
            uint64_t got;
            if ((rc = fill_hole(fs, n, fb, run, true, 0, &got))) break;
            disk = tfs_extent_map(n, fb, 1, &run);
            fresh = true;
        }
        uint8_t *b;
        bool whole = in == 0 && chunk == TFS_BLOCK_SIZE;
        if ((rc = tfs_cache_get(fs->cache, disk, !whole && !fresh, &b))) {
            rc = tfs_fail(fs, rc);
            break;
        }
        memcpy(b + in, src + done, chunk);
        tfs_cache_dirty(fs->cache, disk);
        done += chunk;
    }
    if (!done) return rc;
    if (off + done > n->size) n->size = off + done;
    touch(fs, n);
    return (int64_t)done;
}

int tfs_lend_page_locked(struct tfs *fs, struct tfs_node *n, uint64_t fb, bool fill, void **page)
{
    if (!tfs_is_reg(n) || fb >= file_blocks(n)) return -ENODATA;
    uint64_t run, disk = tfs_extent_map(n, fb, 1, &run);
    if (!disk && fill) {
        /* A shared mapping is about to write into a hole: give it a block,
         * as write() would, so the mapping and the file share one page. */
        int rc = check_file(fs, n);
        if (!rc) rc = tfs_log_reserve(fs, 0);
        uint64_t got;
        if (!rc) rc = fill_hole(fs, n, fb, 1, true, 0, &got);
        if (rc) return rc;
        touch(fs, n);
        disk = tfs_extent_map(n, fb, 1, &run);
    }
    if (!disk) return -ENODATA;
    uint8_t *b;
    int rc = cached_block(fs, n, fb, disk, true, &b);
    if (rc) return rc < 0 ? rc : -EIO;
    *page = b;
    return 0;
}

bool tfs_page_cached_locked(struct tfs *fs, struct tfs_node *n, uint64_t fb)
{
    if (!tfs_is_reg(n) || fb >= file_blocks(n)) return false;
    uint64_t run, disk = tfs_extent_map(n, fb, 1, &run);
    return disk && tfs_cache_has(fs->cache, disk);
}

int tfs_page_written_locked(struct tfs *fs, struct tfs_node *n, uint64_t fb)
{
    int rc = check_file(fs, n);
    if (rc) return rc;
    if (fb >= file_blocks(n)) return 0;
    uint64_t run, disk = tfs_extent_map(n, fb, 1, &run);
    if (!disk || !tfs_cache_has(fs->cache, disk)) return 0;   /* no longer the file's block */
    if ((rc = tfs_log_reserve(fs, 0))) return rc;
    uint8_t *b;
    if ((rc = tfs_cache_get(fs->cache, disk, true, &b))) return tfs_fail(fs, rc);
    /* A mapping can store past the end of the file in its last page; those
     * bytes are not the file's, and must read as zero if it grows. */
    uint64_t end = n->size - fb * TFS_BLOCK_SIZE;
    if (end < TFS_BLOCK_SIZE) memset(b + end, 0, TFS_BLOCK_SIZE - end);
    tfs_cache_dirty(fs->cache, disk);
    touch(fs, n);
    return 0;
}

/* Zero [from, to) inside one block, if that block is mapped. */
static int zero_in_block(struct tfs *fs, struct tfs_node *n, uint64_t from, uint64_t to)
{
    if (from >= to) return 0;
    uint64_t run, disk = tfs_extent_map(n, from / TFS_BLOCK_SIZE, 1, &run);
    if (!disk) return 0;
    uint8_t *b;
    int rc = tfs_cache_get(fs->cache, disk, true, &b);
    if (rc) return tfs_fail(fs, rc);
    memset(b + from % TFS_BLOCK_SIZE, 0, (size_t)(to - from));
    tfs_cache_dirty(fs->cache, disk);
    return 0;
}

/* Unmap whole blocks [fb, fb+count) and log it if anything was mapped. */
static int punch_blocks(struct tfs *fs, struct tfs_node *n, uint64_t fb, uint64_t count)
{
    if (!count) return 0;
    uint64_t before = n->allocated_blocks;
    if (tfs_extent_punch(fs->heap, n, fb, count, tfs_freed_cb, fs)) return -ENOMEM;
    if (before != n->allocated_blocks && !n->dead) {
        uint8_t p[TFS_PUNCH_LEN] = { 0 };
        tfs_put64(p + TFS_PUNCH_INO, n->ino);
        tfs_put64(p + TFS_PUNCH_FILE_BLOCK, fb);
        tfs_put64(p + TFS_PUNCH_COUNT, count);
        tfs_log_add(fs, TFS_REC_PUNCH, p, sizeof(p));
    }
    return 0;
}

int tfs_truncate_locked(struct tfs *fs, struct tfs_node *n, uint64_t size)
{
    int rc = check_file(fs, n);
    if (rc) return rc;
    if (size > MAX_BYTES) return -EFBIG;
    if ((rc = tfs_log_reserve(fs, TFS_SUB_HEADER_SIZE + TFS_PUNCH_LEN))) return rc;
    if (size < n->size) {
        uint64_t first = (size + TFS_BLOCK_SIZE - 1) / TFS_BLOCK_SIZE;
        if (size % TFS_BLOCK_SIZE && (rc = zero_in_block(fs, n, size, first * TFS_BLOCK_SIZE))) return rc;
        if ((rc = punch_blocks(fs, n, first, TFS_MAX_FILE_BLOCKS - first))) return rc;
    }
    n->size = size;
    touch(fs, n);
    return 0;
}

int tfs_fallocate_locked(struct tfs *fs, struct tfs_node *n, uint32_t mode, uint64_t off, uint64_t len)
{
    int rc = check_file(fs, n);
    if (rc) return rc;
    if (len == 0) return -EINVAL;
    if (off >= MAX_BYTES || len > MAX_BYTES - off) return -EFBIG;
    uint64_t end = off + len;
    if (mode == (TFS_FALLOC_PUNCH_HOLE | TFS_FALLOC_KEEP_SIZE)) {
        if ((rc = tfs_log_reserve(fs, TFS_SUB_HEADER_SIZE + TFS_PUNCH_LEN))) return rc;
        uint64_t fb0 = (off + TFS_BLOCK_SIZE - 1) / TFS_BLOCK_SIZE, fb1 = end / TFS_BLOCK_SIZE;
        if (fb0 > fb1) {   /* inside one block */
            rc = zero_in_block(fs, n, off, end);
        } else {
            rc = zero_in_block(fs, n, off, fb0 * TFS_BLOCK_SIZE);
            if (!rc) rc = zero_in_block(fs, n, fb1 * TFS_BLOCK_SIZE, end);
            if (!rc) rc = punch_blocks(fs, n, fb0, fb1 - fb0);
        }
        if (!rc) touch(fs, n);
        return rc;
    }
    if (mode != 0 && mode != TFS_FALLOC_KEEP_SIZE) return -EOPNOTSUPP;
    if ((rc = tfs_log_reserve(fs, 0))) return rc;
    uint8_t *zeros = allocate_zero(fs->heap, ZERO_RUN * TFS_BLOCK_SIZE);
    if (!zeros) return -ENOMEM;
    uint64_t fb = off / TFS_BLOCK_SIZE, last = (end - 1) / TFS_BLOCK_SIZE;
    while (fb <= last && !rc) {
        uint64_t run, disk = tfs_extent_map(n, fb, MIN((uint64_t)ZERO_RUN, last - fb + 1), &run);
        if (!disk) rc = fill_hole(fs, n, fb, run, false, zeros, &run);
        fb += run;
    }
    deallocate(fs->heap, zeros, ZERO_RUN * TFS_BLOCK_SIZE);
    if (rc) return rc;
    if (mode == 0 && end > n->size) n->size = end;
    n->ctime_ns = tfs_now(fs);
    tfs_mark_dirty(fs, n);
    return 0;
}

int64_t tfs_seek_data_locked(struct tfs *fs, struct tfs_node *n, uint64_t off)
{
    (void)fs;
    if (!tfs_is_reg(n)) return -EINVAL;
    if (off >= n->size) return -ENXIO;
    uint64_t fb = off / TFS_BLOCK_SIZE;
    int64_t i = tfs_extent_find(n, fb);
    if (i >= 0 && fb < n->extents[i].file_block + n->extents[i].count) return (int64_t)off;
    if ((uint64_t)(i + 1) >= n->nextents) return -ENXIO;
    uint64_t at = n->extents[i + 1].file_block * TFS_BLOCK_SIZE;
    return at >= n->size ? -ENXIO : (int64_t)at;
}

int64_t tfs_seek_hole_locked(struct tfs *fs, struct tfs_node *n, uint64_t off)
{
    (void)fs;
    if (!tfs_is_reg(n)) return -EINVAL;
    if (off >= n->size) return -ENXIO;
    uint64_t fb = off / TFS_BLOCK_SIZE;
    int64_t i = tfs_extent_find(n, fb);
    if (i < 0 || fb >= n->extents[i].file_block + n->extents[i].count) return (int64_t)off;
    /* Follow extents that continue each other in the file. */
    uint64_t end = n->extents[i].file_block + n->extents[i].count;
    while ((uint64_t)i + 1 < n->nextents && n->extents[i + 1].file_block == end) {
        i++;
        end += n->extents[i].count;
    }
    uint64_t at = end * TFS_BLOCK_SIZE;
    return (int64_t)MIN(at, n->size);
}
