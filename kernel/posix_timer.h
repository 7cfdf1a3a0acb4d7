/* POSIX timers (timer_create & co.) and the interval timers (setitimer,
 * alarm): each timer is one entry on the timer service (kernel/timer.h),
 * like a timerfd, and notifies by signal (kernel/signal.c) or not at all.
 * A timer on a CPU-time clock (and ITIMER_VIRTUAL/PROF) is watched by the
 * check tick of its process's running threads (kernel/cputime.c), which
 * adds its entry once the clock has passed its expiration. A
 * timer's signal is sent once and stays queued until delivered; further
 * expirations meanwhile are counted as its overrun, which delivery hands
 * to the program in si_overrun (posix_timer_dequeued). Locking:
 * docs/locking.md. */
#pragma once
#include "../klib/types.h"
#include "spinlock.h"
#include "timer.h"

#define SIGEV_SIGNAL 0
#define SIGEV_NONE 1
#define SIGEV_THREAD 2
#define SIGEV_THREAD_ID 4
#define SI_TIMER (-2)
#define TIMER_ABSTIME 1

struct ptimer {
    struct ptimer *next;        /* in process_timers.list */
    int id;                     /* what timer_create returned; -1 for ITIMER_REAL */
    int clock;                  /* CLOCK_REALTIME, MONOTONIC or BOOTTIME; unused for CPU timers */
    bool cpu;                   /* on a CPU-time clock: next_ns and interval_ns are CPU time */
    int cpu_tid;                /* that thread's clock, or 0: the process's */
    int cpu_which;              /* 0 user+system, 1 user, 2 scheduler time (Linux's PROF, VIRT, SCHED) */
    int notify;                 /* SIGEV_SIGNAL, SIGEV_NONE or SIGEV_THREAD_ID */
    int signo;
    int tid;                    /* SIGEV_THREAD_ID's thread */
    uint64_t value;             /* sigev_value, handed over as si_value */
    unsigned refs;              /* under process_timers.lock: the list's and each caller's */
    struct process *proc;
    struct spinlock set_lock;   /* one setting at a time: held across disarm and re-arm */
    struct spinlock lock;       /* armed, deleted, next_ns, interval_ns */
    bool armed;
    bool deleted;
    bool kicked;                /* a CPU timer found due: its entry is added */
    uint64_t next_ns;           /* monotonic time of the next expiration */
    uint64_t interval_ns;
    struct timer timer;
    /* Under the process's sig_lock: whether its signal was sent and not yet
     * delivered, expirations meanwhile, the count the last delivery
     * reported (timer_getoverrun), and the setting's generation (a signal
     * of an older one is stale). */
    bool sig_queued;
    uint32_t generation;
    uint64_t overrun, overrun_last;
};

/* Embedded in struct process (zero is the empty state). */
struct process_timers {
    struct spinlock lock;       /* list, count, next_id, every timer's refs */
    struct ptimer *list;
    unsigned count;
    int next_id;
    unsigned cpu_armed;         /* armed CPU timers (atomic): threads run a check tick while non-zero */
    struct ptimer itimers[3];   /* ITIMER_REAL (SIGALRM), VIRTUAL (SIGVTALRM), PROF (SIGPROF) */
};

/* A CPU-time clock as a timer watches it (syscalls/cpu_clock.c decodes ids). */
struct cpu_clock_ref {
    int tid;        /* 0: the process */
    int which;
};

/* An itimerspec in nanoseconds; value 0 = disarmed. */
struct ptimer_spec {
    uint64_t interval_ns, value_ns;
};

struct ptimer_event {
    int notify, signo, tid;
    uint64_t value;
};

struct process;
struct thread;
struct ksiginfo;

/* ev NULL: SIGALRM to the process with the id as its value; cpu non-NULL:
 * a timer on that CPU-time clock. -EAGAIN past RLIMIT_SIGPENDING timers or
 * out of memory. */
long ptimer_create(struct process *p, int clock, const struct cpu_clock_ref *cpu, const struct ptimer_event *ev, int *id);
/* -EINVAL for an id that names no timer. */
long ptimer_delete(struct process *p, int id);
long ptimer_set(struct process *p, int id, int flags, const struct ptimer_spec *spec, struct ptimer_spec *old);
long ptimer_get(struct process *p, int id, struct ptimer_spec *cur);
long ptimer_overrun(struct process *p, int id);
/* ITIMER_REAL, ITIMER_VIRTUAL, ITIMER_PROF (0, 1, 2; old may be NULL). */
void itimer_set(struct process *p, int which, const struct ptimer_spec *spec, struct ptimer_spec *old);
void itimer_get(struct process *p, int which, struct ptimer_spec *cur);
/* Whether p has CPU timers armed; the check tick of t (running now, from
 * the timer interrupt): start the entries of those whose clock has passed
 * their expiration, and say whether to keep ticking. */
bool posix_cpu_timers_armed(struct process *p);
bool posix_cpu_timers_check(struct process *p, struct thread *t);
/* A timer's signal (info->code SI_TIMER) was taken from its queue: fill in
 * its overrun and start counting anew. False if it is stale (its timer was
 * set anew or deleted since): the caller drops it, as Linux does. With
 * p->sig_lock held; every way a signal leaves a queue must call it. */
bool posix_timer_dequeued(struct process *p, struct ksiginfo *info);
