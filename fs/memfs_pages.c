/* A memfs file's pages: a radix tree of physical pages (the tables are
 * pages too, 512 slots each), grown upwards as the file reaches further,
 * and the count every page of memfs is charged to. */
#include "memfs_internal.h"
#include "../kernel/mm.h"
#include "../klib/errno.h"
#include "../klib/string.h"

#define SLOTS 512
#define SLOT_BITS 9

/* Pages a tree of this height covers. */
static uint64_t span(int height) { return 1ull << (SLOT_BITS * height); }

/* A zeroed page charged to memfs (called without the lock). */
static int take_page(uint64_t *pa)
{
    uint64_t used = __atomic_add_fetch(&memfs.used_pages, 1, __ATOMIC_ACQ_REL);
    if (used > memfs.max_pages) {
        __atomic_sub_fetch(&memfs.used_pages, 1, __ATOMIC_ACQ_REL);
        return -ENOSPC;
    }
    *pa = page_alloc();
    if (*pa) return 0;
    __atomic_sub_fetch(&memfs.used_pages, 1, __ATOMIC_ACQ_REL);
    return -ENOMEM;
}

/* memfs's reference goes; a mapping may keep the page a while longer. */
static void give_page(uint64_t pa)
{
    page_free(pa);
    __atomic_sub_fetch(&memfs.used_pages, 1, __ATOMIC_ACQ_REL);
}

uint64_t memfs_page_at(struct mem_node *n, uint64_t idx)
{
    if (idx >= span(n->height)) return 0;
    uint64_t cur = n->root;
    for (int h = n->height; h > 0 && cur; h--) {
        uint64_t *table = phys_to_virt(cur);
        cur = table[(idx >> (SLOT_BITS * (h - 1))) & (SLOTS - 1)];
    }
    return cur;
}

/* The slot that holds page idx, building the levels above it from *spare
 * (one page per call); NULL when a level is missing and there is no spare. */
static uint64_t *slot_of(struct mem_node *n, uint64_t idx, uint64_t *spare)
{
    while (idx >= span(n->height)) {
        if (n->root) {
            if (!*spare) return NULL;
            uint64_t *top = phys_to_virt(*spare);
            top[0] = n->root;
            n->root = *spare;
            *spare = 0;
        }
        n->height++;
    }
    uint64_t *slot = &n->root;
    for (int h = n->height; h > 0; h--) {
        if (!*slot) {
            if (!*spare) return NULL;
            *slot = *spare;
            *spare = 0;
        }
        uint64_t *table = phys_to_virt(*slot);
        slot = &table[(idx >> (SLOT_BITS * (h - 1))) & (SLOTS - 1)];
    }
    return slot;
}

int memfs_page_make(struct mem_node *n, uint64_t idx, uint64_t *irq, uint64_t *pa, bool *made)
{
    uint64_t spare = 0;
    int r = 0;
    for (;;) {
        uint64_t *slot = slot_of(n, idx, &spare);
        if (slot && *slot) {
            *pa = *slot;
            break;
        }
        if (slot && spare) {
            *slot = *pa = spare;
            spare = 0;
            n->pages++;
            *made = true;
            break;
        }
        /* A table or the page itself is missing: allocate with the lock
         * dropped, then look again (another writer may have made it). */
        spin_unlock_irqrestore(&memfs.lock, *irq);
        r = take_page(&spare);
        *irq = spin_lock_irqsave(&memfs.lock);
        if (r < 0) break;
    }
    if (spare) give_page(spare);
    return r;
}

/* Free the pages with index in [first, end) under *slot, a subtree of
 * `height` levels whose first page is `base`; *slot goes if emptied. */
static void drop_below(struct mem_node *n, uint64_t *slot, int height, uint64_t base, uint64_t first, uint64_t end)
{
    if (!*slot || base + span(height) <= first || base >= end) return;
    if (height == 0) {
        give_page(*slot);
        *slot = 0;
        n->pages--;
        return;
    }
    uint64_t *table = phys_to_virt(*slot);
    bool empty = true;
    for (uint64_t i = 0; i < SLOTS; i++) {
        drop_below(n, &table[i], height - 1, base + i * span(height - 1), first, end);
        empty = empty && !table[i];
    }
    if (empty) {
        give_page(*slot);
        *slot = 0;
    }
}

void memfs_pages_drop_range(struct mem_node *n, uint64_t first, uint64_t end)
{
    drop_below(n, &n->root, n->height, 0, first, end);
    if (!n->root) n->height = 0;
}

void memfs_pages_drop(struct mem_node *n, uint64_t first) { memfs_pages_drop_range(n, first, UINT64_MAX); }
