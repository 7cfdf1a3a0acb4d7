/* The scheduler: which thread runs on each CPU. Each CPU has its own run
 * queue (FIFO round robin) and idle thread; a CPU with nothing to run takes
 * work from the others' queues. The kernel is not preempted: a thread leaves
 * the CPU only when it blocks, exits, yields, or is about to return to ring
 * 3 after its time slice ran out. Rules: docs/locking.md. */
#pragma once
#include "../klib/types.h"
#include "spinlock.h"
#include "timer.h"

struct thread;
struct cpu;

enum thread_state {
    THREAD_RUNNING,     /* on a CPU now */
    THREAD_RUNNABLE,    /* on a run queue */
    THREAD_BLOCKED,     /* waiting; a wake puts it on its run queue */
    THREAD_MIGRATING,   /* off its old CPU, on its way to one its affinity allows */
    THREAD_DEAD,        /* exited; its CPU frees it after switching away */
};

/* One per CPU (struct cpu embeds it). */
struct run_queue {
    struct spinlock lock;       /* the list, every thread's state and run_next, the fields below */
    struct thread *first, *last;
    uint32_t queued;            /* threads on the list (read unlocked as a hint by thieves) */
    struct thread *idle;        /* runs only when the list is empty; the only hlt */
    struct thread *dead;        /* exited thread to free once off its stack */
    struct thread *migrating;   /* thread to hand to another CPU once off its stack */
    struct timer slice;         /* the running thread's time slice */
    bool slice_armed;
    bool need_switch;           /* the slice ran out (or idle has work): switch before ring 3 */
};

/* A time slice: how long a thread runs while others wait for the CPU. */
#define SCHED_SLICE_NS 10000000ul
/* Every CPU: a thread's affinity before sched_setaffinity narrows it. */
#define SCHED_ALL_CPUS (~0ull)

/* Start this CPU's run queue and idle thread; current_thread() is then the
 * thread that will run the program (the caller's). */
void sched_init_cpu(void);
/* A started CPU with nothing else to do: become its idle thread. */
NORETURN void sched_enter_idle(void);
/* A new thread (stack prepared by sched_prepare_new) joins a run queue: an
 * idle CPU's that its affinity allows, else this CPU's. */
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
/* On the way back to ring 3: switch if the time slice ran out. Also for
 * kernel loops that may run long (a 2 GiB copy), between their steps: the
 * kernel is not preempted, and a thread queued behind such a loop on its
 * CPU would wait for all of it, as no busy CPU takes work from another.
 * Only where the caller could sleep (no spinlock held). */
void sched_preempt_point(void);
/* The current thread is gone: never returns; its stack and memory are freed
 * by whoever runs next. */
NORETURN void sched_exit_current(void);
/* If t is running on another CPU, interrupt that CPU (it then passes its
 * return-to-user point: a signal sent to t is delivered). */
void sched_kick_running(struct thread *t);
/* The reschedule IPI arrived (kernel/smp.c sends it): look at the queue. */
void sched_ipi(void);
/* Set t's CPU mask (bits of online CPUs; the caller checked it is not
 * empty); t leaves a CPU it no longer allows at its next switch, and at once
 * if it is the caller. */
void sched_set_affinity(struct thread *t, uint64_t mask);
/* The online CPUs, as a mask. */
uint64_t sched_online_mask(void);
