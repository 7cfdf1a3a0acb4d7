/* AF_UNIX: creating sockets and pairs, messages, poll, shutdown, ioctl and
 * release (net/unix.h). Connections are unix_stream.c, datagrams
 * unix_dgram.c, names unix_addr.c, control messages unix_scm.c. */
#include "unix.h"
#include "../kernel/usercopy.h"
#include "../klib/errno.h"
#include "../klib/string.h"

#define SIOCINQ 0x541B
#define SIOCOUTQ 0x5411

struct wait_queue unix_dgram_room;

static const struct sock_family unix_family;
static const struct sock_ops unix_stream_ops, unix_seqpacket_ops, unix_dgram_ops;

struct unix_sock *unix_new(struct heap *h, int type)
{
    struct unix_sock *u = allocate_zero(h, sizeof *u);
    if (!u) return NULL;
    const struct sock_ops *ops = type == SOCK_STREAM ? &unix_stream_ops
                                 : type == SOCK_SEQPACKET ? &unix_seqpacket_ops : &unix_dgram_ops;
    socket_init(&u->sock, h, &unix_family, ops, type, 0);
    return u;
}

struct unix_skb *unix_skb_new(struct unix_sock *sender, size_t n)
{
    struct unix_skb *skb = allocate(sender->sock.heap, sizeof *skb + n);
    if (!skb) return NULL;
    *skb = (struct unix_skb){ .sender = sender, .len = n, .cred = socket_current_cred() };
    socket_get(&sender->sock);
    __atomic_add_fetch(&sender->wmem, n, __ATOMIC_ACQ_REL);
    return skb;
}

/* Off every lock: dropping passed files may release other sockets. */
void unix_skb_free(struct unix_skb *skb)
{
    struct unix_sock *sender = skb->sender;
    struct heap *h = sender->sock.heap;
    for (int i = 0; i < skb->nfiles; i++) file_put(skb->files[i]);
    if (skb->files) deallocate(h, skb->files, (size_t)skb->files_cap * sizeof *skb->files);
    if (skb->embryo) {
        struct socket *e = &skb->embryo->sock;
        e->ops->release(e);
        socket_put(e);
    }
    __atomic_sub_fetch(&sender->wmem, skb->len, __ATOMIC_ACQ_REL);
    wake_all(&sender->sock.wq);     /* a writer may have room now */
    size_t len = skb->len;
    deallocate(h, skb, sizeof *skb + len);
    socket_put(&sender->sock);
}

void unix_queue_locked(struct unix_sock *u, struct unix_skb *skb)
{
    skb->next = NULL;
    if (u->tail) u->tail->next = skb;
    else u->head = skb;
    u->tail = skb;
    u->qlen++;
    u->qbytes += skb->len;
}

/* ---- creating ---- */

static int unix_create(struct heap *h, int type, int protocol, struct socket **out)
{
    if (protocol && protocol != AF_UNIX) return -EPROTONOSUPPORT;
    if (type == SOCK_RAW) type = SOCK_DGRAM;    /* Linux takes SOCK_RAW as a datagram socket */
    if (type != SOCK_STREAM && type != SOCK_DGRAM && type != SOCK_SEQPACKET) return -ESOCKTNOSUPPORT;
    struct unix_sock *u = unix_new(h, type);
    if (!u) return -ENOMEM;
    *out = &u->sock;
    return 0;
}

static int unix_pair(struct heap *h, int type, int protocol, struct socket **a, struct socket **b)
{
    struct socket *sa, *sb;
    int r = unix_create(h, type, protocol, &sa);
    if (r) return r;
    if ((r = unix_create(h, type, protocol, &sb))) {
        socket_put(sa);
        return r;
    }
    struct unix_sock *ua = unix_of(sa), *ub = unix_of(sb);
    socket_get(sa);
    socket_get(sb);
    ua->peer = ub;
    ub->peer = ua;
    ua->state = ub->state = UNIX_CONNECTED;
    sa->peercred = sb->peercred = socket_current_cred();
    *a = sa;
    *b = sb;
    return 0;
}

