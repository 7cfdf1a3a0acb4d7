/* Signals: sending, the EINTR hook for waits, and delivery on the one way
 * back to ring 3 (user_return, called from kernel/trap_entry.S for system
 * calls and traps from ring 3). A handler runs on a Linux x86_64
 * rt_sigframe built on the user stack (or the alternate stack), its FPU
 * state in Linux's XSAVE layout (kernel/fpu_sigframe.c): programs,
 * libcs and debuggers read its ucontext and siginfo, so their layout is
 * Linux's ABI exactly; rt_sigreturn reads the context back.
 *
 * Locking: the process's sig_lock guards dispositions, every pending set
 * (kernel/sigqueue.c), masks, alternate stacks and the waiter a signal must
 * wake. Order: sig_lock -> threads_lock, and sig_lock -> wait_queue/run_queue
 * (a send wakes the target's waiter under it). No user memory is touched
 * and nothing is allocated or freed under it; signalfd's queue
 * (process.signal_arrived) is woken after it is dropped. */
#include "signal.h"
#include "process.h"
#include "trap.h"
#include "sched.h"
#include "wait.h"
#include "percpu.h"
#include "console.h"
#include "segments.h"
#include "usercopy.h"
#include "coredump.h"
#include "mm.h"
#include "fpu.h"
#include "../klib/string.h"
#include "../klib/errno.h"

/* --- The frame a handler sees: Linux's UAPI layouts (asm/sigcontext.h,
 * asm/ucontext.h, asm-generic/siginfo.h), x86_64 only. --- */
struct user_sigcontext {
    uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
    uint64_t rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags;
    uint16_t cs, gs, fs, ss;
    uint64_t err, trapno, oldmask, cr2;
    uint64_t fpstate;           /* user address of the XSAVE area (or FXSAVE image) */
    uint64_t reserved1[8];
};

struct user_stack {
    uint64_t ss_sp;
    int32_t ss_flags;
    int32_t pad;
    uint64_t ss_size;
};

struct user_ucontext {
    uint64_t uc_flags, uc_link;
    struct user_stack uc_stack;
    struct user_sigcontext uc_mcontext;
    uint64_t uc_sigmask;        /* the kernel's sigset: 64 bits */
};

struct user_siginfo {
    struct ksiginfo head;
    uint8_t rest[128 - sizeof(struct ksiginfo)];
};

struct rt_sigframe {
    uint64_t pretcode;          /* the restorer: where the handler's ret goes */
    struct user_ucontext uc;
    struct user_siginfo info;
};

_Static_assert(sizeof(struct user_sigcontext) == 256, "sigcontext is Linux's");
_Static_assert(sizeof(struct user_ucontext) == 304, "ucontext is Linux's");
_Static_assert(sizeof(struct rt_sigframe) == 440, "rt_sigframe is Linux's");
_Static_assert(__builtin_offsetof(struct rt_sigframe, info) == 312, "siginfo follows ucontext");

#define UC_FP_XSTATE 0x1        /* fpstate holds an XSAVE area, magic words and all */
#define UC_SIGCONTEXT_SS 0x2
#define UC_STRICT_RESTORE_SS 0x4
#define RED_ZONE 128
/* A syscall frame's error slot holds the call's number (Linux's orig_ax);
 * this value there means "do not restart". */
#define SYSCALL_NO_RESTART UINT64_MAX
/* The flag bits a program may change through sigreturn (Linux's FIX_EFLAGS). */
#define RFLAGS_USER 0x50dd5ul   /* CF PF AF ZF SF TF DF OF RF AC */
#define RFLAGS_TF 0x100ul
#define RFLAGS_DF 0x400ul
#define RFLAGS_RF 0x10000ul

static const uint64_t UNBLOCKABLE = SIG_BIT(SIGKILL) | SIG_BIT(SIGSTOP);
/* Faults are taken before anything else pending, as Linux does. */
static const uint64_t SYNCHRONOUS = SIG_BIT(SIGSEGV) | SIG_BIT(SIGBUS) | SIG_BIT(SIGILL) |
                                    SIG_BIT(SIGTRAP) | SIG_BIT(SIGFPE);

