/* CPU time: what each thread has run, split into user and system (time in
 * the kernel on its behalf: system calls, and while switched out from
 * inside one). The total is exact: charged at every context switch (the
 * one call in kernel/sched.c), at a tick, and read against the clock. The
 * split is sampled, as Linux's default tick accounting does: a tick on
 * each busy CPU charges the time since the last charge to the side its
 * thread is on at that moment. System call entry and exit only flip a
 * flag, so a system call pays no clock reads. A CPU's idle thread accrues
 * nothing, and an idle CPU has no tick. Read by clock_gettime's CPU
 * clocks, times, getrusage and /proc/self/stat. */
#pragma once
#include "../klib/types.h"
#include "timer.h"

/* Per thread, written only by the CPU running it; seq is odd while a write
 * is in progress, so a reader on another CPU retries instead of locking. */
struct thread_cputime {
    uint32_t seq;
    bool in_kernel;      /* in a system call: a charge now goes to system time */
    bool on_cpu;         /* running now: the time since `since` is not charged yet */
    uint64_t since_ns;   /* monotonic time of the last charge */
    uint64_t user_ns, sys_ns;
    /* While it runs and its process has CPU-time timers armed: a tick
     * that checks them (kernel/posix_timer.c), added on its CPU at the
     * switch in, cancelled at the switch out. */
    struct timer check;
    bool check_armed;
};

/* How often a running thread's CPU-time timers are checked: Linux checks
 * at its tick (HZ 250 on Debian), so they fire up to one tick late. */
#define CPUTIME_CHECK_NS 4000000ull
/* How often a busy CPU samples its thread's side: Debian's HZ (250). */
#define CPUTIME_SAMPLE_NS 4000000ull

struct cputime {
    uint64_t user_ns, sys_ns;
};

struct thread;
struct process;

/* The switch point: charge prev up to now, start next's clock. With the
 * run queue lock held and interrupts off. */
void cputime_switch(struct thread *prev, struct thread *next);
/* System call entry and exit of the current thread. */
void cputime_enter_kernel(void);
void cputime_leave_kernel(void);
/* A thread starts running for the first time without a switch (the
 * program's first thread). */
void cputime_start(struct thread *t);
/* The current thread's process just armed a CPU-time timer: start its
 * check tick if it has none. */
void cputime_check_start(void);
/* t leaves p's thread list: fold its time into the process's (with
 * p->threads_lock held). */
void cputime_thread_exited(struct process *p, struct thread *t);
/* What t has run so far, including its current run. */
struct cputime cputime_thread(struct thread *t);
/* The whole process: live threads plus the exited ones. */
struct cputime cputime_process(struct process *p);
static inline uint64_t cputime_total(struct cputime c) { return c.user_ns + c.sys_ns; }
