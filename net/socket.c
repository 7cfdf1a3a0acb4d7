/* The generic socket layer (net/socket.h): the family registry, a socket's
 * open file, the one blocking helper, errors and the SOL_SOCKET options. */
#include "socket.h"
#include "../fs/anon_ino.h"
#include "netif_ioctl.h"
#include "../kernel/process.h"
#include "../kernel/signal.h"
#include "../kernel/clock.h"
#include "../kernel/usercopy.h"
#include "../klib/errno.h"
#include "../klib/string.h"
#include "../klib/format.h"

#define S_IFSOCK 0140000
#define FIONBIO 0x5421
#define FIOASYNC 0x5452

static const struct sock_family *families[AF_MAX];

void socket_register_family(const struct sock_family *fam)
{
    if (fam->family > 0 && fam->family < AF_MAX) families[fam->family] = fam;
}

const struct sock_family *socket_family(int family)
{
    return family > 0 && family < AF_MAX ? families[family] : NULL;
}

void socket_init(struct socket *s, struct heap *h, const struct sock_family *fam, const struct sock_ops *ops,
                 int type, int protocol)
{
    s->ops = ops;
    s->fam = fam;
    s->heap = h;
    s->refs = 1;
    s->family = fam->family;
    s->type = type;
    s->protocol = protocol;
    s->sndbuf = SOCK_WMEM_DEFAULT;
    s->rcvbuf = SOCK_RMEM_DEFAULT;
    s->rcvlowat = 1;
    s->peercred = (struct ucred_k){ .pid = 0, .uid = 65534, .gid = 65534 };   /* Linux's overflow ids: no peer */
}

void socket_put(struct socket *s)
{
    if (__atomic_sub_fetch(&s->refs, 1, __ATOMIC_ACQ_REL) == 0) s->ops->destroy(s);
}

static const struct file_ops socket_file_ops;

bool file_is_socket(const struct file *f) { return f->ops == &socket_file_ops; }

struct socket *socket_of(struct file *f) { return file_is_socket(f) ? f->priv : NULL; }

/* ---- the file ---- */

static int msg_flags_of(struct file *f) { return (f->flags & O_NONBLOCK) ? MSG_DONTWAIT : 0; }

static int64_t socket_read(struct file *f, void *buf, size_t n, uint64_t off)
{
    struct socket *s = f->priv;
    struct sock_iov v = { (uint64_t)buf, n };
    struct sock_msg m = { .iov = &v, .iovcnt = 1, .kernel_data = true, .len = n, .flags = msg_flags_of(f) };
    return s->ops->recvmsg ? s->ops->recvmsg(s, &m) : -EINVAL;
}

long socket_send_kernel(struct socket *s, const void *buf, size_t n, int flags)
{
    struct sock_iov v = { (uint64_t)buf, n };
    struct sock_msg m = { .iov = &v, .iovcnt = 1, .kernel_data = true, .len = n, .flags = flags };
    return s->ops->sendmsg ? s->ops->sendmsg(s, &m) : -EOPNOTSUPP;
}

static int64_t socket_write(struct file *f, const void *buf, size_t n, uint64_t off)
{
    return socket_send_kernel(f->priv, buf, n, msg_flags_of(f));
}

long socket_file_transfer(struct file *f, const struct sock_iov *iov, int cnt, bool write)
{
    struct socket *s = f->priv;
    size_t total = 0;
    for (int i = 0; i < cnt; i++) {
        if ((int64_t)iov[i].len < 0 || total + iov[i].len < total || total + iov[i].len > (size_t)INT64_MAX)
            return -EINVAL;
        total += iov[i].len;
    }
    struct sock_msg m = { .iov = iov, .iovcnt = cnt, .len = total, .flags = msg_flags_of(f) };
    if (write) return s->ops->sendmsg ? s->ops->sendmsg(s, &m) : -EOPNOTSUPP;
    return s->ops->recvmsg ? s->ops->recvmsg(s, &m) : -EINVAL;
}

static int socket_stat(struct file *f, struct linux_stat *st)
{
    *st = (struct linux_stat){ .st_mode = S_IFSOCK | 0777, .st_nlink = 1, .st_blksize = 4096,
                               .st_ino = anon_ino(f->priv), .st_dev = 0x8 };
    return 0;
}