static bool default_ignores(int sig)
{
    return sig == SIGCHLD || sig == SIGURG || sig == SIGWINCH || sig == SIGCONT;
}

static bool default_stops(int sig)
{
    return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

/* Whether sig would be thrown away on arrival, under sig_lock. Stop
 * signals count: there is no job control to stop for. */
static bool ignored(struct process *p, int sig)
{
    if (sig == SIGKILL) return false;
    uint64_t h = p->sigactions[sig - 1].handler;
    return h == SIG_IGN || (h == SIG_DFL && (default_ignores(sig) || default_stops(sig)));
}

/* A real-time signal may need an entry: allocated before sig_lock is taken
 * (nothing allocates under it), given back by finish_send if unused. */
static struct sig_entry *spare_for(struct process *p, int sig)
{
    return sig >= SIGRTMIN ? allocate(p->heap, sizeof(struct sig_entry)) : NULL;
}

/* After a send, with sig_lock released: return the unused spare and tell
 * signalfd readers and pollers that something may be pending for them. */
static void finish_send(struct process *p, struct sig_entry *spare, bool queued)
{
    if (spare) deallocate(p->heap, spare, sizeof *spare);
    if (queued) wake_all(&p->signal_arrived);
}

/* End t's wait, if it is in one: it sees signal_pending and returns EINTR. */
/* Make t notice a new pending signal: end its wait, or, if it is running
 * on another CPU (perhaps in a loop that never enters the kernel: Go's
 * preemption sends SIGURG to exactly such threads), interrupt that CPU so
 * it passes the return-to-user point, where signals are delivered. */
static void kick(struct thread *t)
{
    if (t->waiting) wake_waiter(t->waiting);
    else sched_kick_running(t);
}

static void note_dropped(int sig, const char *why)
{
    if (kernel.trace) kprintf("[trace] signal %d %s\n", sig, why);
}

int signal_send_thread(struct thread *t, const struct ksiginfo *info)
{
    struct process *p = t->proc;
    int sig = info->signo;
    if (sig == SIGKILL) process_exit_signal(SIGKILL);
    struct sig_entry *spare = spare_for(p, sig);
    uint64_t flags = spin_lock_irqsave(&p->sig_lock);
    if (ignored(p, sig) && !(t->sigmask & SIG_BIT(sig))) {
        spin_unlock_irqrestore(&p->sig_lock, flags);
        finish_send(p, spare, false);
        if (default_stops(sig)) note_dropped(sig, "would stop the program: ignored (no job control)");
        return 0;
    }
    int r = sigqueue_add(p, &t->sigq, info, &spare);
    if (!r && !(t->sigmask & SIG_BIT(sig))) kick(t);
    spin_unlock_irqrestore(&p->sig_lock, flags);
    finish_send(p, spare, r == 0);
    return r;
}

struct pick {
    int sig;
    struct thread *chosen;
};

static void pick_unblocking(struct thread *t, void *arg)
{
    struct pick *k = arg;
    if (!k->chosen && !(t->sigmask & SIG_BIT(k->sig))) k->chosen = t;
}

int signal_send_process(struct process *p, const struct ksiginfo *info)
{
    int sig = info->signo;
    if (sig == SIGKILL) process_exit_signal(SIGKILL);
    struct sig_entry *spare = spare_for(p, sig);
    uint64_t flags = spin_lock_irqsave(&p->sig_lock);
    if (ignored(p, sig)) {
        spin_unlock_irqrestore(&p->sig_lock, flags);
        finish_send(p, spare, false);
        if (default_stops(sig)) note_dropped(sig, "would stop the program: ignored (no job control)");
        return 0;
    }
    int r = sigqueue_add(p, &p->shared_sig, info, &spare);
    if (!r) {
        /* Prefer the sender (it is running and delivers on its way out),
         * else any thread that does not block the signal. */
        struct thread *self = current_thread();
        struct pick k = { .sig = sig, .chosen = NULL };
        if (self && self->proc == p && !(self->sigmask & SIG_BIT(sig))) k.chosen = self;
        else process_for_each_thread(p, pick_unblocking, &k);
        if (k.chosen) kick(k.chosen);
    }
    spin_unlock_irqrestore(&p->sig_lock, flags);
    finish_send(p, spare, r == 0);
    return r;
}

bool signal_fault(int sig, int code, uint64_t addr, const struct trap_frame *f)
{
    struct thread *t = current_thread();
    struct process *p = t->proc;
    struct ksiginfo info = { .signo = sig, .code = code, .w2 = addr };
    uint64_t flags = spin_lock_irqsave(&p->sig_lock);
    struct sigaction_k *a = &p->sigactions[sig - 1];
    /* A fault cannot wait: blocked or ignored, it gets the default action
     * (Linux's force_sig), which also ends a handler that faults again. */
    if ((t->sigmask & SIG_BIT(sig)) || a->handler == SIG_IGN) {
        a->handler = SIG_DFL;
        t->sigmask &= ~SIG_BIT(sig);
    }
    bool handled = a->handler != SIG_DFL;
    if (handled) {
        struct sig_entry *none = NULL;
        sigqueue_add(p, &t->sigq, &info, &none);
        t->fault_trapno = f->vector;
        t->fault_err = f->error;
        t->fault_addr = addr;
    }
    spin_unlock_irqrestore(&p->sig_lock, flags);
    return handled;
}

static uint64_t pending_unblocked(struct thread *t)
{
    return (t->sigq.pending | t->proc->shared_sig.pending) & ~t->sigmask;
}

bool signal_pending_current(void)
{
    struct thread *t = current_thread();
    if (!t || !t->proc) return false;
    return __atomic_load_n(&t->sigq.pending, __ATOMIC_ACQUIRE) ||
           __atomic_load_n(&t->proc->shared_sig.pending, __ATOMIC_ACQUIRE)
               ? (pending_unblocked(t) != 0) : false;
}

void signal_wait_begin(struct waiter *w)
{
    struct thread *t = w->thread;
    if (!t || !t->proc) return;
    uint64_t flags = spin_lock_irqsave(&t->proc->sig_lock);
    w->outer = t->waiting;
    t->waiting = w;
    spin_unlock_irqrestore(&t->proc->sig_lock, flags);
}

void signal_wait_end(struct waiter *w)
{
    struct thread *t = w->thread;
    if (!t || !t->proc || t->waiting != w) return;
    uint64_t flags = spin_lock_irqsave(&t->proc->sig_lock);
    /* A nested wait hands the signal back to the one around it: else a
     * signal sent after the inner wait ended would find no wait to end,
     * and the outer one would sleep through it. */
    if (t->waiting == w) t->waiting = w->outer;
    spin_unlock_irqrestore(&t->proc->sig_lock, flags);
}

void signal_flush(struct process *p, int sig, struct sig_entry **dropped)
{
    /* Under sig_lock (the caller's). */
    sigqueue_drop(p, &p->shared_sig, SIG_BIT(sig), dropped);
    for (struct thread *t = p->threads; t; t = t->proc_next) sigqueue_drop(p, &t->sigq, SIG_BIT(sig), dropped);
}

void signal_thread_exit(struct thread *t)
{
    struct process *p = t->proc;
    struct sig_entry *dropped = NULL;
    uint64_t flags = spin_lock_irqsave(&p->sig_lock);
    sigqueue_drop(p, &t->sigq, ~0ul, &dropped);
    spin_unlock_irqrestore(&p->sig_lock, flags);
    sigqueue_free_list(p, dropped);
}

bool signal_on_altstack(const struct thread *t, uint64_t sp)
{
    return t->altstack.size && sp > t->altstack.sp && sp - t->altstack.sp <= t->altstack.size;
}

/* Under sig_lock: the next signal in want, synchronous ones first, then
 * the lowest number; the thread's own before the process's. 0 if none. */
static int take_next(struct thread *t, uint64_t want, struct ksiginfo *info, struct sig_entry **spent)
{
    struct process *p = t->proc;
    struct sig_queue *qs[2] = { &t->sigq, &p->shared_sig };
    struct sig_entry *stale = NULL;
    *spent = NULL;
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < 2; i++) {
            uint64_t ready = qs[i]->pending & want;
            if (pass == 0) ready &= SYNCHRONOUS;
            if (!ready) continue;
            int sig = sigqueue_take(p, qs[i], __builtin_ctzl(ready) + 1, info, spent);
            /* A timer's signal gets its si_overrun; a stale one (its timer
             * was set anew or deleted) is dropped and the search goes on. */
            if (info->code != SI_TIMER || posix_timer_dequeued(p, info)) {
                if (*spent) (*spent)->next = stale;
                else *spent = stale;
                return sig;
            }
            if (*spent) (*spent)->next = stale, stale = *spent, *spent = NULL;
            i--;
        }
    }
    *spent = stale;
    return 0;
}

