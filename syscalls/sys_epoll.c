/* epoll_create/create1/ctl/wait/pwait/pwait2: argument checks in Linux's
 * order; the interest list and the wait are fs/epoll.c's. */
#include "syscalls.h"
#include "timeout.h"
#include "../fs/epoll.h"
#include "../kernel/process.h"
#include "../kernel/signal.h"
#include "../kernel/usercopy.h"

#define EPOLL_MAX_EVENTS (0x7fffffff / (int)sizeof(struct epoll_event))
/* Events one epoll_wait copies out at most; more wait for the next call. */
#define EPOLL_BATCH 1024
#define EPOLL_STACK_BATCH 32
#define EPOLLEXCLUSIVE_OK (POLLIN | POLLOUT | POLLRDNORM | POLLRDBAND | POLLWRNORM | POLLWRBAND | POLLERR | POLLHUP | \
                           EPOLLWAKEUP | EPOLLET | EPOLLEXCLUSIVE)

long sys_epoll_create1(int flags)
{
    if (flags & ~O_CLOEXEC) return -EINVAL;
    struct process *p = current_process();
    struct file *f = epoll_create(p->heap);
    if (!f) return -ENOMEM;
    f->path = "anon_inode:[eventpoll]";
    int fd = fd_install(&p->fds, f, 0, (flags & O_CLOEXEC) != 0);
    file_put(f);
    return fd;
}

long sys_epoll_create(int size)
{
    return size <= 0 ? -EINVAL : sys_epoll_create1(0);
}

long sys_epoll_ctl(int epfd, int op, int fd, uint64_t uevent)
{
    struct epoll_event ev = { 0 };
    if (op != EPOLL_CTL_DEL && copy_from_user(&ev, uevent, sizeof ev) < 0) return -EFAULT;
    struct fdtable *t = &current_process()->fds;
    struct file *ep = fd_get(t, epfd);
    if (!ep) return -EBADF;
    struct file *target = fd_get(t, fd);
    long r = 0;
    if (!target) r = -EBADF;
    else if (!target->ops->poll) r = -EPERM;   /* regular files: Linux refuses them too */
    else if (ep == target || !file_is_epoll(ep)) r = -EINVAL;
    else if (op != EPOLL_CTL_DEL && (ev.events & EPOLLEXCLUSIVE) &&
             (op == EPOLL_CTL_MOD || file_is_epoll(target) || (ev.events & ~EPOLLEXCLUSIVE_OK)))
        r = -EINVAL;
    else r = epoll_control(ep, op, fd, target, &ev);
    if (target) file_put(target);
    file_put(ep);
    return r;
}

static long epoll_wait_until(int epfd, uint64_t uevents, int max, uint64_t deadline)
{
    if (max <= 0 || max > EPOLL_MAX_EVENTS) return -EINVAL;
    if (!user_range_ok(uevents, (size_t)max * sizeof(struct epoll_event))) return -EFAULT;
    struct process *p = current_process();
    struct file *ep = fd_get(&p->fds, epfd);
    if (!ep) return -EBADF;
    long r = -EINVAL;
    if (file_is_epoll(ep)) {
        /* A small batch (the common event loop's) stays on the stack: no
         * heap round trip per call. */
        struct epoll_event small[EPOLL_STACK_BATCH];
        int batch = max < EPOLL_BATCH ? max : EPOLL_BATCH;
        struct epoll_event *out = batch <= EPOLL_STACK_BATCH ? small : allocate(p->heap, (size_t)batch * sizeof *out);
        r = -ENOMEM;
        if (out) {
            r = epoll_collect(ep, out, batch, deadline);
            if (r > 0 && copy_to_user(uevents, out, (size_t)r * sizeof *out) < 0) r = -EFAULT;
            if (out != small) deallocate(p->heap, out, (size_t)batch * sizeof *out);
        }
    }
    file_put(ep);
    return r;
}

static uint64_t deadline_from_ms(int ms)
{
    return ms < 0 ? WAIT_FOREVER : deadline_after((uint64_t)ms / 1000, (uint64_t)ms % 1000 * 1000000);
}

long sys_epoll_wait(int epfd, uint64_t uevents, int max, int timeout_ms)
{
    return epoll_wait_until(epfd, uevents, max, deadline_from_ms(timeout_ms));
}

/* The wait under the caller's mask (signal_wait_mask, kernel/signal.h). */
static long epoll_wait_masked(int epfd, uint64_t uevents, int max, uint64_t deadline, uint64_t usigmask,
                              uint64_t size)
{
    uint64_t mask;
    bool given;
    long r = read_sigmask_arg(usigmask, size, &mask, &given);
    if (r) return r;
    if (given) signal_wait_mask(mask);
    r = epoll_wait_until(epfd, uevents, max, deadline);
    if (given) signal_wait_mask_done(r);
    return r;
}

long sys_epoll_pwait(int epfd, uint64_t uevents, int max, int timeout_ms, uint64_t usigmask, uint64_t size)
{
    return epoll_wait_masked(epfd, uevents, max, deadline_from_ms(timeout_ms), usigmask, size);
}

long sys_epoll_pwait2(int epfd, uint64_t uevents, int max, uint64_t uts, uint64_t usigmask, uint64_t size)
{
    uint64_t deadline = WAIT_FOREVER;
    if (uts) {
        struct timespec_user ts;
        if (copy_from_user(&ts, uts, sizeof ts) < 0) return -EFAULT;
        if (!timespec_valid(ts.sec, ts.nsec)) return -EINVAL;
        deadline = deadline_after((uint64_t)ts.sec, (uint64_t)ts.nsec);
    }
    return epoll_wait_masked(epfd, uevents, max, deadline, usigmask, size);
}
