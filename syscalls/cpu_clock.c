/* CPU-time clocks (syscalls/cpu_clock.h) over kernel/cputime.c. */
#include "cpu_clock.h"
#include "../kernel/process.h"
#include "../klib/errno.h"

#define CPUCLOCK_PROF 0
#define CPUCLOCK_VIRT 1
#define CPUCLOCK_SCHED 2
#define CPUCLOCK_FD 3
#define CPUCLOCK_PERTHREAD 4

struct find_tid {
    int tid;
    struct thread *found;
};

static void match_tid(struct thread *t, void *arg)
{
    struct find_tid *f = arg;
    if (t->tid == f->tid) f->found = t;
}

long cpu_clock_read(int clk, bool gettime, uint64_t *ns)
{
    if (clk == CLOCK_PROCESS_CPUTIME_ID) clk = (int)(~0u << 3) | CPUCLOCK_SCHED;
    else if (clk == CLOCK_THREAD_CPUTIME_ID) clk = (int)(~0u << 3) | CPUCLOCK_PERTHREAD | CPUCLOCK_SCHED;
    if (clk >= 0) return -EINVAL;
    int which = clk & 3, id = ~(clk >> 3);
    if (which == CPUCLOCK_FD) return -EINVAL;
    struct process *p = current_process();
    struct thread *self = current_thread();
    struct cputime c;
    if (clk & CPUCLOCK_PERTHREAD) {
        /* Only a thread of our own process (one CPU, no preemption in the
         * kernel: it cannot exit between the lookup and the read). */
        struct find_tid f = { .tid = id ? id : self->tid, .found = NULL };
        process_for_each_thread(p, match_tid, &f);
        if (!f.found) return -EINVAL;
        c = cputime_thread(f.found);
    } else {
        /* The process by its pid; clock_gettime also takes the caller's tid. */
        if (id != 0 && id != PROCESS_PID && !(gettime && id == self->tid)) return -EINVAL;
        c = cputime_process(p);
    }
    *ns = which == CPUCLOCK_VIRT ? c.user_ns : cputime_total(c);
    return 0;
}
