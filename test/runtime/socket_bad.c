/* Bad input to the socket calls: the errno Linux gives for bad families,
 * types and protocols, bad descriptors and non-sockets, bad addresses and
 * lengths, bad option buffers and flags; the kernel survives all of it.
 * The same static binary prints the same lines on Linux. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>
#include "checks.h"

#define BAD_PTR ((void *)16)
#pragma GCC diagnostic ignored "-Wstringop-overflow"

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    /* Families, types, protocols. */
    FAILS(socket(-1, SOCK_STREAM, 0), EAFNOSUPPORT);
    FAILS(socket(46, SOCK_STREAM, 0), EAFNOSUPPORT);
    FAILS(socket(1000, SOCK_STREAM, 0), EAFNOSUPPORT);
    FAILS(socket(AF_UNIX, 0, 0), ESOCKTNOSUPPORT);
    FAILS(socket(AF_UNIX, 11, 0), EINVAL);
    FAILS(socket(AF_UNIX, SOCK_STREAM | 0x100000, 0), EINVAL);
    FAILS(socket(AF_UNIX, SOCK_RDM, 0), ESOCKTNOSUPPORT);
    FAILS(socket(AF_UNIX, SOCK_STREAM, 7), EPROTONOSUPPORT);
    int raw = socket(AF_UNIX, SOCK_RAW, 0);     /* Linux takes it as a datagram socket */
    int type = 0;
    socklen_t tl = sizeof type;
    CHECK(raw >= 0 && getsockopt(raw, SOL_SOCKET, SO_TYPE, &type, &tl) == 0 && type == SOCK_DGRAM);
    close(raw);
    int sv[2];
    FAILS(socketpair(AF_UNIX, SOCK_STREAM, 0, BAD_PTR), EFAULT);
    FAILS(socketpair(AF_UNIX, SOCK_STREAM, 3, sv), EPROTONOSUPPORT);
    FAILS(socketpair(-5, SOCK_STREAM, 0, sv), EAFNOSUPPORT);
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);

    /* Descriptors that are not sockets, or not open. */
    int p[2];
    CHECK(pipe(p) == 0);
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    FAILS(bind(999, (struct sockaddr *)&a, sizeof a), EBADF);
    FAILS(bind(p[0], (struct sockaddr *)&a, sizeof a), ENOTSOCK);
    FAILS(listen(p[0], 1), ENOTSOCK);
    FAILS(accept(p[0], NULL, NULL), ENOTSOCK);
    FAILS(accept4(sv[0], NULL, NULL, 0x1234), EINVAL);
    FAILS(connect(-1, (struct sockaddr *)&a, sizeof a), EBADF);
    FAILS(connect(p[0], (struct sockaddr *)&a, sizeof a), ENOTSOCK);
    FAILS(send(p[1], "x", 1, 0), ENOTSOCK);
    FAILS(recv(p[0], NULL, 0, 0), ENOTSOCK);
    FAILS(shutdown(p[0], SHUT_RD), ENOTSOCK);
    FAILS(shutdown(sv[0], 3), EINVAL);
    FAILS(shutdown(sv[0], -1), EINVAL);
    FAILS(getsockname(p[0], (struct sockaddr *)&a, &(socklen_t){ sizeof a }), ENOTSOCK);
    FAILS(getsockopt(p[0], SOL_SOCKET, SO_TYPE, &type, &tl), ENOTSOCK);
    FAILS(setsockopt(999, SOL_SOCKET, SO_TYPE, &type, -1), EBADF);
    FAILS(setsockopt(sv[0], SOL_SOCKET, SO_TYPE, &type, -1), EINVAL);

    /* Addresses and lengths. */
    int u = socket(AF_UNIX, SOCK_STREAM, 0);
    FAILS(bind(u, (struct sockaddr *)&a, 129), EINVAL);
    FAILS(bind(u, (struct sockaddr *)&a, -1), EINVAL);
    FAILS(bind(u, BAD_PTR, sizeof a), EFAULT);
    FAILS(bind(u, (struct sockaddr *)&a, 1), EINVAL);
    FAILS(bind(u, (struct sockaddr *)&a, sizeof a + 1), EINVAL);
    struct sockaddr_un wrong = { .sun_family = AF_INET, .sun_path = "x" };
    FAILS(bind(u, (struct sockaddr *)&wrong, sizeof wrong), EINVAL);
    FAILS(connect(u, (struct sockaddr *)&wrong, sizeof wrong), EINVAL);
    FAILS(connect(u, BAD_PTR, sizeof a), EFAULT);
    FAILS(connect(u, (struct sockaddr *)&(struct sockaddr_un){ .sun_family = AF_UNIX, .sun_path = "/nonexistent/sock" },
                  sizeof(struct sockaddr_un)), ENOENT);
    FAILS(listen(u, 5), EINVAL);            /* not bound */
    FAILS(accept(u, NULL, NULL), EINVAL);   /* not listening */
    FAILS(getpeername(u, (struct sockaddr *)&a, &(socklen_t){ sizeof a }), ENOTCONN);
    FAILS(getsockname(u, (struct sockaddr *)&a, BAD_PTR), EFAULT);
    FAILS(getsockname(u, (struct sockaddr *)&a, &(socklen_t){ (socklen_t)-1 }), EINVAL);
    FAILS(send(u, "x", 1, 0), ENOTCONN);
    FAILS(recv(u, &type, 1, 0), EINVAL);
    FAILS(sendto(u, "x", 1, 0, (struct sockaddr *)&a, sizeof a), EOPNOTSUPP);
    int d = socket(AF_UNIX, SOCK_DGRAM, 0);
    FAILS(listen(d, 1), EOPNOTSUPP);
    FAILS(accept(d, NULL, NULL), EOPNOTSUPP);
    FAILS(send(d, "x", 1, 0), ENOTCONN);
    FAILS(sendto(d, "x", 1, 0, (struct sockaddr *)&a, 1), EINVAL);
    FAILS(sendto(d, "x", 1, 0, BAD_PTR, sizeof a), EFAULT);
    FAILS(sendto(d, BAD_PTR, 1, 0, (struct sockaddr *)&(struct sockaddr_un){ AF_UNIX, "\0nobody" }, 9), EFAULT);

    /* msghdr and option buffers. */
    FAILS(syscall(SYS_sendmsg, sv[0], BAD_PTR, 0), EFAULT);
    FAILS(syscall(SYS_recvmsg, sv[0], BAD_PTR, 0), EFAULT);
    struct iovec v = { "x", 1 };
    struct msghdr m = { .msg_iov = &v, .msg_iovlen = 1025 };
    FAILS(syscall(SYS_sendmsg, sv[0], &m, 0), EMSGSIZE);
    m.msg_iovlen = 1;
    m.msg_iov = BAD_PTR;
    FAILS(syscall(SYS_sendmsg, sv[0], &m, 0), EFAULT);
    m.msg_iov = &v;
    char ctl[24] = { 0 };
    m.msg_control = ctl;
    m.msg_controllen = sizeof ctl;
    ((struct cmsghdr *)ctl)->cmsg_len = 100;    /* longer than the buffer */
    ((struct cmsghdr *)ctl)->cmsg_level = SOL_SOCKET;
    FAILS(syscall(SYS_sendmsg, sv[0], &m, 0), EINVAL);
    m.msg_control = BAD_PTR;
    FAILS(syscall(SYS_sendmsg, sv[0], &m, 0), EFAULT);
    m.msg_control = NULL;
    m.msg_controllen = 0;
    struct iovec neg = { "x", (size_t)-1 };
    m.msg_iov = &neg;
    FAILS(syscall(SYS_sendmsg, sv[0], &m, 0), EINVAL);
    FAILS(setsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, BAD_PTR, sizeof(int)), EFAULT);
    FAILS(getsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, BAD_PTR, &tl), EFAULT);
    FAILS(getsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, &type, BAD_PTR), EFAULT);
    FAILS(getsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, &type, &(socklen_t){ (socklen_t)-1 }), EINVAL);
    socklen_t small = 2;
    type = 0;
    CHECK(getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &type, &small) == 0);
    printf("getsockopt with 2 bytes: len %u value %d\n", (unsigned)small, type);
    FAILS(recv(sv[0], BAD_PTR, 1, MSG_DONTWAIT), EAGAIN);   /* nothing there: the buffer is not touched */
    CHECK(write(sv[1], "y", 1) == 1);
    FAILS(recv(sv[0], BAD_PTR, 1, 0), EFAULT);
    FAILS(ioctl(sv[0], FIONREAD, BAD_PTR), EFAULT);
    FAILS(ioctl(sv[0], 0x12345678, 0), ENOTTY);
    int fl = fcntl(sv[0], F_GETFL);
    int on = 1;
    CHECK(ioctl(sv[0], FIONBIO, &on) == 0 && (fcntl(sv[0], F_GETFL) & O_NONBLOCK) && !(fl & O_NONBLOCK));
    FAILS(lseek(sv[0], 0, SEEK_SET), ESPIPE);
    FAILS(pread(sv[0], &type, 1, 0), ESPIPE);
    /* sendmmsg/recvmmsg with a bad vector. */
    FAILS(syscall(SYS_sendmmsg, sv[0], BAD_PTR, 1, 0), EFAULT);
    CHECK(syscall(SYS_sendmmsg, sv[0], BAD_PTR, 0, 0) == 0);
    FAILS(syscall(SYS_recvmmsg, sv[0], BAD_PTR, 1, MSG_DONTWAIT, BAD_PTR), EFAULT);
    close(u);
    close(d);
    close(p[0]);
    close(p[1]);
    close(sv[0]);
    close(sv[1]);
    printf("socket_bad: %s\n", failures ? "FAILED" : "all checks passed");
    return failures != 0;
}