int signal_dequeue(struct thread *t, uint64_t want, struct ksiginfo *info)
{
    struct process *p = t->proc;
    struct sig_entry *spent;
    uint64_t flags = spin_lock_irqsave(&p->sig_lock);
    int sig = take_next(t, want, info, &spent);
    spin_unlock_irqrestore(&p->sig_lock, flags);
    sigqueue_free_list(p, spent);
    return sig;
}

bool signal_pending_in(uint64_t want)
{
    struct thread *t = current_thread();
    return ((__atomic_load_n(&t->sigq.pending, __ATOMIC_ACQUIRE) |
             __atomic_load_n(&t->proc->shared_sig.pending, __ATOMIC_ACQUIRE)) & want) != 0;
}

/* The next signal to act on, with its disposition read under the same lock. */
static int dequeue(struct thread *t, struct ksiginfo *info, struct sigaction_k *act)
{
    struct process *p = t->proc;
    struct sig_entry *spent;
    uint64_t flags = spin_lock_irqsave(&p->sig_lock);
    int sig = take_next(t, ~t->sigmask, info, &spent);
    if (sig) *act = p->sigactions[sig - 1];
    spin_unlock_irqrestore(&p->sig_lock, flags);
    sigqueue_free_list(p, spent);
    return sig;
}

