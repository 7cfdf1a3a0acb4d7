/* AF_NETLINK sockets (SOCK_RAW and SOCK_DGRAM), NETLINK_ROUTE only: the
 * kernel side answers each request synchronously during sendmsg, queueing
 * its replies (one nlmsg per datagram) on the socket, which recvmsg hands
 * out as datagrams from the kernel (sockaddr_nl with pid 0). Port ids are
 * Linux's: an unbound socket is bound at its first send (or bind with pid
 * 0) to the process id if free, else to a negative number from -4096 down.
 * No multicast groups are ever sent to (no link or address changes are
 * announced yet). */
#include "netlink.h"
#include "../kernel/process.h"
#include "../kernel/mutex.h"
#include "../klib/errno.h"
#include "../klib/string.h"

#define SOL_NETLINK 270
#define NL_QUEUE_MAX 4096   /* replies queued before a request is refused (ENOBUFS) */

struct nl_msg {
    struct nl_msg *next;
    size_t len;
    char data[];
};

struct nl_sock {
    struct socket sock;     /* its lock guards everything below */
    struct nl_msg *head, *tail;
    int qlen;
    uint32_t portid;        /* 0: not bound */
    uint32_t groups;
    uint32_t dst_pid, dst_groups;
    bool dead;
    struct mutex readers;   /* one reader at a time: a peeked message stays queued while copied */
    struct nl_sock *next_bound;
};

struct sockaddr_nl_k {
    uint16_t family, pad;
    uint32_t pid, groups;
};

static struct spinlock ports_lock;
static struct nl_sock *bound;
static int32_t next_negative = -4096;

static struct nl_sock *nl_of(struct socket *s) { return (struct nl_sock *)s; }
static const struct sock_family netlink_family;
static const struct sock_ops netlink_ops;

static bool port_used_locked(uint32_t port)
{
    for (struct nl_sock *n = bound; n; n = n->next_bound)
        if (n->portid == port) return true;
    return false;
}

/* Bind to port (0: choose as Linux does). */
static int bind_port(struct nl_sock *n, uint32_t port)
{
    uint64_t irq = spin_lock_irqsave(&ports_lock);
    int r = 0;
    if (n->portid) r = n->portid == port || !port ? 0 : -EINVAL;
    else {
        if (!port) {
            port = PROCESS_PID;
            while (port_used_locked(port)) port = (uint32_t)next_negative--;
        } else if (port_used_locked(port)) {
            r = -EADDRINUSE;
        }
        if (!r) {
            n->portid = port;
            n->next_bound = bound;
            bound = n;
        }
    }
    spin_unlock_irqrestore(&ports_lock, irq);
    return r;
}

static int nl_create(struct heap *h, int type, int protocol, struct socket **out)
{
    if (type != SOCK_RAW && type != SOCK_DGRAM) return -ESOCKTNOSUPPORT;
    if (protocol < 0 || protocol >= 32) return -EPROTONOSUPPORT;
    if (protocol != NETLINK_ROUTE) return -EPROTONOSUPPORT;
    struct nl_sock *n = allocate_zero(h, sizeof *n);
    if (!n) return -ENOMEM;
    socket_init(&n->sock, h, &netlink_family, &netlink_ops, type, protocol);
    *out = &n->sock;
    return 0;
}

static int nl_addr(const struct sockaddr_k *addr, uint32_t len, struct sockaddr_nl_k *out)
{
    if (len < sizeof *out) return -EINVAL;
    memcpy(out, addr, sizeof *out);
    return out->family == AF_NETLINK ? 0 : -EINVAL;
}

static int nl_bind(struct socket *s, const struct sockaddr_k *addr, uint32_t len)
{
    struct sockaddr_nl_k a;
    int r = nl_addr(addr, len, &a);
    if (r) return r;
    if ((r = bind_port(nl_of(s), a.pid))) return r;
    uint64_t irq = spin_lock_irqsave(&s->lock);
    nl_of(s)->groups = a.groups;
    spin_unlock_irqrestore(&s->lock, irq);
    return 0;
}

