/* A TCP and UDP echo server on one port, for test/net/tests.sh (no .expect:
 * it needs a NIC and clients from the host). One epoll loop: a listener,
 * its connections and a UDP socket. Prints "echo: listening on PORT" when
 * ready and exits after serving `count` TCP connections to their end. */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

static void die(const char *what)
{
    printf("echo: %s: %s\n", what, strerror(errno));
    exit(1);
}

/* Write all of buf, waiting for room when the socket is full. */
static int send_all(int fd, const char *buf, size_t n)
{
    while (n) {
        ssize_t w = send(fd, buf, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EAGAIN) {
            struct pollfd p = { fd, POLLOUT, 0 };
            if (poll(&p, 1, 10000) <= 0) return -1;
            continue;
        }
        if (w <= 0) return -1;
        buf += w;
        n -= (size_t)w;
    }
    return 0;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    int port = argc > 1 ? atoi(argv[1]) : 7777, count = argc > 2 ? atoi(argv[2]) : 1;
    int l = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (l < 0) die("socket");
    int one = 1;
    setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port), .sin6_addr = in6addr_any };
    if (bind(l, (struct sockaddr *)&a, sizeof a) < 0) die("bind");
    if (listen(l, 256) < 0) die("listen");
    int u = socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    struct sockaddr_in6 ua = { .sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port), .sin6_addr = in6addr_any };
    if (u < 0 || bind(u, (struct sockaddr *)&ua, sizeof ua) < 0) die("udp bind");

    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = { .events = EPOLLIN, .data.fd = l };
    epoll_ctl(ep, EPOLL_CTL_ADD, l, &ev);
    ev.data.fd = u;
    epoll_ctl(ep, EPOLL_CTL_ADD, u, &ev);
    printf("echo: listening on %d\n", port);

    int served = 0, open_now = 0, most = 0, datagrams = 0;
    static char buf[65536];
    while (served < count) {
        struct epoll_event evs[64];
        int n = epoll_wait(ep, evs, 64, 60000);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) die("epoll_wait (nothing for 60 s)");
        for (int i = 0; i < n; i++) {
            int fd = evs[i].data.fd;
            if (fd == l) {
                for (;;) {
                    int c = accept4(l, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                    if (c < 0) break;
                    struct epoll_event cev = { .events = EPOLLIN | EPOLLRDHUP, .data.fd = c };
                    epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev);
                    if (++open_now > most) most = open_now;
                }
            } else if (fd == u) {
                struct sockaddr_storage from;
                socklen_t len = sizeof from;
                ssize_t r;
                while ((r = recvfrom(u, buf, sizeof buf, 0, (struct sockaddr *)&from, &len)) >= 0) {
                    sendto(u, buf, (size_t)r, 0, (struct sockaddr *)&from, len);
                    datagrams++;
                    len = sizeof from;
                }
            } else {
                ssize_t r = recv(fd, buf, sizeof buf, 0);
                if (r > 0) {
                    if (send_all(fd, buf, (size_t)r) < 0) r = -1;
                    else continue;
                }
                if (r < 0 && errno == EAGAIN) continue;
                epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
                close(fd);
                open_now--;
                served++;
            }
        }
    }
    printf("echo: served %d connections (%d at once at most), %d datagrams\n", served, most, datagrams);
    return 0;
}