void signal_wait_mask(uint64_t mask)
{
    struct thread *t = current_thread();
    struct process *p = t->proc;
    uint64_t flags = spin_lock_irqsave(&p->sig_lock);
    t->saved_sigmask = t->sigmask;
    t->restore_sigmask = true;
    t->sigmask = mask & ~UNBLOCKABLE;
    spin_unlock_irqrestore(&p->sig_lock, flags);
}

/* Put back the mask signal_wait_mask replaced; false if none was. */
static bool restore_wait_mask(struct thread *t)
{
    if (!t->restore_sigmask) return false;
    struct process *p = t->proc;
    uint64_t flags = spin_lock_irqsave(&p->sig_lock);
    t->sigmask = t->saved_sigmask;
    t->restore_sigmask = false;
    spin_unlock_irqrestore(&p->sig_lock, flags);
    return true;
}

void signal_wait_mask_done(long result)
{
    if (result != -EINTR) restore_wait_mask(current_thread());
}

/* System calls whose wait a handler ends with EINTR even under SA_RESTART
 * (Linux's -ERESTARTNOHAND / restart-block cases); the rest restart. */
static bool never_restarts(uint64_t nr)
{
    switch (nr) {
    case 7: case 23: case 34: case 35: case 128: case 130: case 230: case 232:
    case 270: case 271: case 281: case 441:
        return true;   /* poll select pause nanosleep sigtimedwait sigsuspend clock_nanosleep epoll_wait pselect6 ppoll epoll_pwait epoll_pwait2 */
    default:
        return false;
    }
}

