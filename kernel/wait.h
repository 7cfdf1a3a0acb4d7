/* Blocking: the one way kernel code waits for something to happen. A wait
 * queue is a list of waiters; whoever makes the awaited thing happen wakes
 * the queue. Rules (docs/locking.md): a waiter enqueues itself, then checks
 * its condition, then sleeps; a waker changes the condition, then wakes.
 * Then a wake can never fall between the check and the sleep. */
#pragma once
#include "../klib/types.h"
#include "spinlock.h"
#include "timer.h"

/* A deadline that never comes. */
#define WAIT_FOREVER UINT64_MAX

struct thread;

struct waiter {
    struct waiter *next;        /* in queue, oldest first */
    struct wait_queue *queue;   /* the queue it is on; NULL once a waker took it off */
    struct thread *thread;      /* whom a wake makes runnable (the scheduler's) */
    bool wake_pending;          /* woken (or deadline passed) since it last enqueued */
    uint64_t deadline_ns;       /* monotonic; WAIT_FOREVER for none */
    struct timer timeout;       /* fires at deadline_ns */
    /* Set: a listener. wake_up calls notify (under the queue lock, so it
     * must not sleep) and leaves it on the queue, not counted in max: poll
     * and epoll watch many queues this way (kernel/poll.h). */
    void (*notify)(struct waiter *w);
    bool uninterruptible;       /* signals do not end this wait (a mutex's) */
    /* The thread's signal-interruptible wait this one nests in (a page
     * fault inside a futex wait reads the disk), back in charge when this
     * one ends: kernel/signal.c's signal_wait_begin/end. */
    struct waiter *outer;
};

struct wait_queue {
    struct spinlock lock;       /* guards the list and every member's queue/wake_pending */
    struct waiter *first;
};

/* The whole wait, for most callers: returns 0 once cond(arg) holds,
 * -ETIMEDOUT when the monotonic clock reaches deadline_ns first (and later
 * -EINTR for a signal). cond runs with interrupts on and no wait lock held;
 * it takes the locks its data needs. q may be NULL with cond NULL: a plain
 * sleep until the deadline. */
int wait_until(struct wait_queue *q, bool (*cond)(void *), void *arg, uint64_t deadline_ns);

/* The same in steps, for callers whose condition is "a waker took me off
 * the queue" (futex): wait_begin; wait_enqueue; check; then wait_sleep until
 * it says stop or waiter_dequeued; wait_end always. */
void wait_begin(struct waiter *w, uint64_t deadline_ns);
/* The same, no deadline, and a signal does not end it: for waits that
 * always end soon by themselves (a mutex held by a thread that runs). */
void wait_begin_uninterruptible(struct waiter *w);
/* A place on a queue for a waiter that sleeps elsewhere (futex_waitv's
 * words: their wakes go to one sleeper): no deadline, and it is not the
 * thread's signal wait, which stays the sleeper's. */
void wait_begin_member(struct waiter *w);
/* (Re)join q unless already on it, and forget earlier wakes: the caller
 * checks its condition after this, never before. */
void wait_enqueue(struct wait_queue *q, struct waiter *w);
/* Sleep unless woken since wait_enqueue: 0 after any wake (the caller
 * re-checks; it may be spurious), -ETIMEDOUT once the deadline has passed,
 * without sleeping. */
int wait_sleep(struct waiter *w);
/* True once a waker took w off its queue (wake_up). */
bool waiter_dequeued(struct waiter *w);
/* Leave q (if still on it) and cancel the deadline: w may then go away. */
void wait_end(struct wait_queue *q, struct waiter *w);

/* Wake up to max waiters, oldest first, that match(w, arg) accepts (all
 * when match is NULL), taking them off q; returns how many. Safe from
 * interrupt handlers. */
unsigned wake_up(struct wait_queue *q, unsigned max, bool (*match)(struct waiter *, void *), void *arg);
static inline void wake_all(struct wait_queue *q) { wake_up(q, UINT32_MAX, NULL, NULL); }
/* Wake one waiter that is on no queue (a poll table's sleeper, from a
 * listener's notify): it stops sleeping, or does not start. */
void wake_waiter(struct waiter *w);
