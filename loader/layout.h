/* Where a program's pieces go in its address space. Derived from one 64-bit
 * seed so that the host tool can predict the kernel's (randomized) choices
 * when it picks the seed itself — that is how `pith run --gdb` prints
 * symbol addresses before the program has even started. */
#pragma once
#include "../klib/types.h"

#define LAYOUT_STACK_SIZE (8ul << 20)

struct layout {
    uint64_t pie_base;      /* where a position-independent program's lowest segment goes */
    uint64_t stack_top;     /* end of the main thread's stack */
    uint64_t mmap_top;      /* new mappings (the interpreter first) are placed below this */
    uint64_t brk_gap;       /* random gap between the program's end and its heap */
    uint64_t stack_offset;  /* random bytes (16-aligned, < 8 KiB) left free below the initial
                               stack's strings, so the stack pointer moves within pages too */
};

void layout_from_seed(uint64_t seed, struct layout *out);
/* Where the kernel puts an interpreter whose PT_LOADs span `span` bytes. */
static inline uint64_t layout_interp_base(const struct layout *l, uint64_t span, uint64_t lowest_vaddr)
{
    return l->mmap_top - ALIGN_UP(span, 4096ul) - lowest_vaddr;
}
