/* timerfd: one-shot, interval counts, ABSTIME, gettime, poll and epoll,
 * errors. Timing-dependent counts are checked within generous ranges and
 * not printed: the printed lines are the same on Linux. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "checks.h"

static struct itimerspec spec(long value_ms, long interval_ms)
{
    return (struct itimerspec){ { interval_ms / 1000, interval_ms % 1000 * 1000000 }, { value_ms / 1000, value_ms % 1000 * 1000000 } };
}

static uint64_t take(int fd)
{
    uint64_t n = 0;
    if (read(fd, &n, sizeof n) != sizeof n) return 0;
    return n;
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    int fd = timerfd_create(CLOCK_MONOTONIC, 0);
    CHECK(fd >= 0);
    struct itimerspec cur;
    CHECK(timerfd_gettime(fd, &cur) == 0 && cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec == 0);

    /* One-shot: a blocking read returns 1 after about 300 ms (long enough
     * that a loaded host does not let it expire before the gettime). */
    struct itimerspec s = spec(300, 0);
    CHECK(timerfd_settime(fd, 0, &s, NULL) == 0);
    CHECK(timerfd_gettime(fd, &cur) == 0 && cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec > 0 && cur.it_value.tv_nsec <= 300000000);
    printf("one-shot: %llu\n", (unsigned long long)take(fd));
    CHECK(timerfd_gettime(fd, &cur) == 0 && cur.it_value.tv_nsec == 0);

    /* Interval: 5 ms over about 50 ms. */
    int nb = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    CHECK(nb >= 0);
    uint64_t n;
    FAILS(read(nb, &n, sizeof n), EAGAIN);
    s = spec(5, 5);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CHECK(timerfd_settime(nb, 0, &s, NULL) == 0);
    usleep(50000);
    n = take(nb);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    /* No more periods than passed: a loaded host may stretch the 50 ms
     * sleep far beyond 20 periods (a fixed bound failed so). */
    int64_t passed_ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    CHECK(n >= 3 && (int64_t)n <= passed_ms / 5 + 1);
    CHECK(timerfd_gettime(nb, &cur) == 0 && cur.it_interval.tv_nsec == 5000000);
    FAILS(read(nb, &n, 4), EINVAL);

    /* poll and epoll see it become readable. */
    struct pollfd p = { nb, POLLIN, 0 };
    take(nb);
    CHECK(poll(&p, 1, 1000) == 1 && p.revents == POLLIN);
    int ep = epoll_create1(0);
    struct epoll_event ev = { .events = EPOLLIN, .data.u32 = 7 }, out;
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, nb, &ev) == 0);
    take(nb);
    CHECK(epoll_wait(ep, &out, 1, 1000) == 1 && out.data.u32 == 7 && out.events == EPOLLIN);
    printf("interval: poll and epoll ready\n");

    /* Disarm with zero: nothing more arrives; old value comes back. */
    struct itimerspec zero = spec(0, 0), old;
    CHECK(timerfd_settime(nb, 0, &zero, &old) == 0 && old.it_interval.tv_nsec == 5000000);
    take(nb);
    usleep(15000);
    FAILS(read(nb, &n, sizeof n), EAGAIN);
    CHECK(poll(&p, 1, 0) == 0);
    close(ep);

    /* ABSTIME on both clocks; a time already past fires at once. */
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    s = (struct itimerspec){ { 0, 0 }, { now.tv_sec, now.tv_nsec } };
    CHECK(timerfd_settime(fd, TFD_TIMER_ABSTIME, &s, NULL) == 0);
    printf("abstime past: %llu\n", (unsigned long long)take(fd));
    int rt = timerfd_create(CLOCK_REALTIME, 0);
    clock_gettime(CLOCK_REALTIME, &now);
    now.tv_nsec += 10000000;
    if (now.tv_nsec >= 1000000000) now.tv_sec++, now.tv_nsec -= 1000000000;
    s = (struct itimerspec){ { 0, 0 }, now };
    CHECK(timerfd_settime(rt, TFD_TIMER_ABSTIME, &s, NULL) == 0);
    printf("abstime realtime: %llu\n", (unsigned long long)take(rt));
    int bt = timerfd_create(CLOCK_BOOTTIME, 0);
    CHECK(bt >= 0);

    /* Errors. */
    FAILS(timerfd_create(CLOCK_PROCESS_CPUTIME_ID, 0), EINVAL);
    FAILS(timerfd_create(CLOCK_MONOTONIC, 0x10), EINVAL);
    s = spec(0, 0);
    s.it_value.tv_nsec = 1000000000;
    FAILS(timerfd_settime(fd, 0, &s, NULL), EINVAL);
    s = spec(10, 0);
    FAILS(timerfd_settime(fd, 4, &s, NULL), EINVAL);
    FAILS(timerfd_settime(99, 0, &s, NULL), EBADF);
    FAILS(timerfd_settime(0, 0, &s, NULL), EINVAL);
    FAILS(timerfd_gettime(0, &cur), EINVAL);
    FAILS(timerfd_settime(fd, 0, (void *)8, NULL), EFAULT);
    FAILS(write(fd, &n, sizeof n), EINVAL);
    close(fd);
    close(nb);
    close(rt);
    close(bt);
    if (failures) printf("timerfd: %d FAILED\n", failures);
    else printf("timerfd: all checks passed\n");
    return failures != 0;
}
