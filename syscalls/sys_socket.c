/* The socket system calls: user memory in and out (addresses, msghdr,
 * option buffers), in Linux's order of checks, then the socket's family
 * ops (net/socket.h) with kernel copies. */
#include "syscalls.h"
#include "timeout.h"
#include "../net/socket.h"
#include "../kernel/process.h"
#include "../kernel/usercopy.h"
#include "../klib/string.h"

#define UIO_MAXIOV 1024
#define SOMAXCONN 4096
#define OPTMEM_MAX 20480        /* net.core.optmem_max: the largest control buffer a send takes */
#define SOCKOPT_MAX 256         /* the largest option value kept (Linux's are smaller but TCP_INFO-sized) */

static struct fdtable *fds(void) { return &current_process()->fds; }

/* The socket at fd, with a reference on its file (*fp, for file_put). */
static struct socket *sock_get(int fd, struct file **fp, long *err)
{
    struct file *f = fd_get(fds(), fd);
    if (!f) {
        *err = -EBADF;
        return NULL;
    }
    struct socket *s = socket_of(f);
    if (!s) {
        file_put(f);
        *err = -ENOTSOCK;
        return NULL;
    }
    *fp = f;
    return s;
}

/* Linux's move_addr_to_kernel. */
static long addr_from_user(struct sockaddr_k *a, uint64_t uaddr, int64_t len)
{
    if (len < 0 || len > SOCKADDR_MAX) return -EINVAL;
    memset(a, 0, sizeof *a);
    if (len == 0) return 0;
    if (copy_from_user(a, uaddr, (size_t)len) < 0) return -EFAULT;
    return 0;
}

/* Linux's move_addr_to_user: copy what fits, always report the full length. */
static long addr_to_user(const struct sockaddr_k *a, uint32_t klen, uint64_t uaddr, uint64_t ulenp)
{
    int32_t len;
    if (copy_from_user(&len, ulenp, sizeof len) < 0) return -EFAULT;
    if (len < 0) return -EINVAL;
    if ((uint32_t)len > klen) len = (int32_t)klen;
    if (len && copy_to_user(uaddr, a, (size_t)len) < 0) return -EFAULT;
    if (copy_to_user(ulenp, &klen, sizeof klen) < 0) return -EFAULT;
    return 0;
}

static long install(struct socket *s, int flags)
{
    struct file *f = socket_file(s, (uint32_t)flags);
    if (!f) return -ENOMEM;
    int fd = fd_install(fds(), f, 0, (flags & SOCK_CLOEXEC) != 0);
    file_put(f);
    return fd;
}

/* The family and type checks socket(2) and socketpair(2) share. */
static long family_for(int domain, int type, const struct sock_family **fam)
{
    if (domain < 0 || domain >= AF_MAX) return -EAFNOSUPPORT;
    if (type & ~(SOCK_TYPE_MASK | SOCK_NONBLOCK | SOCK_CLOEXEC)) return -EINVAL;
    if ((type & SOCK_TYPE_MASK) >= SOCK_MAX) return -EINVAL;
    *fam = socket_family(domain);
    return *fam ? 0 : -EAFNOSUPPORT;
}

long sys_socket(int domain, int type, int protocol)
{
    const struct sock_family *fam;
    long r = family_for(domain, type, &fam);
    if (r) return r;
    struct socket *s;
    r = fam->create(current_process()->heap, type & SOCK_TYPE_MASK, protocol, &s);
    if (r) return r;
    return install(s, type & ~SOCK_TYPE_MASK);
}

long sys_socketpair(int domain, int type, int protocol, uint64_t usv)
{
    const struct sock_family *fam;
    long r = family_for(domain, type, &fam);
    if (r) return r;
    if (!fam->pair) return -EOPNOTSUPP;
    struct socket *a, *b;
    r = fam->pair(current_process()->heap, type & SOCK_TYPE_MASK, protocol, &a, &b);
    if (r) return r;
    int flags = type & ~SOCK_TYPE_MASK;
    long fa = install(a, flags);
    if (fa < 0) {
        struct file *fb = socket_file(b, 0);
        if (fb) file_put(fb);
        return fa;
    }
    long fb = install(b, flags);
    if (fb < 0) {
        fd_close(fds(), (int)fa);
        return fb;
    }
    int sv[2] = { (int)fa, (int)fb };
    if (copy_to_user(usv, sv, sizeof sv) < 0) {
        fd_close(fds(), (int)fa);
        fd_close(fds(), (int)fb);
        return -EFAULT;
    }
    return 0;
}

