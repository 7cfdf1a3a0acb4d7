/* The block cache: up to max_blocks 4 KiB blocks of file data, keyed by
 * disk block, least recently used evicted first. Writes stay dirty in memory
 * until tfs_cache_writeback (fsync/sync/commit) or until eviction writes
 * them; either is safe because a data block may reach the disk before the
 * log records that reference it, never after (docs/tfs.md, ordered mode).
 * Memory is bounded by max_blocks; entries are allocated on first use. */
#include "tfs_internal.h"
#include "../klib/string.h"

#define NO_BLOCK (~0ull)
#define WB_MAX_BLOCKS 16u   /* 64 KiB per device request */

struct centry {
    uint64_t block;
    uint8_t *data;
    bool dirty;
    struct centry *hnext, *prev, *next;
};

struct tfs_cache {
    struct heap *heap;
    struct blockdev *dev;
    uint32_t max, count, ndirty;
    struct centry **hash;
    uint32_t hsize;
    struct centry lru;   /* sentinel: lru.next = most recent */
    uint8_t *bounce;     /* WB_MAX_BLOCKS blocks */
};

static uint32_t bucket(const struct tfs_cache *c, uint64_t block)
{
    return (uint32_t)((block * 0x9E3779B97F4A7C15ull) >> 32) & (c->hsize - 1);
}

static void lru_unlink(struct centry *e)
{
    e->prev->next = e->next;
    e->next->prev = e->prev;
}

static void lru_front(struct tfs_cache *c, struct centry *e)
{
    e->next = c->lru.next;
    e->prev = &c->lru;
    c->lru.next->prev = e;
    c->lru.next = e;
}

static void lru_back(struct tfs_cache *c, struct centry *e)
{
    e->prev = c->lru.prev;
    e->next = &c->lru;
    c->lru.prev->next = e;
    c->lru.prev = e;
}

static struct centry *lookup(struct tfs_cache *c, uint64_t block)
{
    for (struct centry *e = c->hash[bucket(c, block)]; e; e = e->hnext)
        if (e->block == block) return e;
    return 0;
}

static void hash_remove(struct tfs_cache *c, struct centry *e)
{
    if (e->block == NO_BLOCK) return;
    struct centry **pp = &c->hash[bucket(c, e->block)];
    while (*pp != e) pp = &(*pp)->hnext;
    *pp = e->hnext;
    e->block = NO_BLOCK;
    if (e->dirty) c->ndirty--;
    e->dirty = false;
}

int tfs_cache_create(struct heap *h, struct blockdev *dev, uint32_t max_blocks, struct tfs_cache **out)
{
    struct tfs_cache *c = allocate_zero(h, sizeof(*c));
    if (!c) return -ENOMEM;
    c->heap = h;
    c->dev = dev;
    c->max = MAX(max_blocks, 32u);   /* more than a write allocates at once (tfs_data.c) */
    c->hsize = 16;
    while (c->hsize < c->max) c->hsize *= 2;
    c->hash = allocate_zero(h, c->hsize * sizeof(*c->hash));
    c->bounce = allocate(h, WB_MAX_BLOCKS * TFS_BLOCK_SIZE);
    c->lru.next = c->lru.prev = &c->lru;
    if (!c->hash || !c->bounce) {
        tfs_cache_destroy(c);
        return -ENOMEM;
    }
    *out = c;
    return 0;
}

void tfs_cache_destroy(struct tfs_cache *c)
{
    struct heap *h = c->heap;
    if (c->lru.next) {
        while (c->lru.next != &c->lru) {
            struct centry *e = c->lru.next;
            lru_unlink(e);
            deallocate(h, e->data, TFS_BLOCK_SIZE);
            deallocate(h, e, sizeof(*e));
        }
    }
    deallocate(h, c->hash, c->hsize * sizeof(*c->hash));
    deallocate(h, c->bounce, WB_MAX_BLOCKS * TFS_BLOCK_SIZE);
    deallocate(h, c, sizeof(*c));
}

static int write_one(struct tfs_cache *c, struct centry *e)
{
    int rc = c->dev->write(c->dev, e->block * TFS_SECTORS_PER_BLOCK, e->data, TFS_SECTORS_PER_BLOCK);
    if (rc) return rc < 0 ? rc : -EIO;
    e->dirty = false;
    c->ndirty--;
    return 0;
}

