/* Free space: one bit per block (set = in use), rebuilt at every writable
 * mount from what the log says is live; it is never stored on disk.
 *
 * Blocks freed by a change are not reusable at once: until the log records
 * that free them are durable, a crash brings back the old log, which still
 * points at them. They wait in fs->pfree until tfs_commit (or compaction)
 * has made the change durable. */
#include "tfs_internal.h"
#include "../klib/format.h"
#include "../klib/string.h"

bool tfs_block_used(const struct tfs *fs, uint64_t b) { return (fs->bitmap[b / 64] >> (b % 64)) & 1; }

void tfs_mark_used(struct tfs *fs, uint64_t start, uint64_t count)
{
    for (uint64_t b = start; b < start + count; b++) {
        if (!tfs_block_used(fs, b)) fs->free_blocks--;
        fs->bitmap[b / 64] |= 1ull << (b % 64);
    }
}

void tfs_mark_free(struct tfs *fs, uint64_t start, uint64_t count)
{
    for (uint64_t b = start; b < start + count; b++) {
        if (tfs_block_used(fs, b)) fs->free_blocks++;
        fs->bitmap[b / 64] &= ~(1ull << (b % 64));
    }
}

int tfs_alloc_init(struct tfs *fs, char *err, size_t errlen)
{
    fs->bitmap_words = (fs->block_count + 63) / 64;
    fs->bitmap = allocate_zero(fs->heap, fs->bitmap_words * sizeof(uint64_t));
    if (!fs->bitmap) {
        format_sn(err, errlen, "tfs: out of memory for the free-space map");
        return -ENOMEM;
    }
    fs->free_blocks = fs->block_count;
    /* Bits past block_count stay set so the scans never hand them out. */
    for (uint64_t b = fs->block_count; b < fs->bitmap_words * 64; b++) fs->bitmap[b / 64] |= 1ull << (b % 64);
    tfs_mark_used(fs, 0, fs->data_start);
    tfs_mark_used(fs, fs->log_start, fs->log_blocks);
    for (uint64_t i = 0; i < fs->itab_size; i++) {
        for (struct tfs_node *n = fs->itab[i]; n; n = n->hash_next) {
            for (uint32_t k = 0; k < n->nextents; k++) {
                const struct tfs_extent *e = &n->extents[k];
                for (uint64_t b = e->disk_block; b < e->disk_block + e->count; b++) {
                    if (tfs_block_used(fs, b)) {
                        format_sn(err, errlen, "tfs: block %llu used twice (inode %llu)", (unsigned long long)b,
                                  (unsigned long long)n->ino);
                        return -EINVAL;
                    }
                    fs->bitmap[b / 64] |= 1ull << (b % 64);
                    fs->free_blocks--;
                }
            }
        }
    }
    fs->alloc_cursor = fs->data_start;
    return 0;
}

/* Room kept free for the log to double in size (compaction into a bigger
 * area), so a disk full of data can still record deletions. */
uint64_t tfs_meta_reserve(const struct tfs *fs) { return 2 * fs->log_blocks + 8; }

/* First free block at or after `from` (wrapping once), or ~0. */
static uint64_t next_free(const struct tfs *fs, uint64_t from)
{
    for (int pass = 0; pass < 2; pass++) {
        uint64_t b = pass ? 0 : from;
        uint64_t end = pass ? from : fs->block_count;
        while (b < end) {
            uint64_t w = fs->bitmap[b / 64] | ((1ull << (b % 64)) - 1);
            if (w == ~0ull) {
                b = ALIGN_DOWN(b, 64ull) + 64;
                continue;
            }
            uint64_t found = ALIGN_DOWN(b, 64ull) + (uint64_t)__builtin_ctzll(~w);
            return found < end ? found : ~0ull;
        }
    }
    return ~0ull;
}

static uint64_t run_length(const struct tfs *fs, uint64_t start, uint64_t max)
{
    uint64_t n = 0;
    while (n < max && start + n < fs->block_count && !tfs_block_used(fs, start + n)) n++;
    return n;
}

uint64_t tfs_alloc(struct tfs *fs, uint64_t goal, uint64_t want, uint64_t *got, bool data)
{
    *got = 0;
    uint64_t keep = data ? tfs_meta_reserve(fs) : 0;
    if (fs->free_blocks <= keep || want == 0) return 0;
    want = MIN(want, fs->free_blocks - keep);
    uint64_t start;
    if (goal >= fs->data_start && goal < fs->block_count && !tfs_block_used(fs, goal)) start = goal;
    else start = next_free(fs, fs->alloc_cursor < fs->block_count ? fs->alloc_cursor : fs->data_start);
    if (start == ~0ull) return 0;
    uint64_t n = run_length(fs, start, want);
    tfs_mark_used(fs, start, n);
    fs->alloc_cursor = start + n;
    *got = n;
    return start;
}

uint64_t tfs_alloc_exact(struct tfs *fs, uint64_t count)
{
    uint64_t b = fs->data_start;
    while (b < fs->block_count) {
        uint64_t f = next_free(fs, b);
        if (f == ~0ull || f < b) return 0;   /* nothing, or wrapped around */
        uint64_t n = run_length(fs, f, count);
        if (n == count) {
            tfs_mark_used(fs, f, n);
            return f;
        }
        b = f + n + 1;
    }
    return 0;
}

int tfs_free_later(struct tfs *fs, uint64_t start, uint64_t count)
{
    if (fs->cache) tfs_cache_drop(fs->cache, start, count);
    if (fs->npfree && fs->pfree[fs->npfree - 1].start + fs->pfree[fs->npfree - 1].count == start) {
        fs->pfree[fs->npfree - 1].count += count;
        return 0;
    }
    if (fs->npfree == fs->pfree_cap) {
        size_t cap = fs->pfree_cap ? fs->pfree_cap * 2 : 32;
        struct tfs_range *r = allocate(fs->heap, cap * sizeof(*r));
        if (!r) return -ENOMEM;   /* the blocks leak until the next mount: safe */
        if (fs->npfree) memcpy(r, fs->pfree, fs->npfree * sizeof(*r));
        deallocate(fs->heap, fs->pfree, fs->pfree_cap * sizeof(*r));
        fs->pfree = r;
        fs->pfree_cap = cap;
    }
    fs->pfree[fs->npfree++] = (struct tfs_range){ start, count };
    return 0;
}

void tfs_freed_cb(void *ctx, uint64_t disk, uint64_t count)
{
    struct tfs *fs = ctx;
    if (fs->writable) tfs_free_later(fs, disk, count);
}

void tfs_release_frees(struct tfs *fs)
{
    for (size_t i = 0; i < fs->npfree; i++) tfs_mark_free(fs, fs->pfree[i].start, fs->pfree[i].count);
    fs->npfree = 0;
}
