/* epoll: an interest list of (fd, file) items. Each item keeps a poll table
 * of its own whose listeners stay on the target's queues while the item
 * exists; a wake marks the item signalled and wakes the instance's
 * `readiness` queue, where epoll_wait (and a poll of the epoll fd) waits.
 * Readiness itself is always asked of the file again (its poll op), so
 * level-triggered items report while the condition holds; edge-triggered
 * ones only after a wake since they last reported; EPOLLONESHOT items
 * report once, until EPOLL_CTL_MOD arms them again.
 *
 * Only items that may be ready are looked at: the ready list holds each
 * item woken since it was last found not ready (and every new or modified
 * one), so epoll_wait over many idle files costs nothing per idle file, as
 * on Linux. Taking an item off the list clears its on_ready flag before its
 * file is asked, so a wake after the question puts it back; a
 * level-triggered item that reported goes back at the end of the list.
 *
 * An item holds no reference to its file (else closing the last fd of a
 * pipe's write end would never be EOF); instead the file lists its items
 * (file->epoll_items) and its last file_put removes them, as Linux does.
 *
 * Locks (docs/locking.md): links_lock (global) guards every file's item
 * list; then epoll.lock guards one instance's list and its items' events,
 * data and disarmed; the targets' own locks come after (their poll ops run
 * under epoll.lock). A notify only sets `signalled` and wakes `readiness`:
 * target queue lock -> readiness lock; ready_lock is a leaf under all of
 * them (a notify takes it under the target's queue lock). */
#include "epoll.h"
#include "anon_ino.h"
#include "../klib/errno.h"

struct epoll_item {
    struct epoll_item *next;        /* in the epoll's list */
    struct epoll_item *file_next;   /* in the file's list */
    struct epoll *ep;
    int fd;
    struct file *file;
    uint32_t events;
    uint64_t data;
    bool signalled;             /* woken since it last reported (EPOLLET) */
    bool on_ready;              /* on the ready list (ready_lock) */
    struct epoll_item *ready_next;
    struct epoll_item *again_next;  /* a collect's own list (under epoll.lock) */
    bool disarmed;              /* EPOLLONESHOT reported; MOD arms it */
    struct poll_table watch;
};

struct epoll {
    struct heap *heap;
    struct spinlock lock;
    struct epoll_item *items;   /* in the order they were added */
    struct wait_queue readiness;
    struct spinlock ready_lock; /* the ready list and every item's on_ready, ready_next */
    struct epoll_item *ready_first, *ready_last;
};

static struct spinlock links_lock;
static const struct file_ops epoll_ops;

static struct epoll *epoll_of(struct file *f) { return f->priv; }

/* Put it at the end of the ready list unless it is on it. */
static void ready_add(struct epoll_item *it)
{
    struct epoll *ep = it->ep;
    uint64_t irq = spin_lock_irqsave(&ep->ready_lock);
    if (!it->on_ready) {
        it->on_ready = true;
        it->ready_next = NULL;
        if (ep->ready_last) ep->ready_last->ready_next = it;
        else ep->ready_first = it;
        ep->ready_last = it;
    }
    spin_unlock_irqrestore(&ep->ready_lock, irq);
}

/* The first item of the ready list, off it (on_ready cleared), or NULL. */
static struct epoll_item *ready_take(struct epoll *ep)
{
    uint64_t irq = spin_lock_irqsave(&ep->ready_lock);
    struct epoll_item *it = ep->ready_first;
    if (it) {
        ep->ready_first = it->ready_next;
        if (!ep->ready_first) ep->ready_last = NULL;
        it->ready_next = NULL;
        it->on_ready = false;
    }
    spin_unlock_irqrestore(&ep->ready_lock, irq);
    return it;
}

static void ready_remove(struct epoll_item *it)
{
    struct epoll *ep = it->ep;
    uint64_t irq = spin_lock_irqsave(&ep->ready_lock);
    if (it->on_ready) {
        struct epoll_item **p = &ep->ready_first, *before = NULL;
        while (*p && *p != it) {
            before = *p;
            p = &(*p)->ready_next;
        }
        if (*p) {
            *p = it->ready_next;
            if (ep->ready_last == it) ep->ready_last = before;
        }
        it->on_ready = false;
    }
    spin_unlock_irqrestore(&ep->ready_lock, irq);
}

static void item_woken(struct poll_table *pt)
{
    struct epoll_item *it = container_of(pt, struct epoll_item, watch);
    __atomic_store_n(&it->signalled, true, __ATOMIC_RELEASE);
    ready_add(it);
    wake_all(&it->ep->readiness);
}

