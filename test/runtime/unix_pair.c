/* AF_UNIX socketpair: stream, datagram and seqpacket semantics, control
 * messages (SCM_RIGHTS with a pipe and a file, SCM_CREDENTIALS), nonblocking
 * behaviour, shutdown, SIGPIPE, buffer sizes, FIONREAD, and poll/epoll
 * readiness including EPOLLRDHUP. The same static binary prints the same
 * lines on Linux. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <unistd.h>
#include "checks.h"

static short revents(int fd, short events)
{
    struct pollfd p = { fd, events, 0 };
    return poll(&p, 1, 0) == 1 ? p.revents : 0;
}

static void stream_basics(void)
{
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    CHECK(write(sv[0], "hello", 5) == 5);
    CHECK(send(sv[0], " world", 6, 0) == 6);
    int avail = -1;
    CHECK(ioctl(sv[1], FIONREAD, &avail) == 0);
    char buf[64] = { 0 };
    CHECK(recv(sv[1], buf, 3, MSG_PEEK) == 3);
    ssize_t n = read(sv[1], buf, sizeof buf);
    buf[n > 0 ? n : 0] = 0;
    printf("stream: FIONREAD %d, read %zd '%s'\n", avail, n, buf);
    /* Nonblocking: empty is EAGAIN; MSG_DONTWAIT too. */
    FAILS(recv(sv[1], buf, sizeof buf, MSG_DONTWAIT), EAGAIN);
    fcntl(sv[1], F_SETFL, O_NONBLOCK);
    FAILS(read(sv[1], buf, sizeof buf), EAGAIN);
    /* Vectors: writev then readv split differently. */
    struct iovec out[3] = { { "ab", 2 }, { "cde", 3 }, { "f", 1 } };
    CHECK(writev(sv[0], out, 3) == 6);
    char x[4] = { 0 }, y[4] = { 0 };
    struct iovec in[2] = { { x, 4 }, { y, 4 } };
    CHECK(readv(sv[1], in, 2) == 6);
    printf("stream: readv '%.4s' '%.2s'\n", x, y);
    /* MSG_WAITALL gathers two writes. */
    fcntl(sv[1], F_SETFL, 0);
    CHECK(write(sv[0], "12", 2) == 2 && write(sv[0], "34", 2) == 2);
    CHECK(recv(sv[1], buf, 4, MSG_WAITALL) == 4);
    /* Poll: writable, not readable; then readable. */
    printf("stream: poll idle 0x%x\n", revents(sv[1], POLLIN | POLLOUT | POLLRDHUP));
    CHECK(write(sv[0], "z", 1) == 1);
    printf("stream: poll data 0x%x\n", revents(sv[1], POLLIN | POLLOUT | POLLRDHUP));
    CHECK(read(sv[1], buf, 1) == 1);
    /* shutdown(SHUT_WR) on one end: EOF after the data on the other, RDHUP there. */
    CHECK(write(sv[0], "last", 4) == 4);
    CHECK(shutdown(sv[0], SHUT_WR) == 0);
    printf("stream: poll after peer SHUT_WR 0x%x\n", revents(sv[1], POLLIN | POLLOUT | POLLRDHUP));
    CHECK(read(sv[1], buf, sizeof buf) == 4);
    CHECK(read(sv[1], buf, sizeof buf) == 0);
    FAILS(send(sv[0], "x", 1, MSG_NOSIGNAL), EPIPE);
    CHECK(write(sv[1], "back", 4) == 4);     /* the other direction still works */
    CHECK(read(sv[0], buf, sizeof buf) == 4);
    close(sv[1]);
    printf("stream: poll after peer close 0x%x\n", revents(sv[0], POLLIN | POLLOUT | POLLRDHUP));
    CHECK(read(sv[0], buf, sizeof buf) == 0);
    close(sv[0]);
}

static volatile sig_atomic_t sigpipes;
static void on_sigpipe(int sig) { (void)sig; sigpipes++; }

