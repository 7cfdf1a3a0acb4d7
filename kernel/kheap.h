#pragma once
#include "../klib/heap.h"

/* The general-purpose heap; kmain stores it in the kernel context. */
struct heap *kheap_init(void);
