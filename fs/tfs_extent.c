/* A regular file's block map: extents sorted by file_block, never
 * overlapping. Lookups are binary searches, so a large fragmented file costs
 * O(log n) per block; appending at the end (the common case) is O(1). */
#include "tfs_internal.h"
#include "../klib/string.h"

int64_t tfs_extent_find(const struct tfs_node *n, uint64_t fb)
{
    int64_t lo = 0, hi = (int64_t)n->nextents - 1, found = -1;
    while (lo <= hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (n->extents[mid].file_block <= fb) {
            found = mid;
            lo = mid + 1;
        } else {
            hi = mid - 1;
        }
    }
    return found;
}

uint64_t tfs_extent_map(const struct tfs_node *n, uint64_t fb, uint64_t max, uint64_t *run)
{
    int64_t i = tfs_extent_find(n, fb);
    if (i >= 0 && fb < n->extents[i].file_block + n->extents[i].count) {
        const struct tfs_extent *e = &n->extents[i];
        *run = MIN(max, e->file_block + e->count - fb);
        return e->disk_block + (fb - e->file_block);
    }
    uint64_t next = (uint64_t)(i + 1) < n->nextents ? n->extents[i + 1].file_block : ~0ull;
    *run = MIN(max, next - fb);
    return 0;
}

static int make_room(struct heap *h, struct tfs_node *n, uint32_t extra)
{
    if (n->nextents + extra <= n->extents_cap) return 0;
    uint32_t cap = n->extents_cap ? n->extents_cap : 4;
    while (cap < n->nextents + extra) cap *= 2;
    struct tfs_extent *x = allocate(h, (size_t)cap * sizeof(*x));
    if (!x) return -ENOMEM;
    if (n->nextents) memcpy(x, n->extents, (size_t)n->nextents * sizeof(*x));
    deallocate(h, n->extents, (size_t)n->extents_cap * sizeof(*x));
    n->extents = x;
    n->extents_cap = cap;
    return 0;
}

int tfs_extent_punch(struct heap *h, struct tfs_node *n, uint64_t fb, uint64_t count,
                     void (*freed)(void *ctx, uint64_t disk, uint64_t count), void *ctx)
{
    uint64_t end = fb + count;
    int64_t i = tfs_extent_find(n, fb);
    if (i < 0) i = 0;
    while ((uint64_t)i < n->nextents) {
        struct tfs_extent *e = &n->extents[i];
        uint64_t es = e->file_block, ee = es + e->count;
        if (es >= end) break;
        if (ee <= fb) {
            i++;
            continue;
        }
        uint64_t cs = MAX(es, fb), ce = MIN(ee, end);
        if (cs > es && ce < ee) {
            /* The hole is in the middle: split in two. */
            if (make_room(h, n, 1)) return -ENOMEM;
            e = &n->extents[i];
            memmove(&n->extents[i + 1], &n->extents[i], (size_t)(n->nextents - i) * sizeof(*e));
            n->nextents++;
            struct tfs_extent *tail = &n->extents[i + 1];
            tail->file_block = ce;
            tail->disk_block = e->disk_block + (ce - es);
            tail->count = ee - ce;
            e->count = cs - es;
            if (freed) freed(ctx, e->disk_block + (cs - es), ce - cs);
            n->allocated_blocks -= ce - cs;
            break;
        }
        if (freed) freed(ctx, e->disk_block + (cs - es), ce - cs);
        n->allocated_blocks -= ce - cs;
        if (cs == es && ce == ee) {
            memmove(&n->extents[i], &n->extents[i + 1], (size_t)(n->nextents - i - 1) * sizeof(*e));
            n->nextents--;
            continue;
        }
        if (cs == es) {   /* cut the front */
            e->disk_block += ce - es;
            e->file_block = ce;
            e->count = ee - ce;
        } else {          /* cut the back */
            e->count = cs - es;
        }
        i++;
    }
    return 0;
}

int tfs_extent_insert(struct heap *h, struct tfs_node *n, uint64_t fb, uint64_t db, uint64_t count)
{
    int64_t i = tfs_extent_find(n, fb);   /* extent before the new one, or -1 */
    if (i >= 0) {
        struct tfs_extent *p = &n->extents[i];
        if (p->file_block + p->count == fb && p->disk_block + p->count == db) {
            p->count += count;
            n->allocated_blocks += count;
            /* Might now touch the next one too. */
            if ((uint64_t)i + 1 < n->nextents) {
                struct tfs_extent *q = &n->extents[i + 1];
                if (p->file_block + p->count == q->file_block && p->disk_block + p->count == q->disk_block) {
                    p->count += q->count;
                    memmove(q, q + 1, (size_t)(n->nextents - i - 2) * sizeof(*q));
                    n->nextents--;
                }
            }
            return 0;
        }
    }
    uint32_t at = (uint32_t)(i + 1);
    if (at < n->nextents) {
        struct tfs_extent *q = &n->extents[at];
        if (fb + count == q->file_block && db + count == q->disk_block) {
            q->file_block = fb;
            q->disk_block = db;
            q->count += count;
            n->allocated_blocks += count;
            return 0;
        }
    }
    if (make_room(h, n, 1)) return -ENOMEM;
    memmove(&n->extents[at + 1], &n->extents[at], (size_t)(n->nextents - at) * sizeof(struct tfs_extent));
    n->extents[at] = (struct tfs_extent){ fb, db, count };
    n->nextents++;
    n->allocated_blocks += count;
    return 0;
}
