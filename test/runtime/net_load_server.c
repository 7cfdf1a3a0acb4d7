/* The guest's side of the bad-input and load test (test/servers/tests.sh,
 * srv_load_*): a TCP and UDP server on one port that must survive whatever
 * the host throws at it (test/servers/load_host.py) and can report the
 * guest's free memory, so the test can see memory come back after churn.
 *
 *   net_load_server PORT
 *
 * TCP, one line per request (at most LINE_MAX bytes, else "ERR too long"
 * and the connection is closed):
 *   PING  -> PONG
 *   MEM   -> MEM <MemFree kB> <MemAvailable kB>   (from /proc/meminfo)
 *   QUIT  -> BYE, then the server prints its counts and exits 0
 *   other -> ERR unknown
 * UDP: a datagram "PING" gets "PONG", any other gets "ERR <its length>".
 * Everything is non-blocking under one epoll: a client that sends a byte a
 * second (slowloris) or never reads holds only its own connection. No .expect:
 * it is not compared with Linux, the host script checks its answers. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define LINE_MAX_BYTES 4096
#define MAX_FDS 4096

struct conn {
    int used;
    size_t len;
    char line[LINE_MAX_BYTES];
};

static struct conn *conns[MAX_FDS];
static long accepted, closed_count, requests, udp_datagrams, refused_long;

static void die(const char *what)
{
    printf("load: %s: %s\n", what, strerror(errno));
    exit(1);
}

/* MemFree and MemAvailable in kB, or -1 each when /proc/meminfo lacks them. */
static void meminfo(long *free_kb, long *avail_kb)
{
    *free_kb = *avail_kb = -1;
    FILE *f = fopen("/proc/meminfo", "r");
    if (!f) return;
    char buf[256];
    while (fgets(buf, sizeof buf, f)) {
        long v;
        if (sscanf(buf, "MemFree: %ld kB", &v) == 1) *free_kb = v;
        if (sscanf(buf, "MemAvailable: %ld kB", &v) == 1) *avail_kb = v;
    }
    fclose(f);
}

static void drop(int epfd, int fd)
{
    epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL);
    close(fd);
    free(conns[fd]);
    conns[fd] = NULL;
    closed_count++;
}

/* A reply is a few bytes into an almost empty send buffer; a client that
 * never reads can fill it, and then it loses its connection. */
static int reply(int fd, const char *text)
{
    size_t n = strlen(text);
    ssize_t w = send(fd, text, n, MSG_NOSIGNAL | MSG_DONTWAIT);
    return w == (ssize_t)n ? 0 : -1;
}

/* 1 to keep the connection, 0 to close it, 2 to stop the server. */
static int handle_line(int fd, char *line)
{
    requests++;
    char out[96];
    if (!strcmp(line, "PING")) return reply(fd, "PONG\n") == 0;
    if (!strcmp(line, "MEM")) {
        long f, a;
        meminfo(&f, &a);
        snprintf(out, sizeof out, "MEM %ld %ld\n", f, a);
        return reply(fd, out) == 0;
    }
    if (!strcmp(line, "QUIT")) {
        reply(fd, "BYE\n");
        return 2;
    }
    return reply(fd, "ERR unknown\n") == 0;
}

/* Read what is there; 2 means QUIT was asked. */
static int serve_conn(int epfd, int fd)
{
    struct conn *c = conns[fd];
    for (;;) {
        char buf[2048];
        ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) return 0;
        if (n <= 0) { drop(epfd, fd); return 0; }
        for (ssize_t i = 0; i < n; i++) {
            if (buf[i] == '\n') {
                c->line[c->len] = 0;
                if (c->len && c->line[c->len - 1] == '\r') c->line[c->len - 1] = 0;
                c->len = 0;
                int r = handle_line(fd, c->line);
                if (r == 2) { drop(epfd, fd); return 2; }
                if (r == 0) { drop(epfd, fd); return 0; }
                continue;
            }
            if (c->len == LINE_MAX_BYTES - 1) {
                refused_long++;
                reply(fd, "ERR too long\n");
                drop(epfd, fd);
                return 0;
            }
            c->line[c->len++] = buf[i];
        }
    }
}

static void serve_udp(int u)
{
    static char buf[65536];
    for (;;) {
        struct sockaddr_storage from;
        socklen_t fl = sizeof from;
        ssize_t n = recvfrom(u, buf, sizeof buf, MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
        if (n < 0) return;
        udp_datagrams++;
        char out[64];
        if (n == 4 && !memcmp(buf, "PING", 4)) strcpy(out, "PONG");
        else snprintf(out, sizeof out, "ERR %zd", n);
        sendto(u, out, strlen(out), MSG_DONTWAIT, (struct sockaddr *)&from, fl);
    }
}

int main(int argc, char **argv)
{
    if (argc != 2) { printf("usage: net_load_server PORT\n"); return 2; }
    int port = atoi(argv[1]);
    setvbuf(stdout, NULL, _IOLBF, 0);

    /* Dual-stack: IPv4 clients arrive as v4-mapped addresses, and the
     * injected IPv6 frames of net_tap_packets_* reach the program too. */
    int l = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int u = socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (l < 0 || u < 0) die("socket");
    int one = 1, zero = 0;
    setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    setsockopt(l, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
    setsockopt(u, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
    struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_port = htons(port), .sin6_addr = IN6ADDR_ANY_INIT };
    if (bind(l, (struct sockaddr *)&a, sizeof a) < 0) die("bind tcp");
    if (bind(u, (struct sockaddr *)&a, sizeof a) < 0) die("bind udp");
    if (listen(l, 128) < 0) die("listen");

    int epfd = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = { .events = EPOLLIN, .data.fd = l };
    epoll_ctl(epfd, EPOLL_CTL_ADD, l, &ev);
    ev.data.fd = u;
    epoll_ctl(epfd, EPOLL_CTL_ADD, u, &ev);

    long f, av;
    meminfo(&f, &av);
    printf("load: listening on %d (MemFree %ld kB)\n", port, f);

    for (;;) {
        struct epoll_event evs[64];
        int n = epoll_wait(epfd, evs, 64, -1);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) die("epoll_wait");
        for (int i = 0; i < n; i++) {
            int fd = evs[i].data.fd;
            if (fd == l) {
                for (;;) {
                    int c = accept4(l, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                    if (c < 0) break;
                    if (c >= MAX_FDS) { close(c); continue; }
                    accepted++;
                    conns[c] = calloc(1, sizeof *conns[c]);
                    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    struct epoll_event ce = { .events = EPOLLIN | EPOLLRDHUP, .data.fd = c };
                    epoll_ctl(epfd, EPOLL_CTL_ADD, c, &ce);
                }
            } else if (fd == u) {
                serve_udp(u);
            } else if (conns[fd] && serve_conn(epfd, fd) == 2) {
                printf("load: accepted %ld closed %ld requests %ld udp %ld too-long %ld\n",
                       accepted, closed_count, requests, udp_datagrams, refused_long);
                return 0;
            }
        }
    }
}