static int64_t socket_ioctl(struct file *f, uint64_t cmd, uint64_t arg)
{
    struct socket *s = f->priv;
    if (cmd == FIONBIO) {
        int on;
        if (copy_from_user(&on, arg, sizeof on) < 0) return -EFAULT;
        uint32_t fl = __atomic_load_n(&f->flags, __ATOMIC_RELAXED);
        __atomic_store_n(&f->flags, on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK, __ATOMIC_RELAXED);
        return 0;
    }
    if (s->ops->ioctl) {
        long r = s->ops->ioctl(s, cmd, arg);
        if (r != -ENOIOCTLCMD) return r;
    }
    /* Interface ioctls answer on a socket of any family, as on Linux. */
    return netif_ioctl(cmd, arg);
}

static uint32_t socket_poll_op(struct file *f, struct poll_table *pt)
{
    struct socket *s = f->priv;
    return s->ops->poll ? s->ops->poll(s, pt) : 0;
}

static void socket_release(struct file *f)
{
    struct socket *s = f->priv;
    if (s->ops->release) s->ops->release(s);
    s->file = NULL;
    socket_put(s);
}

static const struct file_ops socket_file_ops = {
    .read = socket_read,
    .write = socket_write,
    .stat = socket_stat,
    .ioctl = socket_ioctl,
    .poll = socket_poll_op,
    .release = socket_release,
};

struct file *socket_file(struct socket *s, uint32_t flags)
{
    struct file *f = file_new(s->heap, &socket_file_ops, O_RDWR | (flags & O_NONBLOCK));
    if (!f) {
        if (s->ops->release) s->ops->release(s);
        socket_put(s);
        return NULL;
    }
    f->priv = s;
    format_sn(s->fd_name, sizeof s->fd_name, "socket:[%llu]", (unsigned long long)((uint64_t)s >> 4));
    f->path = s->fd_name;
    s->file = f;
    return f;
}

/* ---- blocking ---- */

uint64_t socket_deadline(struct socket *s, bool sending, int msg_flags)
{
    if ((msg_flags & MSG_DONTWAIT) || (s->file && (__atomic_load_n(&s->file->flags, __ATOMIC_RELAXED) & O_NONBLOCK)))
        return SOCK_NO_WAIT;
    uint64_t irq = spin_lock_irqsave(&s->lock);
    bool never = sending ? s->sndtimeo_zero : s->rcvtimeo_zero;
    uint64_t t = sending ? s->sndtimeo_ns : s->rcvtimeo_ns;
    spin_unlock_irqrestore(&s->lock, irq);
    if (never) return SOCK_NO_WAIT;
    if (!t) return WAIT_FOREVER;
    return clock_monotonic_ns() + t;
}

int socket_wait(struct socket *s, struct wait_queue *q, uint64_t deadline, bool (*cond)(void *), void *arg)
{
    if (cond(arg)) return 0;
    if (deadline == SOCK_NO_WAIT) return -EAGAIN;
    int r = wait_until(q ? q : &s->wq, cond, arg, deadline);
    /* Linux: a wait with a timeout that a signal ends is EINTR even under
     * SA_RESTART; one without is restarted. */
    if (r == -EINTR && deadline != WAIT_FOREVER) signal_eintr_final();
    return r == -ETIMEDOUT ? -EAGAIN : r;
}

/* ---- errors ---- */

void socket_set_error(struct socket *s, int err)
{
    uint64_t irq = spin_lock_irqsave(&s->lock);
    s->error = err;
    spin_unlock_irqrestore(&s->lock, irq);
    wake_all(&s->wq);
}

int socket_take_error(struct socket *s)
{
    if (!__atomic_load_n(&s->error, __ATOMIC_RELAXED)) return 0;
    uint64_t irq = spin_lock_irqsave(&s->lock);
    int e = s->error;
    s->error = 0;
    spin_unlock_irqrestore(&s->lock, irq);
    return e;
}

long socket_epipe(int msg_flags)
{
    if (!(msg_flags & MSG_NOSIGNAL))
        signal_send_thread(current_thread(), &(struct ksiginfo){ .signo = SIGPIPE, .code = SI_USER, .w2 = PROCESS_PID });
    return -EPIPE;
}

struct ucred_k socket_current_cred(void) { return (struct ucred_k){ .pid = PROCESS_PID, .uid = 0, .gid = 0 }; }

