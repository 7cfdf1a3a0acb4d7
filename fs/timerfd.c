/* timerfd (Linux's timerfd_create(2)): one timer-service entry per file,
 * owned by it. Expirations are counted by the entry's callback (from the
 * timer interrupt) and taken by read; an interval timer re-adds its own
 * entry, counting the periods it missed when it fires late, as Linux's
 * overrun. Pollers and blocked readers wait on one queue woken at each
 * expiration. Deadlines are kept on the monotonic clock: Pith's realtime
 * clock is monotonic plus a constant (it is never set), so a realtime
 * target converts once when armed. */
#include "timerfd.h"
#include "anon_ino.h"
#include "../kernel/mutex.h"
#include "../kernel/clock.h"
#include "../kernel/timer.h"
#include "../kernel/wait.h"
#include "../klib/errno.h"
#include "../klib/string.h"

#define CLOCK_REALTIME 0

struct timerfd {
    struct mutex setting;       /* one settime at a time: each cancels, then adds the one entry */
    struct spinlock lock;       /* everything below but timer and changed */
    int clock;
    uint64_t ticks;             /* expirations not yet read */
    bool armed;                 /* the entry may (re-)add itself */
    uint64_t next_ns;           /* monotonic time of the next expiration */
    uint64_t interval_ns;
    struct timer timer;
    struct wait_queue changed;  /* woken at each expiration */
};

static const struct file_ops timerfd_ops;

static struct timerfd *timerfd_of(struct file *f) { return f->ops == &timerfd_ops ? f->priv : NULL; }

static void expired(struct timer *t)
{
    struct timerfd *tf = container_of(t, struct timerfd, timer);
    uint64_t flags = spin_lock_irqsave(&tf->lock);
    /* Disarmed or re-armed since this entry was added: settime cancels
     * after clearing armed, so only a stale run gets here. */
    if (!tf->armed) {
        spin_unlock_irqrestore(&tf->lock, flags);
        return;
    }
    uint64_t now = clock_monotonic_ns();
    if (tf->interval_ns) {
        uint64_t periods = 1 + (now > tf->next_ns ? (now - tf->next_ns) / tf->interval_ns : 0);
        tf->ticks += periods;
        tf->next_ns += periods * tf->interval_ns;
        timer_add(&tf->timer, tf->next_ns, expired);
    } else {
        tf->ticks++;
        tf->armed = false;
    }
    spin_unlock_irqrestore(&tf->lock, flags);
    wake_all(&tf->changed);
}

static bool has_ticks(void *arg)
{
    struct timerfd *tf = arg;
    return __atomic_load_n(&tf->ticks, __ATOMIC_ACQUIRE) != 0;
}

static int64_t timerfd_read(struct file *f, void *buf, size_t n, uint64_t off)
{
    struct timerfd *tf = f->priv;
    if (n < sizeof(uint64_t)) return -EINVAL;
    for (;;) {
        uint64_t flags = spin_lock_irqsave(&tf->lock);
        uint64_t ticks = tf->ticks;
        tf->ticks = 0;
        spin_unlock_irqrestore(&tf->lock, flags);
        if (ticks) {
            memcpy(buf, &ticks, sizeof ticks);
            return sizeof ticks;
        }
        if (f->flags & O_NONBLOCK) return -EAGAIN;
        int r = wait_until(&tf->changed, has_ticks, tf, WAIT_FOREVER);
        if (r < 0) return r;
    }
}

static int64_t timerfd_write(struct file *f, const void *buf, size_t n, uint64_t off) { return -EINVAL; }

static uint32_t timerfd_poll(struct file *f, struct poll_table *pt)
{
    struct timerfd *tf = f->priv;
    poll_wait(pt, &tf->changed);
    return has_ticks(tf) ? POLLIN | POLLRDNORM : 0;
}

static int timerfd_stat(struct file *f, struct linux_stat *st)
{
    /* Linux's anonymous inode: no file type bits, owner read/write. */
    *st = (struct linux_stat){ .st_mode = 0600, .st_nlink = 1, .st_blksize = 4096, .st_ino = anon_ino(f->priv),
                               .st_dev = 0xd };
    return 0;
}

static int64_t timerfd_ioctl(struct file *f, uint64_t cmd, uint64_t arg) { return -ENOTTY; }

/* Stop the entry for good: no callback runs or is pending afterwards. */
static void disarm(struct timerfd *tf)
{
    uint64_t flags = spin_lock_irqsave(&tf->lock);
    tf->armed = false;
    spin_unlock_irqrestore(&tf->lock, flags);
    /* Without the lock: cancel waits for a running callback, which takes it. */
    timer_cancel(&tf->timer);
}

static void timerfd_release(struct file *f)
{
    disarm(f->priv);
    deallocate(f->heap, f->priv, sizeof(struct timerfd));
}

static const struct file_ops timerfd_ops = {
    .read = timerfd_read,
    .write = timerfd_write,
    .stat = timerfd_stat,
    .ioctl = timerfd_ioctl,
    .release = timerfd_release,
    .poll = timerfd_poll,
};

struct file *timerfd_create(struct heap *h, int clock, int flags)
{
    struct timerfd *tf = allocate_zero(h, sizeof *tf);
    if (!tf) return NULL;
    tf->clock = clock;
    struct file *f = file_new(h, &timerfd_ops, O_RDWR | (flags & O_NONBLOCK));
    if (!f) {
        deallocate(h, tf, sizeof *tf);
        return NULL;
    }
    f->priv = tf;
    f->priv_len = sizeof *tf;
    return f;
}

/* With tf->lock held. */
static void current_spec(struct timerfd *tf, struct timerfd_spec *out)
{
    uint64_t now = clock_monotonic_ns();
    out->interval_ns = tf->interval_ns;
    out->value_ns = 0;
    /* A due expiration the callback has not counted yet shows as 1 ns
     * left, as Linux's "about to fire" never reads 0 while armed. */
    if (tf->armed) out->value_ns = tf->next_ns > now ? tf->next_ns - now : 1;
}

long timerfd_get(struct file *f, struct timerfd_spec *cur)
{
    struct timerfd *tf = timerfd_of(f);
    if (!tf) return -EINVAL;
    uint64_t flags = spin_lock_irqsave(&tf->lock);
    current_spec(tf, cur);
    spin_unlock_irqrestore(&tf->lock, flags);
    return 0;
}

long timerfd_set(struct file *f, int flags, const struct timerfd_spec *spec, struct timerfd_spec *old)
{
    struct timerfd *tf = timerfd_of(f);
    if (!tf) return -EINVAL;
    mutex_lock(&tf->setting);
    uint64_t irq = spin_lock_irqsave(&tf->lock);
    if (old) current_spec(tf, old);
    spin_unlock_irqrestore(&tf->lock, irq);
    disarm(tf);

    irq = spin_lock_irqsave(&tf->lock);
    tf->ticks = 0;
    tf->interval_ns = spec->interval_ns;
    if (spec->value_ns) {
        uint64_t now = clock_monotonic_ns(), target = spec->value_ns;
        if (!(flags & TFD_TIMER_ABSTIME)) target = now + (target < UINT64_MAX - now ? target : UINT64_MAX - now - 1);
        else if (tf->clock == CLOCK_REALTIME) {
            uint64_t real = clock_realtime_ns();
            target = target > real ? now + (target - real) : now;
        }
        tf->next_ns = target;
        tf->armed = true;
        timer_add(&tf->timer, target, expired);
    }
    spin_unlock_irqrestore(&tf->lock, irq);
    mutex_unlock(&tf->setting);
    return 0;
}