/* ---- readiness ---- */

static bool writable(struct unix_sock *u)
{
    return u->state != UNIX_LISTENING && __atomic_load_n(&u->wmem, __ATOMIC_ACQUIRE) * 4 <= u->sock.sndbuf;
}

/* Linux's unix_poll and unix_dgram_poll. */
uint32_t unix_poll(struct socket *s, struct poll_table *pt)
{
    struct unix_sock *u = unix_of(s);
    poll_wait(pt, &s->wq);
    uint32_t mask = 0;
    uint64_t irq = spin_lock_irqsave(&s->lock);
    if (s->error) mask |= POLLERR;
    if (s->shut == (SOCK_SHUT_RD | SOCK_SHUT_WR)) mask |= POLLHUP;
    if (s->shut & SOCK_SHUT_RD) mask |= POLLRDHUP | POLLIN | POLLRDNORM;
    if (u->head) mask |= POLLIN | POLLRDNORM;
    if (s->type != SOCK_DGRAM && u->state == UNIX_UNCONNECTED) mask |= POLLHUP;
    bool can_write = writable(u);
    struct unix_sock *peer = s->type == SOCK_DGRAM ? u->peer : NULL;
    if (peer) socket_get(&peer->sock);
    spin_unlock_irqrestore(&s->lock, irq);
    if (peer) {
        /* A connected datagram socket waits for room at its peer, unless
         * the peer is connected back to it (Linux's rule). */
        poll_wait(pt, &unix_dgram_room);
        irq = spin_lock_irqsave(&peer->sock.lock);
        if (can_write && peer->peer != u && peer->qlen > UNIX_MAX_DGRAM_QLEN) can_write = false;
        spin_unlock_irqrestore(&peer->sock.lock, irq);
        socket_put(&peer->sock);
    }
    if (can_write) mask |= POLLOUT | POLLWRNORM | POLLWRBAND;
    return mask;
}

/* ---- shutdown, ioctl, release ---- */

static int unix_shutdown(struct socket *s, int how)
{
    struct unix_sock *u = unix_of(s);
    uint8_t mode = (uint8_t)((how + 1) & 3);    /* SHUT_RD -> RD, SHUT_WR -> WR, SHUT_RDWR -> both */
    uint64_t irq = spin_lock_irqsave(&s->lock);
    s->shut |= mode;
    struct unix_sock *peer = s->type != SOCK_DGRAM ? u->peer : NULL;
    if (peer) socket_get(&peer->sock);
    spin_unlock_irqrestore(&s->lock, irq);
    wake_all(&s->wq);
    if (peer) {
        uint8_t theirs = (uint8_t)(((mode & SOCK_SHUT_RD) ? SOCK_SHUT_WR : 0) | ((mode & SOCK_SHUT_WR) ? SOCK_SHUT_RD : 0));
        irq = spin_lock_irqsave(&peer->sock.lock);
        peer->sock.shut |= theirs;
        spin_unlock_irqrestore(&peer->sock.lock, irq);
        wake_all(&peer->sock.wq);
        socket_put(&peer->sock);
    }
    return 0;
}

static long unix_ioctl(struct socket *s, uint64_t cmd, uint64_t arg)
{
    struct unix_sock *u = unix_of(s);
    int amount;
    if (cmd == SIOCOUTQ) {
        amount = (int)__atomic_load_n(&u->wmem, __ATOMIC_ACQUIRE);
    } else if (cmd == SIOCINQ) {
        uint64_t irq = spin_lock_irqsave(&s->lock);
        bool listening = u->state == UNIX_LISTENING;
        size_t n = 0;
        if (s->type == SOCK_DGRAM) n = u->head ? u->head->len : 0;
        else
            for (struct unix_skb *k = u->head; k; k = k->next) n += k->len - k->off;
        spin_unlock_irqrestore(&s->lock, irq);
        if (listening) return -EINVAL;
        amount = (int)n;
    } else {
        return -ENOIOCTLCMD;
    }
    return copy_to_user(arg, &amount, sizeof amount) < 0 ? -EFAULT : 0;
}

