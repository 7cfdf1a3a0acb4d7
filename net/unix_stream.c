/* AF_UNIX connections: listen, connect and accept (SOCK_STREAM and
 * SOCK_SEQPACKET), and the byte stream's send and receive.
 *
 * connect makes the server's end at once (an embryo, already connected to
 * the client) and queues it on the listener, which holds at most backlog+1
 * of them (Linux's test is "more than backlog"); a connect finding it full
 * waits on the listener's queue (-EAGAIN when it may not). accept takes the
 * first embryo. */
#include "unix.h"
#include "../klib/errno.h"
#include "../klib/string.h"

/* The most a stream message carries: big writes become several. */
#define STREAM_CHUNK (64 * 1024)

int unix_listen(struct socket *s, int backlog)
{
    struct unix_sock *u = unix_of(s);
    uint64_t irq = spin_lock_irqsave(&s->lock);
    int r = 0;
    if (!u->addrlen) r = -EINVAL;
    else if (u->state == UNIX_CONNECTED) r = -EINVAL;
    else {
        u->backlog = backlog;
        u->state = UNIX_LISTENING;
        s->listening = true;
        s->peercred = socket_current_cred();
    }
    spin_unlock_irqrestore(&s->lock, irq);
    if (!r) wake_all(&s->wq);   /* connectors waiting for room: the backlog may be larger */
    return r;
}

static bool acceptable(void *arg)
{
    struct unix_sock *u = arg;
    uint64_t irq = spin_lock_irqsave(&u->sock.lock);
    bool ready = u->head || u->state != UNIX_LISTENING || u->sock.error || (u->sock.shut & SOCK_SHUT_RD);
    spin_unlock_irqrestore(&u->sock.lock, irq);
    return ready;
}

int unix_accept(struct socket *s, struct socket **out, bool nonblock)
{
    struct unix_sock *u = unix_of(s);
    uint64_t deadline = nonblock ? SOCK_NO_WAIT : socket_deadline(s, false, 0);
    for (;;) {
        uint64_t irq = spin_lock_irqsave(&s->lock);
        if (u->state != UNIX_LISTENING) {
            spin_unlock_irqrestore(&s->lock, irq);
            return -EINVAL;
        }
        struct unix_skb *skb = u->head;
        if (skb) {
            u->head = skb->next;
            if (!u->head) u->tail = NULL;
            u->qlen--;
            struct unix_sock *e = skb->embryo;
            skb->embryo = NULL;
            spin_unlock_irqrestore(&s->lock, irq);
            wake_all(&s->wq);   /* room for a waiting connect */
            irq = spin_lock_irqsave(&e->sock.lock);
            e->embryo = false;
            spin_unlock_irqrestore(&e->sock.lock, irq);
            unix_skb_free(skb);
            *out = &e->sock;
            return 0;
        }
        int err = s->error;
        s->error = 0;
        bool shut = s->shut & SOCK_SHUT_RD;
        spin_unlock_irqrestore(&s->lock, irq);
        if (err) return -err;
        if (shut) return -EINVAL;
        int r = socket_wait(s, NULL, deadline, acceptable, u);
        if (r) return r;
    }
}

static bool listener_has_room(void *arg)
{
    struct unix_sock *l = arg;
    uint64_t irq = spin_lock_irqsave(&l->sock.lock);
    bool ready = l->qlen <= l->backlog || l->state != UNIX_LISTENING || l->dead;
    spin_unlock_irqrestore(&l->sock.lock, irq);
    return ready;
}

