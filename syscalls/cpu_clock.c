/* CPU-time clocks (syscalls/cpu_clock.h) over kernel/cputime.c. */
#include "cpu_clock.h"
#include "../kernel/process.h"
#include "../klib/errno.h"

#define CPUCLOCK_PROF 0
#define CPUCLOCK_VIRT 1
#define CPUCLOCK_SCHED 2
#define CPUCLOCK_FD 3
#define CPUCLOCK_PERTHREAD 4


long cpu_clock_target(int clk, int *tid, int *which)
{
    if (clk == CLOCK_PROCESS_CPUTIME_ID) clk = (int)(~0u << 3) | CPUCLOCK_SCHED;
    else if (clk == CLOCK_THREAD_CPUTIME_ID) clk = (int)(~0u << 3) | CPUCLOCK_PERTHREAD | CPUCLOCK_SCHED;
    if (clk >= 0) return -EINVAL;
    int id = ~(clk >> 3);
    *which = clk & 3;
    if (*which == CPUCLOCK_FD) return -EINVAL;
    struct thread *self = current_thread();
    if (clk & CPUCLOCK_PERTHREAD) {
        /* Only a thread of our own process. */
        *tid = id ? id : self->tid;
        return process_has_thread(current_process(), *tid) ? 0 : -EINVAL;
    }
    *tid = 0;
    return id == 0 || id == PROCESS_PID ? 0 : -EINVAL;
}

long cpu_clock_read(int clk, bool gettime, uint64_t *ns)
{
    int tid, which;
    /* clock_gettime also takes the caller's tid as its process's clock. */
    if (gettime && clk < 0 && !(clk & CPUCLOCK_PERTHREAD) && ~(clk >> 3) == current_thread()->tid)
        clk = (int)(~0u << 3) | (clk & 3);
    long r = cpu_clock_target(clk, &tid, &which);
    if (r < 0) return r;
    struct process *p = current_process();
    struct cputime c;
    if (tid) {
        /* With a reference: the thread may exit on another CPU meanwhile. */
        struct thread *t = process_thread_get(p, tid);
        if (!t) return -EINVAL;
        c = cputime_thread(t);
        thread_put(t);
    } else {
        c = cputime_process(p);
    }
    *ns = which == CPUCLOCK_VIRT ? c.user_ns : cputime_total(c);
    return 0;
}
