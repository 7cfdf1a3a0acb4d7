/* The signal system calls: dispositions, masks, pending sets, the
 * alternate stack, sending, and rt_sigreturn. Delivery itself is
 * kernel/signal.c, on the way back to ring 3. */
#include "syscalls.h"
#include "../kernel/process.h"
#include "../kernel/signal.h"
#include "../kernel/trap.h"
#include "../kernel/usercopy.h"

#define SIG_BLOCK 0
#define SIG_UNBLOCK 1
#define SIG_SETMASK 2
#define UNBLOCKABLE (SIG_BIT(SIGKILL) | SIG_BIT(SIGSTOP))

long sys_rt_sigaction(int sig, uint64_t act, uint64_t old, uint64_t size)
{
    if (size != 8) return -EINVAL;
    if (sig < 1 || sig > NSIG) return -EINVAL;
    if ((sig == SIGKILL || sig == SIGSTOP) && act) return -EINVAL;
    struct process *p = current_process();
    struct sigaction_k k;
    if (act && copy_from_user(&k, act, sizeof k) < 0) return -EFAULT;
    uint64_t flags = spin_lock_irqsave(&p->sig_lock);
    struct sigaction_k prev = p->sigactions[sig - 1];
    if (act) {
        k.mask &= ~UNBLOCKABLE;
        p->sigactions[sig - 1] = k;
        /* Linux drops what is pending once the disposition ignores it. */
        bool dfl_ignores = sig == SIGCHLD || sig == SIGURG || sig == SIGWINCH || sig == SIGCONT;
        if (k.handler == SIG_IGN || (k.handler == SIG_DFL && dfl_ignores)) signal_flush(p, sig);
    }
    spin_unlock_irqrestore(&p->sig_lock, flags);
    if (old && copy_to_user(old, &prev, sizeof prev) < 0) return -EFAULT;
    return 0;
}

long sys_rt_sigprocmask(int how, uint64_t set, uint64_t old, uint64_t size)
{
    if (size != 8) return -EINVAL;
    struct thread *t = current_thread();
    uint64_t s = 0;
    if (set) {
        if (copy_from_user(&s, set, sizeof s) < 0) return -EFAULT;
        if (how != SIG_BLOCK && how != SIG_UNBLOCK && how != SIG_SETMASK) return -EINVAL;
    }
    struct process *p = current_process();
    uint64_t flags = spin_lock_irqsave(&p->sig_lock);
    uint64_t prev = t->sigmask;
    if (set) {
        switch (how) {
        case SIG_BLOCK: t->sigmask |= s; break;
        case SIG_UNBLOCK: t->sigmask &= ~s; break;
        default: t->sigmask = s; break;
        }
        t->sigmask &= ~UNBLOCKABLE;
    }
    spin_unlock_irqrestore(&p->sig_lock, flags);
    /* Anything just unblocked is delivered on the way out (user_return). */
    if (old && copy_to_user(old, &prev, sizeof prev) < 0) return -EFAULT;
    return 0;
}

long sys_rt_sigpending(uint64_t set, uint64_t size)
{
    if (size > 8) return -EINVAL;
    struct thread *t = current_thread();
    struct process *p = current_process();
    uint64_t flags = spin_lock_irqsave(&p->sig_lock);
    uint64_t pending = (t->sigq.pending | p->shared_sig.pending) & t->sigmask;
    spin_unlock_irqrestore(&p->sig_lock, flags);
    return copy_to_user(set, &pending, size) < 0 ? -EFAULT : 0;
}

struct user_stack_t {
    uint64_t ss_sp;
    int32_t ss_flags;
    int32_t pad;
    uint64_t ss_size;
};

long sys_sigaltstack(uint64_t uss, uint64_t uold)
{
    struct thread *t = current_thread();
    struct process *p = current_process();
    uint64_t sp = thread_user_frame(t)->rsp;
    struct user_stack_t ns;
    if (uss && copy_from_user(&ns, uss, sizeof ns) < 0) return -EFAULT;
    uint64_t flags = spin_lock_irqsave(&p->sig_lock);
    struct sig_altstack cur = t->altstack;
    bool on = signal_on_altstack(t, sp);
    long r = 0;
    if (uss) {
        uint32_t mode = (uint32_t)ns.ss_flags & ~SS_AUTODISARM;
        if (on) r = -EPERM;     /* cannot change the stack it is running on */
        else if (mode != 0 && mode != SS_DISABLE && mode != SS_ONSTACK) r = -EINVAL;
        else if (mode == SS_DISABLE) t->altstack = (struct sig_altstack){ .flags = SS_DISABLE };
        else if (ns.ss_size < MINSIGSTKSZ) r = -ENOMEM;
        else t->altstack = (struct sig_altstack){ .sp = ns.ss_sp, .size = ns.ss_size,
                                                  .flags = (uint32_t)ns.ss_flags & SS_AUTODISARM };
    }
    spin_unlock_irqrestore(&p->sig_lock, flags);
    if (r) return r;
    if (uold) {
        bool disabled = !cur.size || (cur.flags & SS_DISABLE);
        struct user_stack_t o = {
            .ss_sp = disabled ? 0 : cur.sp,
            .ss_size = disabled ? 0 : cur.size,
            .ss_flags = (int32_t)((on ? SS_ONSTACK : disabled ? SS_DISABLE : 0) | (cur.flags & SS_AUTODISARM)),
        };
        if (copy_to_user(uold, &o, sizeof o) < 0) return -EFAULT;
    }
    return 0;
}

long sys_rt_sigreturn(void)
{
    return signal_return(thread_user_frame(current_thread()));
}

static struct ksiginfo user_info(int sig, int code)
{
    /* si_pid and si_uid: ours (pid 1, root). */
    return (struct ksiginfo){ .signo = sig, .code = code, .w2 = PROCESS_PID };
}

long sys_kill(int pid, int sig)
{
    if (sig < 0 || sig > NSIG) return -EINVAL;
    if (pid != PROCESS_PID && pid != 0 && pid != -1) return -ESRCH;
    if (sig == 0) return 0;
    struct ksiginfo info = user_info(sig, SI_USER);
    signal_send_process(current_process(), &info);
    return 0;
}

struct find_tid {
    int tid;
    struct thread *found;
};

static void match_tid(struct thread *t, void *arg)
{
    struct find_tid *f = arg;
    if (t->tid == f->tid) f->found = t;
}

static long send_to_thread(int tid, int sig)
{
    if (sig < 0 || sig > NSIG) return -EINVAL;
    struct process *p = current_process();
    /* One CPU and a kernel that is not preempted: the target cannot exit
     * between the lookup and the send. SMP needs a reference or thread
     * exit under sig_lock here. */
    uint64_t flags = spin_lock_irqsave(&p->sig_lock);
    struct find_tid f = { .tid = tid, .found = NULL };
    process_for_each_thread(p, match_tid, &f);
    spin_unlock_irqrestore(&p->sig_lock, flags);
    if (!f.found) return -ESRCH;
    if (sig == 0) return 0;
    struct ksiginfo info = user_info(sig, SI_TKILL);
    signal_send_thread(f.found, &info);
    return 0;
}

long sys_tkill(int tid, int sig)
{
    if (tid <= 0) return -EINVAL;
    return send_to_thread(tid, sig);
}

long sys_tgkill(int tgid, int tid, int sig)
{
    if (tgid <= 0 || tid <= 0) return -EINVAL;
    if (tgid != PROCESS_PID) return -ESRCH;
    return send_to_thread(tid, sig);
}