int unix_stream_connect(struct socket *s, const struct sockaddr_k *addr, uint32_t len, bool nonblock)
{
    struct unix_sock *u = unix_of(s);
    struct sockaddr_k a = *addr;
    int r = unix_addr_check(&a, &len);
    if (r) return r;
    if (__atomic_load_n(&s->passcred, __ATOMIC_RELAXED) && (r = unix_autobind(u))) return r;
    uint64_t deadline = nonblock ? SOCK_NO_WAIT : socket_deadline(s, true, 0);
    /* The server's end, made first so nothing allocates under a lock. */
    struct unix_sock *e = unix_new(s->heap, s->type);
    struct unix_skb *skb = e ? unix_skb_new(u, 0) : NULL;
    if (!skb) {
        if (e) socket_put(&e->sock);
        return -ENOMEM;
    }
    struct unix_sock *l;
    for (;;) {
        if ((r = unix_find(&a, len, s->type, &l))) goto fail;
        uint64_t irq = spin_lock_irqsave(&l->sock.lock);
        if (l->state != UNIX_LISTENING || l->dead || (l->sock.shut & SOCK_SHUT_RD)) r = -ECONNREFUSED;
        else if (l->qlen > l->backlog) r = -EAGAIN;
        spin_unlock_irqrestore(&l->sock.lock, irq);
        if (r != -EAGAIN) break;
        r = socket_wait(&l->sock, NULL, deadline, listener_has_room, l);
        socket_put(&l->sock);
        if (r) goto fail;
    }
    if (r) {
        socket_put(&l->sock);
        goto fail;
    }
    /* Our side: only an unconnected socket connects. */
    uint64_t irq = spin_lock_irqsave(&s->lock);
    if (u->state == UNIX_CONNECTED) r = -EISCONN;
    else if (u->state == UNIX_LISTENING) r = -EINVAL;
    else {
        u->state = UNIX_CONNECTED;
        u->peer = e;
        socket_get(&e->sock);
    }
    spin_unlock_irqrestore(&s->lock, irq);
    if (r) {
        socket_put(&l->sock);
        goto fail;
    }
    /* The embryo: connected to us, named as the listener, our credentials. */
    e->state = UNIX_CONNECTED;
    e->peer = u;
    socket_get(s);
    e->embryo = true;
    e->sock.peercred = socket_current_cred();
    e->sock.passcred = l->sock.passcred;
    irq = spin_lock_irqsave(&l->sock.lock);
    e->addr = l->addr;
    e->addrlen = l->addrlen;
    s->peercred = l->sock.peercred;
    bool gone = l->dead || l->state != UNIX_LISTENING;
    if (!gone) {
        skb->embryo = e;
        unix_queue_locked(l, skb);
    }
    spin_unlock_irqrestore(&l->sock.lock, irq);
    wake_all(&l->sock.wq);
    socket_put(&l->sock);
    if (gone) {
        /* The listener closed meanwhile: as if it had refused. */
        skb->embryo = e;
        unix_skb_free(skb);
        irq = spin_lock_irqsave(&s->lock);
        u->state = UNIX_UNCONNECTED;
        struct unix_sock *p = u->peer;
        u->peer = NULL;
        s->shut = 0;
        s->error = 0;
        spin_unlock_irqrestore(&s->lock, irq);
        if (p) socket_put(&p->sock);
        return -ECONNREFUSED;
    }
    return 0;
fail:
    unix_skb_free(skb);
    socket_put(&e->sock);
    return r;
}

/* ---- the byte stream ---- */

static bool can_send(void *arg)
{
    struct unix_sock *u = arg;
    uint64_t irq = spin_lock_irqsave(&u->sock.lock);
    bool ready = __atomic_load_n(&u->wmem, __ATOMIC_ACQUIRE) < u->sock.sndbuf || !u->peer || u->peer->dead ||
                 (u->sock.shut & SOCK_SHUT_WR) || u->sock.error;
    spin_unlock_irqrestore(&u->sock.lock, irq);
    return ready;
}

long unix_stream_sendmsg(struct socket *s, struct sock_msg *m)
{
    struct unix_sock *u = unix_of(s);
    if (m->flags & MSG_OOB) return -EOPNOTSUPP;
    uint64_t irq = spin_lock_irqsave(&s->lock);
    bool connected = u->state == UNIX_CONNECTED;
    spin_unlock_irqrestore(&s->lock, irq);
    if (m->namelen) return connected ? -EISCONN : -EOPNOTSUPP;
    struct unix_scm scm;
    int r = unix_scm_from_msg(u, m, &scm);
    if (r) return r;
    size_t sent = 0;
    long err = 0;
    uint64_t deadline = socket_deadline(s, true, m->flags);
    irq = spin_lock_irqsave(&s->lock);
    struct unix_sock *peer = u->peer;
    if (peer) socket_get(&peer->sock);
    bool shut = s->shut & SOCK_SHUT_WR;
    spin_unlock_irqrestore(&s->lock, irq);
    if (!peer) {
        err = -ENOTCONN;
        goto out;
    }
    if (shut) {
        err = socket_epipe(m->flags);
        goto out;
    }
    while (sent < m->len) {
        r = socket_wait(s, NULL, deadline, can_send, u);
        if (r) {
            err = r;
            break;
        }
        size_t room = s->sndbuf / 2 > 64 ? s->sndbuf / 2 - 64 : 64;
        size_t size = MIN(m->len - sent, MIN((size_t)STREAM_CHUNK, room));
        struct unix_skb *skb = unix_skb_new(u, size);
        if (!skb) {
            err = -ENOMEM;
            break;
        }
        if (sock_msg_copy_in(m, skb->data, size) < 0) {
            unix_skb_free(skb);
            err = -EFAULT;
            break;
        }
        unix_scm_attach(&scm, skb);
        irq = spin_lock_irqsave(&peer->sock.lock);
        bool closed = peer->dead || (peer->sock.shut & SOCK_SHUT_RD);
        if (!closed) unix_queue_locked(peer, skb);
        spin_unlock_irqrestore(&peer->sock.lock, irq);
        if (closed) {
            unix_skb_free(skb);
            err = sent ? -EPIPE : socket_epipe(m->flags);
            break;
        }
        wake_all(&peer->sock.wq);
        sent += size;
    }
out:
    unix_scm_release(s->heap, &scm);
    if (peer) socket_put(&peer->sock);
    return sent ? (long)sent : err;
}

