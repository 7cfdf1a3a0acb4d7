#include "blk_engine.h"
#include "../kernel/io.h"
#include "../kernel/clock.h"
#include "../kernel/console.h"
#include "../kernel/mm.h"
#include "../klib/errno.h"
#include "../klib/format.h"
#include "../klib/string.h"
#include "fw_cfg.h"

/* The request deadline: the host's opt/pith/disk-timeout (whole seconds)
 * when it gives a sane one, else BLK_ENGINE_TIMEOUT_NS. Asked once, at the
 * first probe (boot is single-threaded then). */
static uint64_t request_timeout_ns(void)
{
    static uint64_t known;
    if (known) return known;
    known = BLK_ENGINE_TIMEOUT_NS;
    char text[16];
    int64_t n = fw_cfg_read_file(BLK_ENGINE_TIMEOUT_FW_CFG, text, sizeof text);
    uint64_t seconds = 0;
    int64_t i = 0;
    for (; i < n && i < (int64_t)sizeof text && text[i] >= '0' && text[i] <= '9'; i++)
        seconds = seconds * 10 + (uint64_t)(text[i] - '0');
    if (n > 0 && i > 0 && i <= 4 && seconds >= 1 && seconds <= 3600) known = seconds * 1000000000ull;
    return known;
}

void blk_engine_init(struct blk_engine *e, const struct blk_engine_ops *ops, const char *name, unsigned ntags)
{
    memset(e, 0, sizeof *e);
    e->ops = ops;
    e->name = name;
    e->ntags = MIN(ntags, (unsigned)BLK_ENGINE_MAX_TAGS);
    e->timeout_ns = request_timeout_ns();
}

void blk_engine_describe(struct blk_engine *e, unsigned tag, const char *what, uint64_t where, void *buf,
                         uint64_t bytes)
{
    if (tag >= e->ntags) return;
    struct blk_tag *t = &e->tags[tag];
    t->what = what;
    t->where = where;
    t->buf = bytes ? buf : NULL;
    t->bytes = buf ? bytes : 0;
}

void blk_engine_use_interrupts(struct blk_engine *e) { e->irq_driven = true; }

/* A device that answers a request with an I/O error is worth a line, as
 * Linux logs every failed request; a dying disk must not flood the console,
 * so only the first few. Other answers (a SCSI scan's missing target, a
 * request to redo another way) are the driver's business. */
#define LOGGED_ERRORS_MAX 20

static void note_error_locked(struct blk_engine *e, int status)
{
    e->errors++;
    if (e->errors <= LOGGED_ERRORS_MAX)
        kprintf("%s: the device failed a request (error %d), %u so far%s\n", e->name, -status, e->errors,
                e->errors == LOGGED_ERRORS_MAX ? "; no more are logged" : "");
}

/* Called by the driver's drain, under the lock. A tag already abandoned (or
 * never handed out) is ignored: its waiter has gone. */
void blk_engine_finished(struct blk_engine *e, unsigned tag)
{
    if (tag >= e->ntags || e->tags[tag].state != TAG_BUSY) return;
    struct blk_tag *t = &e->tags[tag];
    int status = e->ops->complete(e, tag, t->cmd);
    if (status == -EIO) note_error_locked(e, status);   /* not a missing target's -ENODEV... */
    if (t->bio) {
        t->bio->status = status;
        bio_list_add(&e->finished, t->bio);
        t->bio = NULL;
        t->state = TAG_FREE;
        e->async_busy--;
    } else {
        t->status = status;
        t->state = TAG_DONE;
    }
}

/* A request the device never answered may still be carried out at any time:
 * the device may yet read its buffer, or write into it. So that memory must
 * never hold anything else. The tag (and with it the driver's per-tag DMA
 * memory: header, status byte, PRP list) stays taken for good, and every
 * page of the data buffer gets one more owner that is never dropped: when
 * the caller, who sees -EIO, frees the buffer, its pages leak instead of
 * going back to the page allocator. A deliberate leak, bounded by the
 * requests in flight when the device failed (at most 64 tags' worth).
 * What this cannot keep: a caller that goes on using the same memory (its
 * own cache page, a user buffer after read(2) failed) and a buffer smaller
 * than a page in a heap chunk the heap hands out again, which may then
 * be written by the late device; stopping the device's DMA for good (PCI
 * bus mastering off) would cover those, and is not done (docs/devices.md). */
static void keep_buffer_forever(struct blk_tag *t)
{
    if (!t->buf) return;
    uint64_t start = (uint64_t)t->buf & ~(uint64_t)(PAGE_SIZE - 1);
    uint64_t end = (uint64_t)t->buf + t->bytes;
    /* Only the direct map holds allocator pages; the kernel image is never
     * freed (and drivers hand the device nothing else). */
    for (uint64_t va = start; va < end && va >= DIRECT_MAP_BASE && va < MMIO_BASE; va += PAGE_SIZE)
        page_ref(virt_to_phys((void *)va));
}