long sys_bind(int fd, uint64_t uaddr, int addrlen)
{
    struct file *f;
    long r;
    struct socket *s = sock_get(fd, &f, &r);
    if (!s) return r;
    struct sockaddr_k a;
    r = addr_from_user(&a, uaddr, addrlen);
    if (!r) r = s->ops->bind ? s->ops->bind(s, &a, (uint32_t)addrlen) : -EOPNOTSUPP;
    file_put(f);
    return r;
}

long sys_listen(int fd, int backlog)
{
    struct file *f;
    long r;
    struct socket *s = sock_get(fd, &f, &r);
    if (!s) return r;
    if ((unsigned)backlog > SOMAXCONN) backlog = SOMAXCONN;
    r = s->ops->listen ? s->ops->listen(s, backlog) : -EOPNOTSUPP;
    file_put(f);
    return r;
}

long sys_accept4(int fd, uint64_t uaddr, uint64_t ulen, int flags)
{
    if (flags & ~(SOCK_CLOEXEC | SOCK_NONBLOCK)) return -EINVAL;
    struct file *f;
    long r;
    struct socket *s = sock_get(fd, &f, &r);
    if (!s) return r;
    struct socket *conn = NULL;
    r = s->ops->accept ? s->ops->accept(s, &conn, (f->flags & O_NONBLOCK) != 0) : -EOPNOTSUPP;
    file_put(f);
    if (r) return r;
    struct file *nf = socket_file(conn, (uint32_t)flags);
    if (!nf) return -ENOMEM;
    if (uaddr) {
        struct sockaddr_k a = { 0 };
        uint32_t len = 0;
        r = conn->ops->getname ? conn->ops->getname(conn, &a, &len, true) : -EOPNOTSUPP;
        if (r == -ENOTCONN) r = 0, len = 0;    /* the peer already went: Linux still accepts */
        if (!r) r = addr_to_user(&a, len, uaddr, ulen);
        if (r) {
            file_put(nf);
            return r;
        }
    }
    int nfd = fd_install(fds(), nf, 0, (flags & SOCK_CLOEXEC) != 0);
    file_put(nf);
    return nfd;
}

long sys_accept(int fd, uint64_t uaddr, uint64_t ulen) { return sys_accept4(fd, uaddr, ulen, 0); }

long sys_connect(int fd, uint64_t uaddr, int addrlen)
{
    struct file *f = fd_get(fds(), fd);
    if (!f) return -EBADF;
    struct sockaddr_k a;
    long r = addr_from_user(&a, uaddr, addrlen);
    struct socket *s = socket_of(f);
    if (!r && !s) r = -ENOTSOCK;
    if (!r) r = s->ops->connect ? s->ops->connect(s, &a, (uint32_t)addrlen, (f->flags & O_NONBLOCK) != 0) : -EOPNOTSUPP;
    file_put(f);
    return r;
}

long sys_shutdown(int fd, int how)
{
    struct file *f;
    long r;
    struct socket *s = sock_get(fd, &f, &r);
    if (!s) return r;
    r = how < SHUT_RD || how > SHUT_RDWR ? -EINVAL : s->ops->shutdown ? s->ops->shutdown(s, how) : -EOPNOTSUPP;
    file_put(f);
    return r;
}

static long getname(int fd, uint64_t uaddr, uint64_t ulen, bool peer)
{
    struct file *f;
    long r;
    struct socket *s = sock_get(fd, &f, &r);
    if (!s) return r;
    struct sockaddr_k a = { 0 };
    uint32_t len = 0;
    r = s->ops->getname ? s->ops->getname(s, &a, &len, peer) : -EOPNOTSUPP;
    if (!r) r = addr_to_user(&a, len, uaddr, ulen);
    file_put(f);
    return r;
}

long sys_getsockname(int fd, uint64_t uaddr, uint64_t ulen) { return getname(fd, uaddr, ulen, false); }
long sys_getpeername(int fd, uint64_t uaddr, uint64_t ulen) { return getname(fd, uaddr, ulen, true); }

