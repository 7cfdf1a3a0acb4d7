/* Waiting on many queues at once: poll, select and epoll. A poll table has
 * one sleeper (the waiter that owns the deadline and sleeps) and an entry
 * per queue it watches; each entry is a listener (kernel/wait.h) on one
 * queue, and a wake of any of them wakes the sleeper. Files name the
 * queues whose wakes may change their readiness by calling poll_wait from
 * their poll operation (fs/vfs.h); they keep no second mechanism.
 *
 * The no-lost-wakeup order is wait.h's, for the whole set: poll_table_rearm
 * (forget earlier wakes), then ask every file (the first pass also
 * registers the entries), then poll_table_sleep; repeat. Entries stay on
 * their queues until poll_table_end, so later passes register nothing. */
#pragma once
#include "wait.h"
#include "../klib/heap.h"

/* Readiness bits, Linux's values (poll(2); epoll uses the same). */
#define POLLIN 0x001
#define POLLPRI 0x002
#define POLLOUT 0x004
#define POLLERR 0x008
#define POLLHUP 0x010
#define POLLNVAL 0x020
#define POLLRDNORM 0x040
#define POLLRDBAND 0x080
#define POLLWRNORM 0x100
#define POLLWRBAND 0x200
#define POLLMSG 0x400
#define POLLRDHUP 0x2000

struct poll_table;

struct poll_entry {
    struct waiter listener;     /* on queue until poll_table_end */
    struct wait_queue *queue;
    struct poll_table *table;
    struct poll_entry *next;
};

struct poll_table {
    struct waiter sleeper;      /* deadline and sleep; on no queue */
    struct heap *heap;          /* entries come from here */
    struct poll_entry *entries;
    bool registering;           /* poll_wait adds entries (first pass only) */
    int error;                  /* -ENOMEM when an entry could not be added */
    /* What a wake of an entry does: NULL wakes the sleeper; epoll's
     * per-item tables mark the item instead (fs/epoll.c). Runs under the
     * woken queue's lock: must not sleep. A table with notify never sleeps
     * and has no deadline or thread. */
    void (*notify)(struct poll_table *pt);
};

void poll_table_init(struct poll_table *pt, struct heap *h, uint64_t deadline_ns, void (*notify)(struct poll_table *));
/* Called by a file's poll operation for each queue its producers wake when
 * its readiness may change. pt NULL (a check that will not wait) or past
 * the first pass: nothing to do. */
void poll_wait(struct poll_table *pt, struct wait_queue *q);
void poll_table_rearm(struct poll_table *pt);
/* Sleep unless an entry was woken since poll_table_rearm: 0 after a wake
 * (check again), -ETIMEDOUT once the deadline has passed. */
int poll_table_sleep(struct poll_table *pt);
/* Take every entry off its queue and free it; cancel the deadline. */
void poll_table_end(struct poll_table *pt);

/* The whole wait for poll, select and epoll_wait: check(arg, pt) until it
 * returns non-zero (a count, or a negative errno); 0 once deadline_ns
 * passes. deadline_ns POLL_NO_WAIT checks once, registering nothing. */
#define POLL_NO_WAIT 0
long poll_until(struct heap *h, long (*check)(void *arg, struct poll_table *pt), void *arg, uint64_t deadline_ns);