static int nl_connect(struct socket *s, const struct sockaddr_k *addr, uint32_t len, bool nonblock)
{
    struct nl_sock *n = nl_of(s);
    if (len >= 2 && addr->family == AF_UNSPEC) {
        n->dst_pid = n->dst_groups = 0;
        return 0;
    }
    struct sockaddr_nl_k a;
    int r = nl_addr(addr, len, &a);
    if (r) return r;
    if ((r = bind_port(n, 0))) return r;
    uint64_t irq = spin_lock_irqsave(&s->lock);
    n->dst_pid = a.pid;
    n->dst_groups = a.groups;
    spin_unlock_irqrestore(&s->lock, irq);
    return 0;
}

static int nl_getname(struct socket *s, struct sockaddr_k *addr, uint32_t *len, bool peer)
{
    struct nl_sock *n = nl_of(s);
    struct sockaddr_nl_k a = { .family = AF_NETLINK };
    uint64_t irq = spin_lock_irqsave(&s->lock);
    if (peer) {
        a.pid = n->dst_pid;
        a.groups = n->dst_groups;
    } else {
        a.pid = n->portid;
        a.groups = n->groups;
    }
    spin_unlock_irqrestore(&s->lock, irq);
    memset(addr, 0, sizeof *addr);
    memcpy(addr, &a, sizeof a);
    *len = sizeof a;
    return 0;
}

/* A reply datagram onto the requester's queue. */
static int queue_reply(void *ctx, const void *msg, size_t len)
{
    struct nl_sock *n = ctx;
    struct nl_msg *m = allocate(n->sock.heap, sizeof *m + len);
    if (!m) return -ENOBUFS;
    m->next = NULL;
    m->len = len;
    memcpy(m->data, msg, len);
    uint64_t irq = spin_lock_irqsave(&n->sock.lock);
    bool full = n->qlen >= NL_QUEUE_MAX;
    if (!full) {
        if (n->tail) n->tail->next = m;
        else n->head = m;
        n->tail = m;
        n->qlen++;
    }
    spin_unlock_irqrestore(&n->sock.lock, irq);
    if (full) {
        deallocate(n->sock.heap, m, sizeof *m + len);
        return -ENOBUFS;
    }
    wake_all(&n->sock.wq);
    return 0;
}

static long nl_sendmsg(struct socket *s, struct sock_msg *m)
{
    struct nl_sock *n = nl_of(s);
    if (m->namelen) {
        struct sockaddr_nl_k a;
        int r = nl_addr(&m->name, m->namelen, &a);
        if (r) return r;
        if (a.pid || a.groups) return -ECONNREFUSED;  /* only the kernel listens here */
    }
    int r = bind_port(n, 0);
    if (r) return r;
    size_t len = m->len;
    if (len > 65536) return -EMSGSIZE;
    char *buf = allocate(s->heap, len ? len : 1);
    if (!buf) return -ENOBUFS;
    if (sock_msg_copy_in(m, buf, len) < 0) {
        deallocate(s->heap, buf, len ? len : 1);
        return -EFAULT;
    }
    struct nl_reply_sink sink = { queue_reply, n, n->portid };
    /* Every whole message in the buffer is a request; a short tail is ignored, as on Linux. */
    for (size_t at = 0; at + NLMSG_HDRLEN <= len;) {
        struct nlmsghdr_k h;
        memcpy(&h, buf + at, sizeof h);
        if (h.len < NLMSG_HDRLEN || h.len > len - at) break;
        if (h.flags & NLM_F_REQUEST) netlink_route_request((const struct nlmsghdr_k *)(buf + at), h.len, &sink);
        at += NLMSG_ALIGN(h.len);
    }
    deallocate(s->heap, buf, len ? len : 1);
    return (long)len;
}

static bool has_reply(void *arg)
{
    struct nl_sock *n = arg;
    uint64_t irq = spin_lock_irqsave(&n->sock.lock);
    bool ready = n->head || (n->sock.shut & SOCK_SHUT_RD);
    spin_unlock_irqrestore(&n->sock.lock, irq);
    return ready;
}