static void stream_sigpipe(void)
{
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    signal(SIGPIPE, on_sigpipe);
    close(sv[1]);
    FAILS(write(sv[0], "x", 1), EPIPE);
    FAILS(send(sv[0], "x", 1, MSG_NOSIGNAL), EPIPE);
    printf("sigpipe: %d after write and send(MSG_NOSIGNAL)\n", (int)sigpipes);
    signal(SIGPIPE, SIG_DFL);
    close(sv[0]);
}

static void stream_reset(void)
{
    /* Closing with unread data: the other end's next read is ECONNRESET, then EOF. */
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    CHECK(write(sv[0], "unread", 6) == 6);
    close(sv[1]);
    char buf[8];
    FAILS(read(sv[0], buf, sizeof buf), ECONNRESET);
    CHECK(read(sv[0], buf, sizeof buf) == 0);
    close(sv[0]);
}

static void dgram(void)
{
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) == 0);
    CHECK(send(sv[0], "one", 3, 0) == 3);
    CHECK(send(sv[0], "", 0, 0) == 0);
    CHECK(send(sv[0], "three33", 7, 0) == 7);
    int avail = -1;
    CHECK(ioctl(sv[1], FIONREAD, &avail) == 0);
    char buf[16] = { 0 };
    ssize_t a = recv(sv[1], buf, sizeof buf, 0);
    ssize_t b = recv(sv[1], buf, sizeof buf, 0);
    /* Truncation: the rest of the datagram is gone; MSG_TRUNC gives its length. */
    struct iovec v = { buf, 4 };
    struct msghdr m = { .msg_iov = &v, .msg_iovlen = 1 };
    ssize_t c = recvmsg(sv[1], &m, 0);
    printf("dgram: FIONREAD %d, lengths %zd %zd %zd, flags 0x%x\n", avail, a, b, c, m.msg_flags);
    CHECK(send(sv[0], "abcdef", 6, 0) == 6);
    CHECK(recv(sv[1], buf, 2, MSG_TRUNC) == 6);
    /* The queue holds 11 datagrams from a sender not connected back... a pair is connected back: no limit but SO_SNDBUF. */
    int sent = 0;
    char big[4096] = { 0 };
    while (send(sv[0], big, sizeof big, MSG_DONTWAIT) == sizeof big && sent < 10000) sent++;
    printf("dgram: filled (%s), poll 0x%x\n", errno == EAGAIN ? "EAGAIN" : "other", revents(sv[0], POLLOUT));
    int got = 0;
    while (recv(sv[1], big, sizeof big, MSG_DONTWAIT) == sizeof big) got++;
    CHECK(got == sent);
    FAILS(send(sv[0], big, 300000, 0), EMSGSIZE);
    /* sendmmsg and recvmmsg: three datagrams each way in one call. */
    struct iovec mv[3] = { { "aa", 2 }, { "bbb", 3 }, { "c", 1 } };
    struct mmsghdr mo[3];
    memset(mo, 0, sizeof mo);
    for (int i = 0; i < 3; i++) {
        mo[i].msg_hdr.msg_iov = &mv[i];
        mo[i].msg_hdr.msg_iovlen = 1;
    }
    int ns = sendmmsg(sv[0], mo, 3, 0);
    char mb[4][8] = { { 0 } };
    struct iovec miv[4] = { { mb[0], 8 }, { mb[1], 8 }, { mb[2], 8 }, { mb[3], 8 } };
    struct mmsghdr mi[4];
    memset(mi, 0, sizeof mi);
    for (int i = 0; i < 4; i++) {
        mi[i].msg_hdr.msg_iov = &miv[i];
        mi[i].msg_hdr.msg_iovlen = 1;
    }
    struct timespec mt = { 0, 100000000 };
    int nr = recvmmsg(sv[1], mi, 4, MSG_WAITFORONE, &mt);
    printf("dgram: sendmmsg %d (%u %u %u), recvmmsg %d '%s' '%s' '%s'\n", ns, mo[0].msg_len, mo[1].msg_len, mo[2].msg_len,
           nr, mb[0], mb[1], mb[2]);
    close(sv[1]);
    FAILS(send(sv[0], "x", 1, 0), ECONNREFUSED);
    FAILS(send(sv[0], "x", 1, 0), ENOTCONN);
    close(sv[0]);
}

