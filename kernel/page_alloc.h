#pragma once
#include "../klib/types.h"

struct phys_range {
    uint64_t start, end;
};

/* Hand the allocator the machine's RAM; frames below `reserved_below`
 * (the kernel image, boot data) are never given out. */
void page_alloc_init(const struct phys_range *ram, int nranges, uint64_t reserved_below);
