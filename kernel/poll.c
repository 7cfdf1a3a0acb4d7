/* Poll tables (kernel/poll.h): one sleeper, many listeners. */
#include "poll.h"
#include "../klib/errno.h"

static void entry_woken(struct waiter *w)
{
    struct poll_entry *e = container_of(w, struct poll_entry, listener);
    struct poll_table *pt = e->table;
    if (pt->notify) pt->notify(pt);
    else wake_waiter(&pt->sleeper);
}

void poll_table_init(struct poll_table *pt, struct heap *h, uint64_t deadline_ns, void (*notify)(struct poll_table *))
{
    *pt = (struct poll_table){ .heap = h, .registering = true, .notify = notify };
    /* A table with notify never sleeps: an epoll item's watch outlives the
     * epoll_ctl that made it, and the thread too. It is nobody's wait, so
     * it must not become the thread's `waiting`: a signal sent later would
     * "end" that instead of interrupting the thread where it runs (and
     * item_free would look at a thread that may be gone). */
    if (notify) pt->sleeper = (struct waiter){ .deadline_ns = WAIT_FOREVER };
    else wait_begin(&pt->sleeper, deadline_ns);
}

void poll_wait(struct poll_table *pt, struct wait_queue *q)
{
    if (!pt || !pt->registering) return;
    struct poll_entry *e = allocate_zero(pt->heap, sizeof *e);
    if (!e) {
        pt->error = -ENOMEM;
        return;
    }
    e->queue = q;
    e->table = pt;
    e->listener.thread = pt->sleeper.thread;
    e->listener.deadline_ns = WAIT_FOREVER;
    e->listener.notify = entry_woken;
    e->next = pt->entries;
    pt->entries = e;
    wait_enqueue(q, &e->listener);
}

void poll_table_rearm(struct poll_table *pt)
{
    wait_enqueue(NULL, &pt->sleeper);
}

int poll_table_sleep(struct poll_table *pt)
{
    pt->registering = false;
    return wait_sleep(&pt->sleeper);
}

void poll_table_end(struct poll_table *pt)
{
    while (pt->entries) {
        struct poll_entry *e = pt->entries;
        pt->entries = e->next;
        /* wait_end takes the queue's lock: a notify running on another
         * CPU is done with e once it returns. */
        wait_end(e->queue, &e->listener);
        deallocate(pt->heap, e, sizeof *e);
    }
    wait_end(NULL, &pt->sleeper);
}

long poll_until(struct heap *h, long (*check)(void *arg, struct poll_table *pt), void *arg, uint64_t deadline_ns)
{
    if (deadline_ns == POLL_NO_WAIT) return check(arg, NULL);
    struct poll_table pt;
    poll_table_init(&pt, h, deadline_ns, NULL);
    long r;
    for (;;) {
        poll_table_rearm(&pt);
        r = check(arg, &pt);
        if (r) break;
        if (pt.error) {
            r = pt.error;
            break;
        }
        int s = poll_table_sleep(&pt);
        if (s == -ETIMEDOUT) {
            r = check(arg, &pt);   /* as Linux: one last look once time is up */
            break;
        }
        if (s) {
            r = s;
            break;
        }
    }
    poll_table_end(&pt);
    return r;
}