static bool can_recv(void *arg)
{
    struct unix_sock *u = arg;
    uint64_t irq = spin_lock_irqsave(&u->sock.lock);
    bool ready = u->head || (u->sock.shut & SOCK_SHUT_RD) || u->sock.error || u->state != UNIX_CONNECTED;
    spin_unlock_irqrestore(&u->sock.lock, irq);
    return ready;
}

/* The message holding the byte `skip` bytes past the read position, and
 * where in it (u's lock held). */
static struct unix_skb *at_offset(struct unix_sock *u, size_t skip, size_t *start)
{
    struct unix_skb *skb = u->head;
    while (skb && skip >= skb->len - skb->off) {
        skip -= skb->len - skb->off;
        skb = skb->next;
    }
    if (skb) *start = skb->off + skip;
    return skb;
}

long unix_stream_recvmsg(struct socket *s, struct sock_msg *m)
{
    struct unix_sock *u = unix_of(s);
    if (m->flags & MSG_OOB) return -EOPNOTSUPP;
    uint64_t irq = spin_lock_irqsave(&s->lock);
    bool connected = u->state == UNIX_CONNECTED;
    spin_unlock_irqrestore(&s->lock, irq);
    if (!connected) return -EINVAL;
    size_t target = (m->flags & MSG_WAITALL) ? m->len : MIN((size_t)(s->rcvlowat > 0 ? s->rcvlowat : 1), m->len);
    if (!target) target = 1;    /* even a zero-length read waits for data, as on Linux */
    uint64_t deadline = socket_deadline(s, false, m->flags);
    bool peek = m->flags & MSG_PEEK;
    bool check_creds = false;
    size_t copied = 0;
    long err = 0;
    struct ucred_k cred = socket_current_cred();
    bool have_cred = false;
    struct file **files = NULL;     /* the descriptors this read takes (owned unless peeking) */
    int nfiles = 0, files_cap = 0;
    mutex_lock(&u->readers);
    while (copied < m->len || (m->len == 0 && !copied && !have_cred)) {
        size_t start = 0;
        irq = spin_lock_irqsave(&s->lock);
        struct unix_skb *skb = at_offset(u, peek ? copied : 0, &start);
        if (!skb) {
            int e = copied ? 0 : s->error;
            if (e) s->error = 0;
            bool eof = (s->shut & SOCK_SHUT_RD) != 0;
            spin_unlock_irqrestore(&s->lock, irq);
            if (e) {
                err = -e;
                break;
            }
            if (copied >= target || eof) break;
            mutex_unlock(&u->readers);
            int r = socket_wait(s, NULL, deadline, can_recv, u);
            mutex_lock(&u->readers);
            if (r) {
                err = r;
                break;
            }
            continue;
        }
        /* With SO_PASSCRED, bytes of different credentials are never glued. */
        if (check_creds && memcmp(&cred, &skb->cred, sizeof cred)) {
            spin_unlock_irqrestore(&s->lock, irq);
            break;
        }
        if (!have_cred) {
            cred = skb->cred;
            have_cred = true;
            check_creds = s->passcred;
        }
        size_t chunk = MIN(skb->len - start, m->len - copied);
        spin_unlock_irqrestore(&s->lock, irq);
        /* Only readers unlink messages, and we hold the readers' mutex. */
        if (chunk && sock_msg_copy_out(m, skb->data + start, chunk) < 0) {
            if (!copied) err = -EFAULT;
            break;
        }
        copied += chunk;
        irq = spin_lock_irqsave(&s->lock);
        bool had_files = skb->nfiles != 0 && !files;
        if (peek) {
            if (had_files) {
                files = skb->files;     /* a peek passes new descriptors too (Linux) */
                nfiles = skb->nfiles;
                files_cap = -1;
            }
            spin_unlock_irqrestore(&s->lock, irq);
        } else {
            skb->off += chunk;
            if (had_files) {
                files = skb->files;
                nfiles = skb->nfiles;
                files_cap = skb->files_cap;
                skb->files = NULL;
                skb->nfiles = skb->files_cap = 0;
            }
            bool done = skb->off == skb->len;
            if (done) {
                u->head = skb->next;
                if (!u->head) u->tail = NULL;
                u->qlen--;
                u->qbytes -= skb->len;
            }
            spin_unlock_irqrestore(&s->lock, irq);
            if (done) unix_skb_free(skb);
        }
        if (had_files || !chunk) break;
    }
    if (!err || copied) {
        err = 0;
        unix_scm_deliver(u, m, have_cred ? &cred : NULL, files, nfiles);
    }
    mutex_unlock(&u->readers);
    if (files && files_cap >= 0) {
        for (int i = 0; i < nfiles; i++) file_put(files[i]);
        deallocate(s->heap, files, (size_t)files_cap * sizeof *files);
    }
    if (copied && !peek) wake_all(&s->wq);
    return err ? err : (long)copied;
}
