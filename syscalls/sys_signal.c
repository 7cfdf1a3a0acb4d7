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
    struct sig_entry *dropped = NULL;
    uint64_t flags = spin_lock_irqsave(&p->sig_lock);
    struct sigaction_k prev = p->sigactions[sig - 1];
    if (act) {
        k.mask &= ~UNBLOCKABLE;
        p->sigactions[sig - 1] = k;
        /* Linux drops what is pending once the disposition ignores it. */
        bool dfl_ignores = sig == SIGCHLD || sig == SIGURG || sig == SIGWINCH || sig == SIGCONT;
        if (k.handler == SIG_IGN || (k.handler == SIG_DFL && dfl_ignores)) signal_flush(p, sig, &dropped);
    }
    spin_unlock_irqrestore(&p->sig_lock, flags);
    sigqueue_free_list(p, dropped);
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
    return signal_send_process(current_process(), &info);
}

/* With a reference: the target may exit on another CPU meanwhile. */
static struct thread *find_thread(int tid) { return process_thread_get(current_process(), tid); }

static long send_to_thread(int tid, int sig)
{
    if (sig < 0 || sig > NSIG) return -EINVAL;
    struct thread *t = find_thread(tid);
    if (!t) return -ESRCH;
    struct ksiginfo info = user_info(sig, SI_TKILL);
    long r = sig == 0 ? 0 : signal_send_thread(t, &info);
    thread_put(t);
    return r;
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

/* Whether Linux knows the layout of (sig, code): if not, the 80 bytes past
 * kernel_siginfo must be zero (E2BIG), since they would be lost. */
static bool known_layout(int sig, int code)
{
    if (code == SI_KERNEL) return true;
    if (code > SI_USER) {
        switch (sig) {
        case SIGILL: return code <= 11;
        case SIGFPE: return code <= 15;
        case SIGSEGV: return code <= 10;
        case SIGBUS: return code <= 5;
        case SIGTRAP: return code <= 6;
        case SIGCHLD: return code <= 6;
        case 31: return code <= 2;      /* SIGSYS */
        default: return code <= 6;      /* NSIGPOLL */
        }
    }
    return code >= -7 || code == -60;   /* SI_DETHREAD..SI_USER, SI_ASYNCNL */
}

static long read_user_siginfo(int sig, uint64_t uinfo, struct ksiginfo *info)
{
    if (copy_from_user(info, uinfo, sizeof *info) < 0) return -EFAULT;
    info->signo = sig;
    if (!known_layout(sig, info->code)) {
        uint8_t rest[128 - sizeof *info];
        if (copy_from_user(rest, uinfo + sizeof *info, sizeof rest) < 0) return -EFAULT;
        for (size_t i = 0; i < sizeof rest; i++)
            if (rest[i]) return -E2BIG;
    }
    return 0;
}

/* Not even a program may pretend a signal came from the kernel or from
 * kill/tgkill (si_code >= 0, SI_TKILL), except to itself: Linux compares
 * with the calling thread's id. */
static bool may_claim(const struct ksiginfo *info, int pid)
{
    return (info->code < 0 && info->code != SI_TKILL) || pid == current_thread()->tid;
}

long sys_rt_sigqueueinfo(int pid, int sig, uint64_t uinfo)
{
    struct ksiginfo info;
    long r = read_user_siginfo(sig, uinfo, &info);
    if (r) return r;
    if (!may_claim(&info, pid)) return -EPERM;
    if (pid != PROCESS_PID) return -ESRCH;
    if (sig < 0 || sig > NSIG) return -EINVAL;
    if (sig == 0) return 0;
    return signal_send_process(current_process(), &info);
}

long sys_rt_tgsigqueueinfo(int tgid, int tid, int sig, uint64_t uinfo)
{
    struct ksiginfo info;
    long r = read_user_siginfo(sig, uinfo, &info);
    if (r) return r;
    if (tgid <= 0 || tid <= 0) return -EINVAL;
    if (!may_claim(&info, tid)) return -EPERM;
    struct thread *target = tgid == PROCESS_PID ? find_thread(tid) : NULL;
    if (!target) return -ESRCH;
    r = sig < 0 || sig > NSIG ? -EINVAL : sig == 0 ? 0 : signal_send_thread(target, &info);
    thread_put(target);
    return r;
}
