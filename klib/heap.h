/* An allocator passed explicitly to every kernel object that allocates.
 * Implementations: the kernel's general heap (kernel/kheap.c), a page heap,
 * and on the host a malloc-backed heap (klib/heap_host.c). */
#pragma once
#include "types.h"

struct heap {
    void *(*alloc)(struct heap *h, size_t size);
    void (*dealloc)(struct heap *h, void *p, size_t size);
};

static inline void *allocate(struct heap *h, size_t size) { return h->alloc(h, size); }
static inline void deallocate(struct heap *h, void *p, size_t size) { if (p) h->dealloc(h, p, size); }
void *allocate_zero(struct heap *h, size_t size);
