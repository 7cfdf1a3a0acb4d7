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
