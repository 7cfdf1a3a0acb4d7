/* Host tools allocate through the same struct heap interface as the kernel
 * so shared code (fs/, loader/) runs unchanged on both sides. */
#include "host_heap.h"
#include <stdlib.h>

static void *host_alloc(struct heap *h, size_t size)
{
    (void)h;
    return malloc(size ? size : 1);
}

static void host_dealloc(struct heap *h, void *p, size_t size)
{
    (void)h;
    (void)size;
    free(p);
}

static struct heap the_host_heap = { host_alloc, host_dealloc };

struct heap *host_heap(void) { return &the_host_heap; }
