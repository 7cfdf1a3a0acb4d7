/* AF_UNIX messages: SOCK_DGRAM (connected or addressed per send) and the
 * messages of SOCK_SEQPACKET connections. A receiver holds at most
 * net.unix.max_dgram_qlen + 1 datagrams from senders it is not connected
 * back to (Linux's rule); a sender finding it full waits on
 * unix_dgram_room, which every receive wakes. Every sender also waits while
 * its bytes in flight reach SO_SNDBUF. */
#include "unix.h"
#include "../klib/errno.h"
#include "../klib/string.h"

int unix_dgram_connect(struct socket *s, const struct sockaddr_k *addr, uint32_t len, bool nonblock)
{
    struct unix_sock *u = unix_of(s);
    if (len < 2) return -EINVAL;
    struct unix_sock *other = NULL;
    if (addr->family != AF_UNSPEC) {
        struct sockaddr_k a = *addr;
        int r = unix_addr_check(&a, &len);
        if (r) return r;
        if (__atomic_load_n(&s->passcred, __ATOMIC_RELAXED) && (r = unix_autobind(u))) return r;
        if ((r = unix_find(&a, len, s->type, &other))) return r;
        uint64_t irq = spin_lock_irqsave(&other->sock.lock);
        if (other->dead) r = -ECONNREFUSED;
        else if (other->peer && other->peer != u) r = -EPERM;
        spin_unlock_irqrestore(&other->sock.lock, irq);
        if (r) {
            socket_put(&other->sock);
            return r;
        }
    }
    uint64_t irq = spin_lock_irqsave(&s->lock);
    struct unix_sock *old = u->peer;
    u->peer = other;
    u->state = other ? UNIX_CONNECTED : UNIX_UNCONNECTED;
    spin_unlock_irqrestore(&s->lock, irq);
    if (old) socket_put(&old->sock);
    wake_all(&s->wq);
    wake_all(&unix_dgram_room);
    return 0;
}

static bool wmem_room(void *arg)
{
    struct unix_sock *u = arg;
    return __atomic_load_n(&u->wmem, __ATOMIC_ACQUIRE) < u->sock.sndbuf ||
           (__atomic_load_n(&u->sock.shut, __ATOMIC_RELAXED) & SOCK_SHUT_WR);
}

struct target_room {
    struct unix_sock *from, *to;
};

static bool target_has_room(void *arg)
{
    struct target_room *t = arg;
    uint64_t irq = spin_lock_irqsave(&t->to->sock.lock);
    bool ready = t->to->dead || t->to->qlen <= UNIX_MAX_DGRAM_QLEN || t->to->peer == t->from ||
                 (t->to->sock.shut & SOCK_SHUT_RD);
    spin_unlock_irqrestore(&t->to->sock.lock, irq);
    return ready;
}

long unix_dgram_sendmsg(struct socket *s, struct sock_msg *m)
{
    struct unix_sock *u = unix_of(s);
    struct unix_scm scm;
    int r = unix_scm_from_msg(u, m, &scm);
    if (r) return r;
    long err;
    struct unix_sock *other = NULL;
    struct unix_skb *skb = NULL;
    bool named = m->namelen != 0;
    struct sockaddr_k a = m->name;
    uint32_t alen = m->namelen;
    if (m->flags & MSG_OOB) {
        err = -EOPNOTSUPP;
        goto out;
    }
    if (named) {
        if ((err = unix_addr_check(&a, &alen))) goto out;
    } else {
        uint64_t irq = spin_lock_irqsave(&s->lock);
        other = u->peer;
        if (other) socket_get(&other->sock);
        spin_unlock_irqrestore(&s->lock, irq);
        if (!other) {
            err = -ENOTCONN;
            goto out;
        }
    }
    if (__atomic_load_n(&s->passcred, __ATOMIC_RELAXED) && (err = unix_autobind(u))) goto out;
    if (m->len + 32 > s->sndbuf) {
        err = -EMSGSIZE;
        goto out;
    }
    uint64_t deadline = socket_deadline(s, true, m->flags);
    if ((err = socket_wait(s, NULL, deadline, wmem_room, u))) goto out;
    if (__atomic_load_n(&s->shut, __ATOMIC_RELAXED) & SOCK_SHUT_WR) {
        err = -EPIPE;
        goto out;
    }
    skb = unix_skb_new(u, m->len);
    if (!skb) {
        err = -ENOMEM;
        goto out;
    }
    if (sock_msg_copy_in(m, skb->data, m->len) < 0) {
        err = -EFAULT;
        goto out;
    }
    unix_scm_attach(&scm, skb);
    if (named && (err = unix_find(&a, alen, s->type, &other))) goto out;
    for (;;) {
        uint64_t irq = spin_lock_irqsave(&other->sock.lock);
        if (other->peer && other->peer != u) err = -EPERM;
        else if (other->dead) err = -ECONNREFUSED;
        else if (other->sock.shut & SOCK_SHUT_RD) err = -EPIPE;
        else if (other->peer != u && other->qlen > UNIX_MAX_DGRAM_QLEN) err = -EAGAIN;
        else {
            unix_queue_locked(other, skb);
            skb = NULL;
            err = 0;
        }
        spin_unlock_irqrestore(&other->sock.lock, irq);
        if (err != -EAGAIN) break;
        struct target_room t = { u, other };
        if ((err = socket_wait(s, &unix_dgram_room, deadline, target_has_room, &t))) break;
    }
    if (err == -ECONNREFUSED && !named) {
        /* Our peer went: we are no longer connected (Linux). */
        uint64_t irq = spin_lock_irqsave(&s->lock);
        struct unix_sock *old = u->peer == other ? other : NULL;
        if (old) {
            u->peer = NULL;
            u->state = UNIX_UNCONNECTED;
        }
        spin_unlock_irqrestore(&s->lock, irq);
        if (old) socket_put(&old->sock);
    }
    if (!err) {
        wake_all(&other->sock.wq);
        err = (long)m->len;
    }
out:
    if (skb) unix_skb_free(skb);
    unix_scm_release(s->heap, &scm);
    if (other) socket_put(&other->sock);
    return err;
}