long sys_setsockopt(int fd, int level, int name, uint64_t uval, int len)
{
    struct file *f;
    long r;
    struct socket *s = sock_get(fd, &f, &r);
    if (!s) return r;
    if (len < 0) {
        file_put(f);
        return -EINVAL;
    }
    uint8_t val[SOCKOPT_MAX];
    uint32_t klen = (uint32_t)MIN(len, SOCKOPT_MAX);
    if (klen && copy_from_user(val, uval, klen) < 0) r = -EFAULT;
    else {
        /* A family answers its own levels (none: EOPNOTSUPP, as Linux) and
         * may take SOL_SOCKET options before the generic layer does. */
        r = s->ops->setsockopt ? s->ops->setsockopt(s, level, name, val, klen)
                               : level == SOL_SOCKET ? -ENOPROTOOPT : -EOPNOTSUPP;
        if (r == -ENOPROTOOPT && level == SOL_SOCKET) r = socket_setsockopt_generic(s, name, val, klen);
    }
    file_put(f);
    return r;
}

long sys_getsockopt(int fd, int level, int name, uint64_t uval, uint64_t ulen)
{
    struct file *f;
    long r;
    struct socket *s = sock_get(fd, &f, &r);
    if (!s) return r;
    int32_t len;
    uint8_t val[SOCKOPT_MAX] = { 0 };
    if (copy_from_user(&len, ulen, sizeof len) < 0) r = -EFAULT;
    else if (len < 0) r = -EINVAL;
    else {
        uint32_t klen = (uint32_t)len;
        r = s->ops->getsockopt ? s->ops->getsockopt(s, level, name, val, &klen)
                               : level == SOL_SOCKET ? -ENOPROTOOPT : -EOPNOTSUPP;
        if (r == -ENOPROTOOPT && level == SOL_SOCKET) {
            klen = (uint32_t)len;
            r = socket_getsockopt_generic(s, name, val, &klen);
        }
        if (!r) {
            klen = MIN(klen, (uint32_t)SOCKOPT_MAX);
            if ((klen && copy_to_user(uval, val, klen) < 0) || copy_to_user(ulen, &klen, sizeof klen) < 0) r = -EFAULT;
        }
    }
    file_put(f);
    return r;
}

/* ---- sending and receiving ---- */

struct msghdr_user {
    uint64_t name;
    int32_t namelen;
    uint32_t pad0;
    uint64_t iov;
    uint64_t iovlen;
    uint64_t control;
    uint64_t controllen;
    int32_t flags;
    uint32_t pad1;
};

struct mmsghdr_user {
    struct msghdr_user hdr;
    uint32_t len;
    uint32_t pad;
};

/* A message's vector from user memory: Linux's import_iovec rules. */
static long iov_from_user(struct sock_msg *m, struct sock_iov *v, uint64_t uiov, uint64_t cnt)
{
    if (cnt > UIO_MAXIOV) return -EMSGSIZE;
    if (cnt && copy_from_user(v, uiov, cnt * sizeof *v) < 0) return -EFAULT;
    size_t total = 0;
    for (uint64_t i = 0; i < cnt; i++) {
        if ((int64_t)v[i].len < 0) return -EINVAL;
        if (v[i].len > MAX_RW_COUNT - total) v[i].len = MAX_RW_COUNT - total;   /* Linux clamps */
        if (v[i].len && !user_range_ok(v[i].base, v[i].len)) return -EFAULT;
        total += v[i].len;
    }
    m->iov = v;
    m->iovcnt = (int)cnt;
    m->len = total;
    return 0;
}

