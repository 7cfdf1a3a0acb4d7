/* x86_64 4-level page tables. One table serves the kernel (upper half) and
 * the program (lower half): there is one process. */
#pragma once
#include "../klib/types.h"
#include "tlb.h"

#define PTE_P (1ul << 0)
#define PTE_W (1ul << 1)
#define PTE_U (1ul << 2)
#define PTE_PWT (1ul << 3)
#define PTE_PCD (1ul << 4)
#define PTE_A (1ul << 5)
#define PTE_D (1ul << 6)
#define PTE_PS (1ul << 7)
#define PTE_G (1ul << 8)
#define PTE_NX (1ul << 63)
/* Software bit: a page kept in memory while PROT_NONE hides it. */
#define PTE_HIDDEN (1ul << 9)
/* Software bit: a shared page (the page cache's copy of a file page, the
 * vDSO clock page). The mapping holds one reference to it (page_ref), is
 * never given write access to it, and copies it before writing
 * (kernel/vm_fault.c). */
#define PTE_FOREIGN (1ul << 10)
/* Software bit: zeros standing in for a hole of a mapped file, mapped
 * read-only. When the hole gets a block the page is dropped so the mapping
 * sees the file again; a private mapping's first write keeps it as its own. */
#define PTE_HOLE (1ul << 11)
#define PTE_ADDR_MASK 0x000ffffffffff000ul

struct phys_range;

void paging_init(const struct phys_range *ram, int nranges);
uint64_t paging_root(void);

/* Map one 4 KiB page; returns 0 or -ENOMEM. Replaces an existing mapping. */
int page_map(uint64_t root, uint64_t va, uint64_t pa, uint64_t flags);
/* Set the leaf entry for va to `entry` only if it still holds `expect`
 * (one atomic step; tables are created as needed): 0, -EAGAIN when it
 * changed (another CPU filled it first), or -ENOMEM. For page faults, which
 * fill entries on several CPUs at once. */
int page_map_if(uint64_t root, uint64_t va, uint64_t expect, uint64_t entry);
/* The leaf entry for va, or NULL when no table reaches it. */
uint64_t *page_lookup(uint64_t root, uint64_t va);
/* The first leaf entry in [*va, end) that is not empty, *va moved to its
 * page; NULL when there is none. Missing tables are skipped whole, so the
 * cost follows what is mapped in the range, not its size: reserving,
 * protecting or unmapping terabytes of PROT_NONE must stay cheap (Go and
 * the JVM reserve that much at start-up). For the program's half only. */
uint64_t *page_next(uint64_t root, uint64_t *va, uint64_t end);
/* Remove the mapping of va; returns the physical page it had, or 0. Flushes
 * this CPU's TLB only: see tlb_hide_range_before_free (kernel/tlb.h). */
uint64_t page_unmap(uint64_t root, uint64_t va);
void tlb_flush_all(void);
/* Check the whole kernel half (and the program's, if user_half) against
 * W^X and the kernel image's rights; panics naming the first bad range
 * (kernel/paging_audit.c). For moments nothing else changes the tables. */
void paging_audit(uint64_t root, bool user_half);
