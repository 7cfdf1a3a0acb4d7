#include "layout.h"

#define PIE_BASE 0x555500000000ul
#define STACK_TOP_MAX 0x7ffffffff000ul
#define PAGE 4096ul

/* splitmix64: a seed in, a well-mixed stream out. */
static uint64_t next(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ul);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ul;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebul;
    return z ^ (z >> 31);
}

void layout_from_seed(uint64_t seed, struct layout *out)
{
    uint64_t s = seed;
    /* Linux's amounts of entropy on x86_64 (scripts/aslr-entropy measures
     * both): 28 bits of pages for the PIE base and the mmap base, 22 for the
     * stack's top plus an offset inside 8 KiB below it (arch_align_stack),
     * 18 for the heap's gap (arch_randomize_brk's 1 GiB for a 64-bit
     * program). New draws go last, so a seed keeps the earlier places
     * (cli/gdb_hint.c predicts them). */
    out->pie_base = PIE_BASE + (next(&s) % (1ul << 28)) * PAGE;
    out->stack_top = STACK_TOP_MAX - (next(&s) % (1ul << 22)) * PAGE;
    out->mmap_top = out->stack_top - LAYOUT_STACK_SIZE - (128ul << 20) - (next(&s) % (1ul << 28)) * PAGE;
    out->brk_gap = (next(&s) % (1ul << 18)) * PAGE;
    out->stack_offset = (next(&s) % 8192) & ~15ul;
}
