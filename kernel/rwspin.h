/* Reader/writer spinlocks: many readers at once, or one writer. For data
 * read far more often than changed where readers must not wait for each
 * other: the address space, which every page fault on every CPU reads and
 * only mmap-family calls change.
 *
 * Fair: everyone enters through one ticket queue, in arrival order. A
 * reader passes straight through it into the readers' count; a writer keeps
 * the queue until it is done, after waiting for the readers already inside.
 * So neither side starves the other however often it comes back (a thread
 * flipping mprotect in a loop beside faulting threads, say). Readers must
 * never take the lock again while they hold it (a writer queued between the
 * two holds would wait for the first, and the second for the writer). Like
 * every spin loop, the waits service TLB shootdowns: the holder may be
 * waiting for this CPU's flush. The writer records its CPU, so taking the
 * lock again on that CPU panics; readers are only counted. */
#pragma once
#include "spinlock.h"

struct rwspin {
    volatile uint32_t next;      /* the ticket the next arrival takes */
    volatile uint32_t serving;   /* the ticket that may enter now */
    volatile uint32_t readers;   /* readers inside */
    volatile uint32_t owner;     /* the writer's CPU id + 1; 0 otherwise */
};

static inline void rwspin_wait(void)
{
    if (tlb_shootdown_waiting) tlb_shootdown_service();
    __asm__ volatile("pause");
}

static inline void rwspin_enter_queue(struct rwspin *l)
{
    uint32_t me = spin_this_cpu_tag();
    if (l->owner == me) panic("rwspin %p taken again on CPU %u, which writes it", (void *)l, me - 1);
    uint32_t ticket = __atomic_fetch_add(&l->next, 1, __ATOMIC_RELAXED);
    while (__atomic_load_n(&l->serving, __ATOMIC_ACQUIRE) != ticket) rwspin_wait();
}

static inline void rwspin_leave_queue(struct rwspin *l)
{
    __atomic_store_n(&l->serving, l->serving + 1, __ATOMIC_RELEASE);
}

static inline uint64_t read_lock_irqsave(struct rwspin *l)
{
    uint64_t flags = irq_save();
    rwspin_enter_queue(l);
    __atomic_fetch_add(&l->readers, 1, __ATOMIC_ACQUIRE);
    rwspin_leave_queue(l);
    return flags;
}

static inline void read_unlock_irqrestore(struct rwspin *l, uint64_t flags)
{
    __atomic_fetch_sub(&l->readers, 1, __ATOMIC_RELEASE);
    irq_restore(flags);
}

static inline uint64_t write_lock_irqsave(struct rwspin *l)
{
    uint64_t flags = irq_save();
    rwspin_enter_queue(l);
    while (__atomic_load_n(&l->readers, __ATOMIC_ACQUIRE)) rwspin_wait();
    l->owner = spin_this_cpu_tag();
    return flags;
}

static inline void write_unlock_irqrestore(struct rwspin *l, uint64_t flags)
{
    l->owner = 0;
    rwspin_leave_queue(l);
    irq_restore(flags);
}

static inline bool rwspin_written_here(const struct rwspin *l) { return l->owner == spin_this_cpu_tag(); }

/* Held by someone in either mode: what code that only reads may assert (a
 * reader cannot tell whether the readers counted include itself). */
#define rwspin_assert_held(l) \
    do { if (!(l)->readers && !(l)->owner) panic("%s: lock %s not held", __func__, #l); } while (0)
#define rwspin_assert_written(l) \
    do { if (!rwspin_written_here(l)) panic("%s: lock %s not held for writing", __func__, #l); } while (0)
