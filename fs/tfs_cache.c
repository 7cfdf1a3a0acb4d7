/* The block cache: up to max_blocks 4 KiB blocks of file data, keyed by
 * disk block, least recently used evicted first. Writes stay dirty in memory
 * until tfs_cache_writeback (fsync/sync/commit) or until eviction writes
 * them; either is safe because a data block may reach the disk before the
 * log records that reference it, never after (docs/tfs.md, ordered mode).
 * Memory is bounded by max_blocks; entries are allocated on first use.
 *
 * Device traffic is batched: write-back sends runs of up to 64 KiB, up to
 * IO_DEPTH of them in flight at once (blockdev_submit_all), and a dirty
 * eviction writes back every dirty block rather than one, so a stream of
 * writes reaches the disk in large batches. Reads that miss can fill a
 * readahead window the same way. Every batch is complete before the call
 * returns, so callers' ordering (data, flush, then log) is unchanged.
 *
 * The cache is also the page cache: a block's memory can be lent to a
 * program mapping (tfs_cache_lend). While the borrower still holds it (the
 * mount's lent_in_use says so) the block is not evicted, so the mapping and
 * read()/write() see one copy. A lent entry's memory is never rewritten for
 * another block: when its block is freed (truncate, unlink) or it is evicted
 * after the borrower let go, the cache gives the memory up with deallocate()
 * and takes fresh memory; the kernel's page owner count keeps the old page
 * alive for any mapping that still has it. */
#include "tfs_internal.h"
#include "../klib/string.h"

#define NO_BLOCK (~0ull)
#define WB_MAX_BLOCKS 16u   /* 64 KiB per device request */
#define IO_DEPTH 8u         /* requests in flight at once (bounce: 512 KiB) */
#define RA_FIRST 4u         /* readahead after an isolated miss: random readers pay little */
#define RA_SEQ 128u         /* after a miss where the last window ended */
#define EVICT_SCAN 64u      /* mapped blocks skipped per eviction before the cache grows instead */
#define KEEP_RECENT 32u     /* shrinking never takes these: callers may still hold them */

struct centry {
    uint64_t block;
    uint8_t *data;
    bool dirty;
    bool lent;           /* data may be mapped by a program: never reuse it in place */
    struct centry *hnext, *prev, *next;
};

struct tfs_cache {
    struct heap *heap;
    struct blockdev *dev;
    uint32_t max, count, ndirty;
    struct centry **hash;
    uint32_t hsize;
    struct centry lru;   /* sentinel: lru.next = most recent */
    uint8_t *bounce;     /* IO_DEPTH slots of WB_MAX_BLOCKS blocks */
    struct bio bios[IO_DEPTH];
    uint64_t ra_next;    /* block after the last readahead window */
    bool bounce_busy;    /* bounce/bios hold a batch: evict one block at a time */
    bool getting;        /* inside get_entry, which may allocate: no shrinking */
    bool (*lent_in_use)(const void *data);   /* NULL: lent blocks may be evicted */
    /* Reads served whole from the cache run side by side (fs/tfs_guard.h)
     * and move what they read to the front of the LRU list: under this. */
    tfs_recency_lock_t recency;
};

#define BOUNCE_BYTES ((size_t)IO_DEPTH * WB_MAX_BLOCKS * TFS_BLOCK_SIZE)

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
    c->bounce = allocate(h, BOUNCE_BYTES);
    c->ra_next = NO_BLOCK;
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
    deallocate(h, c->bounce, BOUNCE_BYTES);
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

/* An entry about to hold another block: if its memory was lent, give that
 * up and take fresh memory. */
static int take_back_lent(struct tfs_cache *c, struct centry *e)
{
    if (!e->lent) return 0;
    uint8_t *d = allocate(c->heap, TFS_BLOCK_SIZE);
    if (!d) return -ENOMEM;
    deallocate(c->heap, e->data, TFS_BLOCK_SIZE);
    e->data = d;
    e->lent = false;
    return 0;
}

/* A fresh, empty entry at the LRU tail, or NULL without memory. */
static struct centry *new_entry(struct tfs_cache *c)
{
    struct centry *e = allocate_zero(c->heap, sizeof(*e));
    uint8_t *d = e ? allocate(c->heap, TFS_BLOCK_SIZE) : 0;
    if (!d) {
        deallocate(c->heap, e, sizeof(*e));
        return NULL;
    }
    e->data = d;
    e->block = NO_BLOCK;
    c->count++;
    lru_back(c, e);
    return e;
}

