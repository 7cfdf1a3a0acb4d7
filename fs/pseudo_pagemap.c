/* /proc/self/pagemap: one 64-bit entry per page of the program's address
 * space, as Linux defines it (Documentation/admin-guide/mm/pagemap.rst):
 * bit 63 present, bit 61 a file page shared with the page cache, bit 56
 * mapped by this process only, bits 0-54 the physical frame. The program is
 * root in its own machine, so frames are shown. Tests use it to see that
 * file mappings share the page cache's pages (kernel/vm_fault.c). */
#include "pseudo_internal.h"
#include "../kernel/process.h"
#include "../kernel/paging.h"
#include "../kernel/mm.h"
#include "../klib/errno.h"

#define PM_PRESENT (1ul << 63)
#define PM_FILE (1ul << 61)
#define PM_EXCLUSIVE (1ul << 56)
#define PM_PFN_MASK ((1ul << 55) - 1)

static uint64_t entry_for(struct vm *vm, uint64_t va)
{
    uint64_t *pte = page_lookup(vm->root, va);
    if (!pte || !(*pte & (PTE_P | PTE_HIDDEN))) return 0;
    uint64_t e = PM_PRESENT | (((*pte & PTE_ADDR_MASK) / PAGE_SIZE) & PM_PFN_MASK);
    return e | ((*pte & PTE_FOREIGN) ? PM_FILE : PM_EXCLUSIVE);
}

static int64_t read_pagemap(struct pseudo_node *n, void *buf, size_t len, uint64_t off)
{
    /* Linux reads whole entries only. */
    if (off % 8 || len % 8) return -EINVAL;
    struct vm *vm = &current_process()->vm;
    uint64_t *out = buf, pages = USER_TOP / PAGE_SIZE;
    size_t count = 0;
    uint64_t irq = read_lock_irqsave(&vm->lock);
    for (uint64_t page = off / 8; page < pages && count < len / 8; page++)
        out[count++] = entry_for(vm, page * PAGE_SIZE);
    read_unlock_irqrestore(&vm->lock, irq);
    return (int64_t)(count * 8);
}

struct pseudo_node pseudo_pagemap = { .name = "pagemap", .kind = PSEUDO_FILE, .perm = 0400, .read_at = read_pagemap };
