/* timerfd_create, timerfd_settime, timerfd_gettime: the timer is fs/timerfd.c. */
#include "syscalls.h"
#include "../fs/timerfd.h"
#include "../kernel/process.h"
#include "../kernel/usercopy.h"
#include "timeout.h"

#define CLOCK_REALTIME 0
#define CLOCK_MONOTONIC 1
#define CLOCK_BOOTTIME 7
#define CLOCK_REALTIME_ALARM 8
#define CLOCK_BOOTTIME_ALARM 9

struct itimerspec_user {
    struct timespec_user interval, value;
};

long sys_timerfd_create(int clock, int flags)
{
    if (flags & ~(TFD_NONBLOCK | TFD_CLOEXEC)) return -EINVAL;
    if (clock == CLOCK_REALTIME_ALARM || clock == CLOCK_BOOTTIME_ALARM) return -EPERM;   /* needs CAP_WAKE_ALARM */
    if (clock != CLOCK_REALTIME && clock != CLOCK_MONOTONIC && clock != CLOCK_BOOTTIME) return -EINVAL;
    struct process *p = current_process();
    struct file *f = timerfd_create(p->heap, clock, flags);
    if (!f) return -ENOMEM;
    f->path = "anon_inode:[timerfd]";
    int fd = fd_install(&p->fds, f, 0, (flags & TFD_CLOEXEC) != 0);
    file_put(f);
    return fd;
}

static void to_user(struct itimerspec_user *u, const struct timerfd_spec *s)
{
    u->interval = (struct timespec_user){ s->interval_ns / NSEC_PER_SEC, s->interval_ns % NSEC_PER_SEC };
    u->value = (struct timespec_user){ s->value_ns / NSEC_PER_SEC, s->value_ns % NSEC_PER_SEC };
}

static uint64_t ns_of(struct timespec_user t)
{
    /* Past ~292 years: a deadline that never comes, not an overflow. */
    if ((uint64_t)t.sec >= UINT64_MAX / NSEC_PER_SEC / 2) return UINT64_MAX / 2;
    return (uint64_t)t.sec * NSEC_PER_SEC + (uint64_t)t.nsec;
}

long sys_timerfd_settime(int fd, int flags, uint64_t unew, uint64_t uold)
{
    struct itimerspec_user in;
    if (copy_from_user(&in, unew, sizeof in) < 0) return -EFAULT;
    /* CANCEL_ON_SET is accepted and never fires: Pith's clock is never set. */
    if (flags & ~(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET)) return -EINVAL;
    if (!timespec_valid(in.interval.sec, in.interval.nsec) || !timespec_valid(in.value.sec, in.value.nsec)) return -EINVAL;
    struct file *f = fd_get(&current_process()->fds, fd);
    if (!f) return -EBADF;
    struct timerfd_spec spec = { ns_of(in.interval), ns_of(in.value) }, old;
    long r = timerfd_set(f, flags, &spec, &old);
    file_put(f);
    if (r == 0 && uold) {
        struct itimerspec_user out;
        to_user(&out, &old);
        if (copy_to_user(uold, &out, sizeof out) < 0) r = -EFAULT;
    }
    return r;
}

long sys_timerfd_gettime(int fd, uint64_t ucur)
{
    struct file *f = fd_get(&current_process()->fds, fd);
    if (!f) return -EBADF;
    struct timerfd_spec cur;
    long r = timerfd_get(f, &cur);
    file_put(f);
    if (r < 0) return r;
    struct itimerspec_user out;
    to_user(&out, &cur);
    return copy_to_user(ucur, &out, sizeof out) < 0 ? -EFAULT : 0;
}
