/* Wait queues (kernel/wait.h) and the sleep point: the one place a CPU
 * halts to wait for something. */
#include "wait.h"
#include "clock.h"
#include "percpu.h"
#include "sched.h"
#include "signal.h"
#include "../klib/errno.h"

/* A pending wake is the waiter's own flag, set under its queue's lock (or
 * by its deadline timer) before the waker makes the thread runnable. The
 * scheduler tests it under the run queue lock, which sched_wake also takes:
 * either the sleeper sees the flag and stays, or the wake finds it blocked
 * and queues it. Before the program's first thread exists there is nothing
 * to switch to: halt, with the flag tested with interrupts off and "sti;
 * hlt" letting a wake's interrupt in only once the CPU halts. */
static void sleep_point(struct waiter *w)
{
    if (w->thread) {
        sched_block_unless(&w->wake_pending);
        return;
    }
    uint64_t flags = irq_save();
    if (!__atomic_load_n(&w->wake_pending, __ATOMIC_ACQUIRE))
        __asm__ volatile("sti; hlt; cli" ::: "memory");
    irq_restore(flags);
}

/* The EINTR hook: a signal this thread does not block ends any wait; the
 * sender wakes the waiter signal_wait_begin recorded. */
static bool signal_pending(void) { return signal_pending_current(); }

static void deadline_passed(struct timer *t)
{
    struct waiter *w = container_of(t, struct waiter, timeout);
    __atomic_store_n(&w->wake_pending, true, __ATOMIC_RELEASE);
    sched_wake(w->thread);
}

void wait_begin(struct waiter *w, uint64_t deadline_ns)
{
    *w = (struct waiter){ .thread = this_cpu()->current, .deadline_ns = deadline_ns };
    if (deadline_ns != WAIT_FOREVER) timer_add(&w->timeout, deadline_ns, deadline_passed);
    signal_wait_begin(w);
}

void wait_begin_uninterruptible(struct waiter *w)
{
    *w = (struct waiter){ .thread = this_cpu()->current, .deadline_ns = WAIT_FOREVER, .uninterruptible = true };
}

void wait_begin_member(struct waiter *w)
{
    /* uninterruptible: its wait_end leaves the thread's signal wait alone. */
    wait_begin_uninterruptible(w);
}

void wait_enqueue(struct wait_queue *q, struct waiter *w)
{
    if (!q) {
        __atomic_store_n(&w->wake_pending, false, __ATOMIC_SEQ_CST);
        return;
    }
    uint64_t flags = spin_lock_irqsave(&q->lock);
    if (!w->queue) {
        w->queue = q;
        w->next = NULL;
        struct waiter **p = &q->first;
        while (*p) p = &(*p)->next;
        *p = w;
    }
    w->wake_pending = false;
    /* The unlock orders our enqueue before the caller's check: a waker that
     * changes the condition later takes this lock after us and finds us. */
    spin_unlock_irqrestore(&q->lock, flags);
}

int wait_sleep(struct waiter *w)
{
    if (clock_monotonic_ns() >= w->deadline_ns) return -ETIMEDOUT;
    if (!w->uninterruptible && signal_pending()) return -EINTR;
    sleep_point(w);
    return 0;
}

bool waiter_dequeued(struct waiter *w)
{
    return __atomic_load_n(&w->queue, __ATOMIC_ACQUIRE) == NULL;
}

void wait_end(struct wait_queue *q, struct waiter *w)
{
    if (w->deadline_ns != WAIT_FOREVER) timer_cancel(&w->timeout);
    if (!w->uninterruptible) signal_wait_end(w);
    if (!q) return;
    /* Taken even when a waker already unlinked w: its unlock then
     * guarantees that waker is done touching w before w goes away. */
    uint64_t flags = spin_lock_irqsave(&q->lock);
    if (w->queue == q) {
        for (struct waiter **p = &q->first; *p; p = &(*p)->next) {
            if (*p == w) {
                *p = w->next;
                break;
            }
        }
        w->queue = NULL;
    }
    spin_unlock_irqrestore(&q->lock, flags);
}

int wait_until(struct wait_queue *q, bool (*cond)(void *), void *arg, uint64_t deadline_ns)
{
    struct waiter w;
    wait_begin(&w, deadline_ns);
    int r;
    for (;;) {
        wait_enqueue(q, &w);
        if (cond && cond(arg)) {
            r = 0;
            break;
        }
        r = wait_sleep(&w);
        if (r) break;
    }
    wait_end(q, &w);
    return r;
}

void wake_waiter(struct waiter *w)
{
    __atomic_store_n(&w->wake_pending, true, __ATOMIC_RELEASE);
    sched_wake(w->thread);
}

unsigned wake_up(struct wait_queue *q, unsigned max, bool (*match)(struct waiter *, void *), void *arg)
{
    unsigned woken = 0;
    uint64_t flags = spin_lock_irqsave(&q->lock);
    for (struct waiter **p = &q->first; *p && woken < max;) {
        struct waiter *w = *p;
        if (w->notify) {
            w->notify(w);
            p = &w->next;
            continue;
        }
        if (match && !match(w, arg)) {
            p = &w->next;
            continue;
        }
        *p = w->next;
        w->next = NULL;
        __atomic_store_n(&w->queue, NULL, __ATOMIC_RELEASE);
        wake_waiter(w);
        woken++;
    }
    spin_unlock_irqrestore(&q->lock, flags);
    return woken;
}
