/* AF_UNIX names: a filesystem path (a socket node stat shows as S_IFSOCK,
 * found again by connect through the path, ECONNREFUSED once its socket is
 * gone) and abstract names, each with a server thread; listen backlogs,
 * accept4 flags, getsockname/getpeername, SO_PEERCRED, autobind, datagrams
 * by name. The same static binary prints the same lines on Linux. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include "checks.h"

static socklen_t path_addr(struct sockaddr_un *a, const char *path)
{
    memset(a, 0, sizeof *a);
    a->sun_family = AF_UNIX;
    strcpy(a->sun_path, path);
    return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1);
}

static socklen_t abstract_addr(struct sockaddr_un *a, const char *name)
{
    memset(a, 0, sizeof *a);
    a->sun_family = AF_UNIX;
    memcpy(a->sun_path + 1, name, strlen(name));
    return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name));
}

struct server {
    int fd;
    int served;
};

/* Accept two clients; echo one message each, upper-cased. */
static void *serve(void *arg)
{
    struct server *s = arg;
    for (int i = 0; i < 2; i++) {
        struct sockaddr_un peer;
        socklen_t len = sizeof peer;
        int c = accept4(s->fd, (struct sockaddr *)&peer, &len, SOCK_CLOEXEC);
        if (c < 0) break;
        char buf[32];
        ssize_t n = read(c, buf, sizeof buf);
        for (ssize_t k = 0; k < n; k++)
            if (buf[k] >= 'a' && buf[k] <= 'z') buf[k] -= 32;
        if (n > 0) CHECK(write(c, buf, (size_t)n) == n);
        close(c);
        s->served++;
    }
    return NULL;
}

static void client(struct sockaddr_un *a, socklen_t len, const char *what)
{
    int c = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK(connect(c, (struct sockaddr *)a, len) == 0);
    struct sockaddr_un peer;
    socklen_t plen = sizeof peer;
    CHECK(getpeername(c, (struct sockaddr *)&peer, &plen) == 0);
    CHECK(plen == len && memcmp(&peer, a, len) == 0);
    struct ucred cred;
    socklen_t clen = sizeof cred;
    CHECK(getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cred, &clen) == 0 && cred.pid == getpid());
    CHECK(write(c, what, strlen(what)) == (ssize_t)strlen(what));
    char buf[32] = { 0 };
    CHECK(read(c, buf, sizeof buf) == (ssize_t)strlen(what));
    printf("client: '%s' -> '%s'\n", what, buf);
    close(c);
}