void signal_eintr_final(void) { current_thread()->eintr_final = true; }

/* A system call ended by a signal: run it again (rax = its number, rip back
 * over the 2-byte SYSCALL) or let it return EINTR. */
static void maybe_restart(struct trap_frame *f, const struct sigaction_k *act)
{
    struct thread *t = current_thread();
    bool final = t->eintr_final;
    t->eintr_final = false;
    if (final) return;
    if (f->vector != SYSCALL_VECTOR || (int64_t)f->rax != -EINTR || f->error == SYSCALL_NO_RESTART) return;
    if (act && (!(act->flags & SA_RESTART) || never_restarts(f->error))) return;
    f->rax = f->error;
    f->rip -= 2;
    f->error = SYSCALL_NO_RESTART;
}

/* Build the frame and point the thread at the handler; NULL, or why the
 * frame could not be built (the caller forces SIGSEGV). */
static const char *setup_frame(struct thread *t, struct trap_frame *f, int sig, const struct ksiginfo *info,
                               const struct sigaction_k *act)
{
    if (!(act->flags & SA_RESTORER)) return "no SA_RESTORER (x86_64 needs one)";
    if (act->handler >= USER_TOP) return "the handler is outside user space";
    if (act->restorer >= USER_TOP) return "the restorer is outside user space";
    uint64_t sp = f->rsp - RED_ZONE;
    struct sig_altstack alt = t->altstack;
    bool on_alt = signal_on_altstack(t, f->rsp);
    bool entering_alt = false;
    if ((act->flags & SA_ONSTACK) && alt.size && !(alt.flags & SS_DISABLE) && !on_alt) {
        sp = alt.sp + alt.size;
        entering_alt = true;
    }

    uint64_t fp = (sp - fpu_sigframe_size()) & ~63ul;
    uint64_t frame_at = ((fp - sizeof(struct rt_sigframe)) & ~15ul) - 8;
    /* A frame that would run off the alternate stack is not written (Linux). */
    if ((on_alt || entering_alt) && frame_at <= alt.sp)
        return on_alt ? "the alternate stack is full" : "the alternate stack is too small for the frame";

    struct rt_sigframe frame;
    memset(&frame, 0, sizeof frame);
    frame.pretcode = act->restorer;
    frame.uc.uc_flags = UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS | (fpu_uses_xsave() ? UC_FP_XSTATE : 0);
    frame.uc.uc_stack.ss_sp = alt.sp;
    frame.uc.uc_stack.ss_size = alt.size;
    frame.uc.uc_stack.ss_flags = (int32_t)(!alt.size || (alt.flags & SS_DISABLE) ? SS_DISABLE
                                            : on_alt ? SS_ONSTACK : 0) | (int32_t)(alt.flags & SS_AUTODISARM);
    struct user_sigcontext *m = &frame.uc.uc_mcontext;
    m->r8 = f->r8; m->r9 = f->r9; m->r10 = f->r10; m->r11 = f->r11;
    m->r12 = f->r12; m->r13 = f->r13; m->r14 = f->r14; m->r15 = f->r15;
    m->rdi = f->rdi; m->rsi = f->rsi; m->rbp = f->rbp; m->rbx = f->rbx;
    m->rdx = f->rdx; m->rax = f->rax; m->rcx = f->rcx; m->rsp = f->rsp;
    m->rip = f->rip; m->eflags = f->rflags;
    m->cs = USER_CS;
    m->ss = USER_DS;
    if (info->code > 0 && (sig == SIGSEGV || sig == SIGBUS || sig == SIGFPE || sig == SIGILL || sig == SIGTRAP)) {
        m->trapno = t->fault_trapno;
        m->err = t->fault_err;
        if (sig == SIGSEGV || sig == SIGBUS) m->cr2 = t->fault_addr;
    }
    /* A wait's temporary mask (sigsuspend, ppoll...) is not what the
     * handler's return restores: the mask from before the wait is. */
    uint64_t back = t->restore_sigmask ? t->saved_sigmask : t->sigmask;
    m->oldmask = back;
    m->fpstate = fp;
    frame.uc.uc_sigmask = back;
    frame.info.head = *info;

    if (fpu_sigframe_write(fp) < 0 || copy_to_user(frame_at, &frame, sizeof frame) < 0)
        return on_alt || sp != f->rsp - RED_ZONE ? "the alternate stack cannot be written" : "the stack cannot be written";

    if (alt.flags & SS_AUTODISARM) t->altstack = (struct sig_altstack){ .flags = SS_DISABLE };
    t->restore_sigmask = false;     /* the frame holds it now */
    f->rsp = frame_at;
    f->rip = act->handler;
    f->rdi = (uint64_t)sig;
    f->rsi = frame_at + __builtin_offsetof(struct rt_sigframe, info);
    f->rdx = frame_at + __builtin_offsetof(struct rt_sigframe, uc);
    f->rax = 0;
    f->rflags &= ~(RFLAGS_DF | RFLAGS_TF | RFLAGS_RF);
    f->cs = USER_CS;
    f->ss = USER_DS;
    fpu_reset();
    return NULL;
}

