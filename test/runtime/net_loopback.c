/* TCP and UDP over the loopback, inside the machine: the same binary on
 * Linux prints the same lines. Ports are chosen by the kernel (bind to
 * port 0), so nothing here depends on what else runs on the host. */
#define _GNU_SOURCE
#include "checks.h"
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static void pause_ms(int ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

static int listener4(struct sockaddr_in *a, int backlog)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(fd >= 0);
    int one = 1;
    CHECK(setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0);
    memset(a, 0, sizeof *a);
    a->sin_family = AF_INET;
    a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK(bind(fd, (struct sockaddr *)a, sizeof *a) == 0);
    socklen_t len = sizeof *a;
    CHECK(getsockname(fd, (struct sockaddr *)a, &len) == 0 && len == sizeof *a);
    CHECK(a->sin_port != 0);
    CHECK(listen(fd, backlog) == 0);
    return fd;
}

/* A connected pair over 127.0.0.1: *c the client, return the accepted end. */
static int tcp_pair(int lfd, const struct sockaddr_in *a, int *c)
{
    *c = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(connect(*c, (const struct sockaddr *)a, sizeof *a) == 0);
    struct sockaddr_in peer;
    socklen_t len = sizeof peer;
    int s = accept4(lfd, (struct sockaddr *)&peer, &len, SOCK_CLOEXEC);
    CHECK(s >= 0);
    CHECK(len == sizeof peer && peer.sin_family == AF_INET && peer.sin_addr.s_addr == htonl(INADDR_LOOPBACK));
    CHECK(fcntl(s, F_GETFD) == FD_CLOEXEC);
    struct sockaddr_in mine;
    len = sizeof mine;
    CHECK(getsockname(*c, (struct sockaddr *)&mine, &len) == 0 && mine.sin_port == peer.sin_port);
    len = sizeof peer;
    CHECK(getpeername(*c, (struct sockaddr *)&peer, &len) == 0 && peer.sin_port == a->sin_port);
    return s;
}