static void path_names(void)
{
    mkdir("/tmp", 0777);
    const char *path = "/tmp/pith-unix-names.sock";
    unlink(path);
    struct sockaddr_un a;
    socklen_t len = path_addr(&a, path);
    int l = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK(bind(l, (struct sockaddr *)&a, len) == 0);
    struct stat st;
    CHECK(stat(path, &st) == 0);
    printf("path: S_ISSOCK %d size %lld\n", S_ISSOCK(st.st_mode), (long long)st.st_size);
    FAILS(open(path, O_RDONLY), ENXIO);
    struct sockaddr_un got;
    socklen_t glen = sizeof got;
    CHECK(getsockname(l, (struct sockaddr *)&got, &glen) == 0);
    printf("path: getsockname len %u '%s'\n", (unsigned)glen, got.sun_path);
    /* Not listening yet: connect is refused. */
    int early = socket(AF_UNIX, SOCK_STREAM, 0);
    FAILS(connect(early, (struct sockaddr *)&a, len), ECONNREFUSED);
    close(early);
    CHECK(listen(l, 5) == 0);
    int v = 0;
    socklen_t vlen = sizeof v;
    CHECK(getsockopt(l, SOL_SOCKET, SO_ACCEPTCONN, &v, &vlen) == 0 && v == 1);
    /* A second bind of the same path: EADDRINUSE; binding twice: EINVAL. */
    int other = socket(AF_UNIX, SOCK_STREAM, 0);
    FAILS(bind(other, (struct sockaddr *)&a, len), EADDRINUSE);
    FAILS(bind(l, (struct sockaddr *)&a, len), EADDRINUSE);
    /* A datagram socket cannot connect to a stream one. */
    int d = socket(AF_UNIX, SOCK_DGRAM, 0);
    FAILS(connect(d, (struct sockaddr *)&a, len), EPROTOTYPE);
    close(d);
    struct server s = { l, 0 };
    pthread_t t;
    pthread_create(&t, NULL, serve, &s);
    client(&a, len, "path one");
    client(&a, len, "path two");
    pthread_join(t, NULL);
    close(l);
    close(other);
    /* The node stays after its socket closed: connecting is refused. */
    int late = socket(AF_UNIX, SOCK_STREAM, 0);
    FAILS(connect(late, (struct sockaddr *)&a, len), ECONNREFUSED);
    CHECK(unlink(path) == 0);
    FAILS(connect(late, (struct sockaddr *)&a, len), ENOENT);
    close(late);
    /* A path through a regular file's name is refused, a missing directory ENOENT. */
    path_addr(&a, "/tmp/pith-unix-no-such-dir/x");
    int b = socket(AF_UNIX, SOCK_STREAM, 0);
    FAILS(bind(b, (struct sockaddr *)&a, path_addr(&a, "/tmp/pith-unix-no-such-dir/x")), ENOENT);
    int reg = open("/tmp/pith-unix-regular", O_CREAT | O_WRONLY, 0644);
    close(reg);
    FAILS(connect(b, (struct sockaddr *)&a, path_addr(&a, "/tmp/pith-unix-regular")), ECONNREFUSED);
    unlink("/tmp/pith-unix-regular");
    close(b);
}

static void abstract_names(void)
{
    struct sockaddr_un a;
    socklen_t len = abstract_addr(&a, "pith-abstract-test");
    int l = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
    CHECK(bind(l, (struct sockaddr *)&a, len) == 0);
    CHECK(listen(l, 1) == 0);
    struct sockaddr_un got;
    socklen_t glen = sizeof got;
    CHECK(getsockname(l, (struct sockaddr *)&got, &glen) == 0);
    printf("abstract: getsockname len %u, leading NUL %d, name '%s'\n", (unsigned)glen, got.sun_path[0] == 0, got.sun_path + 1);
    int dup = socket(AF_UNIX, SOCK_STREAM, 0);
    FAILS(bind(dup, (struct sockaddr *)&a, len), EADDRINUSE);
    close(dup);
    /* Nonblocking accept with nobody: EAGAIN; backlog 1 holds two, a third is EAGAIN. */
    FAILS(accept(l, NULL, NULL), EAGAIN);
    int c[3];
    for (int i = 0; i < 3; i++) c[i] = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
    CHECK(connect(c[0], (struct sockaddr *)&a, len) == 0);
    CHECK(connect(c[1], (struct sockaddr *)&a, len) == 0);
    FAILS(connect(c[2], (struct sockaddr *)&a, len), EAGAIN);
    struct pollfd p = { l, POLLIN, 0 };
    int ready = poll(&p, 1, 0);
    printf("abstract: listener poll %d 0x%x\n", ready, p.revents);
    int s0 = accept4(l, NULL, NULL, SOCK_NONBLOCK);
    CHECK(s0 >= 0 && (fcntl(s0, F_GETFL) & O_NONBLOCK));
    CHECK(connect(c[2], (struct sockaddr *)&a, len) == 0);     /* room again */
    /* Connecting again: the full queue is checked first (EAGAIN), as on Linux. */
    FAILS(connect(c[0], (struct sockaddr *)&a, len), EAGAIN);
    /* Connected before accept: data waits in the embryo. */
    CHECK(write(c[1], "early", 5) == 5);
    int s1 = accept(l, NULL, NULL);
    char buf[8] = { 0 };
    CHECK(read(s1, buf, sizeof buf) == 5);
    printf("abstract: data sent before accept '%s'\n", buf);
    /* The listener closes with one not accepted: its client sees the reset. */
    close(l);
    int e = 0;
    socklen_t elen = sizeof e;
    FAILS(read(c[2], buf, sizeof buf), ECONNRESET);
    CHECK(getsockopt(c[2], SOL_SOCKET, SO_ERROR, &e, &elen) == 0);
    printf("abstract: after listener close SO_ERROR %d, read %zd\n", e, read(c[2], buf, sizeof buf));
    /* The name is free again. */
    l = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK(bind(l, (struct sockaddr *)&a, len) == 0);
    CHECK(listen(l, 4) == 0);
    struct server s = { l, 0 };
    pthread_t t;
    pthread_create(&t, NULL, serve, &s);
    client(&a, len, "abstract one");
    client(&a, len, "abstract two");
    pthread_join(t, NULL);
    for (int i = 0; i < 3; i++) close(c[i]);
    close(s0);
    close(s1);
    close(l);
}

