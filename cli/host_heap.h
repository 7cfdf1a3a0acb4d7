/* A struct heap backed by malloc/free, for host tools and unit tests. */
#pragma once
#include "../klib/heap.h"

/* The process-wide host heap (never NULL). allocate() returns NULL only when
 * malloc fails. */
struct heap *host_heap(void);
