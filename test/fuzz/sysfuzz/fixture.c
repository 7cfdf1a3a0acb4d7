/* The fds every run starts with, always at the same numbers (a failed open
 * leaves /dev/null in its place), so fd arguments mean the same in a replay:
 * pipes, socketpairs, an eventfd, a memfd, files and a directory, epoll, a
 * timerfd, a signalfd, inet sockets, and stdin on /dev/null (stdin may share
 * the console with the log). */
#include "sysfuzz.h"
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/eventfd.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <sys/signalfd.h>
#include <sys/inotify.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <signal.h>

static int next_fd = 3;

/* the fd a step made must be next_fd; fill gaps with /dev/null */
static void settle(void)
{
    for (;;) {
        int fd = open("/dev/null", O_RDWR);
        if (fd < 0) return;
        if (fd > next_fd) { close(fd); next_fd++; continue; }
        if (fd == next_fd) { next_fd++; continue; }
        close(fd);
        return;
    }
}

static void take(int fd) { if (fd >= next_fd) next_fd = fd + 1; settle(); }

void fixture_fds(void)
{
    int null = open("/dev/null", O_RDWR);
    if (null >= 0 && null != 0) { dup2(null, 0); close(null); }
    mkdir("/tmp", 0777);
    mkdir("/tmp/sysfuzz", 0777);
    mkdir("/tmp/sysfuzz/d0", 0777);
    for (int i = 0; i < 3; i++) {
        char p[32] = "/tmp/sysfuzz/f0";
        p[14] = '0' + i;
        int fd = open(p, O_RDWR | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) { write(fd, "sysfuzz\n", 8); close(fd); }
    }
    symlink("f0", "/tmp/sysfuzz/l0");
    settle();

    int p[2], s[2];
    if (pipe(p) == 0) take(p[1]); else settle();
    if (pipe2(p, O_NONBLOCK) == 0) take(p[1]); else settle();
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, s) == 0) take(s[1]); else settle();
    if (socketpair(AF_UNIX, SOCK_DGRAM, 0, s) == 0) take(s[1]); else settle();
    take(eventfd(1, 0));
    int m = (int)sys6(319, (uint64_t)"sysfuzz", 0, 0, 0, 0, 0); /* memfd_create */
    if (m >= 0) ftruncate(m, 65536);
    take(m);
    take(open("/tmp/sysfuzz/f0", O_RDWR));
    take(open("/tmp/sysfuzz", O_RDONLY | O_DIRECTORY));
    int ep = epoll_create1(0);
    if (ep >= 0) {
        struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT, .data.u64 = 7 };
        epoll_ctl(ep, EPOLL_CTL_ADD, 3, &ev);
        epoll_ctl(ep, EPOLL_CTL_ADD, 7, &ev);
    }
    take(ep);
    int tf = timerfd_create(CLOCK_MONOTONIC, 0);
    if (tf >= 0) {
        struct itimerspec its = { { 0, 20000000 }, { 0, 20000000 } };
        timerfd_settime(tf, 0, &its, NULL);
    }
    take(tf);
    sigset_t ss;
    sigemptyset(&ss);
    sigaddset(&ss, SIGUSR2);
    take(signalfd(-1, &ss, 0));
    take(open("/dev/zero", O_RDONLY));
    int u = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in lo = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    if (u >= 0) bind(u, (struct sockaddr *)&lo, sizeof lo);
    take(u);
    int l = socket(AF_INET, SOCK_STREAM, 0);
    socklen_t len = sizeof lo;
    if (l >= 0 && bind(l, (struct sockaddr *)&lo, sizeof lo) == 0 && listen(l, 4) == 0)
        getsockname(l, (struct sockaddr *)&lo, &len);
    take(l);
    int cl = socket(AF_INET, SOCK_STREAM, 0);
    if (cl >= 0) connect(cl, (struct sockaddr *)&lo, sizeof lo);
    take(cl);
    take(l >= 0 ? accept4(l, NULL, NULL, SOCK_NONBLOCK) : -1);
    take(socket(AF_UNIX, SOCK_DGRAM, 0));
    take(open("/proc/self/status", O_RDONLY));
    take(open("/", O_PATH));
    take(inotify_init1(IN_NONBLOCK));
    take(open("/tmp/sysfuzz/f1", O_WRONLY | O_APPEND));
}
