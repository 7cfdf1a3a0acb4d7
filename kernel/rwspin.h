/* Reader/writer spinlocks: many readers at once, or one writer. For data
 * read far more often than changed where readers must not wait for each
 * other: the address space, which every page fault on every CPU reads and
 * only mmap-family calls change.
 *
 * A waiting writer holds new readers back (the `writers` count), so a
 * stream of faults cannot starve an munmap. Readers must therefore never
 * take the lock again while they hold it (a writer queued between the two
 * would wait for the first hold, and the second for the writer). Like
 * every spin loop, the waits service TLB shootdowns: the holder may be
 * waiting for this CPU's flush. The writer records its CPU, so taking the
 * write side twice on one CPU panics; readers are only counted. */
#pragma once
#include "spinlock.h"

#define RWSPIN_WRITER 0x80000000u

struct rwspin {
    volatile uint32_t state;     /* RWSPIN_WRITER, or the number of readers */
    volatile uint32_t writers;   /* writers waiting or holding */
    volatile uint32_t owner;     /* the writer's CPU id + 1; 0 otherwise */
};

static inline void rwspin_wait(void)
{
    if (tlb_shootdown_waiting) tlb_shootdown_service();
    __asm__ volatile("pause");
}

static inline uint64_t read_lock_irqsave(struct rwspin *l)
{
    uint64_t flags = irq_save();
    for (;;) {
        while (l->writers) {
            if (l->owner == spin_this_cpu_tag()) panic("rwspin %p: read while this CPU writes", (void *)l);
            rwspin_wait();
        }
        uint32_t s = l->state;
        if (!(s & RWSPIN_WRITER) &&
            __atomic_compare_exchange_n(&l->state, &s, s + 1, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
            return flags;
        rwspin_wait();
    }
}

static inline void read_unlock_irqrestore(struct rwspin *l, uint64_t flags)
{
    __atomic_fetch_sub(&l->state, 1, __ATOMIC_RELEASE);
    irq_restore(flags);
}

static inline uint64_t write_lock_irqsave(struct rwspin *l)
{
    uint64_t flags = irq_save();
    uint32_t me = spin_this_cpu_tag();
    if (l->owner == me) panic("rwspin %p taken twice on CPU %u", (void *)l, me - 1);
    __atomic_fetch_add(&l->writers, 1, __ATOMIC_ACQUIRE);
    for (;;) {
        uint32_t free = 0;
        if (__atomic_compare_exchange_n(&l->state, &free, RWSPIN_WRITER, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
            break;
        rwspin_wait();
    }
    l->owner = me;
    return flags;
}

static inline void write_unlock_irqrestore(struct rwspin *l, uint64_t flags)
{
    l->owner = 0;
    __atomic_store_n(&l->state, 0, __ATOMIC_RELEASE);
    __atomic_fetch_sub(&l->writers, 1, __ATOMIC_RELEASE);
    irq_restore(flags);
}

static inline bool rwspin_written_here(const struct rwspin *l)
{
    return l->state == RWSPIN_WRITER && l->owner == spin_this_cpu_tag();
}

/* Held by someone in either mode: what code that only reads may assert (a
 * reader cannot tell whether the readers counted include itself). */
#define rwspin_assert_held(l) \
    do { if (!(l)->state) panic("%s: lock %s not held", __func__, #l); } while (0)
#define rwspin_assert_written(l) \
    do { if (!rwspin_written_here(l)) panic("%s: lock %s not held for writing", __func__, #l); } while (0)