static void seqpacket(void)
{
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == 0);
    CHECK(send(sv[0], "first", 5, 0) == 5);
    CHECK(send(sv[0], "second", 6, 0) == 6);
    char buf[16] = { 0 };
    ssize_t a = recv(sv[1], buf, 3, 0);     /* truncated: the rest is dropped */
    ssize_t b = recv(sv[1], buf, sizeof buf, 0);
    printf("seqpacket: %zd %zd '%.6s'\n", a, b, buf);
    close(sv[0]);
    printf("seqpacket: poll after close 0x%x\n", revents(sv[1], POLLIN | POLLOUT | POLLRDHUP));
    CHECK(recv(sv[1], buf, sizeof buf, 0) == 0);
    signal(SIGPIPE, SIG_IGN);
    FAILS(send(sv[1], "x", 1, 0), EPIPE);
    signal(SIGPIPE, SIG_DFL);
    close(sv[1]);
}

/* Send fds with SCM_RIGHTS; returns sendmsg's result. */
static ssize_t send_fds(int sock, const int *fds, int n, const char *data)
{
    char ctl[CMSG_SPACE(sizeof(int) * 8)] = { 0 };
    struct iovec v = { (void *)data, strlen(data) };
    struct msghdr m = { .msg_iov = &v, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = CMSG_SPACE(sizeof(int) * n) };
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * n);
    memcpy(CMSG_DATA(c), fds, sizeof(int) * n);
    return sendmsg(sock, &m, 0);
}

/* Receive: how many fds arrived (into fds), and msg_flags. */
static int recv_fds(int sock, int *fds, size_t ctl_space, int *flags, int rflags)
{
    char ctl[256];
    char data[16];
    struct iovec v = { data, sizeof data };
    struct msghdr m = { .msg_iov = &v, .msg_iovlen = 1, .msg_control = ctl_space ? ctl : NULL, .msg_controllen = ctl_space };
    if (recvmsg(sock, &m, rflags) < 0) return -1;
    *flags = m.msg_flags;
    int n = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
            int k = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
            memcpy(fds + n, CMSG_DATA(c), sizeof(int) * k);
            n += k;
        }
    }
    return n;
}

