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

static bool try_take(void *arg)
{
    struct mutex *m = arg;
    uint64_t flags = spin_lock_irqsave(&m->lock);
    bool took = m->owner == NULL;
    if (took) m->owner = me();
    spin_unlock_irqrestore(&m->lock, flags);
    return took;
}

bool mutex_trylock(struct mutex *m) { return try_take(m); }

void mutex_lock(struct mutex *m)
{
    if (try_take(m)) return;
    if (m->owner == me()) panic("mutex %p taken twice by one thread", (void *)m);
    struct thread *self = this_cpu()->current;
    if (!self || self == this_cpu()->run_queue.idle) {
        while (!try_take(m)) {
            tlb_shootdown_service();    /* the holder may be waiting for us */
            __asm__ volatile("pause");
        }
        return;
    }
    struct waiter w;
    wait_begin_uninterruptible(&w);
    for (;;) {
        wait_enqueue(&m->waiters, &w);
        if (try_take(m)) break;
        wait_sleep(&w);
    }
    wait_end(&m->waiters, &w);
}

void mutex_unlock(struct mutex *m)
{
    uint64_t flags = spin_lock_irqsave(&m->lock);
    if (m->owner != me()) panic("mutex %p released by a thread that does not hold it", (void *)m);
    m->owner = NULL;
    spin_unlock_irqrestore(&m->lock, flags);
    wake_up(&m->waiters, 1, NULL, NULL);
}

bool mutex_held_by_me(struct mutex *m) { return __atomic_load_n(&m->owner, __ATOMIC_RELAXED) == me(); }