static bool has_message(void *arg)
{
    struct unix_sock *u = arg;
    uint64_t irq = spin_lock_irqsave(&u->sock.lock);
    bool ready = u->head || (u->sock.shut & SOCK_SHUT_RD) || u->sock.error;
    spin_unlock_irqrestore(&u->sock.lock, irq);
    return ready;
}

long unix_dgram_recvmsg(struct socket *s, struct sock_msg *m)
{
    struct unix_sock *u = unix_of(s);
    if (m->flags & MSG_OOB) return -EOPNOTSUPP;
    uint64_t deadline = socket_deadline(s, false, m->flags);
    bool peek = m->flags & MSG_PEEK;
    mutex_lock(&u->readers);
    struct unix_skb *skb;
    long r;
    for (;;) {
        uint64_t irq = spin_lock_irqsave(&s->lock);
        skb = u->head;
        int e = s->error;
        if (!skb && e) s->error = 0;
        bool eof = (s->shut & SOCK_SHUT_RD) != 0;
        if (skb && !peek) {
            u->head = skb->next;
            if (!u->head) u->tail = NULL;
            u->qlen--;
            u->qbytes -= skb->len;
        }
        spin_unlock_irqrestore(&s->lock, irq);
        if (skb) break;
        if (e || eof) {
            mutex_unlock(&u->readers);
            return e ? -e : 0;
        }
        mutex_unlock(&u->readers);
        r = socket_wait(s, NULL, deadline, has_message, u);
        if (r) return r;
        mutex_lock(&u->readers);
    }
    if (!peek) wake_all(&unix_dgram_room);
    size_t n = MIN(skb->len, m->len);
    r = (long)n;
    if (n && sock_msg_copy_out(m, skb->data, n) < 0) r = -EFAULT;
    if (skb->len > m->len) m->out_flags |= MSG_TRUNC;
    if (r >= 0) {
        struct unix_sock *from = skb->sender;
        uint64_t irq = spin_lock_irqsave(&from->sock.lock);
        m->namelen = from->addrlen;
        if (from->addrlen) m->name = from->addr;
        spin_unlock_irqrestore(&from->sock.lock, irq);
        unix_scm_deliver(u, m, &skb->cred, skb->files, skb->nfiles);
        if (m->flags & MSG_TRUNC) r = (long)skb->len;
    }
    mutex_unlock(&u->readers);
    if (!peek) unix_skb_free(skb);
    return r;
}

long unix_seqpacket_sendmsg(struct socket *s, struct sock_msg *m)
{
    struct unix_sock *u = unix_of(s);
    uint64_t irq = spin_lock_irqsave(&s->lock);
    bool connected = u->state == UNIX_CONNECTED;
    spin_unlock_irqrestore(&s->lock, irq);
    if (!connected) return -ENOTCONN;
    m->namelen = 0;     /* a connection ignores addresses (Linux) */
    return unix_dgram_sendmsg(s, m);
}

long unix_seqpacket_recvmsg(struct socket *s, struct sock_msg *m)
{
    struct unix_sock *u = unix_of(s);
    uint64_t irq = spin_lock_irqsave(&s->lock);
    bool connected = u->state == UNIX_CONNECTED;
    spin_unlock_irqrestore(&s->lock, irq);
    if (!connected) return -ENOTCONN;
    return unix_dgram_recvmsg(s, m);
}