static void datagrams(void)
{
    struct sockaddr_un a, b, from;
    socklen_t alen = abstract_addr(&a, "pith-dgram-a"), blen = abstract_addr(&b, "pith-dgram-b");
    int x = socket(AF_UNIX, SOCK_DGRAM, 0), y = socket(AF_UNIX, SOCK_DGRAM, 0), z = socket(AF_UNIX, SOCK_DGRAM, 0);
    CHECK(bind(x, (struct sockaddr *)&a, alen) == 0);
    CHECK(bind(y, (struct sockaddr *)&b, blen) == 0);
    CHECK(sendto(y, "to x", 4, 0, (struct sockaddr *)&a, alen) == 4);
    char buf[16] = { 0 };
    socklen_t flen = sizeof from;
    CHECK(recvfrom(x, buf, sizeof buf, 0, (struct sockaddr *)&from, &flen) == 4);
    printf("dgram: from len %u '%.*s'\n", (unsigned)flen, (int)flen - 3, from.sun_path + 1);
    /* An unbound sender: recvfrom reports no name. */
    CHECK(sendto(z, "anon", 4, 0, (struct sockaddr *)&a, alen) == 4);
    flen = sizeof from;
    CHECK(recvfrom(x, buf, sizeof buf, 0, (struct sockaddr *)&from, &flen) == 4);
    printf("dgram: unbound sender name len %u\n", (unsigned)flen);
    /* x connects to y: z may no longer send to x? (only y's connect would forbid) */
    CHECK(connect(y, (struct sockaddr *)&a, alen) == 0);
    FAILS(sendto(z, "no", 2, 0, (struct sockaddr *)&b, blen), EPERM);
    /* Autobind: binding to just the family gives a 5-hex-digit abstract name. */
    int w = socket(AF_UNIX, SOCK_DGRAM, 0);
    CHECK(bind(w, (struct sockaddr *)&(struct sockaddr_un){ .sun_family = AF_UNIX }, sizeof(sa_family_t)) == 0);
    flen = sizeof from;
    CHECK(getsockname(w, (struct sockaddr *)&from, &flen) == 0);
    printf("dgram: autobind len %u leading NUL %d\n", (unsigned)flen, from.sun_path[0] == 0);
    /* A full queue: 11 datagrams fit, the 12th is EAGAIN. */
    int sent = 0;
    while (sendto(z, "q", 1, MSG_DONTWAIT, (struct sockaddr *)&a, alen) == 1 && sent < 100) sent++;
    printf("dgram: queue held %d, then %s\n", sent, errno == EAGAIN ? "EAGAIN" : "other");
    FAILS(sendto(z, "q", 1, 0, (struct sockaddr *)&(struct sockaddr_un){ .sun_family = AF_UNIX, .sun_path = "\0nobody" }, 9),
          ECONNREFUSED);
    close(w);
    close(x);
    close(y);
    close(z);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    path_names();
    abstract_names();
    datagrams();
    printf("unix_names: %s\n", failures ? "FAILED" : "all checks passed");
    return failures != 0;
}
