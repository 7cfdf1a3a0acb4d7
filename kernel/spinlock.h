/* Spinlocks. Every structure shared between CPUs is guarded by one; the
 * irqsave form also keeps this CPU's interrupt handlers out. A lock records
 * which CPU holds it: taking a lock this CPU already holds is a panic (it
 * would spin forever), and code that relies on a lock asserts it
 * (spin_assert_held). Rules: docs/locking.md. */
#pragma once
#include "../klib/types.h"
#include "panic.h"
#include "tlb.h"

/* struct cpu's id, read through %gs (kernel/percpu.h asserts the offset).
 * %gs names a struct cpu from the first instruction of kmain and ap_entry. */
#define SPIN_CPU_ID_OFFSET 40

struct spinlock {
    volatile uint32_t locked;
    volatile uint32_t owner;    /* holder's CPU id + 1; 0 when free */
};

static inline uint32_t spin_this_cpu_tag(void)
{
    uint32_t id;
    __asm__ volatile("movl %%gs:%c1, %0" : "=r"(id) : "i"(SPIN_CPU_ID_OFFSET));
    return id + 1;
}

static inline uint64_t irq_save(void)
{
    uint64_t flags;
    __asm__ volatile("pushfq; popq %0; cli" : "=r"(flags) : : "memory");
    return flags;
}

static inline void irq_restore(uint64_t flags)
{
    if (flags & 0x200) __asm__ volatile("sti" ::: "memory");
}

static inline void spin_lock(struct spinlock *l)
{
    uint32_t me = spin_this_cpu_tag();
    while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE)) {
        if (l->owner == me) panic("spinlock %p taken twice on CPU %u", (void *)l, me - 1);
        while (l->locked) {
            /* A CPU waiting for our TLB flush may hold what we spin on. */
            if (tlb_shootdown_waiting) tlb_shootdown_service();
            __asm__ volatile("pause");
        }
    }
    l->owner = me;
}

static inline void spin_unlock(struct spinlock *l)
{
    l->owner = 0;
    __atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
}

static inline bool spin_held_here(const struct spinlock *l) { return l->locked && l->owner == spin_this_cpu_tag(); }

#define spin_assert_held(l) \
    do { if (!spin_held_here(l)) panic("%s: lock %s not held", __func__, #l); } while (0)

static inline uint64_t spin_lock_irqsave(struct spinlock *l)
{
    uint64_t flags = irq_save();
    spin_lock(l);
    return flags;
}

static inline void spin_unlock_irqrestore(struct spinlock *l, uint64_t flags)
{
    spin_unlock(l);
    irq_restore(flags);
}