/* The least recently used entry a program is not mapping, or NULL if the
 * first EVICT_SCAN candidates all are. Mapped ones go to the front: they
 * stay until the mapping lets go. */
static struct centry *victim(struct tfs_cache *c)
{
    for (uint32_t tries = 0; tries < EVICT_SCAN && c->lru.prev != &c->lru; tries++) {
        struct centry *e = c->lru.prev;
        bool mapped = e->lent && e->block != NO_BLOCK && c->lent_in_use && c->lent_in_use(e->data);
        if (!mapped) return e;
        lru_unlink(e);
        lru_front(c, e);
    }
    return NULL;
}

void tfs_cache_watch_lent(struct tfs_cache *c, bool (*lent_in_use)(const void *data))
{
    c->lent_in_use = lent_in_use;
}

static int find_or_assign(struct tfs_cache *c, uint64_t block, bool fill, struct centry **out);

/* Allocating memory can make the kernel shrink this cache (tfs_cache_shrink)
 * while an entry is half reassigned: shrinking waits for the next call. */
static int get_entry(struct tfs_cache *c, uint64_t block, bool fill, struct centry **out)
{
    bool outer = !c->getting;
    c->getting = true;
    int rc = find_or_assign(c, block, fill, out);
    if (outer) c->getting = false;
    return rc;
}

