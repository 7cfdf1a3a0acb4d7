/* poll, ppoll, select, pselect6: ask every file (its poll op), and if none
 * is ready and the timeout allows, wait on all their queues at once
 * (poll_until, kernel/poll.h). Each call takes a reference to its files
 * once, so the queues it listens on outlive the wait. */
#include "syscalls.h"
#include "timeout.h"
#include "../fs/vfs.h"
#include "../kernel/process.h"
#include "../kernel/signal.h"
#include "../kernel/usercopy.h"
#include "../klib/string.h"

#define FD_SETSIZE 1024
#define SIGSET_SIZE 8
/* select's sets, as Linux reads them: these bits mean "readable" etc. */
#define SELECT_IN (POLLIN | POLLRDNORM | POLLRDBAND | POLLHUP | POLLERR)
#define SELECT_OUT (POLLOUT | POLLWRNORM | POLLWRBAND | POLLERR)
#define SELECT_EX POLLPRI

struct pollfd_user {
    int32_t fd;
    int16_t events, revents;
};

struct poll_call {
    struct pollfd_user *fds;
    struct file **files;        /* NULL where the fd is negative or not open */
    unsigned n;
};

static long check_pollfds(void *arg, struct poll_table *pt)
{
    struct poll_call *c = arg;
    long ready = 0;
    for (unsigned i = 0; i < c->n; i++) {
        struct pollfd_user *p = &c->fds[i];
        uint32_t mask = 0;
        if (p->fd >= 0) {
            if (!c->files[i]) mask = POLLNVAL;
            else mask = file_poll(c->files[i], pt) & ((uint16_t)p->events | POLLERR | POLLHUP);
        }
        p->revents = (int16_t)mask;
        if (mask) ready++;
    }
    return ready;
}

static long do_poll(uint64_t ufds, unsigned nfds, uint64_t deadline)
{
    struct process *proc = current_process();
    if (nfds > (unsigned)proc->fds.nofile) return -EINVAL;
    struct poll_call c = { .n = nfds };
    size_t fds_size = nfds * sizeof *c.fds, files_size = nfds * sizeof *c.files;
    c.fds = allocate(proc->heap, fds_size ? fds_size : 1);
    c.files = allocate_zero(proc->heap, files_size ? files_size : 1);
    long r = -ENOMEM;
    if (!c.fds || !c.files) goto out;
    r = -EFAULT;
    if (copy_from_user(c.fds, ufds, fds_size) < 0) goto out;
    for (unsigned i = 0; i < nfds; i++)
        if (c.fds[i].fd >= 0) c.files[i] = fd_get(&proc->fds, c.fds[i].fd);
    r = poll_until(proc->heap, check_pollfds, &c, deadline);
    if (r >= 0) {
        for (unsigned i = 0; i < nfds; i++) {
            if (copy_to_user(ufds + i * sizeof *c.fds + offsetof(struct pollfd_user, revents), &c.fds[i].revents,
                             sizeof c.fds[i].revents) < 0) {
                r = -EFAULT;
                break;
            }
        }
    }
    for (unsigned i = 0; i < nfds; i++)
        if (c.files[i]) file_put(c.files[i]);
out:
    if (c.fds) deallocate(proc->heap, c.fds, fds_size ? fds_size : 1);
    if (c.files) deallocate(proc->heap, c.files, files_size ? files_size : 1);
    return r;
}

long sys_poll(uint64_t ufds, unsigned nfds, int timeout_ms)
{
    uint64_t deadline = timeout_ms < 0 ? WAIT_FOREVER : deadline_after((uint64_t)timeout_ms / 1000,
                                                                        (uint64_t)timeout_ms % 1000 * 1000000);
    return do_poll(ufds, nfds, deadline);
}

long read_sigmask_arg(uint64_t usigmask, uint64_t size, uint64_t *mask, bool *given)
{
    *given = false;
    if (!usigmask) return 0;
    if (size != SIGSET_SIZE) return -EINVAL;
    if (copy_from_user(mask, usigmask, sizeof *mask) < 0) return -EFAULT;
    *given = true;
    return 0;
}

/* The wait under the caller's mask: in place for the wait, and, if a signal
 * ended it, until that signal's handler frame has saved the old one. */
static long masked(long r, bool given)
{
    if (given) signal_wait_mask_done(r);
    return r;
}

/* A timespec timeout (ppoll, pselect6): NULL waits forever. */
static long read_timeout(uint64_t uts, uint64_t *deadline)
{
    *deadline = WAIT_FOREVER;
    if (!uts) return 0;
    struct timespec_user ts;
    if (copy_from_user(&ts, uts, sizeof ts) < 0) return -EFAULT;
    if (!timespec_valid(ts.sec, ts.nsec)) return -EINVAL;
    *deadline = deadline_after((uint64_t)ts.sec, (uint64_t)ts.nsec);
    return 0;
}

/* Linux writes what is left back into a non-zero timeout (ppoll, pselect6,
 * select), ignoring a failure to. */
static void write_back_timespec(uint64_t uts, uint64_t deadline)
{
    if (!uts || deadline == POLL_NO_WAIT || deadline == WAIT_FOREVER) return;
    uint64_t left = time_left(deadline);
    struct timespec_user ts = { (int64_t)(left / NSEC_PER_SEC), (int64_t)(left % NSEC_PER_SEC) };
    copy_to_user(uts, &ts, sizeof ts);
}