int tfs_cache_get(struct tfs_cache *c, uint64_t block, bool fill, uint8_t **out)
{
    struct centry *e = lookup(c, block);
    if (e) {
        lru_unlink(e);
        lru_front(c, e);
        *out = e->data;
        return 0;
    }
    if (c->count < c->max) {
        e = allocate_zero(c->heap, sizeof(*e));
        uint8_t *d = e ? allocate(c->heap, TFS_BLOCK_SIZE) : 0;
        if (!d) {
            deallocate(c->heap, e, sizeof(*e));
            e = 0;
        } else {
            e->data = d;
            e->block = NO_BLOCK;
            c->count++;
            lru_back(c, e);
        }
    }
    if (!e) {
        if (c->lru.prev == &c->lru) return -ENOMEM;
        e = c->lru.prev;   /* least recently used */
        if (e->dirty) {
            int rc = write_one(c, e);
            if (rc) return rc;
        }
        hash_remove(c, e);
    }
    lru_unlink(e);
    if (fill) {
        int rc = c->dev->read(c->dev, block * TFS_SECTORS_PER_BLOCK, e->data, TFS_SECTORS_PER_BLOCK);
        if (rc) {
            lru_back(c, e);   /* stays unused */
            return rc < 0 ? rc : -EIO;
        }
    } else {
        memset(e->data, 0, TFS_BLOCK_SIZE);
    }
    e->block = block;
    uint32_t b = bucket(c, block);
    e->hnext = c->hash[b];
    c->hash[b] = e;
    lru_front(c, e);
    *out = e->data;
    return 0;
}

void tfs_cache_dirty(struct tfs_cache *c, uint64_t block)
{
    struct centry *e = lookup(c, block);
    if (e && !e->dirty) {
        e->dirty = true;
        c->ndirty++;
    }
}

bool tfs_cache_has(struct tfs_cache *c, uint64_t block) { return lookup(c, block) != 0; }

void tfs_cache_drop(struct tfs_cache *c, uint64_t start, uint64_t count)
{
    if (count <= c->count) {
        for (uint64_t b = start; b < start + count; b++) {
            struct centry *e = lookup(c, b);
            if (!e) continue;
            hash_remove(c, e);
            lru_unlink(e);
            lru_back(c, e);
        }
        return;
    }
    for (struct centry *e = c->lru.next, *next; e != &c->lru; e = next) {
        next = e->next;
        if (e->block != NO_BLOCK && e->block >= start && e->block - start < count) {
            hash_remove(c, e);
            lru_unlink(e);
            lru_back(c, e);
        }
    }
}

int tfs_cache_writeback(struct tfs_cache *c)
{
    if (!c->ndirty) return 0;
    struct centry **v = allocate(c->heap, c->ndirty * sizeof(*v));
    if (!v) {
        /* No memory for sorting: write them one by one. */
        for (struct centry *e = c->lru.next; e != &c->lru; e = e->next) {
            if (!e->dirty) continue;
            int rc = write_one(c, e);
            if (rc) return rc;
        }
        return 0;
    }
    uint32_t n = 0, cap = c->ndirty;
    for (struct centry *e = c->lru.next; e != &c->lru && n < cap; e = e->next)
        if (e->dirty) v[n++] = e;
    /* Shell sort by block number: no recursion, no libc. */
    for (uint32_t gap = n / 2; gap; gap /= 2)
        for (uint32_t i = gap; i < n; i++)
            for (uint32_t j = i; j >= gap && v[j - gap]->block > v[j]->block; j -= gap) {
                struct centry *t = v[j];
                v[j] = v[j - gap];
                v[j - gap] = t;
            }
    int rc = 0;
    for (uint32_t i = 0; i < n && !rc;) {
        uint32_t k = 1;
        while (i + k < n && k < WB_MAX_BLOCKS && v[i + k]->block == v[i]->block + k) k++;
        if (k == 1) {
            rc = write_one(c, v[i]);
        } else {
            for (uint32_t j = 0; j < k; j++) memcpy(c->bounce + (size_t)j * TFS_BLOCK_SIZE, v[i + j]->data, TFS_BLOCK_SIZE);
            rc = c->dev->write(c->dev, v[i]->block * TFS_SECTORS_PER_BLOCK, c->bounce, k * TFS_SECTORS_PER_BLOCK);
            if (rc > 0) rc = -EIO;
            if (!rc)
                for (uint32_t j = 0; j < k; j++) {
                    v[i + j]->dirty = false;
                    c->ndirty--;
                }
        }
        i += k;
    }
    deallocate(c->heap, v, cap * sizeof(*v));
    return rc;
}

void tfs_cache_stats(struct tfs_cache *c, uint32_t *blocks, uint32_t *dirty)
{
    *blocks = c->count;
    *dirty = c->ndirty;
}