/* ---- SOL_SOCKET options ---- */

/* Timeouts are kept in Linux's jiffies (Debian builds HZ=250), so what
 * SO_RCVTIMEO reads back is rounded as Linux rounds it. */
#define SOCK_HZ 250
#define NS_PER_JIFFY (1000000000ull / SOCK_HZ)

struct timeval_k {
    int64_t sec, usec;
};

static int set_timeout(struct socket *s, bool sending, const void *val, uint32_t len)
{
    struct timeval_k tv;
    if (len < sizeof tv) return -EINVAL;
    memcpy(&tv, val, sizeof tv);
    if (tv.usec < 0 || tv.usec >= 1000000) return -EDOM;
    uint64_t ns = 0;
    bool never = tv.sec < 0;
    if (!never && (tv.sec || tv.usec) && (uint64_t)tv.sec < UINT64_MAX / 1000000000ull / 2) {
        uint64_t jiffies = (uint64_t)tv.sec * SOCK_HZ + ((uint64_t)tv.usec + 1000000 / SOCK_HZ - 1) / (1000000 / SOCK_HZ);
        ns = jiffies * NS_PER_JIFFY;
    }
    uint64_t irq = spin_lock_irqsave(&s->lock);
    if (sending) {
        s->sndtimeo_ns = ns;
        s->sndtimeo_zero = never;
    } else {
        s->rcvtimeo_ns = ns;
        s->rcvtimeo_zero = never;
    }
    spin_unlock_irqrestore(&s->lock, irq);
    return 0;
}

static uint32_t buffer_size(int val, uint32_t max, uint32_t min, bool force)
{
    uint64_t v = force ? (val < 0 ? 0 : (uint64_t)val) : MIN((uint64_t)(uint32_t)val, (uint64_t)max);
    if (v > INT32_MAX / 2) v = INT32_MAX / 2;
    return (uint32_t)MAX(v * 2, (uint64_t)min);
}

int socket_setsockopt_generic(struct socket *s, int name, const void *val, uint32_t len)
{
    if (name == SO_RCVTIMEO_OLD || name == SO_RCVTIMEO_NEW) return set_timeout(s, false, val, len);
    if (name == SO_SNDTIMEO_OLD || name == SO_SNDTIMEO_NEW) return set_timeout(s, true, val, len);
    if (name == SO_LINGER) {
        if (len < 8) return -EINVAL;
        int v[2];
        memcpy(v, val, sizeof v);
        s->linger.onoff = v[0] != 0;
        s->linger.secs = v[1];
        return 0;
    }
    int v;
    switch (name) {
    case SO_DEBUG: case SO_REUSEADDR: case SO_DONTROUTE: case SO_BROADCAST: case SO_SNDBUF: case SO_RCVBUF:
    case SO_KEEPALIVE: case SO_OOBINLINE: case SO_PRIORITY: case SO_REUSEPORT: case SO_PASSCRED: case SO_RCVLOWAT:
    case SO_SNDLOWAT: case SO_SNDBUFFORCE: case SO_RCVBUFFORCE: case SO_MARK: case SO_TIMESTAMP_OLD:
        break;
    case SO_TYPE: case SO_PROTOCOL: case SO_DOMAIN: case SO_ERROR: case SO_ACCEPTCONN: case SO_PEERCRED:
        return -ENOPROTOOPT;
    default:
        return -ENOPROTOOPT;
    }
    if (len < sizeof(int)) return -EINVAL;
    memcpy(&v, val, sizeof v);
    uint64_t irq = spin_lock_irqsave(&s->lock);
    int r = 0;
    switch (name) {
    case SO_DEBUG: break;
    case SO_REUSEADDR: s->reuseaddr = v != 0; break;
    case SO_REUSEPORT: s->reuseport = v != 0; break;
    case SO_DONTROUTE: s->dontroute = v != 0; break;
    case SO_BROADCAST: s->broadcast = v != 0; break;
    case SO_KEEPALIVE: s->keepalive = v != 0; break;
    case SO_OOBINLINE: s->oobinline = v != 0; break;
    case SO_PASSCRED: s->passcred = v != 0; break;
    case SO_TIMESTAMP_OLD: s->timestamp = v != 0; break;
    case SO_PRIORITY: s->priority = v; break;   /* root: any value */
    case SO_MARK: s->mark = (uint32_t)v; break;
    case SO_RCVLOWAT: s->rcvlowat = v < 0 ? INT32_MAX : (v ? v : 1); break;
    case SO_SNDLOWAT: r = -ENOPROTOOPT; break;  /* Linux: not changeable */
    case SO_SNDBUF: s->sndbuf = buffer_size(v, SOCK_WMEM_MAX, SOCK_MIN_SNDBUF, false); break;
    case SO_SNDBUFFORCE: s->sndbuf = buffer_size(v, SOCK_WMEM_MAX, SOCK_MIN_SNDBUF, true); break;
    case SO_RCVBUF: s->rcvbuf = buffer_size(v, SOCK_RMEM_MAX, SOCK_MIN_RCVBUF, false); break;
    case SO_RCVBUFFORCE: s->rcvbuf = buffer_size(v, SOCK_RMEM_MAX, SOCK_MIN_RCVBUF, true); break;
    }
    spin_unlock_irqrestore(&s->lock, irq);
    if (name == SO_SNDBUF || name == SO_SNDBUFFORCE || name == SO_RCVBUF || name == SO_RCVBUFFORCE) wake_all(&s->wq);
    return r;
}