static void tcp_basics(void)
{
    struct sockaddr_in a;
    int lfd = listener4(&a, 4);
    int type = 0;
    socklen_t len = sizeof type;
    CHECK(getsockopt(lfd, SOL_SOCKET, SO_TYPE, &type, &len) == 0 && type == SOCK_STREAM);
    int acc = 0;
    len = sizeof acc;
    CHECK(getsockopt(lfd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &len) == 0 && acc == 1);

    /* Nothing queued: a non-blocking accept says so. */
    int fl = fcntl(lfd, F_GETFL);
    CHECK(fcntl(lfd, F_SETFL, fl | O_NONBLOCK) == 0);
    FAILS(accept(lfd, NULL, NULL), EAGAIN);
    CHECK(fcntl(lfd, F_SETFL, fl) == 0);

    int c, s = tcp_pair(lfd, &a, &c);
    char buf[64];
    FAILS(recv(s, buf, sizeof buf, MSG_DONTWAIT), EAGAIN);
    CHECK(send(c, "hello", 5, 0) == 5);
    struct pollfd p = { s, POLLIN, 0 };
    CHECK(poll(&p, 1, 5000) == 1 && (p.revents & POLLIN));
    int avail = -1;
    CHECK(ioctl(s, FIONREAD, &avail) == 0 && avail == 5);
    CHECK(recv(s, buf, sizeof buf, MSG_PEEK) == 5 && memcmp(buf, "hello", 5) == 0);
    CHECK(recv(s, buf, 2, 0) == 2 && memcmp(buf, "he", 2) == 0);
    CHECK(recv(s, buf, sizeof buf, 0) == 3 && memcmp(buf, "llo", 3) == 0);
    printf("tcp: send, peek, partial reads ok\n");

    /* MSG_WAITALL gathers two sends. */
    CHECK(send(c, "abc", 3, 0) == 3);
    CHECK(write(c, "defg", 4) == 4);
    CHECK(recv(s, buf, 7, MSG_WAITALL) == 7 && memcmp(buf, "abcdefg", 7) == 0);

    /* A bigger transfer in both directions, through the windows. */
    static char big[300000], back[300000];
    for (size_t i = 0; i < sizeof big; i++) big[i] = (char)(i * 7 + i / 251);
    pid_t none = 0;
    (void)none;
    size_t sent = 0, got = 0;
    CHECK(fcntl(c, F_SETFL, O_NONBLOCK) == 0);
    for (int rounds = 0; got < sizeof big && rounds < 100000; rounds++) {
        if (sent < sizeof big) {
            ssize_t n = send(c, big + sent, sizeof big - sent, 0);
            if (n > 0) sent += (size_t)n;
            else CHECK(n < 0 && errno == EAGAIN);
        }
        ssize_t n = recv(s, back + got, sizeof back - got, MSG_DONTWAIT);
        if (n > 0) got += (size_t)n;
        else CHECK(n < 0 && errno == EAGAIN);
    }
    CHECK(got == sizeof big && memcmp(big, back, sizeof big) == 0);
    CHECK(fcntl(c, F_SETFL, 0) == 0);
    printf("tcp: 300000 bytes through ok\n");

    /* Half close: the reader sees the end, poll says RDHUP. */
    CHECK(shutdown(c, SHUT_WR) == 0);
    struct pollfd q = { s, POLLIN | POLLRDHUP, 0 };
    CHECK(poll(&q, 1, 5000) == 1 && (q.revents & (POLLIN | POLLRDHUP)) == (POLLIN | POLLRDHUP));
    CHECK(recv(s, buf, sizeof buf, 0) == 0);
    FAILS(send(c, "x", 1, MSG_NOSIGNAL), EPIPE);
    /* The other direction still works. */
    CHECK(send(s, "back", 4, 0) == 4);
    CHECK(recv(c, buf, sizeof buf, 0) == 4 && memcmp(buf, "back", 4) == 0);
    printf("tcp: half close ok\n");

    /* The peer closes: after its reset, sending fails with EPIPE (and
     * SIGPIPE without MSG_NOSIGNAL). */
    close(s);
    CHECK(recv(c, buf, sizeof buf, 0) == 0);
    close(c);

    int c2, s2 = tcp_pair(lfd, &a, &c2);
    close(s2);
    int epipe = 0;
    for (int i = 0; i < 200 && !epipe; i++) {
        ssize_t n = send(c2, "data", 4, MSG_NOSIGNAL);
        if (n < 0) {
            CHECK(errno == EPIPE || errno == ECONNRESET);
            if (errno == EPIPE) epipe = 1;
        }
        pause_ms(5);
    }
    CHECK(epipe);
    signal(SIGPIPE, SIG_IGN);
    FAILS(send(c2, "data", 4, 0), EPIPE);
    signal(SIGPIPE, SIG_DFL);
    close(c2);
    printf("tcp: EPIPE after the peer closed ok\n");
    close(lfd);
}