static long nl_recvmsg(struct socket *s, struct sock_msg *m)
{
    struct nl_sock *n = nl_of(s);
    if (m->flags & MSG_OOB) return -EOPNOTSUPP;
    uint64_t deadline = socket_deadline(s, false, m->flags);
    bool peek = m->flags & MSG_PEEK;
    struct nl_msg *msg;
    mutex_lock(&n->readers);
    for (;;) {
        uint64_t irq = spin_lock_irqsave(&s->lock);
        msg = n->head;
        if (msg && !peek) {
            n->head = msg->next;
            if (!n->head) n->tail = NULL;
            n->qlen--;
        }
        bool shut = s->shut & SOCK_SHUT_RD;
        spin_unlock_irqrestore(&s->lock, irq);
        if (msg) break;
        mutex_unlock(&n->readers);
        if (shut) return 0;
        int r = socket_wait(s, NULL, deadline, has_reply, n);
        if (r) return r;
        mutex_lock(&n->readers);
    }
    size_t copy = MIN(msg->len, m->len);
    long r = sock_msg_copy_out(m, msg->data, copy) < 0 ? -EFAULT : (long)copy;
    if (msg->len > m->len) m->out_flags |= MSG_TRUNC;
    struct sockaddr_nl_k from = { .family = AF_NETLINK };
    memcpy(&m->name, &from, sizeof from);
    m->namelen = sizeof from;
    if (r >= 0 && (m->flags & MSG_TRUNC)) r = (long)msg->len;
    mutex_unlock(&n->readers);
    if (!peek) deallocate(s->heap, msg, sizeof *msg + msg->len);
    return r;
}

static uint32_t nl_poll(struct socket *s, struct poll_table *pt)
{
    struct nl_sock *n = nl_of(s);
    poll_wait(pt, &s->wq);
    uint64_t irq = spin_lock_irqsave(&s->lock);
    uint32_t mask = POLLOUT | POLLWRNORM;
    if (n->head) mask |= POLLIN | POLLRDNORM;
    if (s->error) mask |= POLLERR;
    spin_unlock_irqrestore(&s->lock, irq);
    return mask;
}

static int nl_shutdown(struct socket *s, int how)
{
    uint64_t irq = spin_lock_irqsave(&s->lock);
    s->shut |= (uint8_t)((how + 1) & 3);
    spin_unlock_irqrestore(&s->lock, irq);
    wake_all(&s->wq);
    return 0;
}

static int nl_setsockopt(struct socket *s, int level, int name, const void *val, uint32_t len)
{
    return -ENOPROTOOPT;   /* SOL_SOCKET: the generic layer's; no SOL_NETLINK option is supported yet */
}

static int nl_getsockopt(struct socket *s, int level, int name, void *val, uint32_t *len)
{
    return -ENOPROTOOPT;
}

static void nl_release(struct socket *s)
{
    struct nl_sock *n = nl_of(s);
    uint64_t irq = spin_lock_irqsave(&ports_lock);
    for (struct nl_sock **p = &bound; *p; p = &(*p)->next_bound) {
        if (*p == n) {
            *p = n->next_bound;
            break;
        }
    }
    spin_unlock_irqrestore(&ports_lock, irq);
    irq = spin_lock_irqsave(&s->lock);
    struct nl_msg *q = n->head;
    n->head = n->tail = NULL;
    n->qlen = 0;
    n->dead = true;
    spin_unlock_irqrestore(&s->lock, irq);
    while (q) {
        struct nl_msg *next = q->next;
        deallocate(s->heap, q, sizeof *q + q->len);
        q = next;
    }
}

static void nl_destroy(struct socket *s) { deallocate(s->heap, nl_of(s), sizeof(struct nl_sock)); }

static int nl_no_listen(struct socket *s, int backlog) { return -EOPNOTSUPP; }
static int nl_no_accept(struct socket *s, struct socket **out, bool nonblock) { return -EOPNOTSUPP; }

static const struct sock_ops netlink_ops = {
    .bind = nl_bind,
    .listen = nl_no_listen,
    .accept = nl_no_accept,
    .connect = nl_connect,
    .sendmsg = nl_sendmsg,
    .recvmsg = nl_recvmsg,
    .shutdown = nl_shutdown,
    .setsockopt = nl_setsockopt,
    .getsockopt = nl_getsockopt,
    .getname = nl_getname,
    .poll = nl_poll,
    .release = nl_release,
    .destroy = nl_destroy,
};

static const struct sock_family netlink_family = {
    .family = AF_NETLINK,
    .create = nl_create,
};

void netlink_register(void) { socket_register_family(&netlink_family); }