static void get_timeout(uint64_t ns, bool never, struct timeval_k *tv)
{
    *tv = (struct timeval_k){ 0, 0 };
    if (never || !ns) return;   /* Linux reads a negative setting back as 0 too */
    uint64_t jiffies = ns / NS_PER_JIFFY;
    tv->sec = (int64_t)(jiffies / SOCK_HZ);
    tv->usec = (int64_t)((jiffies % SOCK_HZ) * 1000000 / SOCK_HZ);
}

int socket_getsockopt_generic(struct socket *s, int name, void *val, uint32_t *len)
{
    union {
        int i;
        int pair[2];
        struct timeval_k tv;
        struct ucred_k cred;
    } v = { 0 };
    uint32_t lv = sizeof(int);
    uint64_t irq = spin_lock_irqsave(&s->lock);
    switch (name) {
    case SO_DEBUG: v.i = 0; break;
    case SO_REUSEADDR: v.i = s->reuseaddr; break;
    case SO_REUSEPORT: v.i = s->reuseport; break;
    case SO_DONTROUTE: v.i = s->dontroute; break;
    case SO_BROADCAST: v.i = s->broadcast; break;
    case SO_KEEPALIVE: v.i = s->keepalive; break;
    case SO_OOBINLINE: v.i = s->oobinline; break;
    case SO_PASSCRED: v.i = s->passcred; break;
    case SO_TIMESTAMP_OLD: v.i = s->timestamp; break;
    case SO_PRIORITY: v.i = s->priority; break;
    case SO_MARK: v.i = (int)s->mark; break;
    case SO_RCVLOWAT: v.i = s->rcvlowat; break;
    case SO_SNDLOWAT: v.i = 1; break;
    case SO_SNDBUF: v.i = (int)s->sndbuf; break;
    case SO_RCVBUF: v.i = (int)s->rcvbuf; break;
    case SO_TYPE: v.i = s->type; break;
    case SO_PROTOCOL: v.i = s->protocol; break;
    case SO_DOMAIN: v.i = s->family; break;
    case SO_ACCEPTCONN: v.i = s->listening; break;
    case SO_ERROR: v.i = s->error; s->error = 0; break;
    case SO_LINGER:
        v.pair[0] = s->linger.onoff;
        v.pair[1] = s->linger.secs;
        lv = sizeof v.pair;
        break;
    case SO_RCVTIMEO_OLD: case SO_RCVTIMEO_NEW:
        get_timeout(s->rcvtimeo_ns, s->rcvtimeo_zero, &v.tv);
        lv = sizeof v.tv;
        break;
    case SO_SNDTIMEO_OLD: case SO_SNDTIMEO_NEW:
        get_timeout(s->sndtimeo_ns, s->sndtimeo_zero, &v.tv);
        lv = sizeof v.tv;
        break;
    case SO_PEERCRED:
        v.cred = s->peercred;
        lv = sizeof v.cred;
        break;
    default:
        spin_unlock_irqrestore(&s->lock, irq);
        return -ENOPROTOOPT;
    }
    spin_unlock_irqrestore(&s->lock, irq);
    if (*len > lv) *len = lv;
    memcpy(val, &v, lv);
    return 0;
}
