/* Signals: what is pending for whom, and delivery on the way back to ring
 * 3 (kernel/signal.c). The system calls are in syscalls/sys_signal.c.
 * Locking: the process's sig_lock (docs/locking.md). */
#pragma once
#include "../klib/types.h"

#define SIG_MAX 64      /* Linux's _NSIG on x86_64: a 64-bit mask */
#define SIG_BIT(sig) (1ul << ((sig) - 1))
/* The kernel's first real-time signal (libcs keep a few for themselves). */
#define SIGRTMIN 32

#define SIGHUP 1
#define SIGINT 2
#define SIGQUIT 3
#define SIGILL 4
#define SIGTRAP 5
#define SIGABRT 6
#define SIGBUS 7
#define SIGFPE 8
#define SIGKILL 9
#define SIGUSR1 10
#define SIGSEGV 11
#define SIGUSR2 12
#define SIGPIPE 13
#define SIGALRM 14
#define SIGTERM 15
#define SIGCHLD 17
#define SIGCONT 18
#define SIGSTOP 19
#define SIGTSTP 20
#define SIGTTIN 21
#define SIGTTOU 22
#define SIGURG 23
#define SIGWINCH 28

#define SIG_DFL 0
#define SIG_IGN 1

#define SA_SIGINFO 0x4ul
#define SA_RESTORER 0x04000000ul
#define SA_ONSTACK 0x08000000ul
#define SA_RESTART 0x10000000ul
#define SA_NODEFER 0x40000000ul
#define SA_RESETHAND 0x80000000ul

/* si_code values (Linux's). */
#define SI_USER 0
#define SI_KERNEL 0x80
#define SI_QUEUE (-1)
#define SI_TKILL (-6)
#define SEGV_MAPERR 1
#define SEGV_ACCERR 2
#define BUS_ADRALN 1
#define BUS_ADRERR 2
#define FPE_INTDIV 1
#define FPE_FLTDIV 3
#define FPE_FLTOVF 4
#define FPE_FLTUND 5
#define FPE_FLTRES 6
#define FPE_FLTINV 7
#define ILL_ILLOPN 2
#define TRAP_TRACE 2

#define SS_ONSTACK 1
#define SS_DISABLE 2
#define SS_AUTODISARM (1u << 31)
#define MINSIGSTKSZ 2048

/* The first 48 bytes of a Linux siginfo (its kernel_siginfo): all a signal
 * carries; the rest of the 128 is zero. w2 holds si_pid|si_uid<<32 or
 * si_addr, w3 si_value (sigqueue) or si_status. */
struct ksiginfo {
    int32_t signo, err, code, pad;
    uint64_t w2, w3, w4, w5;
};

/* One queued instance of a real-time signal (kernel/sigqueue.c). */
struct sig_entry {
    struct sig_entry *next;
    struct ksiginfo info;
};

/* What is pending for a thread or a process. Standard signals coalesce:
 * one slot per number. Real-time ones queue every instance, oldest first
 * (a set bit with no entry: one instance whose siginfo was lost to the
 * RLIMIT_SIGPENDING limit, as Linux does for kill()). */
struct sig_queue {
    uint64_t pending;           /* numbers with at least one instance */
    uint64_t counted;           /* standard slots counted in process.sig_queued */
    struct ksiginfo info[SIGRTMIN - 1];
    struct sig_entry *first, *last;
};

struct sig_altstack {
    uint64_t sp, size;
    uint32_t flags;     /* SS_DISABLE or SS_AUTODISARM; 0 = enabled */
};

struct thread;
struct process;
struct trap_frame;
struct waiter;

/* Send sig to one thread (tkill, SIGPIPE, faults) or to the process (kill):
 * ignored signals are dropped, SIGKILL ends the program, anything else is
 * made pending and a thread that does not block it is woken. 0, or -EAGAIN
 * for a real-time signal over RLIMIT_SIGPENDING (unless sent by kill). */
int signal_send_thread(struct thread *t, const struct ksiginfo *info);
int signal_send_process(struct process *p, const struct ksiginfo *info);
/* A fault in the program: true if a handler will take it (delivered on the
 * way out), false if the default action applies (the caller reports it). */
bool signal_fault(int sig, int code, uint64_t addr, const struct trap_frame *f);
/* A signal that is not blocked is pending for the current thread. */
bool signal_pending_current(void);
/* The waiter a signal to the current thread must wake (kernel/wait.c). */
void signal_wait_begin(struct waiter *w);
void signal_wait_end(struct waiter *w);
/* Return-to-user work: preemption, then pending signals (kernel/trap_entry.S). */
void user_return(struct trap_frame *f);
/* rt_sigreturn: the context saved by delivery, back into f. */
long signal_return(struct trap_frame *f);
/* AT_MINSIGSTKSZ: the most stack a handler's frame can take. */
uint64_t signal_min_stack_size(void);
/* The stored disposition changed to one that ignores: drop what is pending
 * (under sig_lock; the dropped entries go on *dropped, for
 * sigqueue_free_list once the lock is released). */
void signal_flush(struct process *p, int sig, struct sig_entry **dropped);
/* The calling thread ends: what was sent to it alone goes away. */
void signal_thread_exit(struct thread *t);

/* Take the next pending signal in want for t (its own, then the process's;
 * synchronous ones first, then the lowest number, the oldest instance):
 * its number (0: none) and siginfo. Takes sig_lock. */
int signal_dequeue(struct thread *t, uint64_t want, struct ksiginfo *info);
/* Whether a signal in want is pending for the current thread. */
bool signal_pending_in(uint64_t want);

/* ppoll, pselect6, epoll_pwait(2), sigsuspend: mask replaces the thread's
 * own for the wait. signal_wait_mask_done(result) puts the old one back at
 * once unless the wait ended with -EINTR; then delivery does, after a
 * handler's frame has saved it (Linux's saved_sigmask), so the handler of
 * the signal that ended the wait runs under the wait's mask. */
void signal_wait_mask(uint64_t mask);
void signal_wait_mask_done(long result);
/* The -EINTR the current call returns is final: delivery does not restart
 * it even under SA_RESTART (Linux's -EINTR beside -ERESTARTSYS: a socket
 * wait with SO_RCVTIMEO/SO_SNDTIMEO). */
void signal_eintr_final(void);

/* kernel/sigqueue.c, all under sig_lock except the frees. */
int sigqueue_add(struct process *p, struct sig_queue *q, const struct ksiginfo *info, struct sig_entry **spare);
int sigqueue_take(struct process *p, struct sig_queue *q, int sig, struct ksiginfo *info, struct sig_entry **spent);
void sigqueue_drop(struct process *p, struct sig_queue *q, uint64_t sigs, struct sig_entry **dropped);
void sigqueue_free_list(struct process *p, struct sig_entry *list);
/* Whether the user stack pointer sp is on t's alternate stack. */
bool signal_on_altstack(const struct thread *t, uint64_t sp);
