/* TLB shootdowns (kernel/tlb.h). One at a time: the initiator takes
 * `shootdown.lock`, publishes the range, marks each other online CPU's
 * tlb_flush_pending, sends them an IPI and spins until each has flushed and
 * cleared its mark. A CPU that is spinning itself (on any spinlock, or on
 * this lock to start its own shootdown) services a pending flush from its
 * spin loop, so it never matters whether interrupts are on there: the
 * initiator may hold an irqsave lock (vm->lock) that the other CPU spins
 * on with interrupts off. Rules: docs/locking.md. */
#include "tlb.h"
#include "paging.h"
#include "mm.h"
#include "percpu.h"
#include "kernel.h"
#include "interrupt.h"
#include "spinlock.h"
#include "../platform/apic.h"

/* Past this many pages one full flush is cheaper than page by page. */
#define FLUSH_ALL_PAGES 64

volatile uint32_t tlb_shootdown_waiting;

static struct {
    struct spinlock lock;
    volatile uint64_t start, end;
    volatile uint32_t remaining;    /* CPUs that have not flushed yet */
} shootdown;

void tlb_flush_page_local(uint64_t va) { __asm__ volatile("invlpg (%0)" : : "r"(va) : "memory"); }

static void flush_local_range(uint64_t start, uint64_t end)
{
    if (end - start > FLUSH_ALL_PAGES * PAGE_SIZE) tlb_flush_all();
    else
        for (uint64_t va = start; va < end; va += PAGE_SIZE) tlb_flush_page_local(va);
}

void tlb_shootdown_service(void)
{
    struct cpu *c = this_cpu();
    if (!__atomic_exchange_n(&c->tlb_flush_pending, 0, __ATOMIC_ACQUIRE)) return;
    flush_local_range(shootdown.start, shootdown.end);
    __atomic_fetch_sub(&shootdown.remaining, 1, __ATOMIC_RELEASE);
}

static void shootdown_ipi(void *unused)
{
    (void)unused;
    tlb_shootdown_service();
}

void tlb_init(void) { irq_set_handler(IPI_TLB_SHOOTDOWN_VECTOR, shootdown_ipi, NULL); }

void tlb_shootdown_range(uint64_t start, uint64_t end)
{
    flush_local_range(start, end);
    uint32_t n = __atomic_load_n(&kernel.ncpus, __ATOMIC_ACQUIRE);
    if (n <= 1) return;
    uint64_t flags = irq_save();
    struct cpu *self = this_cpu();
    /* spin_lock's loop services a shootdown that waits for us meanwhile. */
    spin_lock(&shootdown.lock);
    shootdown.start = start;
    shootdown.end = end;
    shootdown.remaining = n - 1;
    __atomic_store_n(&tlb_shootdown_waiting, 1, __ATOMIC_SEQ_CST);
    for (uint32_t i = 0; i < n; i++) {
        struct cpu *c = kernel.cpus[i];
        if (c == self) continue;
        __atomic_store_n(&c->tlb_flush_pending, 1, __ATOMIC_RELEASE);
        lapic_send_ipi(c->apic_id, IPI_TLB_SHOOTDOWN_VECTOR);
    }
    while (__atomic_load_n(&shootdown.remaining, __ATOMIC_ACQUIRE)) __asm__ volatile("pause");
    __atomic_store_n(&tlb_shootdown_waiting, 0, __ATOMIC_SEQ_CST);
    spin_unlock(&shootdown.lock);
    irq_restore(flags);
}

void tlb_flush_page(uint64_t va) { tlb_shootdown_range(va, va + PAGE_SIZE); }

void tlb_hide_range_before_free(uint64_t root, uint64_t start, uint64_t end)
{
    if (__atomic_load_n(&kernel.ncpus, __ATOMIC_ACQUIRE) <= 1) return;
    uint64_t *pte;
    bool any = false;
    for (uint64_t va = start; (pte = page_next(root, &va, end)); va += PAGE_SIZE) {
        if (!(*pte & PTE_P)) continue;
        *pte = (*pte & ~PTE_P) | PTE_HIDDEN;
        any = true;
    }
    if (any) tlb_shootdown_range(start, end);
}
