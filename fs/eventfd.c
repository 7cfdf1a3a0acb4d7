/* eventfd (Linux's eventfd(2)): read waits for a non-zero count and takes
 * all of it (or 1 with EFD_SEMAPHORE); write adds, waiting while the sum
 * would pass 0xfffffffffffffffe. One queue serves blocked readers, blocked
 * writers and pollers: every change of the count may help each of them. */
#include "eventfd.h"
#include "anon_ino.h"
#include "../kernel/wait.h"
#include "../klib/errno.h"
#include "../klib/string.h"

#define EVENTFD_MAX (UINT64_MAX - 1)

struct eventfd {
    struct spinlock lock;
    uint64_t count;
    bool semaphore;
    struct wait_queue changed;
};

static struct eventfd *eventfd_of(struct file *f) { return f->priv; }

static bool readable(void *arg)
{
    struct eventfd *e = arg;
    return __atomic_load_n(&e->count, __ATOMIC_ACQUIRE) != 0;
}

static int64_t eventfd_read(struct file *f, void *buf, size_t n, uint64_t off)
{
    struct eventfd *e = eventfd_of(f);
    if (n < sizeof(uint64_t)) return -EINVAL;
    for (;;) {
        uint64_t irq = spin_lock_irqsave(&e->lock);
        if (e->count) {
            uint64_t v = e->semaphore ? 1 : e->count;
            e->count -= v;
            spin_unlock_irqrestore(&e->lock, irq);
            wake_all(&e->changed);
            memcpy(buf, &v, sizeof v);
            return sizeof v;
        }
        spin_unlock_irqrestore(&e->lock, irq);
        if (f->flags & O_NONBLOCK) return -EAGAIN;
        int r = wait_until(&e->changed, readable, e, WAIT_FOREVER);
        if (r) return r;    /* a signal: EINTR or a restart (kernel/signal.c) */
    }
}

struct room {
    struct eventfd *e;
    uint64_t add;
};

static bool has_room(void *arg)
{
    struct room *r = arg;
    return EVENTFD_MAX - __atomic_load_n(&r->e->count, __ATOMIC_ACQUIRE) >= r->add;
}

static int64_t eventfd_write(struct file *f, const void *buf, size_t n, uint64_t off)
{
    struct eventfd *e = eventfd_of(f);
    if (n < sizeof(uint64_t)) return -EINVAL;
    uint64_t add;
    memcpy(&add, buf, sizeof add);
    if (add == UINT64_MAX) return -EINVAL;
    for (;;) {
        uint64_t irq = spin_lock_irqsave(&e->lock);
        if (EVENTFD_MAX - e->count >= add) {
            e->count += add;
            spin_unlock_irqrestore(&e->lock, irq);
            if (add) wake_all(&e->changed);
            return sizeof add;
        }
        spin_unlock_irqrestore(&e->lock, irq);
        if (f->flags & O_NONBLOCK) return -EAGAIN;
        struct room r = { e, add };
        int w = wait_until(&e->changed, has_room, &r, WAIT_FOREVER);
        if (w) return w;    /* a signal: EINTR or a restart (kernel/signal.c) */
    }
}

static uint32_t eventfd_poll(struct file *f, struct poll_table *pt)
{
    struct eventfd *e = eventfd_of(f);
    poll_wait(pt, &e->changed);
    uint64_t count = __atomic_load_n(&e->count, __ATOMIC_ACQUIRE);
    uint32_t mask = 0;
    if (count) mask |= POLLIN | POLLRDNORM;
    if (count == UINT64_MAX) mask |= POLLERR;   /* as Linux; write never gets there */
    if (count < EVENTFD_MAX) mask |= POLLOUT | POLLWRNORM;
    return mask;
}

static int eventfd_stat(struct file *f, struct linux_stat *st)
{
    /* Linux's anonymous inode: no file type bits, owner read/write. */
    *st = (struct linux_stat){ .st_mode = 0600, .st_nlink = 1, .st_blksize = 4096, .st_ino = anon_ino(f->priv),
                               .st_dev = 0xd };
    return 0;
}

static int64_t eventfd_ioctl(struct file *f, uint64_t cmd, uint64_t arg) { return -ENOTTY; }

static void eventfd_release(struct file *f)
{
    deallocate(f->heap, f->priv, sizeof(struct eventfd));
}

static const struct file_ops eventfd_ops = {
    .read = eventfd_read,
    .write = eventfd_write,
    .stat = eventfd_stat,
    .ioctl = eventfd_ioctl,
    .release = eventfd_release,
    .poll = eventfd_poll,
};

struct file *eventfd_create(struct heap *h, uint64_t initval, int flags)
{
    struct eventfd *e = allocate_zero(h, sizeof *e);
    if (!e) return NULL;
    e->count = initval;
    e->semaphore = (flags & EFD_SEMAPHORE) != 0;
    struct file *f = file_new(h, &eventfd_ops, O_RDWR | (flags & O_NONBLOCK));
    if (!f) {
        deallocate(h, e, sizeof *e);
        return NULL;
    }
    f->priv = e;
    f->priv_len = sizeof *e;
    return f;
}
