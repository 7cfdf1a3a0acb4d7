/* Helpers for asynchronous block requests (fs/blockdev.h), shared by the
 * kernel and the host tools. Waiting is polling: the kernel has one CPU and
 * no scheduler, and drivers bound every request with their own timeout, so a
 * poll loop always ends. */
#include "blockdev.h"
#include "../klib/errno.h"

void bio_list_add(struct bio_list *l, struct bio *b)
{
    b->next = NULL;
    if (l->tail) l->tail->next = b;
    else l->head = b;
    l->tail = b;
}

int bio_list_complete(struct bio_list *l)
{
    struct bio *b = l->head;
    l->head = l->tail = NULL;
    int n = 0;
    while (b) {
        struct bio *next = b->next;   /* done may reuse b */
        if (b->done) b->done(b, b->ctx);
        n++;
        b = next;
    }
    return n;
}

void blockdev_run_sync(struct blockdev *dev, struct bio *b)
{
    int rc;
    if (b->write) rc = dev->write ? dev->write(dev, b->sector, b->buf, b->count) : -EROFS;
    else rc = dev->read(dev, b->sector, b->buf, b->count);
    b->status = rc > 0 ? -EIO : rc;
}

int blockdev_submit(struct blockdev *dev, struct bio *b)
{
    if (dev->submit) return dev->submit(dev, b);
    blockdev_run_sync(dev, b);
    if (b->done) b->done(b, b->ctx);
    return 0;
}

int blockdev_poll(struct blockdev *dev) { return dev->poll ? dev->poll(dev) : 0; }

/* Counts the completions of one chunk of a blockdev_submit_all call. */
struct batch {
    size_t left;
};

struct batch_hook {
    bio_done_fn done;
    void *ctx;
};

static void batch_done(struct bio *b, void *ctx)
{
    struct batch *bt = ctx;
    bt->left--;
    (void)b;
}

int blockdev_submit_all(struct blockdev *dev, struct bio *bios, size_t n)
{
    /* While in flight the batch owns done/ctx (to count completions); the
     * caller's are kept on the stack, a chunk at a time, and run after. */
    enum { CHUNK = 64 };
    struct batch_hook hooks[CHUNK];
    int first_error = 0;
    for (size_t base = 0; base < n; base += CHUNK) {
        size_t m = MIN((size_t)CHUNK, n - base);
        struct batch bt = { .left = m };
        for (size_t i = 0; i < m; i++) {
            struct bio *b = &bios[base + i];
            hooks[i] = (struct batch_hook){ b->done, b->ctx };
            b->done = batch_done;
            b->ctx = &bt;
            b->status = 0;
        }
        size_t next = 0;
        while (bt.left > 0) {
            while (next < m) {
                struct bio *b = &bios[base + next];
                if (blockdev_submit(dev, b) == -EAGAIN) {
                    /* A queue too small for this bio even when idle would
                     * refuse it forever: do it the synchronous way. */
                    if (m - bt.left != next) break;
                    blockdev_run_sync(dev, b);
                    batch_done(b, &bt);
                }
                next++;
            }
            if (bt.left > 0) blockdev_poll(dev);
        }
        for (size_t i = 0; i < m; i++) {
            struct bio *b = &bios[base + i];
            b->done = hooks[i].done;
            b->ctx = hooks[i].ctx;
            if (b->status && !first_error) first_error = b->status;
            if (b->done) b->done(b, b->ctx);
        }
    }
    return first_error;
}