static void unix_release(struct socket *s)
{
    struct unix_sock *u = unix_of(s);
    unix_unbind(u);
    uint64_t irq = spin_lock_irqsave(&s->lock);
    u->dead = true;
    struct unix_sock *peer = u->peer;
    u->peer = NULL;
    struct unix_skb *q = u->head;
    bool reset = q != NULL || u->embryo;
    u->head = u->tail = NULL;
    u->qlen = 0;
    u->qbytes = 0;
    u->state = UNIX_UNCONNECTED;
    s->shut = SOCK_SHUT_RD | SOCK_SHUT_WR;
    spin_unlock_irqrestore(&s->lock, irq);
    wake_all(&s->wq);
    wake_all(&unix_dgram_room);
    if (peer) {
        if (s->type != SOCK_DGRAM) {
            /* The other end can neither read more nor write; unread data
             * here makes its next read ECONNRESET, as on Linux. */
            irq = spin_lock_irqsave(&peer->sock.lock);
            peer->sock.shut = SOCK_SHUT_RD | SOCK_SHUT_WR;
            if (reset) peer->sock.error = ECONNRESET;
            spin_unlock_irqrestore(&peer->sock.lock, irq);
            wake_all(&peer->sock.wq);
        }
        socket_put(&peer->sock);
    }
    while (q) {
        struct unix_skb *next = q->next;
        unix_skb_free(q);
        q = next;
    }
}

static void unix_destroy(struct socket *s)
{
    struct unix_sock *u = unix_of(s);
    deallocate(s->heap, u, sizeof *u);
}

static int unix_no_listen(struct socket *s, int backlog) { return -EOPNOTSUPP; }
static int unix_no_accept(struct socket *s, struct socket **out, bool nonblock) { return -EOPNOTSUPP; }

static const struct sock_ops unix_stream_ops = {
    .bind = unix_bind,
    .listen = unix_listen,
    .accept = unix_accept,
    .connect = unix_stream_connect,
    .sendmsg = unix_stream_sendmsg,
    .recvmsg = unix_stream_recvmsg,
    .shutdown = unix_shutdown,
    .getname = unix_getname,
    .ioctl = unix_ioctl,
    .poll = unix_poll,
    .release = unix_release,
    .destroy = unix_destroy,
};

static const struct sock_ops unix_seqpacket_ops = {
    .bind = unix_bind,
    .listen = unix_listen,
    .accept = unix_accept,
    .connect = unix_stream_connect,
    .sendmsg = unix_seqpacket_sendmsg,
    .recvmsg = unix_seqpacket_recvmsg,
    .shutdown = unix_shutdown,
    .getname = unix_getname,
    .ioctl = unix_ioctl,
    .poll = unix_poll,
    .release = unix_release,
    .destroy = unix_destroy,
};

static const struct sock_ops unix_dgram_ops = {
    .bind = unix_bind,
    .listen = unix_no_listen,
    .accept = unix_no_accept,
    .connect = unix_dgram_connect,
    .sendmsg = unix_dgram_sendmsg,
    .recvmsg = unix_dgram_recvmsg,
    .shutdown = unix_shutdown,
    .getname = unix_getname,
    .ioctl = unix_ioctl,
    .poll = unix_poll,
    .release = unix_release,
    .destroy = unix_destroy,
};

static const struct sock_family unix_family = {
    .family = AF_UNIX,
    .create = unix_create,
    .pair = unix_pair,
};

void unix_register(void) { socket_register_family(&unix_family); }