static void rights(void)
{
    int sv[2], p[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    CHECK(pipe(p) == 0);
    int file = open("/proc/self/exe", O_RDONLY);
    CHECK(file >= 0);
    int pass[2] = { p[1], file };
    CHECK(send_fds(sv[0], pass, 2, "fds") == 3);
    /* The sender's descriptors may go: the files live in flight. */
    close(p[1]);
    close(file);
    int got[8], flags = 0;
    CHECK(recv_fds(sv[1], got, sizeof(char[256]), &flags, MSG_CMSG_CLOEXEC) == 2);
    CHECK(write(got[0], "via pipe", 8) == 8);
    char buf[16] = { 0 };
    CHECK(read(p[0], buf, sizeof buf) == 8);
    char elf[4];
    CHECK(pread(got[1], elf, 4, 0) == 4 && memcmp(elf, "\177ELF", 4) == 0);
    printf("rights: pipe '%s', file starts ELF, cloexec %d\n", buf, (fcntl(got[0], F_GETFD) & FD_CLOEXEC) != 0);
    close(got[0]);
    /* The last writer closed: EOF on the pipe. */
    CHECK(read(p[0], buf, sizeof buf) == 0);
    close(got[1]);
    /* No room for the descriptors: MSG_CTRUNC, and they are closed. */
    CHECK(pipe(p) == 0);
    pass[0] = p[1];
    CHECK(send_fds(sv[0], pass, 1, "x") == 1);
    close(p[1]);
    CHECK(recv_fds(sv[1], got, 0, &flags, 0) == 0);
    printf("rights: no control buffer: flags 0x%x, pipe EOF %d\n", flags, read(p[0], buf, 1) == 0);
    close(p[0]);
    /* One fd of room for two. */
    int q[2];
    CHECK(pipe(q) == 0);
    int two[2] = { q[0], q[1] };
    CHECK(send_fds(sv[0], two, 2, "y") == 1);
    CHECK(recv_fds(sv[1], got, CMSG_LEN(sizeof(int)), &flags, 0) == 1);
    printf("rights: room for one of two: flags 0x%x\n", flags);
    close(got[0]);
    close(q[0]);
    close(q[1]);
    /* A closed fd in SCM_RIGHTS is EBADF. */
    int bad = 999;
    FAILS(send_fds(sv[0], &bad, 1, "z"), EBADF);
    /* Pass over a datagram pair too; closing the receiver with it unread drops it. */
    int dv[2];
    CHECK(socketpair(AF_UNIX, SOCK_DGRAM, 0, dv) == 0);
    CHECK(pipe(p) == 0);
    CHECK(send_fds(dv[0], &p[1], 1, "d") == 1);
    close(p[1]);
    close(dv[1]);
    printf("rights: unread in a closed socket: pipe EOF %d\n", read(p[0], buf, 1) == 0);
    close(p[0]);
    close(dv[0]);
    close(sv[0]);
    close(sv[1]);
}

static void credentials(void)
{
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    struct ucred peer;
    socklen_t len = sizeof peer;
    CHECK(getsockopt(sv[0], SOL_SOCKET, SO_PEERCRED, &peer, &len) == 0);
    printf("cred: SO_PEERCRED len %u pid-is-me %d uid %u gid %u\n", (unsigned)len, peer.pid == getpid(), peer.uid, peer.gid);
    int on = 1;
    CHECK(setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &on, sizeof on) == 0);
    CHECK(write(sv[0], "c", 1) == 1);
    char data[4], ctl[64];
    struct iovec v = { data, sizeof data };
    struct msghdr m = { .msg_iov = &v, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl };
    CHECK(recvmsg(sv[1], &m, 0) == 1);
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    struct ucred got = { 0 };
    if (c && c->cmsg_type == SCM_CREDENTIALS) memcpy(&got, CMSG_DATA(c), sizeof got);
    printf("cred: SCM_CREDENTIALS level %d type %d len %zu pid-is-me %d uid %u\n", c ? c->cmsg_level : -1,
           c ? c->cmsg_type : -1, c ? (size_t)c->cmsg_len : 0, got.pid == getpid(), got.uid);
    /* Sending credentials explicitly: our own pass, a bad length is EINVAL. */
    struct ucred mine = { getpid(), getuid(), getgid() };
    char sctl[CMSG_SPACE(sizeof mine)] = { 0 };
    struct iovec sv2 = { "d", 1 };
    struct msghdr sm = { .msg_iov = &sv2, .msg_iovlen = 1, .msg_control = sctl, .msg_controllen = sizeof sctl };
    struct cmsghdr *sc = CMSG_FIRSTHDR(&sm);
    sc->cmsg_level = SOL_SOCKET;
    sc->cmsg_type = SCM_CREDENTIALS;
    sc->cmsg_len = CMSG_LEN(sizeof mine);
    memcpy(CMSG_DATA(sc), &mine, sizeof mine);
    CHECK(sendmsg(sv[0], &sm, 0) == 1);
    sc->cmsg_len = CMSG_LEN(8);
    FAILS(sendmsg(sv[0], &sm, 0), EINVAL);
    sc->cmsg_type = 77;
    sc->cmsg_len = CMSG_LEN(sizeof mine);
    FAILS(sendmsg(sv[0], &sm, 0), EINVAL);
    close(sv[0]);
    close(sv[1]);
}