/* One send of a user msghdr; v has room for UIO_MAXIOV entries. */
static long send_one(struct socket *s, struct file *f, uint64_t umsg, int flags, struct sock_iov *v)
{
    struct msghdr_user h;
    if (copy_from_user(&h, umsg, sizeof h) < 0) return -EFAULT;
    struct sock_msg m = { .flags = flags };
    if (h.namelen < 0) return -EINVAL;
    if (h.namelen > SOCKADDR_MAX) h.namelen = SOCKADDR_MAX;
    if (!h.name) h.namelen = 0;
    long r = iov_from_user(&m, v, h.iov, h.iovlen);
    if (r) return r;
    if (h.controllen > INT32_MAX || h.controllen > OPTMEM_MAX) return -ENOBUFS;
    if (h.name && h.namelen) {
        r = addr_from_user(&m.name, h.name, h.namelen);
        if (r) return r;
        m.namelen = (uint32_t)h.namelen;
    }
    void *ctl = NULL;
    if (h.controllen) {
        ctl = allocate(s->heap, h.controllen);
        if (!ctl) return -ENOBUFS;
        if (copy_from_user(ctl, h.control, h.controllen) < 0) {
            deallocate(s->heap, ctl, h.controllen);
            return -EFAULT;
        }
        m.control = ctl;
        m.controllen = h.controllen;
    }
    if (f->flags & O_NONBLOCK) m.flags |= MSG_DONTWAIT;
    r = s->ops->sendmsg ? s->ops->sendmsg(s, &m) : -EOPNOTSUPP;
    if (ctl) deallocate(s->heap, ctl, h.controllen);
    return r;
}

/* One receive into a user msghdr (its namelen, controllen and flags are written back). */
static long recv_one(struct socket *s, struct file *f, uint64_t umsg, int flags, struct sock_iov *v)
{
    struct msghdr_user h;
    if (copy_from_user(&h, umsg, sizeof h) < 0) return -EFAULT;
    if (h.namelen < 0) return -EINVAL;
    if (h.namelen > SOCKADDR_MAX) h.namelen = SOCKADDR_MAX;
    struct sock_msg m = { .flags = flags };
    long r = iov_from_user(&m, v, h.iov, h.iovlen);
    if (r) return r;
    m.ucontrol = h.control;
    m.ucontrol_cap = h.controllen > INT32_MAX ? INT32_MAX : h.controllen;
    if (f->flags & O_NONBLOCK) m.flags |= MSG_DONTWAIT;
    r = s->ops->recvmsg ? s->ops->recvmsg(s, &m) : -EOPNOTSUPP;
    if (r < 0) return r;
    if (h.name) {
        int32_t len = h.namelen;
        if ((uint32_t)len > m.namelen) len = (int32_t)m.namelen;
        if (len && copy_to_user(h.name, &m.name, (size_t)len) < 0) return -EFAULT;
        h.namelen = (int32_t)m.namelen;
    } else {
        h.namelen = 0;
    }
    h.flags = m.out_flags;
    h.controllen = m.ucontrol_used;
    if (copy_to_user(umsg + offsetof(struct msghdr_user, namelen), &h.namelen, sizeof h.namelen) < 0 ||
        copy_to_user(umsg + offsetof(struct msghdr_user, controllen), &h.controllen, sizeof h.controllen) < 0 ||
        copy_to_user(umsg + offsetof(struct msghdr_user, flags), &h.flags, sizeof h.flags) < 0)
        return -EFAULT;
    return r;
}

long sys_sendto(int fd, uint64_t buf, uint64_t len, int flags, uint64_t uaddr, int addrlen)
{
    if (len > MAX_RW_COUNT) len = MAX_RW_COUNT;
    if (!user_range_ok(buf, len)) return -EFAULT;
    struct file *f;
    long r;
    struct socket *s = sock_get(fd, &f, &r);
    if (!s) return r;
    struct sock_iov v = { buf, len };
    struct sock_msg m = { .iov = &v, .iovcnt = 1, .len = len, .flags = flags };
    r = 0;
    if (uaddr) {
        r = addr_from_user(&m.name, uaddr, addrlen);
        m.namelen = (uint32_t)addrlen;
    }
    if (f->flags & O_NONBLOCK) m.flags |= MSG_DONTWAIT;
    if (!r) r = s->ops->sendmsg ? s->ops->sendmsg(s, &m) : -EOPNOTSUPP;
    file_put(f);
    return r;
}

