/* getitimer, setitimer, alarm. The three interval timers are timers of
 * kernel/posix_timer.c sending to the process: ITIMER_REAL SIGALRM on the
 * monotonic clock, ITIMER_VIRTUAL SIGVTALRM on its user CPU time,
 * ITIMER_PROF SIGPROF on its user+system CPU time. */
#include "syscalls.h"
#include "../kernel/process.h"
#include "../kernel/usercopy.h"

#define ITIMER_REAL 0
#define ITIMER_VIRTUAL 1
#define ITIMER_PROF 2
#define NSEC_PER_USEC 1000ull
#define USEC_PER_SEC 1000000ll

struct timeval_user {
    int64_t sec, usec;
};

struct itimerval_user {
    struct timeval_user interval, value;
};

static bool which_valid(int which) { return which == ITIMER_REAL || which == ITIMER_VIRTUAL || which == ITIMER_PROF; }

static struct timeval_user tv_of(uint64_t ns)
{
    return (struct timeval_user){ (int64_t)(ns / 1000000000), (int64_t)(ns % 1000000000 / NSEC_PER_USEC) };
}

static uint64_t ns_of(struct timeval_user t)
{
    if ((uint64_t)t.sec >= UINT64_MAX / 1000000000 / 2) return UINT64_MAX / 2;
    return (uint64_t)t.sec * 1000000000 + (uint64_t)t.usec * NSEC_PER_USEC;
}

/* Linux reports an armed timer with nothing left as 1 us to go. */
static struct itimerval_user to_user(const struct ptimer_spec *s)
{
    uint64_t value = s->value_ns && s->value_ns < NSEC_PER_USEC ? NSEC_PER_USEC : s->value_ns;
    return (struct itimerval_user){ tv_of(s->interval_ns), tv_of(value) };
}

long sys_getitimer(int which, uint64_t ucur)
{
    if (!which_valid(which)) return -EINVAL;
    struct ptimer_spec cur;
    itimer_get(current_process(), which, &cur);
    struct itimerval_user out = to_user(&cur);
    return copy_to_user(ucur, &out, sizeof out) < 0 ? -EFAULT : 0;
}

static bool tv_valid(struct timeval_user t) { return t.sec >= 0 && t.usec >= 0 && t.usec < USEC_PER_SEC; }

long sys_setitimer(int which, uint64_t unew, uint64_t uold)
{
    struct itimerval_user in = { 0 };
    /* A NULL new value disarms, as Linux still allows. */
    if (unew) {
        if (copy_from_user(&in, unew, sizeof in) < 0) return -EFAULT;
        if (!tv_valid(in.interval) || !tv_valid(in.value)) return -EINVAL;
    }
    if (!which_valid(which)) return -EINVAL;
    struct ptimer_spec spec = { ns_of(in.interval), ns_of(in.value) }, old;
    itimer_set(current_process(), which, &spec, &old);
    if (uold) {
        struct itimerval_user out = to_user(&old);
        if (copy_to_user(uold, &out, sizeof out) < 0) return -EFAULT;
    }
    return 0;
}

long sys_alarm(unsigned seconds)
{
    struct ptimer_spec spec = { 0, (uint64_t)seconds * 1000000000 }, old;
    itimer_set(current_process(), ITIMER_REAL, &spec, &old);
    struct timeval_user left = to_user(&old).value;
    /* Whole seconds, rounded to nearest, and never 0 while armed (Linux). */
    int64_t sec = left.sec;
    if ((!sec && left.usec) || left.usec >= 500000) sec++;
    return (long)sec;
}
