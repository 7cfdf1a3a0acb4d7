/* Keeping every CPU's TLB true to the one page table (kernel/tlb.c).
 *
 * All CPUs share one page table and never reload CR3, so a translation one
 * CPU cached stays until it is flushed there. A change that takes access
 * away (unmap, a narrower protection, a different page, a cleared dirty
 * bit) must reach every CPU before the page is reused or the change is
 * relied on; one that only adds access needs no flush anywhere but here (a
 * CPU faulting on a stale narrower entry re-reads the table). */
#pragma once
#include "../klib/types.h"

/* Drop va's translation on every CPU; returns when all have. */
void tlb_flush_page(uint64_t va);
/* On this CPU only: va's mapping was added to or widened. */
void tlb_flush_page_local(uint64_t va);
/* Drop [start, end)'s translations on every CPU (all of them past a
 * size); returns when all have. */
void tlb_shootdown_range(uint64_t start, uint64_t end);
/* Before pages of [start, end) in the table at root are freed: hide the
 * present ones (PTE_HIDDEN, as PROT_NONE does) and shoot the range down,
 * so no CPU can still reach a page once it is freed. Nothing to do with
 * one CPU: the freeing loop's own flushes suffice there. */
void tlb_hide_range_before_free(uint64_t root, uint64_t start, uint64_t end);
/* This CPU's part of a shootdown that waits for it: from its IPI, and from
 * any spin loop with interrupts off (spin_lock), so two CPUs spinning on
 * each other never wait for each other's flush. */
void tlb_shootdown_service(void);
void tlb_init(void);

/* Nonzero while a shootdown waits: spin loops check this one word. */
extern volatile uint32_t tlb_shootdown_waiting;