static void buffers(void)
{
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    int v = 0;
    socklen_t len = sizeof v;
    CHECK(getsockopt(s, SOL_SOCKET, SO_TYPE, &v, &len) == 0 && v == SOCK_STREAM);
    CHECK(getsockopt(s, SOL_SOCKET, SO_DOMAIN, &v, &len) == 0 && v == AF_UNIX);
    CHECK(getsockopt(s, SOL_SOCKET, SO_ACCEPTCONN, &v, &len) == 0 && v == 0);
    CHECK(getsockopt(s, SOL_SOCKET, SO_ERROR, &v, &len) == 0 && v == 0);
    v = 65536;
    CHECK(setsockopt(s, SOL_SOCKET, SO_SNDBUF, &v, sizeof v) == 0);
    CHECK(getsockopt(s, SOL_SOCKET, SO_SNDBUF, &v, &len) == 0);
    int r = 1000;
    CHECK(setsockopt(s, SOL_SOCKET, SO_RCVBUF, &r, sizeof r) == 0);
    CHECK(getsockopt(s, SOL_SOCKET, SO_RCVBUF, &r, &len) == 0);
    int tiny = 1;
    CHECK(setsockopt(s, SOL_SOCKET, SO_SNDBUF, &tiny, sizeof tiny) == 0);
    CHECK(getsockopt(s, SOL_SOCKET, SO_SNDBUF, &tiny, &len) == 0);
    printf("buffers: SO_SNDBUF 65536 -> %d, SO_RCVBUF 1000 -> %d, SO_SNDBUF 1 -> %d\n", v, r, tiny);
    struct timeval tv = { 0, 200000 }, back = { 9, 9 };
    len = sizeof back;
    CHECK(setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == 0);
    CHECK(getsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &back, &len) == 0);
    printf("buffers: SO_RCVTIMEO %ld.%06ld len %u\n", (long)back.tv_sec, (long)back.tv_usec, (unsigned)len);
    tv.tv_usec = 1000000;
    FAILS(setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), EDOM);
    FAILS(setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, 4), EINVAL);
    FAILS(setsockopt(s, SOL_SOCKET, SO_SNDBUF, &v, 2), EINVAL);
    FAILS(setsockopt(s, SOL_SOCKET, 9999, &v, sizeof v), ENOPROTOOPT);
    FAILS(getsockopt(s, SOL_SOCKET, 9999, &v, &len), ENOPROTOOPT);
    FAILS(setsockopt(s, 6 /* SOL_TCP */, 1, &v, sizeof v), EOPNOTSUPP);
    close(s);
}