static void item_free(struct epoll_item *it)
{
    struct heap *h = it->ep->heap;
    poll_table_end(&it->watch);     /* no notify after this */
    ready_remove(it);
    deallocate(h, it, sizeof *it);
}

static void unlink_from_file(struct epoll_item *it)
{
    for (struct epoll_item **p = &it->file->epoll_items; *p; p = &(*p)->file_next) {
        if (*p == it) {
            *p = it->file_next;
            return;
        }
    }
}

static struct epoll_item **find(struct epoll *ep, int fd, struct file *file)
{
    struct epoll_item **p = &ep->items;
    while (*p && !((*p)->fd == fd && (*p)->file == file)) p = &(*p)->next;
    return p;
}

/* What an item reports now: its events that hold, with ERR and HUP always
 * of interest; 0 while disarmed or (edge-triggered) not woken. consume: a
 * report is being made (clear the edge, disarm a one-shot). */
static uint32_t item_ready(struct epoll_item *it, bool consume)
{
    if (it->disarmed) return 0;
    if (it->events & EPOLLET) {
        if (!__atomic_load_n(&it->signalled, __ATOMIC_ACQUIRE)) return 0;
        /* Cleared before asking the file: a wake after this sets it again. */
        if (consume) __atomic_store_n(&it->signalled, false, __ATOMIC_RELEASE);
    }
    uint32_t mask = file_poll(it->file, NULL) & (it->events | EPOLLERR | EPOLLHUP);
    if (mask && consume && (it->events & EPOLLONESHOT)) it->disarmed = true;
    return mask;
}

/* Whether epoll `from` watches `to`, directly or through nested epolls:
 * adding from to `to` would make a cycle (ELOOP, as too deep a nest is on
 * Linux). Called with links_lock held, which keeps every item listed. */
static bool reaches(struct file *from, struct file *to, int depth)
{
    if (depth > 4) return true;
    for (struct epoll_item *it = epoll_of(from)->items; it; it = it->next) {
        if (it->file == to) return true;
        if (file_is_epoll(it->file) && reaches(it->file, to, depth + 1)) return true;
    }
    return false;
}

int epoll_control(struct file *epf, int op, int fd, struct file *target, const struct epoll_event *ev)
{
    struct epoll *ep = epoll_of(epf);
    struct epoll_item *fresh = NULL, *gone = NULL;
    if (op == EPOLL_CTL_ADD) {
        /* Listeners first, off every lock (registering allocates). A wake
         * before the item is listed only marks it and wakes readiness. */
        fresh = allocate_zero(ep->heap, sizeof *fresh);
        if (!fresh) return -ENOMEM;
        *fresh = (struct epoll_item){ .ep = ep, .fd = fd, .file = target, .events = ev->events, .data = ev->data,
                                      .signalled = true };
        poll_table_init(&fresh->watch, ep->heap, WAIT_FOREVER, item_woken);
        file_poll(target, &fresh->watch);
        fresh->watch.registering = false;
        if (fresh->watch.error) {
            int e = fresh->watch.error;
            item_free(fresh);
            return e;
        }
    }
    uint64_t irq = spin_lock_irqsave(&links_lock);
    bool loops = op == EPOLL_CTL_ADD && file_is_epoll(target) && reaches(target, epf, 1);
    spin_lock(&ep->lock);
    struct epoll_item **link = find(ep, fd, target), *it = *link;
    int r = 0;
    switch (loops ? -1 : op) {
    case -1:
        r = -ELOOP;
        break;
    case EPOLL_CTL_ADD:
        if (it) {
            r = -EEXIST;
            break;
        }
        *link = fresh;
        fresh->file_next = target->epoll_items;
        target->epoll_items = fresh;
        ready_add(fresh);   /* its first epoll_wait asks the file */
        fresh = NULL;
        break;
    case EPOLL_CTL_MOD:
        if (!it) r = -ENOENT;
        else if (it->events & EPOLLEXCLUSIVE) r = -EINVAL;
        else {
            it->events = ev->events;
            it->data = ev->data;
            it->disarmed = false;
            __atomic_store_n(&it->signalled, true, __ATOMIC_RELEASE);
            ready_add(it);
        }
        break;
    case EPOLL_CTL_DEL:
        if (!it) r = -ENOENT;
        else {
            *link = it->next;
            unlink_from_file(it);
            gone = it;
        }
        break;
    default:
        r = -EINVAL;
    }
    spin_unlock(&ep->lock);
    spin_unlock_irqrestore(&links_lock, irq);
    if (gone) item_free(gone);
    if (fresh) item_free(fresh);
    if (r == 0 && op != EPOLL_CTL_DEL) wake_all(&ep->readiness);   /* an epoll watching this one re-checks */
    return r;
}

