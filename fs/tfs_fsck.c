/* Whole-filesystem operations: fsck (offline check), statfs, grow/shrink, and
 * mkfs (an empty filesystem, for tests and tools). */
#include "tfs_internal.h"
#include "../klib/format.h"
#include "../klib/string.h"

#define FSCK_MAX_LINES 20

struct report {
    char *buf;
    size_t len, used;
    unsigned problems;
};

static void say(struct report *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct report *r, const char *fmt, ...)
{
    r->problems++;
    if (r->problems > FSCK_MAX_LINES || r->used + 1 >= r->len) return;
    va_list ap;
    va_start(ap, fmt);
    int n = format_vsn(r->buf + r->used, r->len - r->used, fmt, ap);
    va_end(ap);
    if (n > 0) r->used = MIN(r->used + (size_t)n, r->len - 1);
    if (r->used + 1 < r->len) {
        r->buf[r->used++] = '\n';
        r->buf[r->used] = 0;
    }
}

static bool claim(uint64_t *map, uint64_t b)
{
    bool was = (map[b / 64] >> (b % 64)) & 1;
    map[b / 64] |= 1ull << (b % 64);
    return !was;
}

int tfs_fsck(struct heap *h, struct blockdev *dev, char *report, size_t len)
{
    struct tfs *fs;
    struct tfs_mount_options opt = { .flags = TFS_MOUNT_READONLY, .cache_blocks = 32 };
    if (len) report[0] = 0;
    int rc = tfs_mount_opts(h, dev, &opt, &fs, report, len);
    if (rc) return rc;
    struct report r = { report, len, 0, 0 };
    uint64_t words = (fs->block_count + 63) / 64;
    uint64_t *map = allocate_zero(h, words * sizeof(uint64_t));
    if (!map) {
        tfs_unmount(fs);
        format_sn(report, len, "tfs: fsck: out of memory");
        return -ENOMEM;
    }
    uint64_t used = 0;
    for (uint64_t b = 0; b < fs->data_start; b++) used += claim(map, b);
    for (uint64_t b = fs->log_start; b < fs->log_start + fs->log_blocks; b++) used += claim(map, b);
    uint64_t inodes = 0;
    for (uint64_t i = 0; i < fs->itab_size; i++) {
        for (struct tfs_node *n = fs->itab[i]; n; n = n->hash_next) {
            inodes++;
            for (uint32_t k = 0; k < n->nextents; k++) {
                const struct tfs_extent *e = &n->extents[k];
                for (uint64_t b = e->disk_block; b < e->disk_block + e->count; b++) {
                    if (claim(map, b)) used++;
                    else say(&r, "tfs: block %llu used twice (inode %llu)", (unsigned long long)b, (unsigned long long)n->ino);
                }
            }
            bool is_root = n == fs->root;
            if (!is_root && n->names == 0)
                say(&r, "tfs: inode %llu is not linked from any directory (orphan)", (unsigned long long)n->ino);
            if (tfs_is_dir(n)) {
                uint32_t subdirs = 0;
                for (uint32_t k = 0; k < n->nentries; k++)
                    if (n->order[k] && tfs_is_dir(n->order[k]->child)) subdirs++;
                if (n->nlink != 2 + subdirs)
                    say(&r, "tfs: directory %llu has nlink %u, expected %u", (unsigned long long)n->ino, n->nlink, 2 + subdirs);
            } else if (n->nlink != n->names) {
                say(&r, "tfs: inode %llu has nlink %u but %u directory entries", (unsigned long long)n->ino, n->nlink, n->names);
            }
        }
    }
    /* Free space is derived, so "consistent" means the derivation works:
     * every claimed block lies inside the filesystem (mount checked
     * extents) and the counts add up. */
    uint64_t free_blocks = fs->block_count - used;
    if (r.problems) {
        if (r.problems > FSCK_MAX_LINES && r.used + 40 < r.len)
            format_sn(r.buf + r.used, r.len - r.used, "tfs: ... %u problems in all\n", r.problems);
        rc = -EINVAL;
    } else {
        format_sn(report, len, "tfs: clean: %llu inodes, %llu of %llu blocks used, %llu free, log %llu/%llu bytes",
                  (unsigned long long)inodes, (unsigned long long)used, (unsigned long long)fs->block_count,
                  (unsigned long long)free_blocks, (unsigned long long)fs->log_used,
                  (unsigned long long)(fs->log_blocks * TFS_BLOCK_SIZE));
    }
    deallocate(h, map, words * sizeof(uint64_t));
    tfs_unmount(fs);
    return rc;
}