/* The device stopped answering: fail everything it holds. */
static void abandon_all_locked(struct blk_engine *e)
{
    for (unsigned i = 0; i < e->ntags; i++) {
        struct blk_tag *t = &e->tags[i];
        if (t->state != TAG_BUSY) continue;
        t->state = TAG_ABANDONED;
        keep_buffer_forever(t);
        if (t->bio) {
            t->bio->status = -EIO;
            bio_list_add(&e->finished, t->bio);
            t->bio = NULL;
            e->async_busy--;
        }
    }
}

/* Take the device's answers, then fail everything if a request is overdue. */
static void reap_locked(struct blk_engine *e)
{
    e->ops->drain(e);
    uint64_t now = 0;
    for (unsigned i = 0; i < e->ntags && !e->broken; i++) {
        if (e->tags[i].state != TAG_BUSY) continue;
        if (!now) now = clock_monotonic_ns();
        if (now >= e->tags[i].deadline_ns) {
            /* One line for the whole device: every request after this one
             * fails at once without a word (Linux logs each, but it also
             * resets the device and tries again; here nothing comes back). */
            e->broken = true;
            const struct blk_tag *t = &e->tags[i];
            char what[48];
            if (!t->what)
                format_sn(what, sizeof what, "tag %u", i);
            else if (t->where == BLK_WHERE_NONE)
                format_sn(what, sizeof what, "%s", t->what);
            else
                format_sn(what, sizeof what, "%s %llu", t->what, (unsigned long long)t->where);
            kprintf("pith: disk %s: request (%s) did not complete in %llu s: device marked failed\n", e->name, what,
                    (unsigned long long)(e->timeout_ns / 1000000000ull));
        }
    }
    if (e->broken) abandon_all_locked(e);
}

static uint64_t earliest_deadline_locked(struct blk_engine *e)
{
    uint64_t d = WAIT_FOREVER;
    for (unsigned i = 0; i < e->ntags; i++)
        if (e->tags[i].state == TAG_BUSY && e->tags[i].deadline_ns < d) d = e->tags[i].deadline_ns;
    return d;
}

static bool any_busy_locked(struct blk_engine *e)
{
    for (unsigned i = 0; i < e->ntags; i++)
        if (e->tags[i].state == TAG_BUSY) return true;
    return false;
}

/* What a waiter is waiting for; every check reaps first, so a completion
 * that came before the sleep (or with no interrupt at all) is seen. */
struct wait_ctx {
    struct blk_engine *e;
    unsigned tag;           /* for tag_settled */
    unsigned finished_seen; /* for progress */
};

static bool tag_settled(void *arg)
{
    struct wait_ctx *w = arg;
    uint64_t irq = spin_lock_irqsave(&w->e->lock);
    reap_locked(w->e);
    bool settled = w->e->tags[w->tag].state != TAG_BUSY;
    spin_unlock_irqrestore(&w->e->lock, irq);
    return settled;
}

/* Something finished or failed since the waiter looked, or nothing is left
 * that could. */
static bool progress(void *arg)
{
    struct wait_ctx *w = arg;
    uint64_t irq = spin_lock_irqsave(&w->e->lock);
    reap_locked(w->e);
    bool moved = w->e->finished.head || w->e->broken || !any_busy_locked(w->e);
    for (unsigned i = 0; i < w->e->ntags && !moved; i++) moved = w->e->tags[i].state == TAG_FREE;
    spin_unlock_irqrestore(&w->e->lock, irq);
    return moved;
}

/* Sleep until the interrupt handler wakes us, or spin on the device where
 * no interrupt is wired. Either way cond has the last word; returning at
 * the deadline lets the caller's reap declare the request overdue. */
static void wait_for(struct blk_engine *e, bool (*cond)(void *), void *arg, uint64_t deadline_ns)
{
    if (e->irq_driven) {
        wait_until(&e->waiters, cond, arg, deadline_ns);
        return;
    }
    while (!cond(arg) && clock_monotonic_ns() < deadline_ns) cpu_relax();
}

static int claim_tag_locked(struct blk_engine *e)
{
    for (unsigned i = 0; i < e->ntags; i++)
        if (e->tags[i].state == TAG_FREE) {
            e->tags[i].state = TAG_BUSY;
            return (int)i;
        }
    return -1;
}

/* Take a tag and post cmd as a synchronous request, waiting for room while
 * other requests hold the tags or the device's queue. Returns the tag with
 * the lock held, or a negative errno with it dropped. */
