/* timer_create, timer_settime, timer_gettime, timer_getoverrun,
 * timer_delete: argument checks as Linux makes them; the timers are
 * kernel/posix_timer.c. */
#include "syscalls.h"
#include "cpu_clock.h"
#include "timeout.h"
#include "../kernel/process.h"
#include "../kernel/usercopy.h"

#define CLOCK_REALTIME 0
#define CLOCK_MONOTONIC 1
#define CLOCK_MONOTONIC_RAW 4
#define CLOCK_REALTIME_COARSE 5
#define CLOCK_MONOTONIC_COARSE 6
#define CLOCK_BOOTTIME 7
#define CLOCK_REALTIME_ALARM 8
#define CLOCK_BOOTTIME_ALARM 9
#define SIGRTMAX 64

/* Linux's struct sigevent (64 bytes). */
struct sigevent_user {
    uint64_t value;
    int32_t signo, notify;
    int32_t tid;        /* SIGEV_THREAD_ID's thread (the union's first word) */
    int32_t pad[11];
};
_Static_assert(sizeof(struct sigevent_user) == 64, "sigevent is Linux's");

struct itimerspec_user {
    struct timespec_user interval, value;
};

/* Linux's good_sigevent: a notification it can deliver, else -EINVAL. */
static long check_event(const struct sigevent_user *e, struct ptimer_event *out)
{
    int notify = e->notify;
    if (notify == (SIGEV_SIGNAL | SIGEV_THREAD_ID)) {
        if (!process_has_thread(current_process(), e->tid)) return -EINVAL;
        notify = SIGEV_THREAD_ID;
    } else if (notify == SIGEV_THREAD) {
        notify = SIGEV_SIGNAL;     /* the kernel sees glibc's SIGEV_THREAD only as a signal */
    } else if (notify != SIGEV_SIGNAL && notify != SIGEV_NONE) {
        return -EINVAL;
    }
    if (notify != SIGEV_NONE && (e->signo <= 0 || e->signo > SIGRTMAX)) return -EINVAL;
    *out = (struct ptimer_event){ .notify = notify, .signo = e->signo, .tid = e->tid, .value = e->value };
    return 0;
}

/* Which clocks take timers: Linux's, less the alarm clocks. *cpu is set
 * for a CPU-time clock. */
static long check_clock(int clk, struct cpu_clock_ref *cpu, bool *is_cpu)
{
    *is_cpu = false;
    switch (clk) {
    case CLOCK_REALTIME:
    case CLOCK_MONOTONIC:
    case CLOCK_BOOTTIME:
        return 0;
    case CLOCK_MONOTONIC_RAW:
    case CLOCK_REALTIME_COARSE:
    case CLOCK_MONOTONIC_COARSE:
        return -EOPNOTSUPP;     /* clocks without timers, as on Linux */
    case CLOCK_REALTIME_ALARM:
    case CLOCK_BOOTTIME_ALARM:
        return -EPERM;          /* needs CAP_WAKE_ALARM, as timerfd here */
    default:
        if (!clock_is_cpu(clk)) return -EINVAL;
        if (clk < 0 && (clk & 7) == 3) return -EOPNOTSUPP;     /* a posix clock on an fd: no timers there */
        *is_cpu = true;
        return cpu_clock_target(clk, &cpu->tid, &cpu->which);
    }
}

long sys_timer_create(int clk, uint64_t uevent, uint64_t uid)
{
    struct sigevent_user e;
    struct ptimer_event ev;
    if (uevent && copy_from_user(&e, uevent, sizeof e) < 0) return -EFAULT;
    struct cpu_clock_ref cpu;
    bool is_cpu;
    long r = check_clock(clk, &cpu, &is_cpu);
    if (r < 0) return r;
    if (uevent && (r = check_event(&e, &ev)) < 0) return r;
    struct process *p = current_process();
    int id;
    r = ptimer_create(p, clk, is_cpu ? &cpu : NULL, uevent ? &ev : NULL, &id);
    if (r < 0) return r;
    int32_t out = id;
    if (copy_to_user(uid, &out, sizeof out) < 0) {
        ptimer_delete(p, id);
        return -EFAULT;
    }
    return 0;
}

static uint64_t ns_of(struct timespec_user t)
{
    /* Past ~292 years: a deadline that never comes, not an overflow. */
    if ((uint64_t)t.sec >= UINT64_MAX / NSEC_PER_SEC / 2) return UINT64_MAX / 2;
    return (uint64_t)t.sec * NSEC_PER_SEC + (uint64_t)t.nsec;
}

static long spec_to_user(uint64_t u, const struct ptimer_spec *s)
{
    struct itimerspec_user out = {
        .interval = { (int64_t)(s->interval_ns / NSEC_PER_SEC), (int64_t)(s->interval_ns % NSEC_PER_SEC) },
        .value = { (int64_t)(s->value_ns / NSEC_PER_SEC), (int64_t)(s->value_ns % NSEC_PER_SEC) },
    };
    return copy_to_user(u, &out, sizeof out) < 0 ? -EFAULT : 0;
}

long sys_timer_settime(int id, int flags, uint64_t unew, uint64_t uold)
{
    struct itimerspec_user in;
    if (copy_from_user(&in, unew, sizeof in) < 0) return -EFAULT;
    if (!timespec_valid(in.interval.sec, in.interval.nsec) || !timespec_valid(in.value.sec, in.value.nsec))
        return -EINVAL;
    struct ptimer_spec spec = { ns_of(in.interval), ns_of(in.value) }, old;
    long r = ptimer_set(current_process(), id, flags & TIMER_ABSTIME, &spec, &old);
    if (r == 0 && uold) r = spec_to_user(uold, &old);
    return r;
}

long sys_timer_gettime(int id, uint64_t ucur)
{
    struct ptimer_spec cur;
    long r = ptimer_get(current_process(), id, &cur);
    return r < 0 ? r : spec_to_user(ucur, &cur);
}

long sys_timer_getoverrun(int id) { return ptimer_overrun(current_process(), id); }

long sys_timer_delete(int id) { return ptimer_delete(current_process(), id); }
