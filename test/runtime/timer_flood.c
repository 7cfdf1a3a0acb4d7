/* Timers with a 1 ns period must not take the machine: the kernel's timer
 * interrupt used to run such an entry again and again without end (each
 * run re-adds it already due). Expirations are still all counted. The same
 * lines on Linux; its signal storms (a handler for a 1 us itimer) starve a
 * program there, so the signals here stay blocked and are taken by
 * sigtimedwait. */
#define _GNU_SOURCE
#include "checks.h"
#include <signal.h>
#include <stdint.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

static void sleep_ms(long ms)
{
    struct timespec ts = { 0, ms * 1000000 };
    while (nanosleep(&ts, &ts) != 0) {}
}

int main(void)
{
    sigset_t alrm;
    sigemptyset(&alrm);
    sigaddset(&alrm, SIGALRM);
    CHECK(sigprocmask(SIG_BLOCK, &alrm, NULL) == 0);

    int fd = timerfd_create(CLOCK_MONOTONIC, 0);
    CHECK(fd >= 0);
    struct itimerspec every_ns = { { 0, 1 }, { 0, 1 } };
    CHECK(timerfd_settime(fd, 0, &every_ns, NULL) == 0);
    sleep_ms(100);
    uint64_t ticks = 0;
    CHECK(read(fd, &ticks, sizeof ticks) == sizeof ticks);
    printf("timerfd, 1 ns period: a million expirations in 100 ms: %s\n", ticks >= 1000000 ? "yes" : "no");
    struct itimerspec off = { { 0, 0 }, { 0, 0 } };
    CHECK(timerfd_settime(fd, 0, &off, NULL) == 0);

    timer_t t;
    struct sigevent se = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGALRM };
    CHECK(timer_create(CLOCK_MONOTONIC, &se, &t) == 0);
    CHECK(timer_settime(t, 0, &every_ns, NULL) == 0);
    sleep_ms(100);
    siginfo_t si;
    CHECK(sigwaitinfo(&alrm, &si) == SIGALRM);
    printf("timer_create, 1 ns period: overrun of a million: %s\n", si.si_overrun >= 1000000 ? "yes" : "no");
    CHECK(timer_delete(t) == 0);

    struct itimerval every_us = { { 0, 1 }, { 0, 1 } };
    CHECK(setitimer(ITIMER_REAL, &every_us, NULL) == 0);
    sleep_ms(100);
    CHECK(sigwaitinfo(&alrm, &si) == SIGALRM);
    struct itimerval stop = { { 0, 0 }, { 0, 0 } };
    CHECK(setitimer(ITIMER_REAL, &stop, NULL) == 0);
    printf("setitimer, 1 us period: the program ran on: yes\n");
    printf("timer_flood: %s\n", failures ? "FAILED" : "ok");
    return failures != 0;
}
