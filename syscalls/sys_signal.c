/* Signal dispositions and masks are recorded exactly; delivery arrives with
 * threads and signals (a later issue). */
#include "syscalls.h"
#include "../kernel/process.h"
#include "../kernel/usercopy.h"

#define SIGKILL 9
#define SIGSTOP 19
#define SIG_BLOCK 0
#define SIG_UNBLOCK 1
#define SIG_SETMASK 2
#define UNBLOCKABLE ((1ul << (SIGKILL - 1)) | (1ul << (SIGSTOP - 1)))

long sys_rt_sigaction(int sig, uint64_t act, uint64_t old, uint64_t size)
{
    if (size != 8) return -EINVAL;
    if (sig < 1 || sig > NSIG) return -EINVAL;
    if ((sig == SIGKILL || sig == SIGSTOP) && act) return -EINVAL;
    struct process *p = current_process();
    struct sigaction_k *slot = &p->sigactions[sig - 1];
    if (old && copy_to_user(old, slot, sizeof *slot) < 0) return -EFAULT;
    if (act) {
        struct sigaction_k k;
        if (copy_from_user(&k, act, sizeof k) < 0) return -EFAULT;
        k.mask &= ~UNBLOCKABLE;
        *slot = k;
    }
    return 0;
}

long sys_rt_sigprocmask(int how, uint64_t set, uint64_t old, uint64_t size)
{
    if (size != 8) return -EINVAL;
    struct thread *t = current_thread();
    uint64_t prev = t->sigmask;
    if (set) {
        uint64_t s;
        if (copy_from_user(&s, set, sizeof s) < 0) return -EFAULT;
        switch (how) {
        case SIG_BLOCK: t->sigmask |= s; break;
        case SIG_UNBLOCK: t->sigmask &= ~s; break;
        case SIG_SETMASK: t->sigmask = s; break;
        default: return -EINVAL;
        }
        t->sigmask &= ~UNBLOCKABLE;
    }
    if (old && copy_to_user(old, &prev, sizeof prev) < 0) return -EFAULT;
    return 0;
}

#define SIG_DFL 0
#define SIG_IGN 1
#define SIGCHLD 17
#define SIGCONT 18
#define SIGURG 23
#define SIGWINCH 28

/* A signal the program sends itself. Delivery to a handler comes with the
 * signals issue; until then a handled signal is refused (-ENOSYS, named by
 * --trace) rather than pretended. Default actions and SIG_IGN are exact. */
static long send_to_self(int sig)
{
    if (sig < 0 || sig > NSIG) return -EINVAL;
    if (sig == 0) return 0;
    struct process *p = current_process();
    uint64_t handler = p->sigactions[sig - 1].handler;
    bool blocked = current_thread()->sigmask & (1ul << (sig - 1));
    if (handler == SIG_IGN && sig != SIGKILL && sig != SIGSTOP) return 0;
    if (handler != SIG_DFL && sig != SIGKILL && sig != SIGSTOP) return -ENOSYS;
    if (sig == SIGCHLD || sig == SIGURG || sig == SIGWINCH || sig == SIGCONT) return 0;   /* default: ignore */
    if (blocked && sig != SIGKILL && sig != SIGSTOP) return -ENOSYS;   /* would stay pending */
    process_exit_signal(sig);
}

long sys_kill(int pid, int sig)
{
    if (pid != PROCESS_PID && pid != 0 && pid != -1) return -ESRCH;
    return send_to_self(sig);
}

long sys_tkill(int tid, int sig)
{
    if (tid <= 0) return -EINVAL;
    if (!process_has_thread(current_process(), tid)) return -ESRCH;
    /* Another thread's signal acts as the process's for now: what is fatal
     * ends the program, a probe (0) answers, handlers are not run yet. */
    return send_to_self(sig);
}

long sys_tgkill(int tgid, int tid, int sig)
{
    if (tgid <= 0 || tid <= 0) return -EINVAL;
    if (tgid != PROCESS_PID || !process_has_thread(current_process(), tid)) return -ESRCH;
    return send_to_self(sig);
}
