/* The general kernel heap: power-of-two size classes carved from pages,
 * larger requests straight from the page allocator. Callers pass the size
 * back on free (struct heap's contract), so blocks carry no header. */
#include "kheap.h"
#include "mm.h"
#include "spinlock.h"

#define MIN_CLASS 4     /* 16 bytes */
#define MAX_CLASS 11    /* 2048 bytes */

struct free_block {
    struct free_block *next;
};

struct kheap {
    struct heap heap;
    struct spinlock lock;
    struct free_block *free[MAX_CLASS + 1];
    uint64_t bytes_in_use;
};

static int size_class(size_t size)
{
    int c = MIN_CLASS;
    while (((size_t)1 << c) < size) c++;
    return c;
}

static void *kheap_alloc(struct heap *h, size_t size)
{
    struct kheap *k = (struct kheap *)h;
    if (!size) size = 1;
    if (size > (1u << MAX_CLASS)) {
        uint64_t pa = pages_alloc_contig(ALIGN_UP(size, PAGE_SIZE) / PAGE_SIZE);
        return pa ? phys_to_virt(pa) : NULL;
    }
    int c = size_class(size);
    uint64_t flags = spin_lock_irqsave(&k->lock);
    if (!k->free[c]) {
        /* Not under the lock: running short of pages makes the page caches
         * free memory, some of it back into this heap. */
        spin_unlock_irqrestore(&k->lock, flags);
        uint64_t pa = page_alloc();
        if (!pa) return NULL;
        flags = spin_lock_irqsave(&k->lock);
        char *page = phys_to_virt(pa);
        for (size_t off = 0; off < PAGE_SIZE; off += (size_t)1 << c) {
            struct free_block *b = (struct free_block *)(page + off);
            b->next = k->free[c];
            k->free[c] = b;
        }
    }
    struct free_block *b = k->free[c];
    k->free[c] = b->next;
    k->bytes_in_use += (size_t)1 << c;
    spin_unlock_irqrestore(&k->lock, flags);
    b->next = NULL;
    return b;
}

static void kheap_dealloc(struct heap *h, void *p, size_t size)
{
    struct kheap *k = (struct kheap *)h;
    if (!size) size = 1;
    if (size > (1u << MAX_CLASS)) {
        pages_free(virt_to_phys(p), ALIGN_UP(size, PAGE_SIZE) / PAGE_SIZE);
        return;
    }
    int c = size_class(size);
    uint64_t flags = spin_lock_irqsave(&k->lock);
    struct free_block *b = p;
    b->next = k->free[c];
    k->free[c] = b;
    k->bytes_in_use -= (size_t)1 << c;
    spin_unlock_irqrestore(&k->lock, flags);
}

static struct kheap general;

struct heap *kheap_init(void)
{
    general.heap.alloc = kheap_alloc;
    general.heap.dealloc = kheap_dealloc;
    return &general.heap;
}