int tfs_statfs_locked(struct tfs *fs, struct tfs_statfs *st)
{
    memset(st, 0, sizeof(*st));
    st->block_size = TFS_BLOCK_SIZE;
    st->blocks = fs->block_count;
    if (fs->writable) {
        st->free_blocks = fs->free_blocks;
        uint64_t keep = tfs_meta_reserve(fs);
        st->avail_blocks = fs->free_blocks > keep ? fs->free_blocks - keep : 0;
    } else {
        uint64_t used = fs->data_start + (fs->log_start >= fs->data_start ? fs->log_blocks : 0);
        for (uint64_t i = 0; i < fs->itab_size; i++)
            for (struct tfs_node *n = fs->itab[i]; n; n = n->hash_next) used += n->allocated_blocks;
        st->free_blocks = fs->block_count > used ? fs->block_count - used : 0;
        st->avail_blocks = 0;
    }
    st->files = fs->inode_count;
    st->free_files = (1ull << 32) - MIN(fs->inode_count, (1ull << 32) - 1);
    st->name_max = TFS_NAME_MAX;
    st->readonly = !fs->writable;
    memcpy(st->uuid, fs->uuid, 16);
    return 0;
}

/* Rewrite the superblocks with a new block count and give the free-space
 * map the new size. Blocks between the old and the new end must be free
 * (a shrink checks it first; grown blocks are new). */
static int set_block_count(struct tfs *fs, uint64_t new_blocks)
{
    int rc = tfs_commit(fs);
    if (rc) return rc;
    uint64_t words = (new_blocks + 63) / 64;
    uint64_t *map = allocate_zero(fs->heap, words * sizeof(uint64_t));
    if (!map) return -ENOMEM;
    memcpy(map, fs->bitmap, MIN(words, fs->bitmap_words) * sizeof(uint64_t));
    /* Bits of the old padding past block_count were set: clear the new range. */
    for (uint64_t b = fs->block_count; b < new_blocks; b++) map[b / 64] &= ~(1ull << (b % 64));
    for (uint64_t b = new_blocks; b < words * 64; b++) map[b / 64] |= 1ull << (b % 64);
    uint64_t old = fs->block_count;
    fs->block_count = new_blocks;
    fs->generation++;
    rc = tfs_write_supers(fs);
    if (rc) {
        fs->block_count = old;
        deallocate(fs->heap, map, words * sizeof(uint64_t));
        return tfs_fail(fs, rc);
    }
    deallocate(fs->heap, fs->bitmap, fs->bitmap_words * sizeof(uint64_t));
    fs->bitmap = map;
    fs->bitmap_words = words;
    fs->free_blocks = fs->free_blocks + new_blocks - old;
    return 0;
}

int tfs_grow_locked(struct tfs *fs, uint64_t new_blocks)
{
    if (!fs->writable) return -EROFS;
    if (fs->broken) return -EIO;
    if (new_blocks < fs->block_count) return -EINVAL;
    if (new_blocks > fs->dev->sectors / TFS_SECTORS_PER_BLOCK) return -ENOSPC;
    if (new_blocks == fs->block_count) return 0;
    return set_block_count(fs, new_blocks);
}

uint64_t tfs_blocks_in_use_end(const struct tfs *fs)
{
    for (uint64_t w = fs->bitmap_words; w > 0; w--) {
        uint64_t bits = fs->bitmap[w - 1];
        uint64_t first = (w - 1) * 64;
        /* The padding past block_count is always set: not a use. */
        if (first + 64 > fs->block_count) bits &= (1ull << (fs->block_count - first)) - 1;
        if (bits) return first + 64 - (uint64_t)__builtin_clzll(bits);
    }
    return 0;
}

int tfs_shrink_locked(struct tfs *fs, uint64_t new_blocks)
{
    if (!fs->writable) return -EROFS;
    if (fs->broken) return -EIO;
    if (new_blocks > fs->block_count) return -EINVAL;
    if (new_blocks == fs->block_count) return 0;
    int rc = tfs_commit(fs);
    if (rc) return rc;
    /* Committed: blocks the last transaction freed are free in the map now.
     * The spare log area counts as used, so the next mount finds room for
     * it again. */
    if (tfs_blocks_in_use_end(fs) > new_blocks) return -ENOSPC;
    return set_block_count(fs, new_blocks);
}

