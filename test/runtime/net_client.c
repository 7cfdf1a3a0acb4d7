/* The guest as a client, for test/net/tests.sh (no .expect: it needs the
 * host). Connects to HOST:PORT (a server the test runs on the host's
 * loopback, reached through QEMU's user-network gateway, or an IPv6 address
 * beyond the tap path's gateway6), sends a line,
 * prints the answer; then a non-blocking connect to HOST:CLOSED must end
 * in ECONNREFUSED. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc < 4) {
        printf("usage: net_client HOST PORT CLOSED_PORT\n");
        return 2;
    }
    struct sockaddr_in6 a6 = { .sin6_family = AF_INET6 };
    struct sockaddr_in a4 = { .sin_family = AF_INET };
    bool v6 = strchr(argv[1], ':') != NULL;
    if (v6 ? inet_pton(AF_INET6, argv[1], &a6.sin6_addr) != 1 : inet_pton(AF_INET, argv[1], &a4.sin_addr) != 1) {
        printf("client: not an address: %s\n", argv[1]);
        return 2;
    }
    struct sockaddr *a = v6 ? (struct sockaddr *)&a6 : (struct sockaddr *)&a4;
    socklen_t alen = v6 ? sizeof a6 : sizeof a4;
    a6.sin6_port = a4.sin_port = htons((uint16_t)atoi(argv[2]));
    int fd = socket(a->sa_family, SOCK_STREAM, 0);
    if (connect(fd, a, alen) < 0) {
        printf("client: connect: %s\n", strerror(errno));
        return 1;
    }
    const char *line = "hello from the guest\n";
    if (send(fd, line, strlen(line), 0) != (ssize_t)strlen(line)) printf("client: send: %s\n", strerror(errno));
    char buf[256];
    size_t got = 0;
    ssize_t r;
    while (got < sizeof buf - 1 && (r = recv(fd, buf + got, sizeof buf - 1 - got, 0)) > 0) got += (size_t)r;
    buf[got] = 0;
    printf("client: got: %s", buf);
    close(fd);

    a6.sin6_port = a4.sin_port = htons((uint16_t)atoi(argv[3]));
    fd = socket(a->sa_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int c = connect(fd, a, alen);
    int err = c == 0 ? 0 : errno;
    if (c < 0 && errno == EINPROGRESS) {
        struct pollfd p = { fd, POLLOUT, 0 };
        int n = poll(&p, 1, 10000);
        socklen_t len = sizeof err;
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
        printf("client: closed port: poll %d revents%s%s, SO_ERROR %s\n", n, p.revents & POLLOUT ? " OUT" : "",
               p.revents & POLLERR ? " ERR" : "", strerror(err));
    } else {
        printf("client: closed port: connect says %s\n", strerror(err));
    }
    printf("client: %s\n", err == ECONNREFUSED ? "refused as expected" : "NOT refused");
    return err == ECONNREFUSED ? 0 : 1;
}
