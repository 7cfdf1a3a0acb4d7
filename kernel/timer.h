/* The timer service: every deadline the kernel waits for, kept per CPU in
 * monotonic nanoseconds (clock_monotonic_ns). It alone programs the local
 * APIC timer, always for the earliest pending deadline, and leaves it idle
 * when nothing is pending. Callers own their entries (embedded in their own
 * structs), so arming a deadline never allocates. Rules: docs/locking.md. */
#pragma once
#include "../klib/types.h"
#include "spinlock.h"

struct timer;
struct timer_queue;
/* Runs from the timer interrupt, with interrupts off and no lock held. It
 * must not sleep; it may re-add its own entry. */
typedef void (*timer_fn)(struct timer *t);

struct timer {
    struct timer *next;          /* in its queue, earliest deadline first */
    struct timer_queue *queue;   /* the CPU queue it is pending on, or NULL */
    uint64_t deadline_ns;
    timer_fn fn;
};

/* One per CPU (struct cpu embeds it). */
struct timer_queue {
    struct spinlock lock;
    struct timer *first;
    struct timer *running;       /* whose callback runs now, for timer_cancel */
};

/* Start this CPU's queue and take over the APIC timer's vector; on each
 * CPU after its lapic_init, before it enables interrupts. */
void timer_init_cpu(void);
/* Pend t on this CPU to run fn once the clock reaches deadline_ns (at the
 * next timer interrupt if it already has). t must not be pending. */
void timer_add(struct timer *t, uint64_t deadline_ns, timer_fn fn);
/* Make sure t is not pending and its callback is not running (on any CPU)
 * when this returns; true if it was still pending. Never from t's own
 * callback. Afterwards the caller may reuse or free t. */
bool timer_cancel(struct timer *t);