long sys_ppoll(uint64_t ufds, unsigned nfds, uint64_t uts, uint64_t usigmask, uint64_t sigsetsize)
{
    uint64_t deadline, mask;
    bool given;
    long r = read_timeout(uts, &deadline);
    if (!r) r = read_sigmask_arg(usigmask, sigsetsize, &mask, &given);
    if (r) return r;
    if (given) signal_wait_mask(mask);
    r = masked(do_poll(ufds, nfds, deadline), given);
    write_back_timespec(uts, deadline);
    return r;
}

#define SET_WORDS (FD_SETSIZE / 64)

struct select_call {
    int n;
    uint64_t in[SET_WORDS], out[SET_WORDS], ex[SET_WORDS];          /* asked */
    uint64_t res_in[SET_WORDS], res_out[SET_WORDS], res_ex[SET_WORDS];
    struct file *files[FD_SETSIZE];
};

static bool bit(const uint64_t *set, int fd) { return set[fd / 64] >> (fd % 64) & 1; }
static void set_bit(uint64_t *set, int fd) { set[fd / 64] |= 1ull << (fd % 64); }

static long check_sets(void *arg, struct poll_table *pt)
{
    struct select_call *c = arg;
    long ready = 0;
    memset(c->res_in, 0, sizeof c->res_in);
    memset(c->res_out, 0, sizeof c->res_out);
    memset(c->res_ex, 0, sizeof c->res_ex);
    for (int fd = 0; fd < c->n; fd++) {
        if (!c->files[fd]) continue;
        uint32_t mask = file_poll(c->files[fd], pt);
        if (bit(c->in, fd) && (mask & SELECT_IN)) set_bit(c->res_in, fd), ready++;
        if (bit(c->out, fd) && (mask & SELECT_OUT)) set_bit(c->res_out, fd), ready++;
        if (bit(c->ex, fd) && (mask & SELECT_EX)) set_bit(c->res_ex, fd), ready++;
    }
    return ready;
}

static long read_set(uint64_t *set, uint64_t uset, size_t bytes)
{
    memset(set, 0, SET_WORDS * 8);
    return uset && copy_from_user(set, uset, bytes) < 0 ? -EFAULT : 0;
}

static long do_select(int n, uint64_t uin, uint64_t uout, uint64_t uex, uint64_t deadline)
{
    if (n < 0) return -EINVAL;
    if (n > FD_SETSIZE) n = FD_SETSIZE;   /* Linux reads no further than its fd table */
    struct process *proc = current_process();
    struct select_call *c = allocate_zero(proc->heap, sizeof *c);
    if (!c) return -ENOMEM;
    c->n = n;
    size_t bytes = (size_t)(n + 63) / 64 * 8;
    long r = read_set(c->in, uin, bytes);
    if (!r) r = read_set(c->out, uout, bytes);
    if (!r) r = read_set(c->ex, uex, bytes);
    for (int fd = 0; fd < n && !r; fd++) {
        if (!bit(c->in, fd) && !bit(c->out, fd) && !bit(c->ex, fd)) continue;
        c->files[fd] = fd_get(&proc->fds, fd);
        if (!c->files[fd]) r = -EBADF;
    }
    if (!r) r = poll_until(proc->heap, check_sets, c, deadline);
    if (r >= 0) {
        if ((uin && copy_to_user(uin, c->res_in, bytes) < 0) || (uout && copy_to_user(uout, c->res_out, bytes) < 0) ||
            (uex && copy_to_user(uex, c->res_ex, bytes) < 0))
            r = -EFAULT;
    }
    for (int fd = 0; fd < n; fd++)
        if (c->files[fd]) file_put(c->files[fd]);
    deallocate(proc->heap, c, sizeof *c);
    return r;
}

struct timeval_user {
    int64_t sec, usec;
};

long sys_select(int n, uint64_t uin, uint64_t uout, uint64_t uex, uint64_t utv)
{
    uint64_t deadline = WAIT_FOREVER;
    if (utv) {
        struct timeval_user tv;
        if (copy_from_user(&tv, utv, sizeof tv) < 0) return -EFAULT;
        /* Linux folds whole seconds of usec into sec before checking. */
        int64_t sec = tv.sec + tv.usec / 1000000, nsec = tv.usec % 1000000 * 1000;
        if (!timespec_valid(sec, nsec)) return -EINVAL;
        deadline = deadline_after((uint64_t)sec, (uint64_t)nsec);
    }
    long r = do_select(n, uin, uout, uex, deadline);
    if (utv && deadline != POLL_NO_WAIT && deadline != WAIT_FOREVER) {
        uint64_t left = time_left(deadline);
        struct timeval_user tv = { (int64_t)(left / NSEC_PER_SEC), (int64_t)(left % NSEC_PER_SEC / 1000) };
        copy_to_user(utv, &tv, sizeof tv);
    }
    return r;
}

long sys_pselect6(int n, uint64_t uin, uint64_t uout, uint64_t uex, uint64_t uts, uint64_t usig)
{
    /* { const sigset_t *mask; size_t size; }, read first as Linux does */
    uint64_t sig[2] = { 0, 0 };
    if (usig && copy_from_user(sig, usig, sizeof sig) < 0) return -EFAULT;
    uint64_t deadline, mask;
    bool given;
    long r = read_timeout(uts, &deadline);
    if (!r) r = read_sigmask_arg(sig[0], sig[1], &mask, &given);
    if (r) return r;
    if (given) signal_wait_mask(mask);
    r = masked(do_select(n, uin, uout, uex, deadline), given);
    write_back_timespec(uts, deadline);
    return r;
}