/* After the frame is on the stack: the handler's mask, SA_RESETHAND. */
static void enter_handler(struct thread *t, int sig, const struct sigaction_k *act)
{
    struct process *p = t->proc;
    uint64_t flags = spin_lock_irqsave(&p->sig_lock);
    t->sigmask |= act->mask;
    if (!(act->flags & SA_NODEFER)) t->sigmask |= SIG_BIT(sig);
    t->sigmask &= ~UNBLOCKABLE;
    if (act->flags & SA_RESETHAND) p->sigactions[sig - 1].handler = SIG_DFL;
    spin_unlock_irqrestore(&p->sig_lock, flags);
}

/* A frame that could not be built or read back: SIGSEGV (Linux's force_sig),
 * with the default action if the program blocks or ignores it, or if
 * SIGSEGV's own frame was what failed (Linux's force_sigsegv). */
static void force_sigsegv(struct thread *t, bool to_default)
{
    struct process *p = t->proc;
    uint64_t flags = spin_lock_irqsave(&p->sig_lock);
    uint64_t *handler = &p->sigactions[SIGSEGV - 1].handler;
    if (to_default || (t->sigmask & SIG_BIT(SIGSEGV)) || *handler == SIG_IGN) *handler = SIG_DFL;
    t->sigmask &= ~SIG_BIT(SIGSEGV);
    struct sig_entry *none = NULL;
    sigqueue_add(p, &t->sigq, &(struct ksiginfo){ .signo = SIGSEGV, .code = SI_KERNEL }, &none);
    spin_unlock_irqrestore(&p->sig_lock, flags);
}

static void deliver(struct trap_frame *f)
{
    struct thread *t = current_thread();
    if (!t || !t->proc) return;
    for (;;) {
        struct ksiginfo info;
        struct sigaction_k act = { 0 };     /* set with sig (zeroed: gcc cannot see that) */
        int sig = 0;
        if (__atomic_load_n(&t->sigq.pending, __ATOMIC_ACQUIRE) ||
            __atomic_load_n(&t->proc->shared_sig.pending, __ATOMIC_ACQUIRE))
            sig = dequeue(t, &info, &act);
        if (!sig) {
            /* Nothing ran a handler: an interrupted call restarts (Linux),
             * and a wait's mask gives way to the one from before it, which
             * may unblock something: look again. */
            maybe_restart(f, NULL);
            if (restore_wait_mask(t)) continue;
            return;
        }
        if (act.handler == SIG_IGN) continue;
        if (act.handler == SIG_DFL) {
            if (default_ignores(sig)) continue;
            if (default_stops(sig)) {
                note_dropped(sig, "would stop the program: ignored (no job control)");
                continue;
            }
            process_exit_core(&info);
        }
        maybe_restart(f, &act);
        const char *why = setup_frame(t, f, sig, &info, &act);
        if (why) {
            kprintf("pith: cannot deliver signal %d: %s: SIGSEGV\n", sig, why);
            force_sigsegv(t, sig == SIGSEGV);
            continue;
        }
        enter_handler(t, sig, &act);
        return;
    }
}

