/* Clocks and sleeping. */
#include "syscalls.h"
#include "../kernel/process.h"
#include "../kernel/usercopy.h"
#include "../kernel/clock.h"
#include "../kernel/wait.h"
#include "cpu_clock.h"
#include "../kernel/cputime.h"

#define CLOCK_REALTIME 0
#define CLOCK_MONOTONIC 1
#define CLOCK_MONOTONIC_RAW 4
#define CLOCK_REALTIME_COARSE 5
#define CLOCK_MONOTONIC_COARSE 6
#define CLOCK_BOOTTIME 7
#define TIMER_ABSTIME 1
#define NSEC 1000000000ul

struct timespec_k {
    int64_t sec, nsec;
};

static long clock_now(int clk, uint64_t *ns)
{
    switch (clk) {
    case CLOCK_REALTIME:
    case CLOCK_REALTIME_COARSE:
        *ns = clock_realtime_ns();
        return 0;
    case CLOCK_MONOTONIC:
    case CLOCK_MONOTONIC_RAW:
    case CLOCK_MONOTONIC_COARSE:
    case CLOCK_BOOTTIME:
        *ns = clock_monotonic_ns();
        return 0;
    default:
        return clock_is_cpu(clk) ? cpu_clock_read(clk, true, ns) : -EINVAL;
    }
}

long sys_clock_gettime(int clk, uint64_t ts)
{
    uint64_t ns;
    long r = clock_now(clk, &ns);
    if (r < 0) return r;
    struct timespec_k t = { (int64_t)(ns / NSEC), (int64_t)(ns % NSEC) };
    return copy_to_user(ts, &t, sizeof t) < 0 ? -EFAULT : 0;
}

long sys_clock_getres(int clk, uint64_t ts)
{
    uint64_t ns;
    /* CPU clocks count in ns, as Linux's scheduler clock. */
    long r = clock_is_cpu(clk) ? cpu_clock_read(clk, false, &ns) : clock_now(clk, &ns);
    if (r < 0) return r;
    struct timespec_k t = { 0, 1 };
    if (ts && copy_to_user(ts, &t, sizeof t) < 0) return -EFAULT;
    return 0;
}

long sys_gettimeofday(uint64_t tv, uint64_t tz)
{
    uint64_t ns = clock_realtime_ns();
    struct {
        int64_t sec, usec;
    } t = { (int64_t)(ns / NSEC), (int64_t)(ns % NSEC / 1000) };
    if (tv && copy_to_user(tv, &t, sizeof t) < 0) return -EFAULT;
    if (tz) {
        int32_t zone[2] = { 0, 0 };
        if (copy_to_user(tz, zone, sizeof zone) < 0) return -EFAULT;
    }
    return 0;
}

long sys_time(uint64_t t)
{
    int64_t now = (int64_t)(clock_realtime_ns() / NSEC);
    if (t && copy_to_user(t, &now, sizeof now) < 0) return -EFAULT;
    return now;
}

/* Sleep until the monotonic clock reaches deadline: a wait on nothing but
 * the deadline, which always comes, or a signal (-EINTR). */
static int sleep_until(uint64_t deadline)
{
    return wait_until(NULL, NULL, NULL, deadline);
}

/* An interrupted relative sleep tells the caller how much was left. */
static long interrupted(uint64_t deadline, uint64_t urem)
{
    uint64_t now = clock_monotonic_ns(), left = deadline > now ? deadline - now : 0;
    struct timespec_k t = { (int64_t)(left / NSEC), (int64_t)(left % NSEC) };
    if (urem && copy_to_user(urem, &t, sizeof t) < 0) return -EFAULT;
    return -EINTR;
}

static long read_timespec(uint64_t uts, uint64_t *ns)
{
    struct timespec_k t;
    if (copy_from_user(&t, uts, sizeof t) < 0) return -EFAULT;
    if (t.sec < 0 || t.nsec < 0 || t.nsec >= (int64_t)NSEC) return -EINVAL;
    *ns = (uint64_t)t.sec > UINT64_MAX / NSEC / 2 ? UINT64_MAX / 2 : (uint64_t)t.sec * NSEC + (uint64_t)t.nsec;
    return 0;
}

long sys_nanosleep(uint64_t req, uint64_t rem)
{
    uint64_t ns;
    long r = read_timespec(req, &ns);
    if (r < 0) return r;
    uint64_t deadline = clock_monotonic_ns() + ns;
    return sleep_until(deadline) == -EINTR ? interrupted(deadline, rem) : 0;
}

/* Sleep until the process's CPU clock clk reaches target. The clock runs
 * at most ncpus times as fast as the wall clock, so sleeping the time left
 * over ncpus never overshoots by more than the step's floor, a tick of the
 * CPU-time timers' check (as Linux, which checks at its tick). A program
 * whose other threads never run sleeps in such steps for ever, as on Linux. */
static long cpu_sleep(int clk, int flags, uint64_t target, uint64_t urem)
{
    uint32_t ncpus = kernel.ncpus ? kernel.ncpus : 1;
    for (;;) {
        uint64_t now;
        long r = cpu_clock_read(clk, true, &now);
        if (r < 0) return r;
        if (now >= target) return 0;
        uint64_t step = (target - now) / ncpus;
        if (step < CPUTIME_CHECK_NS) step = CPUTIME_CHECK_NS;
        if (sleep_until(clock_monotonic_ns() + step) != -EINTR) continue;
        if (flags & TIMER_ABSTIME) return -EINTR;
        cpu_clock_read(clk, true, &now);
        uint64_t left = target > now ? target - now : 0;
        struct timespec_k t = { (int64_t)(left / NSEC), (int64_t)(left % NSEC) };
        if (urem && copy_to_user(urem, &t, sizeof t) < 0) return -EFAULT;
        return -EINTR;
    }
}

long sys_clock_nanosleep(int clk, int flags, uint64_t req, uint64_t rem)
{
    uint64_t ns, now;
    long r = clock_now(clk, &now);
    if (r < 0) return r;
    r = read_timespec(req, &ns);
    if (r < 0) return r;
    if (clock_is_cpu(clk)) {
        /* Linux sleeps on its own process's clock (CLOCK_PROCESS_CPUTIME_ID
         * or pid 0), and refuses thread clocks and its pid's explicit id. */
        if (clk != CLOCK_PROCESS_CPUTIME_ID && (clk >= 0 || (clk & 4) || ~(clk >> 3) != 0)) return -EINVAL;
        return cpu_sleep(clk, flags, (flags & TIMER_ABSTIME) ? ns : now + ns, rem);
    }
    uint64_t mono = clock_monotonic_ns();
    uint64_t deadline = (flags & TIMER_ABSTIME) ? (ns > now ? mono + (ns - now) : mono) : mono + ns;
    if (sleep_until(deadline) != -EINTR) return 0;
    return (flags & TIMER_ABSTIME) ? -EINTR : interrupted(deadline, rem);
}