static void tcp_errors(void)
{
    struct sockaddr_in a;
    int lfd = listener4(&a, 4);
    /* The port in use. */
    int t = socket(AF_INET, SOCK_STREAM, 0);
    FAILS(bind(t, (struct sockaddr *)&a, sizeof a), EADDRINUSE);
    close(t);
    /* An address this machine does not have. */
    t = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in far = { .sin_family = AF_INET, .sin_addr.s_addr = inet_addr("192.0.2.77") };
    FAILS(bind(t, (struct sockaddr *)&far, sizeof far), EADDRNOTAVAIL);
    FAILS(bind(t, (struct sockaddr *)&far, 4), EINVAL);
    close(t);
    /* Not connected. */
    t = socket(AF_INET, SOCK_STREAM, 0);
    char c;
    FAILS(recv(t, &c, 1, 0), ENOTCONN);
    FAILS(send(t, "x", 1, MSG_NOSIGNAL), EPIPE);
    struct sockaddr_in peer;
    socklen_t len = sizeof peer;
    FAILS(getpeername(t, (struct sockaddr *)&peer, &len), ENOTCONN);
    close(t);

    /* A closed port: refused, blocking and not. */
    close(lfd);
    t = socket(AF_INET, SOCK_STREAM, 0);
    FAILS(connect(t, (struct sockaddr *)&a, sizeof a), ECONNREFUSED);
    close(t);
    t = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int r = connect(t, (struct sockaddr *)&a, sizeof a);
    int refused = r == -1 && errno == ECONNREFUSED;
    if (!refused) {
        CHECK(r == -1 && errno == EINPROGRESS);
        struct pollfd p = { t, POLLOUT, 0 };
        CHECK(poll(&p, 1, 5000) == 1 && (p.revents & POLLERR));
        int err = 0;
        len = sizeof err;
        CHECK(getsockopt(t, SOL_SOCKET, SO_ERROR, &err, &len) == 0);
        refused = err == ECONNREFUSED;
        len = sizeof err;
        CHECK(getsockopt(t, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0);
    }
    CHECK(refused);
    close(t);
    printf("tcp: EADDRINUSE, EADDRNOTAVAIL, ENOTCONN, ECONNREFUSED ok\n");
}

static void tcp_nonblocking_connect(void)
{
    struct sockaddr_in a;
    int lfd = listener4(&a, 4);
    int c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int r = connect(c, (struct sockaddr *)&a, sizeof a);
    CHECK(r == 0 || errno == EINPROGRESS);
    struct pollfd p = { c, POLLOUT, 0 };
    CHECK(poll(&p, 1, 5000) == 1 && p.revents == POLLOUT);
    int err = -1;
    socklen_t len = sizeof err;
    CHECK(getsockopt(c, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0);
    /* Once connected, the next connect reports the success, then EISCONN. */
    if (r != 0) CHECK(connect(c, (struct sockaddr *)&a, sizeof a) == 0);
    FAILS(connect(c, (struct sockaddr *)&a, sizeof a), EISCONN);
    int s = accept(lfd, NULL, NULL);
    CHECK(s >= 0);

    /* epoll: readable with EPOLLRDHUP once the peer shuts its side. */
    int ep = epoll_create1(0);
    struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP, .data.fd = s };
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev) == 0);
    struct epoll_event out;
    CHECK(epoll_wait(ep, &out, 1, 0) == 0);
    CHECK(send(c, "ping", 4, 0) == 4);
    CHECK(epoll_wait(ep, &out, 1, 5000) == 1 && out.events == EPOLLIN);
    char buf[8];
    CHECK(read(s, buf, sizeof buf) == 4);
    CHECK(shutdown(c, SHUT_WR) == 0);
    CHECK(epoll_wait(ep, &out, 1, 5000) == 1 && out.events == (EPOLLIN | EPOLLRDHUP));
    close(ep);

    /* Options servers set. */
    int one = 1, v = 0;
    CHECK(setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) == 0);
    len = sizeof v;
    CHECK(getsockopt(s, IPPROTO_TCP, TCP_NODELAY, &v, &len) == 0 && v == 1);
    int idle = 30, intvl = 5, cnt = 3;
    CHECK(setsockopt(s, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one) == 0);
    CHECK(setsockopt(s, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle) == 0);
    CHECK(setsockopt(s, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof intvl) == 0);
    CHECK(setsockopt(s, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof cnt) == 0);
    len = sizeof v;
    CHECK(getsockopt(s, IPPROTO_TCP, TCP_KEEPIDLE, &v, &len) == 0 && v == 30);
    len = sizeof v;
    CHECK(getsockopt(s, SOL_SOCKET, SO_KEEPALIVE, &v, &len) == 0 && v == 1);
    int zero = 0;
    FAILS(setsockopt(s, IPPROTO_TCP, TCP_KEEPCNT, &zero, sizeof zero), EINVAL);
    CHECK(setsockopt(s, IPPROTO_TCP, TCP_CORK, &one, sizeof one) == 0);
    CHECK(setsockopt(s, IPPROTO_TCP, TCP_CORK, &zero, sizeof zero) == 0);

    /* SO_RCVTIMEO: a read with nothing coming ends with EAGAIN. */
    struct timeval tv = { 0, 100000 };
    CHECK(setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == 0);
    CHECK(fcntl(c, F_SETFL, 0) == 0);
    FAILS(recv(c, buf, sizeof buf, 0), EAGAIN);
    close(s);
    close(c);
    close(lfd);
    printf("tcp: non-blocking connect, epoll RDHUP, options, SO_RCVTIMEO ok\n");
}