int tfs_mkfs(struct blockdev *dev, uint64_t blocks, uint64_t log_blocks, char *err, size_t errlen)
{
    /* Tests want reproducible images: the uuid derives from the size. */
    uint8_t uuid[16] = { 0 };
    uint32_t crc = tfs_crc32c(0, &blocks, sizeof(blocks));
    tfs_put32(uuid, crc);
    return tfs_mkfs_uuid(dev, blocks, log_blocks, uuid, err, errlen);
}

int tfs_mkfs_uuid(struct blockdev *dev, uint64_t blocks, uint64_t log_blocks, const uint8_t uuid[16], char *err,
                  size_t errlen)
{
    if (log_blocks < 4) log_blocks = 4;
    if (blocks < 2 + log_blocks + 8 || blocks > dev->sectors / TFS_SECTORS_PER_BLOCK) {
        format_sn(err, errlen, "tfs: mkfs: %llu blocks do not fit the device or are too few",
                  (unsigned long long)blocks);
        return -EINVAL;
    }
    uint8_t b[TFS_BLOCK_SIZE];
    int rc = 0;
    /* The log area: one record (the root inode), then zeros. */
    for (uint64_t i = 0; i < log_blocks && !rc; i++) {
        memset(b, 0, sizeof(b));
        if (i == 0) {
            uint8_t *p = b + TFS_REC_HEADER_SIZE;
            tfs_put16(b + TFS_REC_TYPE, TFS_REC_INODE);
            tfs_put32(b + TFS_REC_LEN, TFS_INODE_LEN);
            tfs_put64(b + TFS_REC_SEQ, 1);
            tfs_put64(p + TFS_INODE_INO, 1);
            tfs_put32(p + TFS_INODE_MODE, TFS_S_IFDIR | 0755);
            tfs_put32(p + TFS_INODE_NLINK, 2);
            tfs_put32(b + TFS_REC_CRC, tfs_crc32c(0, b, TFS_REC_HEADER_SIZE + TFS_INODE_LEN));
        }
        rc = dev->write(dev, (2 + i) * TFS_SECTORS_PER_BLOCK, b, TFS_SECTORS_PER_BLOCK);
    }
    memset(b, 0, sizeof(b));
    memcpy(b + TFS_SB_MAGIC, TFS_MAGIC, TFS_MAGIC_LEN);
    tfs_put32(b + TFS_SB_VERSION, TFS_VERSION);
    tfs_put32(b + TFS_SB_BLOCK_SIZE, TFS_BLOCK_SIZE);
    tfs_put64(b + TFS_SB_BLOCK_COUNT, blocks);
    memcpy(b + TFS_SB_UUID, uuid, 16);
    tfs_put64(b + TFS_SB_GENERATION, 1);
    tfs_put64(b + TFS_SB_LOG_START, 2);
    tfs_put64(b + TFS_SB_LOG_BLOCKS, log_blocks);
    tfs_put64(b + TFS_SB_LOG_BYTES, TFS_REC_HEADER_SIZE + TFS_INODE_LEN);
    tfs_put64(b + TFS_SB_LOG_RECORDS, 1);
    tfs_put64(b + TFS_SB_FIRST_SEQ, 1);
    tfs_put64(b + TFS_SB_ROOT_INO, 1);
    tfs_put64(b + TFS_SB_DATA_START, 2 + log_blocks);
    tfs_put32(b + TFS_SB_CRC, tfs_crc32c(0, b, TFS_SB_CRC));
    if (!rc) rc = dev->write(dev, TFS_SUPER_BLOCK_A * TFS_SECTORS_PER_BLOCK, b, TFS_SECTORS_PER_BLOCK);
    if (!rc) rc = dev->write(dev, TFS_SUPER_BLOCK_B * TFS_SECTORS_PER_BLOCK, b, TFS_SECTORS_PER_BLOCK);
    if (!rc && dev->flush) rc = dev->flush(dev);
    if (rc) {
        format_sn(err, errlen, "tfs: mkfs: write error on %s", dev->name ? dev->name : "device");
        return -EIO;
    }
    return 0;
}