static int post_sync(struct blk_engine *e, void *cmd, uint64_t *irq)
{
    for (;;) {
        if (e->broken) break;
        int tag = claim_tag_locked(e);
        if (tag >= 0) {
            struct blk_tag *t = &e->tags[tag];
            t->bio = NULL;
            t->cmd = cmd;
            t->deadline_ns = clock_monotonic_ns() + e->timeout_ns;
            int rc = e->ops->submit(e, (unsigned)tag, cmd);
            if (rc == 0) return tag;
            t->state = TAG_FREE;
            if (rc != -EAGAIN) {
                spin_unlock_irqrestore(&e->lock, *irq);
                return rc;
            }
        }
        if (!any_busy_locked(e)) break; /* nothing in flight will make room */
        struct wait_ctx w = {.e = e};
        uint64_t deadline = earliest_deadline_locked(e);
        spin_unlock_irqrestore(&e->lock, *irq);
        wait_for(e, progress, &w, deadline);
        *irq = spin_lock_irqsave(&e->lock);
        reap_locked(e);
    }
    spin_unlock_irqrestore(&e->lock, *irq);
    return -EIO;
}

int blk_engine_run(struct blk_engine *e, void *cmd)
{
    uint64_t irq = spin_lock_irqsave(&e->lock);
    int tag = post_sync(e, cmd, &irq);
    if (tag < 0) return tag;
    struct blk_tag *t = &e->tags[tag];
    while (t->state == TAG_BUSY) {
        struct wait_ctx w = {.e = e, .tag = (unsigned)tag};
        uint64_t deadline = t->deadline_ns;
        spin_unlock_irqrestore(&e->lock, irq);
        wait_for(e, tag_settled, &w, deadline);
        irq = spin_lock_irqsave(&e->lock);
        reap_locked(e);
    }
    int status = -EIO;
    if (t->state == TAG_DONE) {
        status = t->status;
        t->state = TAG_FREE;
    }
    t->cmd = NULL;
    spin_unlock_irqrestore(&e->lock, irq);
    return status;
}

int blk_engine_submit(struct blk_engine *e, struct bio *b, void *cmd)
{
    uint64_t irq = spin_lock_irqsave(&e->lock);
    int rc = -EIO;
    if (!e->broken) {
        int tag = claim_tag_locked(e);
        rc = -EAGAIN;
        if (tag >= 0) {
            struct blk_tag *t = &e->tags[tag];
            t->bio = b;
            t->cmd = NULL; /* the caller's cmd lives only during this call */
            t->deadline_ns = clock_monotonic_ns() + e->timeout_ns;
            rc = e->ops->submit(e, (unsigned)tag, cmd);
            if (rc == 0) {
                e->async_busy++;
            } else {
                t->bio = NULL;
                t->state = TAG_FREE;
            }
        }
    }
    spin_unlock_irqrestore(&e->lock, irq);
    return rc;
}

void blk_engine_finish_bio(struct blk_engine *e, struct bio *b, int status)
{
    uint64_t irq = spin_lock_irqsave(&e->lock);
    b->status = status;
    bio_list_add(&e->finished, b);
    spin_unlock_irqrestore(&e->lock, irq);
}

bool blk_engine_busy(struct blk_engine *e)
{
    uint64_t irq = spin_lock_irqsave(&e->lock);
    bool busy = e->async_busy > 0;
    spin_unlock_irqrestore(&e->lock, irq);
    return busy;
}

static bool bio_finished(void *arg)
{
    struct blk_engine *e = arg;
    uint64_t irq = spin_lock_irqsave(&e->lock);
    reap_locked(e);
    bool any = e->finished.head || e->async_busy == 0;
    spin_unlock_irqrestore(&e->lock, irq);
    return any;
}

int blk_engine_poll(struct blk_engine *e)
{
    uint64_t irq = spin_lock_irqsave(&e->lock);
    reap_locked(e);
    if (!e->finished.head && e->async_busy > 0) {
        uint64_t deadline = earliest_deadline_locked(e);
        spin_unlock_irqrestore(&e->lock, irq);
        wait_for(e, bio_finished, e, deadline);
        irq = spin_lock_irqsave(&e->lock);
        reap_locked(e);
    }
    struct bio_list done = e->finished;
    e->finished = (struct bio_list){0};
    spin_unlock_irqrestore(&e->lock, irq);
    /* Redos run synchronously, through the same engine, so never locked. */
    for (struct bio *b = done.head; b; b = b->next)
        if (b->status == BLK_STATUS_REDO) b->status = e->broken ? -EIO : e->ops->redo(e, b);
    return bio_list_complete(&done);
}

void blk_engine_interrupt(struct blk_engine *e)
{
    spin_lock(&e->lock);
    e->ops->drain(e);
    spin_unlock(&e->lock);
    wake_all(&e->waiters);
}