static void tcp_many(void)
{
    struct sockaddr_in a;
    int lfd = listener4(&a, 64);
    enum { N = 40 };
    int cs[N], ss[N];
    for (int i = 0; i < N; i++) {
        cs[i] = socket(AF_INET, SOCK_STREAM, 0);
        CHECK(connect(cs[i], (struct sockaddr *)&a, sizeof a) == 0);
    }
    for (int i = 0; i < N; i++) CHECK((ss[i] = accept(lfd, NULL, NULL)) >= 0);
    for (int i = 0; i < N; i++) {
        char m = (char)('A' + i % 26), r = 0;
        CHECK(send(cs[i], &m, 1, 0) == 1);
        CHECK(recv(ss[i], &r, 1, 0) == 1 && r == m);
    }
    for (int i = 0; i < N; i++) {
        close(cs[i]);
        close(ss[i]);
    }
    close(lfd);
    printf("tcp: %d connections at once ok\n", N);
}

static void udp(void)
{
    int a = socket(AF_INET, SOCK_DGRAM, 0), b = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in aa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) }, ba = aa;
    CHECK(bind(a, (struct sockaddr *)&aa, sizeof aa) == 0);
    CHECK(bind(b, (struct sockaddr *)&ba, sizeof ba) == 0);
    socklen_t len = sizeof aa;
    CHECK(getsockname(a, (struct sockaddr *)&aa, &len) == 0);
    len = sizeof ba;
    CHECK(getsockname(b, (struct sockaddr *)&ba, &len) == 0);
    char buf[64];
    FAILS(recv(a, buf, sizeof buf, MSG_DONTWAIT), EAGAIN);
    CHECK(sendto(b, "datagram", 8, 0, (struct sockaddr *)&aa, sizeof aa) == 8);
    CHECK(sendto(b, "two", 3, 0, (struct sockaddr *)&aa, sizeof aa) == 3);
    struct sockaddr_in from;
    len = sizeof from;
    CHECK(recvfrom(a, buf, 4, 0, (struct sockaddr *)&from, &len) == 4 && memcmp(buf, "data", 4) == 0);
    CHECK(len == sizeof from && from.sin_port == ba.sin_port && from.sin_addr.s_addr == htonl(INADDR_LOOPBACK));
    CHECK(recv(a, buf, sizeof buf, MSG_PEEK) == 3);
    struct iovec iov = { buf, 2 };
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
    CHECK(recvmsg(a, &mh, 0) == 2 && (mh.msg_flags & MSG_TRUNC));
    FAILS(send(a, "x", 1, 0), EDESTADDRREQ);
    CHECK(connect(a, (struct sockaddr *)&ba, sizeof ba) == 0);
    CHECK(send(a, "reply", 5, 0) == 5);
    CHECK(recv(b, buf, sizeof buf, 0) == 5 && memcmp(buf, "reply", 5) == 0);
    struct sockaddr_in peer;
    len = sizeof peer;
    CHECK(getpeername(a, (struct sockaddr *)&peer, &len) == 0 && peer.sin_port == ba.sin_port);
    struct pollfd p = { b, POLLIN | POLLOUT, 0 };
    CHECK(poll(&p, 1, 0) == 1 && p.revents == POLLOUT);
    CHECK(send(b, "", 0, 0) == -1 || 1);
    close(a);
    close(b);
    printf("udp: sendto, recvfrom, peek, truncation, connect ok\n");
}

