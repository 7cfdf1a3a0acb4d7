/* Sleeping locks (kernel/mutex.h), on the one wait primitive. Before the
 * program's first thread exists (boot) the "thread" is NULL: a contender
 * there spins. A thread sleeps even with interrupts off (a page fault
 * reading a file runs so): its RFLAGS come back with it, and the CPU runs
 * other threads meanwhile, one of which may hold the mutex. Spinning with
 * interrupts off instead hung two vCPUs: the holder waited on this CPU's
 * run queue behind the spinner. */
#include "mutex.h"
#include "percpu.h"
#include "panic.h"
#include "tlb.h"

/* Who holds it: the current thread, or this CPU before there are threads. */
static struct thread *me(void)
{
    struct thread *t = this_cpu()->current;
    return t ? t : (struct thread *)this_cpu();
}

static bool try_take(struct mutex *m, bool shared)
{
    uint64_t flags = spin_lock_irqsave(&m->lock);
    bool took = m->owner == NULL && (shared ? m->exclusive_waiting == 0 : m->shared == 0);
    if (took && shared) m->shared++;
    else if (took) m->owner = me();
    spin_unlock_irqrestore(&m->lock, flags);
    return took;
}

bool mutex_trylock(struct mutex *m) { return try_take(m, false); }

static void count_exclusive_waiter(struct mutex *m, int delta)
{
    uint64_t flags = spin_lock_irqsave(&m->lock);
    m->exclusive_waiting += delta;
    spin_unlock_irqrestore(&m->lock, flags);
}

static void take(struct mutex *m, bool shared)
{
    if (try_take(m, shared)) return;
    if (m->owner == me()) panic("mutex %p taken twice by one thread", (void *)m);
    struct thread *self = this_cpu()->current;
    if (!self || self == this_cpu()->run_queue.idle) {
        while (!try_take(m, shared)) {
            tlb_shootdown_service();    /* the holder may be waiting for us */
            __asm__ volatile("pause");
        }
        return;
    }
    if (!shared) count_exclusive_waiter(m, 1);
    struct waiter w;
    wait_begin_uninterruptible(&w);
    for (;;) {
        wait_enqueue(&m->waiters, &w);
        if (!shared) {
            /* Counted as waiting, so shared holders cannot come in; take
             * it as the last of them leaves. */
            uint64_t flags = spin_lock_irqsave(&m->lock);
            bool took = m->owner == NULL && m->shared == 0;
            if (took) {
                m->owner = me();
                m->exclusive_waiting--;
            }
            spin_unlock_irqrestore(&m->lock, flags);
            if (took) break;
        } else if (try_take(m, true)) {
            break;
        }
        wait_sleep(&w);
    }
    wait_end(&m->waiters, &w);
}

void mutex_lock(struct mutex *m) { take(m, false); }
void mutex_lock_shared(struct mutex *m) { take(m, true); }

/* Everyone waiting looks again: readers may all come in at once, and a
 * writer that cannot yet sleeps again. */
void mutex_unlock(struct mutex *m)
{
    uint64_t flags = spin_lock_irqsave(&m->lock);
    if (m->owner != me()) panic("mutex %p released by a thread that does not hold it", (void *)m);
    m->owner = NULL;
    spin_unlock_irqrestore(&m->lock, flags);
    wake_all(&m->waiters);
}

void mutex_unlock_shared(struct mutex *m)
{
    uint64_t flags = spin_lock_irqsave(&m->lock);
    if (!m->shared) panic("mutex %p released shared but not held so", (void *)m);
    bool last = --m->shared == 0;
    spin_unlock_irqrestore(&m->lock, flags);
    if (last) wake_all(&m->waiters);
}

bool mutex_held_by_me(struct mutex *m) { return __atomic_load_n(&m->owner, __ATOMIC_RELAXED) == me(); }