void epoll_file_closing(struct file *f)
{
    uint64_t irq = spin_lock_irqsave(&links_lock);
    while (f->epoll_items) {
        struct epoll_item *it = f->epoll_items;
        f->epoll_items = it->file_next;
        spin_lock(&it->ep->lock);
        *find(it->ep, it->fd, it->file) = it->next;
        spin_unlock(&it->ep->lock);
        item_free(it);
    }
    spin_unlock_irqrestore(&links_lock, irq);
}

struct collect {
    struct file *epf;
    struct epoll_event *out;
    int max;
};

static long collect_ready(void *arg, struct poll_table *pt)
{
    struct collect *c = arg;
    struct epoll *ep = epoll_of(c->epf);
    poll_wait(pt, &ep->readiness);
    int n = 0;
    uint64_t irq = spin_lock_irqsave(&ep->lock);
    /* Level-triggered items that reported stay candidates: back on the
     * list after this pass, so one call does not see them twice. */
    struct epoll_item *again = NULL, **again_end = &again, *it;
    while (n < c->max && (it = ready_take(ep))) {
        uint32_t mask = item_ready(it, true);
        if (!mask) continue;    /* not ready: off the list until its next wake */
        c->out[n++] = (struct epoll_event){ .events = mask, .data = it->data };
        if (!(it->events & EPOLLET) && !it->disarmed) {
            *again_end = it;
            again_end = &it->again_next;
            *again_end = NULL;
        }
    }
    for (it = again; it; it = it->again_next) ready_add(it);
    spin_unlock_irqrestore(&ep->lock, irq);
    return n;
}

long epoll_collect(struct file *epf, struct epoll_event *out, int max, uint64_t deadline_ns)
{
    struct collect c = { epf, out, max };
    return poll_until(epoll_of(epf)->heap, collect_ready, &c, deadline_ns);
}

/* An epoll fd is readable when epoll_wait would report something. */
static uint32_t epoll_poll(struct file *epf, struct poll_table *pt)
{
    struct epoll *ep = epoll_of(epf);
    poll_wait(pt, &ep->readiness);
    uint32_t mask = 0;
    uint64_t irq = spin_lock_irqsave(&ep->lock);
    for (struct epoll_item *it = ep->items; it && !mask; it = it->next)
        if (item_ready(it, false)) mask = POLLIN | POLLRDNORM;
    spin_unlock_irqrestore(&ep->lock, irq);
    return mask;
}

static int epoll_stat(struct file *f, struct linux_stat *st)
{
    *st = (struct linux_stat){ .st_mode = 0600, .st_nlink = 1, .st_blksize = 4096, .st_ino = anon_ino(f->priv),
                               .st_dev = 0xd };
    return 0;
}

static int64_t epoll_no_io(struct file *f, void *buf, size_t n, uint64_t off) { return -EINVAL; }
static int64_t epoll_no_write(struct file *f, const void *buf, size_t n, uint64_t off) { return -EINVAL; }
static int64_t epoll_ioctl(struct file *f, uint64_t cmd, uint64_t arg) { return -ENOTTY; }

static void epoll_release(struct file *f)
{
    struct epoll *ep = epoll_of(f);
    uint64_t irq = spin_lock_irqsave(&links_lock);
    while (ep->items) {
        struct epoll_item *it = ep->items;
        ep->items = it->next;
        unlink_from_file(it);
        item_free(it);
    }
    spin_unlock_irqrestore(&links_lock, irq);
    deallocate(ep->heap, ep, sizeof *ep);
}

static const struct file_ops epoll_ops = {
    .read = epoll_no_io,
    .write = epoll_no_write,
    .stat = epoll_stat,
    .ioctl = epoll_ioctl,
    .release = epoll_release,
    .poll = epoll_poll,
};

bool file_is_epoll(const struct file *f) { return f->ops == &epoll_ops; }

struct file *epoll_create(struct heap *h)
{
    struct epoll *ep = allocate_zero(h, sizeof *ep);
    if (!ep) return NULL;
    ep->heap = h;
    struct file *f = file_new(h, &epoll_ops, O_RDWR);
    if (!f) {
        deallocate(h, ep, sizeof *ep);
        return NULL;
    }
    f->priv = ep;
    f->priv_len = sizeof *ep;
    return f;
}
