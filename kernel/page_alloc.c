/* Physical page allocator: one bit per 4 KiB frame of RAM, set = in use.
 * A bitmap keeps contiguous allocations (DMA rings) as simple as single ones.
 *
 * A frame can have more than one owner: the block cache and every program
 * mapping that shares the cached page (kernel/vm_fault.c). `extra` counts
 * the owners beyond the first; freeing drops one owner, and only the last
 * one returns the frame.
 *
 * When no frame is free, the allocator asks its reclaimers (the page
 * caches) to give memory back and tries once more, so cached file data
 * never stands between the program and the machine's memory. */
#include "mm.h"
#include "page_alloc.h"
#include "spinlock.h"
#include "../klib/string.h"

static struct {
    struct spinlock lock;
    uint64_t *bits;
    uint16_t *extra;        /* owners beyond the first, per frame */
    uint64_t frames;        /* frames covered by the bitmap */
    uint64_t hint;          /* first frame worth looking at */
    uint64_t free;
    uint64_t total;
} pa;

static bool frame_used(uint64_t f) { return pa.bits[f / 64] >> (f % 64) & 1; }
static void frame_set(uint64_t f) { pa.bits[f / 64] |= 1ul << (f % 64); }
static void frame_clear(uint64_t f) { pa.bits[f / 64] &= ~(1ul << (f % 64)); }

void page_alloc_init(const struct phys_range *ram, int nranges, uint64_t reserved_below)
{
    uint64_t top = 0;
    for (int i = 0; i < nranges; i++) top = MAX(top, ram[i].end);
    pa.frames = top / PAGE_SIZE;
    uint64_t bits_bytes = ALIGN_UP((pa.frames + 63) / 64 * 8, 8);
    uint64_t bitmap_bytes = ALIGN_UP(bits_bytes + pa.frames * sizeof(uint16_t), PAGE_SIZE);

    /* The bitmap lives in the first RAM range above the reserved area that fits it. */
    uint64_t bitmap_pa = 0;
    for (int i = 0; i < nranges && !bitmap_pa; i++) {
        uint64_t start = ALIGN_UP(MAX(ram[i].start, reserved_below), PAGE_SIZE);
        if (start + bitmap_bytes <= ram[i].end) bitmap_pa = start;
    }
    if (!bitmap_pa) return;
    pa.bits = phys_to_virt(bitmap_pa);
    memset(pa.bits, 0xff, bits_bytes);
    pa.extra = (uint16_t *)((char *)pa.bits + bits_bytes);
    memset(pa.extra, 0, pa.frames * sizeof(uint16_t));
    reserved_below = MAX(reserved_below, bitmap_pa + bitmap_bytes);

    for (int i = 0; i < nranges; i++) {
        uint64_t start = ALIGN_UP(MAX(ram[i].start, reserved_below), PAGE_SIZE);
        uint64_t end = ALIGN_DOWN(ram[i].end, PAGE_SIZE);
        for (uint64_t a = start; a < end; a += PAGE_SIZE) {
            frame_clear(a / PAGE_SIZE);
            pa.free++;
        }
    }
    pa.total = pa.free;
    pa.hint = 0;
}

#define MAX_RECLAIMERS 8
#define RECLAIM_BATCH 256u   /* pages asked for at once: one shortage, not one per page */

static struct {
    size_t (*fn)(void *ctx, size_t want);
    void *ctx;
} reclaimers[MAX_RECLAIMERS];
static bool reclaiming;

bool page_alloc_add_reclaimer(size_t (*fn)(void *ctx, size_t want), void *ctx)
{
    for (int i = 0; i < MAX_RECLAIMERS; i++) {
        if (reclaimers[i].fn) continue;
        reclaimers[i].ctx = ctx;
        reclaimers[i].fn = fn;
        return true;
    }
    return false;
}

/* Ask every reclaimer for memory; false if nothing came back. Never
 * recursively: a reclaimer that frees memory does not allocate. */
static bool reclaim(size_t count)
{
    if (__atomic_exchange_n(&reclaiming, true, __ATOMIC_ACQUIRE)) return false;
    size_t got = 0, want = MAX(count, (size_t)RECLAIM_BATCH);
    for (int i = 0; i < MAX_RECLAIMERS && got < want; i++)
        if (reclaimers[i].fn) got += reclaimers[i].fn(reclaimers[i].ctx, want - got);
    __atomic_store_n(&reclaiming, false, __ATOMIC_RELEASE);
    return got > 0;
}

static uint64_t find_and_take(size_t count);

uint64_t pages_alloc_contig(size_t count)
{
    uint64_t pa = find_and_take(count);
    if (!pa && reclaim(count)) pa = find_and_take(count);
    if (pa) memset(phys_to_virt(pa), 0, count * PAGE_SIZE);
    return pa;
}

static uint64_t find_and_take(size_t count)
{
    uint64_t flags = spin_lock_irqsave(&pa.lock);
    uint64_t run = 0, found = 0;
    bool ok = false;
    for (uint64_t f = pa.hint; f < pa.frames; f++) {
        if (frame_used(f)) {
            run = 0;
            continue;
        }
        if (++run == count) {
            found = f + 1 - count;
            ok = true;
            break;
        }
    }
    if (!ok) {
        spin_unlock_irqrestore(&pa.lock, flags);
        return 0;
    }
    for (uint64_t f = found; f < found + count; f++) frame_set(f);
    pa.free -= count;
    if (count == 1) pa.hint = found + 1;
    spin_unlock_irqrestore(&pa.lock, flags);
    return found * PAGE_SIZE;
}

uint64_t page_alloc(void)
{
    return pages_alloc_contig(1);
}

void pages_free(uint64_t addr, size_t count)
{
    uint64_t flags = spin_lock_irqsave(&pa.lock);
    for (uint64_t f = addr / PAGE_SIZE; f < addr / PAGE_SIZE + count; f++) {
        if (f < pa.frames && pa.extra[f]) {
            pa.extra[f]--;
            continue;
        }
        if (f < pa.frames && frame_used(f)) {
            frame_clear(f);
            pa.free++;
        }
    }
    pa.hint = MIN(pa.hint, addr / PAGE_SIZE);
    spin_unlock_irqrestore(&pa.lock, flags);
}

void page_free(uint64_t addr) { pages_free(addr, 1); }

bool page_ref(uint64_t addr)
{
    uint64_t f = addr / PAGE_SIZE;
    uint64_t flags = spin_lock_irqsave(&pa.lock);
    bool ok = f < pa.frames && frame_used(f) && pa.extra[f] != 0xffff;
    if (ok) pa.extra[f]++;
    spin_unlock_irqrestore(&pa.lock, flags);
    return ok;
}
uint64_t pages_free_count(void) { return pa.free; }
uint64_t pages_total_count(void) { return pa.total; }

bool page_has_other_owners(uint64_t addr)
{
    uint64_t f = addr / PAGE_SIZE;
    return f < pa.frames && __atomic_load_n(&pa.extra[f], __ATOMIC_RELAXED) != 0;
}
