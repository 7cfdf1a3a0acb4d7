/* poll, ppoll, select, pselect6, epoll and eventfd in one thread, with
 * results that do not depend on timing: the same binary prints the same
 * lines on Linux (run it there with stdin from /dev/null, as pith gives). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "checks.h"

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static short poll_one(int fd, short events)
{
    struct pollfd p = { fd, events, 0 };
    int n = poll(&p, 1, 0);
    CHECK(n == (p.revents != 0));
    return p.revents;
}

static void test_poll(void)
{
    int p[2];
    CHECK(pipe(p) == 0);
    CHECK(poll_one(p[0], POLLIN) == 0);
    CHECK(poll_one(p[1], POLLOUT) == POLLOUT);
    CHECK(write(p[1], "ab", 2) == 2);
    CHECK(poll_one(p[0], POLLIN | POLLOUT) == POLLIN);
    printf("pipe with data: revents %#x\n", poll_one(p[0], POLLIN | POLLRDNORM));

    /* Several at once; a negative fd is skipped, a closed one is POLLNVAL. */
    struct pollfd set[4] = { { p[0], POLLIN, 0 }, { p[1], POLLOUT, 0 }, { -1, POLLIN, 7 }, { 99, POLLIN, 0 } };
    CHECK(poll(set, 4, 0) == 3);
    CHECK(set[0].revents == POLLIN && set[1].revents == POLLOUT && set[2].revents == 0 && set[3].revents == POLLNVAL);

    /* The writer gone: HUP with the data still there, then HUP alone. */
    close(p[1]);
    CHECK(poll_one(p[0], POLLIN) == (POLLIN | POLLHUP));
    char buf[8];
    CHECK(read(p[0], buf, sizeof buf) == 2);
    CHECK(poll_one(p[0], POLLIN) == POLLHUP);
    CHECK(poll_one(p[0], 0) == POLLHUP);   /* HUP and ERR are always reported */
    close(p[0]);

    /* The reader gone: the writer sees ERR. */
    CHECK(pipe(p) == 0);
    close(p[0]);
    CHECK(poll_one(p[1], POLLOUT) == (POLLOUT | POLLERR));
    CHECK(poll_one(p[1], 0) == POLLERR);
    close(p[1]);

    /* A timeout ends with nothing ready after at least the time asked. */
    CHECK(pipe(p) == 0);
    struct pollfd e = { p[0], POLLIN, 0 };
    double t0 = now_ms();
    CHECK(poll(&e, 1, 100) == 0);
    double took = now_ms() - t0;
    CHECK(took >= 99 && took < 5000);
    CHECK(e.revents == 0);

    /* Regular files are always ready; stdin at end of input is readable. */
    int f = open("/proc/self/exe", O_RDONLY);
    CHECK(f >= 0);
    CHECK(poll_one(f, POLLIN | POLLOUT) == (POLLIN | POLLOUT));
    close(f);
    struct pollfd in = { 0, POLLIN, 0 };
    CHECK(poll(&in, 1, 1000) == 1 && (in.revents & POLLIN));
    CHECK(read(0, buf, 1) == 0);

    /* Errors. */
    FAILS(syscall(SYS_poll, 8, 1, 0), EFAULT);
    FAILS(syscall(SYS_poll, &e, 100000, 0), EINVAL);

    /* ppoll: the raw call writes back what is left of its timeout. */
    struct timespec ts = { 0, 50 * 1000 * 1000 };
    t0 = now_ms();
    CHECK(syscall(SYS_ppoll, &e, 1, &ts, NULL, 8) == 0);
    CHECK(now_ms() - t0 >= 49);
    CHECK(ts.tv_sec == 0 && ts.tv_nsec == 0);
    ts = (struct timespec){ 0, 1000000000 };
    FAILS(syscall(SYS_ppoll, &e, 1, &ts, NULL, 8), EINVAL);
    uint64_t mask = 0;
    ts = (struct timespec){ 0, 0 };
    FAILS(syscall(SYS_ppoll, &e, 1, &ts, &mask, 4), EINVAL);
    CHECK(syscall(SYS_ppoll, &e, 1, &ts, &mask, 8) == 0);
    CHECK(write(p[1], "x", 1) == 1);
    CHECK(ppoll(&e, 1, NULL, NULL) == 1 && e.revents == POLLIN);
    close(p[0]);
    close(p[1]);
}