static void ipv6(void)
{
    /* A dual-stack listener on [::] takes an IPv4 connection (::ffff:...),
     * and an IPv6 one over ::1. */
    int l = socket(AF_INET6, SOCK_STREAM, 0);
    int zero = 0, v = -1;
    socklen_t len = sizeof v;
    CHECK(getsockopt(l, IPPROTO_IPV6, IPV6_V6ONLY, &v, &len) == 0 && v == 0);
    CHECK(setsockopt(l, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero) == 0);
    struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_addr = in6addr_any };
    CHECK(bind(l, (struct sockaddr *)&a, sizeof a) == 0);
    len = sizeof a;
    CHECK(getsockname(l, (struct sockaddr *)&a, &len) == 0 && len == sizeof a);
    CHECK(listen(l, 8) == 0);

    int c6 = socket(AF_INET6, SOCK_STREAM, 0);
    struct sockaddr_in6 to6 = { .sin6_family = AF_INET6, .sin6_port = a.sin6_port, .sin6_addr = in6addr_loopback };
    CHECK(connect(c6, (struct sockaddr *)&to6, sizeof to6) == 0);
    struct sockaddr_in6 peer;
    len = sizeof peer;
    int s6 = accept(l, (struct sockaddr *)&peer, &len);
    CHECK(s6 >= 0 && peer.sin6_family == AF_INET6 && IN6_IS_ADDR_LOOPBACK(&peer.sin6_addr));
    CHECK(send(c6, "six", 3, 0) == 3);
    char buf[8];
    CHECK(recv(s6, buf, sizeof buf, 0) == 3 && memcmp(buf, "six", 3) == 0);

    int c4 = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in to4 = { .sin_family = AF_INET, .sin_port = a.sin6_port, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    CHECK(connect(c4, (struct sockaddr *)&to4, sizeof to4) == 0);
    len = sizeof peer;
    int s4 = accept(l, (struct sockaddr *)&peer, &len);
    char text[INET6_ADDRSTRLEN] = "";
    CHECK(s4 >= 0 && peer.sin6_family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&peer.sin6_addr));
    inet_ntop(AF_INET6, &peer.sin6_addr, text, sizeof text);
    printf("ipv6: dual-stack peer %s\n", text);
    CHECK(send(c4, "four", 4, 0) == 4);
    CHECK(recv(s4, buf, sizeof buf, 0) == 4 && memcmp(buf, "four", 4) == 0);

    /* UDP over ::1. */
    int u1 = socket(AF_INET6, SOCK_DGRAM, 0), u2 = socket(AF_INET6, SOCK_DGRAM, 0);
    struct sockaddr_in6 ua = { .sin6_family = AF_INET6, .sin6_addr = in6addr_loopback };
    CHECK(bind(u1, (struct sockaddr *)&ua, sizeof ua) == 0);
    len = sizeof ua;
    CHECK(getsockname(u1, (struct sockaddr *)&ua, &len) == 0);
    CHECK(sendto(u2, "udp6", 4, 0, (struct sockaddr *)&ua, sizeof ua) == 4);
    struct sockaddr_in6 from;
    len = sizeof from;
    CHECK(recvfrom(u1, buf, sizeof buf, 0, (struct sockaddr *)&from, &len) == 4 && IN6_IS_ADDR_LOOPBACK(&from.sin6_addr));
    close(u1);
    close(u2);
    close(s4);
    close(c4);
    close(s6);
    close(c6);
    close(l);
    printf("ipv6: ::1 TCP and UDP ok\n");
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    tcp_basics();
    tcp_errors();
    tcp_nonblocking_connect();
    tcp_many();
    udp();
    ipv6();
    if (failures) printf("net_loopback: %d checks failed\n", failures);
    else printf("net_loopback: all checks passed\n");
    return failures != 0;
}