static void timeout(void)
{
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    struct timeval tv = { 0, 100000 };
    CHECK(setsockopt(sv[1], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == 0);
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    char c;
    FAILS(read(sv[1], &c, 1), EAGAIN);
    clock_gettime(CLOCK_MONOTONIC, &b);
    long ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
    printf("timeout: SO_RCVTIMEO 100 ms waited at least 90 ms: %d\n", ms >= 90);
    close(sv[0]);
    close(sv[1]);
}

/* A signal during a blocked read: with SA_RESTART the read restarts,
 * unless the socket has SO_RCVTIMEO (then EINTR, as Linux); without
 * SA_RESTART, EINTR. */
static volatile sig_atomic_t usr1;
static void on_usr1(int sig) { (void)sig; usr1++; }

struct poke {
    pthread_t target;
    int fd;
};

static void *poker(void *arg)
{
    struct poke *p = arg;
    usleep(100000);
    pthread_kill(p->target, SIGUSR1);
    usleep(100000);
    CHECK(write(p->fd, "r", 1) == 1);
    return NULL;
}

static const char *interrupted_read(bool restart, bool timeout)
{
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = restart ? SA_RESTART : 0 };
    sigaction(SIGUSR1, &sa, NULL);
    if (timeout) {
        struct timeval tv = { 5, 0 };
        CHECK(setsockopt(sv[1], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == 0);
    }
    struct poke p = { pthread_self(), sv[0] };
    pthread_t t;
    pthread_create(&t, NULL, poker, &p);
    char c;
    errno = 0;
    ssize_t n = read(sv[1], &c, 1);
    int e = errno;
    pthread_join(t, NULL);
    close(sv[0]);
    close(sv[1]);
    signal(SIGUSR1, SIG_DFL);
    return n == 1 ? "restarted" : e == EINTR ? "EINTR" : "other";
}

static void eintr(void)
{
    const char *a = interrupted_read(true, false);
    const char *b = interrupted_read(true, true);
    const char *c = interrupted_read(false, false);
    printf("eintr: SA_RESTART %s, SA_RESTART with SO_RCVTIMEO %s, no SA_RESTART %s (handler ran %d times)\n", a, b, c,
           (int)usr1);
}

static void epoll_rdhup(void)
{
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) == 0);
    CHECK((fcntl(sv[0], F_GETFL) & O_NONBLOCK) && (fcntl(sv[0], F_GETFD) & FD_CLOEXEC));
    int ep = epoll_create1(0);
    struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP | EPOLLET, .data.u32 = 7 };
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, sv[1], &ev) == 0);
    struct epoll_event out[4];
    int n0 = epoll_wait(ep, out, 4, 0);
    CHECK(write(sv[0], "x", 1) == 1);
    int n1 = epoll_wait(ep, out, 4, 100);
    unsigned e1 = n1 == 1 ? out[0].events : 0;
    int n2 = epoll_wait(ep, out, 4, 0);     /* edge: nothing new */
    close(sv[0]);
    int n3 = epoll_wait(ep, out, 4, 100);
    unsigned e3 = n3 == 1 ? out[0].events : 0;
    printf("epoll: %d, %d 0x%x, %d, %d 0x%x\n", n0, n1, e1, n2, n3, e3);
    /* EPOLLEXCLUSIVE is accepted on a socket. */
    int s2[2];
    CHECK(socketpair(AF_UNIX, SOCK_DGRAM, 0, s2) == 0);
    struct epoll_event ex = { .events = EPOLLIN | EPOLLEXCLUSIVE };
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, s2[1], &ex) == 0);
    CHECK(send(s2[0], "q", 1, 0) == 1);
    printf("epoll: exclusive %d\n", epoll_wait(ep, out, 4, 100));
    close(s2[0]);
    close(s2[1]);
    close(sv[1]);
    close(ep);
}

/* A blocked reader in another thread is woken by the writer. */
static void *late_writer(void *arg)
{
    usleep(50000);
    CHECK(write(*(int *)arg, "late", 4) == 4);
    return NULL;
}

static void blocking(void)
{
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    pthread_t t;
    pthread_create(&t, NULL, late_writer, &sv[0]);
    char buf[8] = { 0 };
    CHECK(read(sv[1], buf, sizeof buf) == 4);
    pthread_join(t, NULL);
    /* A full stream blocks the writer until a reader drains it. */
    int v = 4096;
    CHECK(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &v, sizeof v) == 0);
    static char big[1 << 20];
    ssize_t w = send(sv[0], big, sizeof big, MSG_DONTWAIT);
    printf("blocking: late read '%s', nonblocking big send partial %d\n", buf, w > 0 && w < (ssize_t)sizeof big);
    close(sv[0]);
    close(sv[1]);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    stream_basics();
    stream_sigpipe();
    stream_reset();
    dgram();
    seqpacket();
    rights();
    credentials();
    buffers();
    timeout();
    eintr();
    epoll_rdhup();
    blocking();
    printf("unix_pair: %s\n", failures ? "FAILED" : "all checks passed");
    return failures != 0;
}