static void test_select(void)
{
    int p[2];
    CHECK(pipe(p) == 0);
    fd_set r, w;
    struct timeval tv = { 0, 0 };
    FD_ZERO(&r);
    FD_ZERO(&w);
    FD_SET(p[0], &r);
    FD_SET(p[1], &w);
    CHECK(syscall(SYS_select, p[1] + 1, &r, &w, NULL, &tv) == 1);
    CHECK(!FD_ISSET(p[0], &r) && FD_ISSET(p[1], &w));
    CHECK(write(p[1], "x", 1) == 1);
    FD_SET(p[0], &r);
    FD_SET(p[0], &w);   /* the read end is never writable */
    CHECK(syscall(SYS_select, p[1] + 1, &r, &w, NULL, &tv) == 2);
    CHECK(FD_ISSET(p[0], &r) && FD_ISSET(p[1], &w) && !FD_ISSET(p[0], &w));
    char c;
    CHECK(read(p[0], &c, 1) == 1);

    /* Timeout: nothing ready after the time asked; the timeval written back. */
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    tv = (struct timeval){ 0, 100000 };
    double t0 = now_ms();
    CHECK(syscall(SYS_select, p[0] + 1, &r, NULL, NULL, &tv) == 0);
    CHECK(now_ms() - t0 >= 99);
    CHECK(!FD_ISSET(p[0], &r) && tv.tv_sec == 0 && tv.tv_usec == 0);

    /* Errors: a closed fd in a set, negative nfds, bad pointers and times. */
    FD_ZERO(&r);
    FD_SET(77, &r);
    tv = (struct timeval){ 0, 0 };
    FAILS(syscall(SYS_select, 78, &r, NULL, NULL, &tv), EBADF);
    FAILS(syscall(SYS_select, -1, NULL, NULL, NULL, &tv), EINVAL);
    FAILS(syscall(SYS_select, 1, (void *)8, NULL, NULL, &tv), EFAULT);
    tv = (struct timeval){ -1, 0 };
    FAILS(syscall(SYS_select, 1, NULL, NULL, NULL, &tv), EINVAL);
    FAILS(syscall(SYS_select, 1, NULL, NULL, NULL, (void *)8), EFAULT);

    /* pselect6: a timespec, and the { mask, size } pair. */
    struct timespec ts = { 0, 30 * 1000 * 1000 };
    uint64_t mask = 0;
    struct { uint64_t *mask; size_t size; } sig = { &mask, 8 };
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    CHECK(syscall(SYS_pselect6, p[0] + 1, &r, NULL, NULL, &ts, &sig) == 0);
    CHECK(ts.tv_sec == 0 && ts.tv_nsec == 0);
    sig.size = 16;
    FAILS(syscall(SYS_pselect6, p[0] + 1, &r, NULL, NULL, &ts, &sig), EINVAL);
    CHECK(write(p[1], "x", 1) == 1);
    FD_SET(p[0], &r);
    CHECK(pselect(p[0] + 1, &r, NULL, NULL, NULL, NULL) == 1 && FD_ISSET(p[0], &r));
    close(p[0]);
    close(p[1]);
}

static void test_eventfd(void)
{
    uint64_t v;
    int e = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    CHECK(e >= 0);
    CHECK((fcntl(e, F_GETFD) & FD_CLOEXEC) && (fcntl(e, F_GETFL) & O_NONBLOCK));
    FAILS(read(e, &v, 8), EAGAIN);
    CHECK(poll_one(e, POLLIN | POLLOUT) == POLLOUT);
    v = 3;
    CHECK(write(e, &v, 8) == 8);
    CHECK(write(e, &v, 8) == 8);
    CHECK(poll_one(e, POLLIN | POLLOUT) == (POLLIN | POLLOUT));
    CHECK(read(e, &v, 8) == 8 && v == 6);
    FAILS(read(e, &v, 4), EINVAL);
    FAILS(write(e, &v, 4), EINVAL);
    v = UINT64_MAX;
    FAILS(write(e, &v, 8), EINVAL);
    v = UINT64_MAX - 1;   /* the largest count */
    CHECK(write(e, &v, 8) == 8);
    CHECK(poll_one(e, POLLIN | POLLOUT) == POLLIN);
    v = 1;
    FAILS(write(e, &v, 8), EAGAIN);
    v = 0;
    CHECK(write(e, &v, 8) == 8);   /* adding nothing always fits */
    CHECK(read(e, &v, 8) == 8 && v == UINT64_MAX - 1);
    close(e);

    e = eventfd(2, EFD_SEMAPHORE | EFD_NONBLOCK);
    CHECK(read(e, &v, 8) == 8 && v == 1);
    CHECK(read(e, &v, 8) == 8 && v == 1);
    FAILS(read(e, &v, 8), EAGAIN);
    close(e);
    FAILS(eventfd(0, 0x10), EINVAL);
}

