/* Timeouts as poll, select and epoll take them: a relative time becomes a
 * monotonic deadline; a zero timeout is POLL_NO_WAIT (check once, register
 * nothing); none is WAIT_FOREVER. Linux's validity rule: seconds and
 * nanoseconds both non-negative, nanoseconds below one second. */
#pragma once
#include "../kernel/clock.h"
#include "../kernel/poll.h"

#define NSEC_PER_SEC 1000000000ull

struct timespec_user {
    int64_t sec, nsec;
};

static inline bool timespec_valid(int64_t sec, int64_t nsec)
{
    return sec >= 0 && nsec >= 0 && nsec < (int64_t)NSEC_PER_SEC;
}

static inline uint64_t deadline_after(uint64_t sec, uint64_t nsec)
{
    if (sec == 0 && nsec == 0) return POLL_NO_WAIT;
    uint64_t now = clock_monotonic_ns();
    if (sec >= (UINT64_MAX - now) / NSEC_PER_SEC) return WAIT_FOREVER;   /* centuries: never */
    return now + sec * NSEC_PER_SEC + nsec;
}

/* What is left of a deadline, for the timeouts Linux writes back. */
static inline uint64_t time_left(uint64_t deadline)
{
    uint64_t now = clock_monotonic_ns();
    return deadline > now ? deadline - now : 0;
}