/* Linux's sum for its auxiliary vector: the frame, its worst alignment,
 * the FPU state with its own, and the 112-byte FSAVE header Linux's x86_64
 * builds with 32-bit support reserve (which also covers our 8 bytes of
 * return-address slot alignment). */
uint64_t signal_min_stack_size(void)
{
    return ALIGN_UP(sizeof(struct rt_sigframe) + 15 + fpu_sigframe_size() + 112 + 63, 16);
}

void user_return(struct trap_frame *f)
{
    coredump_park_if_dumping();
    sched_preempt_point();
    deliver(f);
}

long signal_return(struct trap_frame *f)
{
    struct thread *t = current_thread();
    struct process *p = t->proc;
    /* The handler's ret popped pretcode: the frame starts 8 below. */
    uint64_t frame_at = f->rsp - 8;
    struct rt_sigframe frame;
    f->error = SYSCALL_NO_RESTART;
    if (copy_from_user(&frame, frame_at, sizeof frame) < 0) goto bad;
    /* The mask first, as Linux: a SIGSEGV for the rest of a bad frame
     * comes under the mask the frame restores. */
    uint64_t flags = spin_lock_irqsave(&p->sig_lock);
    t->sigmask = frame.uc.uc_sigmask & ~UNBLOCKABLE;
    spin_unlock_irqrestore(&p->sig_lock, flags);
    const struct user_sigcontext *m = &frame.uc.uc_mcontext;
    /* iretq to a non-canonical rip faults in the kernel: refuse it here. */
    if (m->rip >= USER_TOP) goto bad;
    /* The FPU first: a bad fpstate leaves every register as it was. */
    if (m->fpstate) {
        if (!fpu_sigframe_read(m->fpstate)) goto bad;
    } else {
        fpu_reset();
    }
    f->r8 = m->r8; f->r9 = m->r9; f->r10 = m->r10; f->r11 = m->r11;
    f->r12 = m->r12; f->r13 = m->r13; f->r14 = m->r14; f->r15 = m->r15;
    f->rdi = m->rdi; f->rsi = m->rsi; f->rbp = m->rbp; f->rbx = m->rbx;
    f->rdx = m->rdx; f->rax = m->rax; f->rcx = m->rcx; f->rsp = m->rsp;
    f->rip = m->rip;
    f->rflags = (f->rflags & ~RFLAGS_USER) | (m->eflags & RFLAGS_USER);
    f->cs = USER_CS;
    f->ss = USER_DS;

    flags = spin_lock_irqsave(&p->sig_lock);
    /* uc_stack: restored as sigaltstack would set it, errors ignored. */
    const struct user_stack *s = &frame.uc.uc_stack;
    if (!signal_on_altstack(t, f->rsp)) {
        if (s->ss_flags & SS_DISABLE) t->altstack = (struct sig_altstack){ .flags = SS_DISABLE };
        else if (s->ss_size >= MINSIGSTKSZ && !(s->ss_flags & ~(int32_t)(SS_ONSTACK | SS_AUTODISARM)))
            t->altstack = (struct sig_altstack){ .sp = s->ss_sp, .size = s->ss_size,
                                                 .flags = (uint32_t)s->ss_flags & SS_AUTODISARM };
    }
    spin_unlock_irqrestore(&p->sig_lock, flags);
    return (long)f->rax;    /* dispatch stores the return value in rax */

bad:
    /* A corrupted frame: nothing sane to return to (Linux's SIGSEGV). */
    kprintf("pith: rt_sigreturn with a bad frame at %lx: SIGSEGV\n", frame_at);
    force_sigsegv(t, false);    /* a handler of SIGSEGV sees it, as on Linux */
    return (long)f->rax;
}