static int wait_events(int ep, struct epoll_event *ev, int max, int timeout)
{
    int n = epoll_wait(ep, ev, max, timeout);
    CHECK(n >= 0);
    return n;
}

static void test_epoll(void)
{
    struct epoll_event ev, out[8];
    FAILS(syscall(SYS_epoll_create, 0), EINVAL);
    FAILS(epoll_create1(1), EINVAL);
    int lt = epoll_create1(EPOLL_CLOEXEC), et = epoll_create1(0), one = epoll_create(1);
    CHECK(lt >= 0 && et >= 0 && one >= 0);
    CHECK(fcntl(lt, F_GETFD) & FD_CLOEXEC);
    CHECK(!(fcntl(et, F_GETFD) & FD_CLOEXEC));
    int p[2];
    CHECK(pipe(p) == 0);

    /* epoll_ctl's errors. */
    ev = (struct epoll_event){ .events = EPOLLIN, .data.u64 = 42 };
    int f = open("/proc/self/exe", O_RDONLY);
    FAILS(epoll_ctl(lt, EPOLL_CTL_ADD, f, &ev), EPERM);
    close(f);
    int null = open("/dev/null", O_RDONLY);
    FAILS(epoll_ctl(lt, EPOLL_CTL_ADD, null, &ev), EPERM);
    close(null);
    FAILS(epoll_ctl(lt, EPOLL_CTL_ADD, 99, &ev), EBADF);
    FAILS(epoll_ctl(99, EPOLL_CTL_ADD, p[0], &ev), EBADF);
    FAILS(epoll_ctl(p[1], EPOLL_CTL_ADD, p[0], &ev), EINVAL);
    FAILS(epoll_ctl(lt, EPOLL_CTL_ADD, lt, &ev), EINVAL);
    FAILS(epoll_ctl(lt, EPOLL_CTL_ADD, p[0], (void *)8), EFAULT);
    FAILS(epoll_ctl(lt, EPOLL_CTL_MOD, p[0], &ev), ENOENT);
    FAILS(epoll_ctl(lt, EPOLL_CTL_DEL, p[0], NULL), ENOENT);
    FAILS(epoll_ctl(lt, 7, p[0], &ev), EINVAL);
    ev.events = EPOLLIN | EPOLLEXCLUSIVE | EPOLLONESHOT;
    FAILS(epoll_ctl(lt, EPOLL_CTL_ADD, p[0], &ev), EINVAL);
    ev.events = EPOLLIN;
    CHECK(epoll_ctl(lt, EPOLL_CTL_ADD, p[0], &ev) == 0);
    FAILS(epoll_ctl(lt, EPOLL_CTL_ADD, p[0], &ev), EEXIST);
    ev.events = EPOLLIN | EPOLLEXCLUSIVE;
    FAILS(epoll_ctl(lt, EPOLL_CTL_MOD, p[0], &ev), EINVAL);
    ev = (struct epoll_event){ .events = EPOLLIN | EPOLLET, .data.u64 = 43 };
    CHECK(epoll_ctl(et, EPOLL_CTL_ADD, p[0], &ev) == 0);
    ev = (struct epoll_event){ .events = EPOLLIN | EPOLLONESHOT, .data.u64 = 44 };
    CHECK(epoll_ctl(one, EPOLL_CTL_ADD, p[0], &ev) == 0);

    /* epoll_wait's errors. */
    FAILS(epoll_wait(lt, out, 0, 0), EINVAL);
    FAILS(epoll_wait(99, out, 1, 0), EBADF);
    FAILS(epoll_wait(p[0], out, 1, 0), EINVAL);
    FAILS(epoll_wait(lt, (void *)-4096L, 1, 0), EFAULT);
    uint64_t mask = 0;
    FAILS(syscall(SYS_epoll_pwait, lt, out, 1, 0, &mask, 4), EINVAL);

    /* Nothing ready: 0 now, and 0 after the time asked. */
    CHECK(wait_events(lt, out, 8, 0) == 0);
    double t0 = now_ms();
    CHECK(wait_events(lt, out, 8, 100) == 0);
    CHECK(now_ms() - t0 >= 99);
    struct timespec ts = { 0, 50 * 1000 * 1000 };
    t0 = now_ms();
    CHECK(syscall(SYS_epoll_pwait2, lt, out, 8, &ts, NULL, 8) == 0);
    CHECK(now_ms() - t0 >= 49);
    CHECK(poll_one(lt, POLLIN) == 0);

    /* Data: level-triggered reports while it is there; edge-triggered once
     * per write; one-shot once until MOD arms it again. */
    CHECK(write(p[1], "a", 1) == 1);
    CHECK(poll_one(lt, POLLIN) == POLLIN);   /* an epoll fd is pollable */
    CHECK(wait_events(lt, out, 8, 0) == 1 && out[0].events == EPOLLIN && out[0].data.u64 == 42);
    CHECK(wait_events(lt, out, 8, 0) == 1);
    CHECK(wait_events(et, out, 8, 0) == 1 && out[0].data.u64 == 43);
    CHECK(wait_events(et, out, 8, 0) == 0);
    CHECK(wait_events(one, out, 8, -1) == 1 && out[0].data.u64 == 44);
    CHECK(wait_events(one, out, 8, 0) == 0);
    CHECK(write(p[1], "b", 1) == 1);
    CHECK(wait_events(et, out, 8, -1) == 1);
    CHECK(wait_events(et, out, 8, 0) == 0);
    CHECK(wait_events(one, out, 8, 0) == 0);
    ev = (struct epoll_event){ .events = EPOLLIN | EPOLLONESHOT, .data.u64 = 45 };
    CHECK(epoll_ctl(one, EPOLL_CTL_MOD, p[0], &ev) == 0);
    CHECK(wait_events(one, out, 8, 0) == 1 && out[0].data.u64 == 45);
    /* The pipe still holds "b": only level-triggered reports it. */
    printf("lt %d et %d oneshot %d\n", wait_events(lt, out, 8, 0), wait_events(et, out, 8, 0),
           wait_events(one, out, 8, 0));

    /* Nested: an epoll watching lt sees it readable; a cycle is refused. */
    int outer = epoll_create1(0);
    ev = (struct epoll_event){ .events = EPOLLIN, .data.u64 = 7 };
    CHECK(epoll_ctl(outer, EPOLL_CTL_ADD, lt, &ev) == 0);
    FAILS(epoll_ctl(lt, EPOLL_CTL_ADD, outer, &ev), ELOOP);
    CHECK(wait_events(outer, out, 8, 0) == 1 && out[0].data.u64 == 7);
    char buf[8];
    CHECK(read(p[0], buf, sizeof buf) == 2);
    CHECK(wait_events(lt, out, 8, 0) == 0);
    CHECK(wait_events(outer, out, 8, 0) == 0);

    /* An eventfd and the pipe's write end in one set. */
    int e = eventfd(0, EFD_NONBLOCK);
    ev = (struct epoll_event){ .events = EPOLLIN, .data.u64 = 50 };
    CHECK(epoll_ctl(lt, EPOLL_CTL_ADD, e, &ev) == 0);
    ev = (struct epoll_event){ .events = EPOLLOUT, .data.u64 = 51 };
    CHECK(epoll_ctl(lt, EPOLL_CTL_ADD, p[1], &ev) == 0);
    CHECK(wait_events(lt, out, 8, 0) == 1 && out[0].data.u64 == 51 && out[0].events == EPOLLOUT);
    uint64_t one_more = 1;
    CHECK(write(e, &one_more, 8) == 8);
    int n = wait_events(lt, out, 8, 0);
    CHECK(n == 2 && out[0].data.u64 + out[1].data.u64 == 101);
    CHECK(epoll_ctl(lt, EPOLL_CTL_DEL, p[1], NULL) == 0);
    CHECK(epoll_ctl(lt, EPOLL_CTL_DEL, e, NULL) == 0);

    /* The writer gone: HUP; the reader closed: it leaves every set. */
    close(p[1]);
    CHECK(wait_events(lt, out, 8, 0) == 1 && out[0].events == EPOLLHUP);
    close(p[0]);
    CHECK(wait_events(lt, out, 8, 0) == 0);
    CHECK(wait_events(et, out, 8, 0) == 0);
    close(e);
    close(outer);
    close(lt);
    close(et);
    close(one);
}

int main(void)
{
    test_poll();
    test_select();
    test_eventfd();
    test_epoll();
    if (failures) printf("event_wait: %d checks FAILED\n", failures);
    else printf("event_wait: all checks passed\n");
    return failures != 0;
}
