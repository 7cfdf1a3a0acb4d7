/* The scheduler: which thread runs on each CPU. Each CPU has its own run
 * queue (FIFO round robin) and idle thread; the kernel is not preempted, a
 * thread leaves the CPU only when it blocks, exits, yields, or is about to
 * return to ring 3 after its time slice ran out. Rules: docs/locking.md. */
#pragma once
#include "../klib/types.h"
#include "spinlock.h"
#include "timer.h"

struct thread;

enum thread_state {
    THREAD_RUNNING,     /* on a CPU now */
    THREAD_RUNNABLE,    /* on a run queue */
    THREAD_BLOCKED,     /* waiting; a wake puts it on its run queue */
    THREAD_DEAD,        /* exited; its CPU frees it after switching away */
};

/* One per CPU (struct cpu embeds it). */
struct run_queue {
    struct spinlock lock;       /* the list, every thread's state and run_next, the fields below */
    struct thread *first, *last;
    struct thread *idle;        /* runs only when the list is empty; the only hlt */
    struct thread *dead;        /* exited thread to free once off its stack */
    struct timer slice;         /* the running thread's time slice */
    bool slice_armed;
    bool need_switch;           /* the slice ran out (or idle has work): switch before ring 3 */
};

/* A time slice: how long a thread runs while others wait for the CPU. */
#define SCHED_SLICE_NS 10000000ul

/* Start this CPU's run queue and idle thread; current_thread() is then the
 * thread that will run the program (the caller's). */
void sched_init_cpu(void);
/* A new thread (stack prepared by sched_prepare_new) joins this CPU's queue. */
void sched_start(struct thread *t);
/* Make t's kernel stack begin, when first switched to, by leaving to ring 3
 * through the trap frame at its top. */
void sched_prepare_new(struct thread *t);
/* Make t runnable if it is blocked (a wake; safe from interrupt handlers). */
void sched_wake(struct thread *t);
/* Block the current thread unless *woken is already set; the waker sets
 * *woken, then calls sched_wake. */
void sched_block_unless(const bool *woken);
/* Give the CPU to the next runnable thread, if any. */
void sched_yield(void);
/* On the way back to ring 3: switch if the time slice ran out. */
void sched_preempt_point(void);
/* The current thread is gone: never returns; its stack and memory are freed
 * by whoever runs next. */
NORETURN void sched_exit_current(void);
