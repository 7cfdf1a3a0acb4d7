/* The timer service (kernel/timer.h). Each CPU keeps its pending deadlines
 * in a list sorted by deadline: few are pending at once (one per sleeping
 * thread plus the program's timers), so an insertion walk is cheaper than a
 * heap's bookkeeping; a heap can replace it behind the same calls. */
#include "timer.h"
#include "clock.h"
#include "interrupt.h"
#include "io.h"
#include "percpu.h"
#include "../platform/apic.h"

static struct timer_queue *this_queue(void) { return &this_cpu()->timers; }

/* The least time between two timer interrupts of a CPU when, once the due
 * entries have run, the earliest is due again at once: a periodic timer of
 * 1 ns (a program's timerfd or itimer) re-adds itself in the past forever,
 * and without this floor the CPU would never leave the interrupt. Entries
 * are then up to this late, as Linux's default timer slack makes them;
 * periodic ones count every period that passed, so no expiry is lost. */
#define TIMER_REARM_MIN_NS 50000ull

/* Program this CPU's APIC for q's earliest deadline, but not sooner than
 * min_ns from now, or stop it. Called with q->lock held on q's own CPU:
 * only a CPU can arm its APIC. */
static void arm_earliest_after(struct timer_queue *q, uint64_t min_ns)
{
    if (!q->first) {
        lapic_timer_stop();
        return;
    }
    uint64_t now = clock_monotonic_ns();
    uint64_t in = q->first->deadline_ns > now ? q->first->deadline_ns - now : 0;
    lapic_timer_oneshot(in > min_ns ? in : min_ns);
}

static void arm_earliest(struct timer_queue *q) { arm_earliest_after(q, 0); }

/* Unlink t from q if it is there; with q->lock held. t->queue stays: it
 * names the queue to ask whether t's callback still runs. */
static bool unlink_timer(struct timer_queue *q, struct timer *t)
{
    for (struct timer **p = &q->first; *p; p = &(*p)->next) {
        if (*p == t) {
            *p = t->next;
            t->next = NULL;
            return true;
        }
    }
    return false;
}

/* The APIC timer fired: run what is due, then arm for what remains. It may
 * fire early (one-shot mode counts in bus ticks, not clock ns) or for a
 * deadline since cancelled; both just end in a re-arm. */
static void timer_interrupt(void *unused)
{
    (void)unused;
    struct timer_queue *q = this_queue();
    spin_lock(&q->lock);
    /* What was due when the interrupt came: an entry a callback re-adds
     * already due waits for the next interrupt (see TIMER_REARM_MIN_NS). */
    uint64_t now = clock_monotonic_ns();
    while (q->first && q->first->deadline_ns <= now) {
        struct timer *t = q->first;
        unlink_timer(q, t);
        q->running = t;
        /* Without the lock, so the callback may add timers (its own too)
         * and a cancel on another CPU waits for it instead of deadlocking. */
        spin_unlock(&q->lock);
        t->fn(t);
        spin_lock(&q->lock);
        q->running = NULL;
    }
    arm_earliest_after(q, TIMER_REARM_MIN_NS);
    spin_unlock(&q->lock);
}

void timer_init_cpu(void)
{
    *this_queue() = (struct timer_queue){ 0 };
    irq_set_handler(LAPIC_TIMER_VECTOR, timer_interrupt, NULL);
}

void timer_add(struct timer *t, uint64_t deadline_ns, timer_fn fn)
{
    struct timer_queue *q = this_queue();
    uint64_t flags = spin_lock_irqsave(&q->lock);
    t->deadline_ns = deadline_ns;
    t->fn = fn;
    __atomic_store_n(&t->queue, q, __ATOMIC_RELEASE);
    struct timer **p = &q->first;
    /* After equal deadlines: entries due at once run in the order added. */
    while (*p && (*p)->deadline_ns <= deadline_ns) p = &(*p)->next;
    t->next = *p;
    *p = t;
    if (q->first == t) arm_earliest(q);
    spin_unlock_irqrestore(&q->lock, flags);
}

bool timer_cancel(struct timer *t)
{
    for (;;) {
        /* t->queue changes only under a queue lock (timer_add); read it,
         * lock that queue, retry if t moved meanwhile. */
        struct timer_queue *q = __atomic_load_n(&t->queue, __ATOMIC_ACQUIRE);
        if (!q) return false;   /* never added */
        uint64_t flags = spin_lock_irqsave(&q->lock);
        if (t->queue != q) {
            spin_unlock_irqrestore(&q->lock, flags);
            continue;
        }
        bool was_first = q->first == t;
        bool was_pending = unlink_timer(q, t);
        /* Fired on another CPU and its callback still runs: wait it out,
         * since the caller may free t next. (On this CPU it cannot be
         * running: we hold the lock with interrupts off.) */
        while (q->running == t) {
            spin_unlock_irqrestore(&q->lock, flags);
            cpu_relax();
            flags = spin_lock_irqsave(&q->lock);
        }
        /* Only the owning CPU may program its APIC; elsewhere the stale
         * arming costs one interrupt that finds nothing due and re-arms. */
        if (was_first && q == this_queue()) arm_earliest(q);
        spin_unlock_irqrestore(&q->lock, flags);
        return was_pending;
    }
}