static int find_or_assign(struct tfs_cache *c, uint64_t block, bool fill, struct centry **out)
{
    struct centry *e = lookup(c, block);
    if (e) {
        lru_unlink(e);
        lru_front(c, e);
        *out = e;
        return 0;
    }
    if (c->count < c->max) e = new_entry(c);
    if (!e) e = victim(c);
    if (!e) e = new_entry(c);   /* every candidate is mapped: grow past max */
    if (!e) return -ENOMEM;
    if (e->dirty) {
        /* Write every dirty block now, in big batches: the next evictions
         * then find clean blocks instead of paying one request each. */
        int rc = c->bounce_busy ? write_one(c, e) : tfs_cache_writeback(c);
        if (rc) return rc;
    }
    hash_remove(c, e);
    int rc = take_back_lent(c, e);
    if (rc) return rc;
    lru_unlink(e);
    if (fill) {
        rc = c->dev->read(c->dev, block * TFS_SECTORS_PER_BLOCK, e->data, TFS_SECTORS_PER_BLOCK);
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
    *out = e;
    return 0;
}

int tfs_cache_get(struct tfs_cache *c, uint64_t block, bool fill, uint8_t **out)
{
    struct centry *e;
    int rc = get_entry(c, block, fill, &e);
    if (!rc) *out = e->data;
    return rc;
}

int tfs_cache_lend(struct tfs_cache *c, uint64_t block, uint8_t **out)
{
    struct centry *e;
    int rc = get_entry(c, block, true, &e);
    if (rc) return rc;
    e->lent = true;
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

uint8_t *tfs_cache_peek(struct tfs_cache *c, uint64_t block)
{
    uint64_t flags = tfs_recency_lock(&c->recency);
    struct centry *e = lookup(c, block);
    if (e) {
        lru_unlink(e);
        lru_front(c, e);
    }
    tfs_recency_unlock(&c->recency, flags);
    return e ? e->data : NULL;
}

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
    c->bounce_busy = true;
    int rc = 0;
    uint32_t run_first[IO_DEPTH], run_len[IO_DEPTH];
    for (uint32_t i = 0; i < n && !rc;) {
        /* One batch: up to IO_DEPTH runs of consecutive blocks. A single
         * block is sent from the cache entry itself; longer runs are
         * gathered into their bounce slot. */
        uint32_t nb = 0;
        for (; nb < IO_DEPTH && i < n; nb++) {
            uint32_t k = 1;
            while (i + k < n && k < WB_MAX_BLOCKS && v[i + k]->block == v[i]->block + k) k++;
            uint8_t *buf = v[i]->data;
            if (k > 1) {
                buf = c->bounce + (size_t)nb * WB_MAX_BLOCKS * TFS_BLOCK_SIZE;
                for (uint32_t j = 0; j < k; j++) memcpy(buf + (size_t)j * TFS_BLOCK_SIZE, v[i + j]->data, TFS_BLOCK_SIZE);
            }
            c->bios[nb] = (struct bio){ .sector = v[i]->block * TFS_SECTORS_PER_BLOCK,
                                        .count = k * TFS_SECTORS_PER_BLOCK, .buf = buf, .write = true };
            run_first[nb] = i;
            run_len[nb] = k;
            i += k;
        }
        rc = blockdev_submit_all(c->dev, c->bios, nb);
        for (uint32_t r = 0; r < nb; r++) {
            if (c->bios[r].status) continue;
            for (uint32_t j = 0; j < run_len[r]; j++) {
                v[run_first[r] + j]->dirty = false;
                c->ndirty--;
            }
        }
    }
    c->bounce_busy = false;
    deallocate(c->heap, v, cap * sizeof(*v));
    return rc;
}

int tfs_cache_readahead(struct tfs_cache *c, uint64_t block, uint64_t avail)
{
    /* A miss where the previous window ended is a sequential reader: give it
     * a window of several requests in flight. Any other miss reads one
     * request's worth, which costs the device little more than one block. */
    uint64_t want = block == c->ra_next ? RA_SEQ : RA_FIRST;
    /* Never more than half the cache, or the window would evict itself. */
    want = MIN(want, (uint64_t)c->max / 2);
    want = MIN(want, avail);
    if (want == 0) return 0;
    c->ra_next = block + want;

    /* Runs of blocks not cached yet (a cached copy may be newer than the
     * disk), each at most one request. */
    uint32_t nb = 0;
    for (uint64_t b = block; b < block + want && nb < IO_DEPTH;) {
        if (lookup(c, b)) {
            b++;
            continue;
        }
        uint32_t k = 1;
        while (k < WB_MAX_BLOCKS && b + k < block + want && !lookup(c, b + k)) k++;
        c->bios[nb] = (struct bio){ .sector = b * TFS_SECTORS_PER_BLOCK, .count = k * TFS_SECTORS_PER_BLOCK,
                                    .buf = c->bounce + (size_t)nb * WB_MAX_BLOCKS * TFS_BLOCK_SIZE };
        nb++;
        b += k;
    }
    if (nb == 0) return 0;
    blockdev_submit_all(c->dev, c->bios, nb);
    /* Install what arrived. A failed run is simply not cached: the caller's
     * own read of the block reports the error. */
    int rc = 0;
    c->bounce_busy = true;
    for (uint32_t r = 0; r < nb && !rc; r++) {
        struct bio *bo = &c->bios[r];
        if (bo->status) continue;
        uint64_t first = bo->sector / TFS_SECTORS_PER_BLOCK;
        for (uint32_t j = 0; j < bo->count / TFS_SECTORS_PER_BLOCK && !rc; j++) {
            uint8_t *d;
            if (lookup(c, first + j)) continue;
            rc = tfs_cache_get(c, first + j, false, &d);
            if (!rc) memcpy(d, (uint8_t *)bo->buf + (size_t)j * TFS_BLOCK_SIZE, TFS_BLOCK_SIZE);
        }
    }
    c->bounce_busy = false;
    return rc;
}

size_t tfs_cache_shrink(struct tfs_cache *c, size_t want)
{
    /* Only from the cold end: the most recently returned blocks may still
     * be in a caller's hands ("valid until the next cache call"), and a
     * batch in the bounce buffer must not lose its entries. */
    if (c->bounce_busy || c->getting) return 0;
    size_t freed = 0, seen = 0, limit = c->count > KEEP_RECENT ? c->count - KEEP_RECENT : 0;
    for (struct centry *e = c->lru.prev, *prev; e != &c->lru && freed < want && seen < limit; e = prev) {
        prev = e->prev;
        seen++;
        bool mapped = e->lent && e->block != NO_BLOCK && c->lent_in_use && c->lent_in_use(e->data);
        if (e->dirty || mapped) continue;
        hash_remove(c, e);
        lru_unlink(e);
        deallocate(c->heap, e->data, TFS_BLOCK_SIZE);
        deallocate(c->heap, e, sizeof(*e));
        c->count--;
        freed++;
    }
    return freed;
}

void tfs_cache_stats(struct tfs_cache *c, uint32_t *blocks, uint32_t *dirty)
{
    *blocks = c->count;
    *dirty = c->ndirty;
}
