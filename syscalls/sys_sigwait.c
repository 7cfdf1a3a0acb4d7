/* Waiting for signals: pause, rt_sigsuspend (wait with another mask until a
 * handler has run) and rt_sigtimedwait (take a signal from a set without
 * running its handler). All wait through kernel/wait.h; a signal the
 * thread does not block ends the wait (-EINTR from wait_sleep). */
#include "syscalls.h"
#include "timeout.h"
#include "../kernel/process.h"
#include "../kernel/signal.h"
#include "../kernel/usercopy.h"
#include "../kernel/wait.h"
#include "../klib/string.h"

#define SIGSET_SIZE 8
#define UNBLOCKABLE (SIG_BIT(SIGKILL) | SIG_BIT(SIGSTOP))

/* Sleep until a signal the thread does not block is pending. Delivery
 * then runs its handler (the call returns EINTR) or, with none to run,
 * restarts the call, as Linux's -ERESTARTNOHAND (kernel/signal.c). */
static long wait_for_signal(void)
{
    int r;
    do r = wait_until(NULL, NULL, NULL, WAIT_FOREVER);
    while (r != -EINTR);
    return -EINTR;
}

long sys_pause(void)
{
    return wait_for_signal();
}

long sys_rt_sigsuspend(uint64_t umask, uint64_t size)
{
    if (size != SIGSET_SIZE) return -EINVAL;
    uint64_t mask;
    if (copy_from_user(&mask, umask, sizeof mask) < 0) return -EFAULT;
    /* The old mask comes back once a handler's frame has saved it. */
    signal_wait_mask(mask);
    return wait_for_signal();
}

/* Linux's struct siginfo is 128 bytes; what a signal carries is the first
 * 48 (struct ksiginfo), the rest reads as zero. */
static long copy_siginfo_out(uint64_t uinfo, const struct ksiginfo *info)
{
    uint8_t out[128];
    memset(out, 0, sizeof out);
    memcpy(out, info, sizeof *info);
    return copy_to_user(uinfo, out, sizeof out) < 0 ? -EFAULT : 0;
}

long sys_rt_sigtimedwait(uint64_t uset, uint64_t uinfo, uint64_t uts, uint64_t size)
{
    if (size != SIGSET_SIZE) return -EINVAL;
    uint64_t set;
    if (copy_from_user(&set, uset, sizeof set) < 0) return -EFAULT;
    struct timespec_user ts = { 0, 0 };
    if (uts && copy_from_user(&ts, uts, sizeof ts) < 0) return -EFAULT;
    if (uts && !timespec_valid(ts.sec, ts.nsec)) return -EINVAL;
    set &= ~UNBLOCKABLE;
    struct thread *t = current_thread();
    struct process *p = t->proc;
    struct ksiginfo info;
    int sig = signal_dequeue(t, set, &info);
    uint64_t deadline = uts ? deadline_after((uint64_t)ts.sec, (uint64_t)ts.nsec) : WAIT_FOREVER;
    int r = -ETIMEDOUT;
    if (!sig && deadline != POLL_NO_WAIT) {
        /* As Linux: the set is unblocked for the wait, so that a signal in
         * it wakes this thread (and a process-wide one may pick it); the
         * mask comes back before anything could deliver one of them. */
        uint64_t flags = spin_lock_irqsave(&p->sig_lock);
        uint64_t blocked = t->sigmask;
        t->sigmask &= ~set;
        spin_unlock_irqrestore(&p->sig_lock, flags);
        do r = wait_until(NULL, NULL, NULL, deadline);
        while (r == 0);
        flags = spin_lock_irqsave(&p->sig_lock);
        t->sigmask = blocked;
        spin_unlock_irqrestore(&p->sig_lock, flags);
        sig = signal_dequeue(t, set, &info);
    }
    if (!sig && r == -ETIMEDOUT) return -EAGAIN;
    if (!sig) {
        /* As Linux: EINTR reaches the program even when no handler runs
         * (another thread took the signal): a restart would start the
         * whole relative timeout again. */
        signal_eintr_final();
        return -EINTR;
    }
    if (uinfo && copy_siginfo_out(uinfo, &info) < 0) return -EFAULT;
    return sig;
}
