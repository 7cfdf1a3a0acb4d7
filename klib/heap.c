#include "heap.h"

void *allocate_zero(struct heap *h, size_t size)
{
    unsigned char *p = allocate(h, size);
    if (p)
        for (size_t i = 0; i < size; i++) p[i] = 0;
    return p;
}