long sys_recvfrom(int fd, uint64_t buf, uint64_t len, int flags, uint64_t uaddr, uint64_t ulen)
{
    if (len > MAX_RW_COUNT) len = MAX_RW_COUNT;
    if (!user_range_ok(buf, len)) return -EFAULT;
    struct file *f;
    long r;
    struct socket *s = sock_get(fd, &f, &r);
    if (!s) return r;
    struct sock_iov v = { buf, len };
    struct sock_msg m = { .iov = &v, .iovcnt = 1, .len = len, .flags = flags };
    if (f->flags & O_NONBLOCK) m.flags |= MSG_DONTWAIT;
    r = s->ops->recvmsg ? s->ops->recvmsg(s, &m) : -EOPNOTSUPP;
    if (r >= 0 && uaddr) {
        long e = addr_to_user(&m.name, m.namelen, uaddr, ulen);
        if (e) r = e;
    }
    file_put(f);
    return r;
}

long sys_sendmsg(int fd, uint64_t umsg, int flags)
{
    struct file *f;
    long r;
    struct socket *s = sock_get(fd, &f, &r);
    if (!s) return r;
    struct sock_iov *v = allocate(s->heap, UIO_MAXIOV * sizeof *v);
    r = v ? send_one(s, f, umsg, flags, v) : -ENOMEM;
    deallocate(s->heap, v, UIO_MAXIOV * sizeof *v);
    file_put(f);
    return r;
}

long sys_recvmsg(int fd, uint64_t umsg, int flags)
{
    struct file *f;
    long r;
    struct socket *s = sock_get(fd, &f, &r);
    if (!s) return r;
    struct sock_iov *v = allocate(s->heap, UIO_MAXIOV * sizeof *v);
    r = v ? recv_one(s, f, umsg, flags, v) : -ENOMEM;
    deallocate(s->heap, v, UIO_MAXIOV * sizeof *v);
    file_put(f);
    return r;
}

/* sendmmsg and recvmmsg: one message after another until vlen, an error or
 * (receiving) the deadline; each message's length goes back into its
 * mmsghdr. An error after at least one message is not reported, as on Linux:
 * the count of messages done is. */
static long each_mmsg(int fd, uint64_t uvec, unsigned vlen, int flags, bool receiving, uint64_t deadline)
{
    if (vlen > UIO_MAXIOV) vlen = UIO_MAXIOV;
    struct file *f;
    long r;
    struct socket *s = sock_get(fd, &f, &r);
    if (!s) return r;
    struct sock_iov *v = allocate(s->heap, UIO_MAXIOV * sizeof *v);
    unsigned n = 0;
    r = v ? 0 : -ENOMEM;
    for (; v && n < vlen; n++) {
        uint64_t at = uvec + (uint64_t)n * sizeof(struct mmsghdr_user);
        r = receiving ? recv_one(s, f, at, flags, v) : send_one(s, f, at, flags, v);
        if (r < 0) break;
        uint32_t len = (uint32_t)r;
        if (copy_to_user(at + offsetof(struct mmsghdr_user, len), &len, sizeof len) < 0) {
            r = -EFAULT;
            break;
        }
        if (receiving && (flags & MSG_WAITFORONE)) flags |= MSG_DONTWAIT;
        if (deadline != WAIT_FOREVER && clock_monotonic_ns() >= deadline) {
            n++;
            break;
        }
    }
    deallocate(s->heap, v, UIO_MAXIOV * sizeof *v);
    file_put(f);
    return n ? (long)n : r;
}

long sys_sendmmsg(int fd, uint64_t uvec, unsigned vlen, int flags)
{
    return each_mmsg(fd, uvec, vlen, flags, false, WAIT_FOREVER);
}

long sys_recvmmsg(int fd, uint64_t uvec, unsigned vlen, int flags, uint64_t utimeout)
{
    uint64_t deadline = WAIT_FOREVER;
    struct timespec_user ts;
    if (utimeout) {
        if (copy_from_user(&ts, utimeout, sizeof ts) < 0) return -EFAULT;
        if (!timespec_valid(ts.sec, ts.nsec)) return -EINVAL;
        deadline = clock_monotonic_ns() + (uint64_t)ts.sec * NSEC_PER_SEC + (uint64_t)ts.nsec;
    }
    long r = each_mmsg(fd, uvec, vlen, flags, true, deadline);
    if (utimeout) {
        uint64_t left = time_left(deadline);
        ts = (struct timespec_user){ (int64_t)(left / NSEC_PER_SEC), (int64_t)(left % NSEC_PER_SEC) };
        copy_to_user(utimeout, &ts, sizeof ts);
    }
    return r;
}
