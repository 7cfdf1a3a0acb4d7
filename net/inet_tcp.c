/* TCP sockets on lwIP's raw API (rules: net/inet.h). */
#include "inet.h"
#include "netif_ioctl.h"
#include "net_stack.h"
#include "lwip/tcp.h"
#include "lwip/pbuf.h"
#include "../kernel/poll.h"
#include "../kernel/usercopy.h"
#include "../klib/errno.h"
#include "../klib/string.h"

#define SIOCINQ 0x541B
#define SIOCOUTQ 0x5411

static void set_error(struct inet_sock *is, int err)
{
    socket_set_error(&is->sock, err);
}

/* ---- lwIP's callbacks (net_lock held) ---- */

static err_t on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
    struct inet_sock *is = arg;
    if (!is) {
        if (p) pbuf_free(p);
        return ERR_OK;
    }
    if (!p) {
        is->rx_fin = true;
    } else if (is->sock.shut & SOCK_SHUT_RD) {
        /* Read side shut: Linux drops what still comes, still acked. */
        tcp_recved(pcb, p->tot_len);
        pbuf_free(p);
    } else {
        if (is->rx) pbuf_cat(is->rx, p); else is->rx = p;
        is->rx_bytes += p->tot_len;
    }
    wake_all(&is->sock.wq);
    return ERR_OK;
}

static err_t on_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
    struct inet_sock *is = arg;
    if (is) wake_all(&is->sock.wq);
    return ERR_OK;
}

/* The pcb is already freed by lwIP when this runs. */
static void on_error(void *arg, err_t err)
{
    struct inet_sock *is = arg;
    if (!is) return;
    is->tcp = NULL;
    set_error(is, inet_errno(err, is->state));
    is->state = INET_CLOSED;
    wake_all(&is->sock.wq);
}

static err_t on_connected(void *arg, struct tcp_pcb *pcb, err_t err)
{
    struct inet_sock *is = arg;
    if (is) {
        is->state = INET_CONNECTED;
        wake_all(&is->sock.wq);
    }
    return ERR_OK;
}

static void attach(struct inet_sock *is, struct tcp_pcb *pcb)
{
    is->tcp = pcb;
    tcp_arg(pcb, is);
    tcp_recv(pcb, on_recv);
    tcp_sent(pcb, on_sent);
    tcp_err(pcb, on_error);
}

/* Forget the pcb: lwIP's defaults take whatever still comes. */
static void detach(struct tcp_pcb *pcb)
{
    tcp_arg(pcb, NULL);
    if (pcb->state == LISTEN) {
        tcp_accept(pcb, NULL);
        return;
    }
    tcp_recv(pcb, NULL);
    tcp_sent(pcb, NULL);
    tcp_err(pcb, NULL);
}

static err_t on_accept(void *arg, struct tcp_pcb *newpcb, err_t err)
{
    struct inet_sock *ls = arg;
    if (!ls || err != ERR_OK || !newpcb) return ERR_VAL;
    struct inet_sock *c = inet_alloc(ls->v6, SOCK_STREAM, ls->sock.protocol);
    if (!c) return ERR_MEM;   /* lwIP aborts the connection */
    c->state = INET_CONNECTED;
    c->bound = true;
    c->v6only = ls->v6only;
    c->nodelay = ls->nodelay;
    c->keepidle = ls->keepidle;
    c->keepintvl = ls->keepintvl;
    c->keepcnt = ls->keepcnt;
    c->sock.keepalive = ls->sock.keepalive;
    attach(c, newpcb);
    inet_tcp_apply_options(c);
    /* Counted against the backlog until accept(2) takes it: lwIP drops
     * new SYNs meanwhile (the client retries, as with Linux). */
    tcp_backlog_delayed(newpcb);
    if (ls->accept_last) ls->accept_last->accept_next = c; else ls->accept_first = c;
    ls->accept_last = c;
    ls->accept_count++;
    wake_all(&ls->sock.wq);
    return ERR_OK;
}

/* ---- the calls ---- */

int inet_tcp_open(struct inet_sock *is)
{
    uint64_t fl = net_lock();
    struct tcp_pcb *pcb = tcp_new_ip_type(is->v6 ? IPADDR_TYPE_ANY : IPADDR_TYPE_V4);
    if (pcb) {
        attach(is, pcb);
        inet_tcp_apply_options(is);
        net_timers_start();
    }
    net_unlock(fl);
    return pcb ? 0 : -ENOMEM;
}

static int tcp_bind_op(struct socket *s, const struct sockaddr_k *addr, uint32_t len)
{
    struct inet_sock *is = inet_of(s);
    ip_addr_t ip;
    uint16_t port;
    int r = inet_bind_addr_from(is, addr, len, &ip, &port);
    if (r) return r;
    uint64_t fl = net_lock();
    if (!is->tcp || is->state != INET_NEW) r = -EINVAL;
    else if (is->bound) r = -EINVAL;
    else if (!inet_addr_is_local(&ip)) r = -EADDRNOTAVAIL;
    else {
        if (s->reuseaddr) ip_set_option(is->tcp, SOF_REUSEADDR);
        err_t e = tcp_bind(is->tcp, &ip, port);
        if (e != ERR_OK) r = -inet_errno(e, is->state);
        else is->bound = true;
    }
    net_unlock(fl);
    return r;
}

static int tcp_listen_op(struct socket *s, int backlog)
{
    struct inet_sock *is = inet_of(s);
    if (backlog < 0) backlog = 0;
    if (backlog > 4096) backlog = 4096;
    int r = 0;
    uint64_t fl = net_lock();
    if (is->state == INET_LISTENING) {
        is->backlog = backlog;
        { u8_t b = (u8_t)MIN(backlog + 1, 255); tcp_backlog_set(is->tcp, b); }
    } else if (is->state != INET_NEW || !is->tcp) {
        r = -EINVAL;
    } else {
        if (!is->bound) {
            if (s->reuseaddr) ip_set_option(is->tcp, SOF_REUSEADDR);
            tcp_bind(is->tcp, inet_any_addr(is), 0);
            is->bound = true;
        }
        err_t e;
        /* Linux queues backlog + 1 connections. */
        struct tcp_pcb *lp = tcp_listen_with_backlog_and_err(is->tcp, (u8_t)MIN(backlog + 1, 255), &e);
        if (!lp) {
            r = -inet_errno(e, is->state);
        } else {
            is->tcp = lp;
            tcp_arg(lp, is);
            tcp_accept(lp, on_accept);
            is->state = INET_LISTENING;
            is->backlog = backlog;
            s->listening = true;
        }
    }
    net_unlock(fl);
    return r;
}

static bool can_accept(void *arg)
{
    struct inet_sock *is = arg;
    uint64_t fl = net_lock();
    bool r = is->accept_first || is->state != INET_LISTENING;
    net_unlock(fl);
    return r;
}

static int tcp_accept_op(struct socket *s, struct socket **out, bool nonblock)
{
    struct inet_sock *is = inet_of(s);
    uint64_t deadline = nonblock ? SOCK_NO_WAIT : socket_deadline(s, false, 0);
    for (;;) {
        uint64_t fl = net_lock();
        if (is->state != INET_LISTENING) {
            net_unlock(fl);
            return -EINVAL;
        }
        struct inet_sock *c = is->accept_first;
        if (c) {
            is->accept_first = c->accept_next;
            if (!is->accept_first) is->accept_last = NULL;
            is->accept_count--;
            c->accept_next = NULL;
            if (c->tcp) tcp_backlog_accepted(c->tcp);
            net_unlock(fl);
            *out = &c->sock;
            return 0;
        }
        net_unlock(fl);
        int r = socket_wait(s, NULL, deadline, can_accept, is);
        if (r) return r;
    }
}

static bool connect_settled(void *arg)
{
    struct inet_sock *is = arg;
    uint64_t fl = net_lock();
    bool r = is->state != INET_CONNECTING;
    net_unlock(fl);
    return r;
}

static int tcp_connect_op(struct socket *s, const struct sockaddr_k *addr, uint32_t len, bool nonblock)
{
    struct inet_sock *is = inet_of(s);
    if (len >= 2 && addr->family == AF_UNSPEC) return -EOPNOTSUPP;   /* disconnect: not for TCP here */
    ip_addr_t ip;
    uint16_t port;
    int r = inet_addr_from(is, addr, len, &ip, &port);
    if (r) return r;
    uint64_t fl = net_lock();
    switch (is->state) {
    case INET_CONNECTING: r = -EALREADY; break;
    case INET_CONNECTED:
        /* The first connect after a non-blocking one completed reports
         * the success (Linux), later ones EISCONN. */
        r = is->connect_pending ? 0 : -EISCONN;
        is->connect_pending = false;
        break;
    case INET_LISTENING: r = -EISCONN; break;
    case INET_CLOSED: {
        /* A failed connect reports its error once; after that, EISCONN? No:
         * Linux lets a socket whose connect failed try again. */
        int e = socket_take_error(s);
        if (e) { r = -e; break; }
        /* Start over with a fresh pcb. */
        struct tcp_pcb *pcb = tcp_new_ip_type(is->v6 ? IPADDR_TYPE_ANY : IPADDR_TYPE_V4);
        if (!pcb) { r = -ENOMEM; break; }
        attach(is, pcb);
        inet_tcp_apply_options(is);
        is->state = INET_NEW;
        is->bound = false;
    }
        /* fall through */
    case INET_NEW:
        if (!is->tcp) { r = -EINVAL; break; }
        if (IP_IS_V4(&ip) && ip4_addr_isany_val(*ip_2_ip4(&ip))) ip_addr_set_ip4_u32_val(ip, PP_HTONL(0x7f000001));
        if (IP_IS_V6(&ip) && ip6_addr_isany(ip_2_ip6(&ip))) { ip6_addr_set_loopback(ip_2_ip6(&ip)); ip6_addr_clear_zone(ip_2_ip6(&ip)); }
        if (IP_IS_V6(&ip) && ip6_addr_islinklocal(ip_2_ip6(&ip)) && !ip6_addr_has_zone(ip_2_ip6(&ip)))
            ip6_addr_assign_zone(ip_2_ip6(&ip), IP6_UNICAST, netif_default);
        if (s->reuseaddr) ip_set_option(is->tcp, SOF_REUSEADDR);
        err_t e = tcp_connect(is->tcp, &ip, port, on_connected);
        if (e != ERR_OK) {
            r = -inet_errno(e, INET_NEW);
            if (e == ERR_RTE) r = -ENETUNREACH;
            break;
        }
        is->bound = true;
        is->state = INET_CONNECTING;
        r = -EINPROGRESS;
        break;
    }
    net_unlock(fl);
    if (r != -EINPROGRESS) return r;
    if (nonblock) {
        fl = net_lock();
        is->connect_pending = true;
        net_unlock(fl);
        return -EINPROGRESS;
    }
    uint64_t deadline = socket_deadline(s, true, 0);
    if (deadline == SOCK_NO_WAIT) return -EINPROGRESS;
    r = socket_wait(s, NULL, deadline, connect_settled, is);
    if (r == -EAGAIN) return -EINPROGRESS;   /* SO_SNDTIMEO ran out */
    if (r) return r == -EINTR ? -EINTR : r;
    fl = net_lock();
    int state = is->state;
    net_unlock(fl);
    if (state == INET_CONNECTED) return 0;
    int e = socket_take_error(s);
    return e ? -e : -ECONNREFUSED;
}

/* ---- sending ---- */

static bool can_send(void *arg)
{
    struct inet_sock *is = arg;
    uint64_t fl = net_lock();
    bool r = is->sock.error || (is->state != INET_CONNECTED && is->state != INET_CONNECTING) || !is->tcp ||
             (is->sock.shut & SOCK_SHUT_WR) ||
             (is->state == INET_CONNECTED && tcp_sndbuf(is->tcp) > 0 && tcp_sndqueuelen(is->tcp) < TCP_SND_QUEUELEN);
    net_unlock(fl);
    return r;
}

static long tcp_sendmsg_op(struct socket *s, struct sock_msg *m)
{
    struct inet_sock *is = inet_of(s);
    uint64_t deadline = socket_deadline(s, true, m->flags);
    mutex_lock(&is->tx_mutex);
    if (!is->tx_buf) is->tx_buf = allocate(s->heap, INET_TX_BUF);
    long r = 0;
    size_t staged = 0, staged_off = 0;
    if (!is->tx_buf) { r = -ENOMEM; goto out; }
    for (;;) {
        if (staged_off == staged && sock_msg_left(m)) {
            size_t n = MIN(sock_msg_left(m), (size_t)INET_TX_BUF);
            long c = sock_msg_copy_in(m, is->tx_buf, n);
            if (c < 0) { r = c; break; }
            staged = (size_t)c;
            staged_off = 0;
        }
        uint64_t fl = net_lock();
        int err = 0;
        bool wait = false;
        if (is->sock.error) {
            err = socket_take_error(s);
        } else if (is->state == INET_CONNECTING) {
            /* Linux waits for the handshake (or says EAGAIN). */
            wait = true;
        } else if (is->state != INET_CONNECTED || !is->tcp || (s->shut & SOCK_SHUT_WR)) {
            err = EPIPE;
        } else if (staged_off < staged) {
            u32_t room = tcp_sndbuf(is->tcp);
            size_t n = MIN(staged - staged_off, (size_t)room);
            if (n > 0xffff) n = 0xffff;
            if (n && tcp_sndqueuelen(is->tcp) < TCP_SND_QUEUELEN) {
                bool more = (m->flags & MSG_MORE) || is->cork || staged_off + n < staged || sock_msg_left(m);
                err_t e = tcp_write(is->tcp, is->tx_buf + staged_off, (u16_t)n,
                                    TCP_WRITE_FLAG_COPY | (more ? TCP_WRITE_FLAG_MORE : 0));
                if (e == ERR_OK) {
                    staged_off += n;
                    r += (long)n;
                    if (!is->cork && !(m->flags & MSG_MORE)) tcp_output(is->tcp);
                } else if (e == ERR_MEM) {
                    tcp_output(is->tcp);
                    wait = true;
                } else {
                    err = inet_errno(e, is->state);
                }
            } else {
                tcp_output(is->tcp);
                wait = true;
            }
        }
        net_unlock(fl);
        if (err) {
            if (r == 0) r = err == EPIPE ? socket_epipe(m->flags) : -err;
            break;
        }
        if (staged_off == staged && !sock_msg_left(m)) break;
        if (wait) {
            int w = socket_wait(s, NULL, deadline, can_send, is);
            if (w) {
                if (r == 0) r = w;
                break;
            }
        }
    }
    /* Bytes staged but not handed to lwIP were not sent: the count says so. */
out:
    mutex_unlock(&is->tx_mutex);
    return r;
}

/* ---- receiving ---- */

static bool can_recv(void *arg)
{
    struct inet_sock *is = arg;
    uint64_t fl = net_lock();
    bool r = is->rx_bytes || is->rx_fin || is->sock.error || is->state == INET_CLOSED ||
             (is->sock.shut & SOCK_SHUT_RD) || is->state == INET_NEW || is->state == INET_LISTENING;
    net_unlock(fl);
    return r;
}

/* Copy n bytes from the head of the chain into the message, outside
 * net_lock: lwIP only appends behind them (rx_mutex keeps other readers
 * out). */
static long copy_out(struct sock_msg *m, struct pbuf *p, size_t n)
{
    size_t done = 0;
    for (; p && done < n; p = p->next) {
        size_t k = MIN((size_t)p->len, n - done);
        long c = sock_msg_copy_out(m, p->payload, k);
        if (c < 0) return c;
        done += k;
    }
    return (long)done;
}

static long tcp_recvmsg_op(struct socket *s, struct sock_msg *m)
{
    struct inet_sock *is = inet_of(s);
    if (m->flags & MSG_OOB) return -EINVAL;
    uint64_t deadline = socket_deadline(s, false, m->flags);
    bool peek = m->flags & MSG_PEEK, waitall = (m->flags & MSG_WAITALL) && !peek;
    mutex_lock(&is->rx_mutex);
    long r = 0;
    for (;;) {
        uint64_t fl = net_lock();
        if (is->state == INET_NEW || is->state == INET_LISTENING || is->state == INET_CONNECTING) {
            net_unlock(fl);
            if (r == 0) r = is->state == INET_CONNECTING && deadline != SOCK_NO_WAIT ? 0 : -ENOTCONN;
            if (r == 0) {
                int w = socket_wait(s, NULL, deadline, connect_settled, is);
                if (w) { r = w; break; }
                continue;
            }
            break;
        }
        size_t avail = is->rx_bytes;
        struct pbuf *head = is->rx;
        if (peek && head) pbuf_ref(head);
        net_unlock(fl);
        if (avail && sock_msg_left(m)) {
            size_t n = MIN(avail, sock_msg_left(m));
            long c = copy_out(m, head, n);
            fl = net_lock();
            if (peek) {
                pbuf_free(head);
            } else if (c > 0) {
                size_t left = (size_t)c;
                while (left) {
                    u16_t k = (u16_t)MIN(left, (size_t)0xffff);
                    is->rx = pbuf_free_header(is->rx, k);
                    left -= k;
                }
                is->rx_bytes -= (size_t)c;
                if (is->tcp) {
                    left = (size_t)c;
                    while (left) {
                        u16_t k = (u16_t)MIN(left, (size_t)0xffff);
                        tcp_recved(is->tcp, k);
                        left -= k;
                    }
                }
            }
            net_unlock(fl);
            if (c < 0) { if (r == 0) r = c; break; }
            r += c;
            if (peek || !waitall || !sock_msg_left(m)) break;
            continue;
        }
        if (!sock_msg_left(m)) break;
        /* Nothing buffered: end of stream, an error, or wait. */
        fl = net_lock();
        bool fin = is->rx_fin || (s->shut & SOCK_SHUT_RD) || is->state == INET_CLOSED;
        bool more = is->rx_bytes > 0;
        net_unlock(fl);
        if (more) continue;
        int e = socket_take_error(s);
        if (e) { if (r == 0) r = -e; break; }
        if (fin) break;
        if (r > 0 && !waitall) break;
        int w = socket_wait(s, NULL, deadline, can_recv, is);
        if (w) { if (r == 0) r = w; break; }
    }
    mutex_unlock(&is->rx_mutex);
    return r;
}

static int tcp_shutdown_op(struct socket *s, int how)
{
    struct inet_sock *is = inet_of(s);
    if (how < SHUT_RD || how > SHUT_RDWR) return -EINVAL;
    uint64_t fl = net_lock();
    int r = 0;
    if (is->state == INET_LISTENING && (how == SHUT_RD || how == SHUT_RDWR)) {
        /* Linux: shutting a listener's read side stops it; accept then EINVAL. */
        s->shut |= SOCK_SHUT_RD;
    } else if (is->state != INET_CONNECTED && is->state != INET_CONNECTING) {
        r = -ENOTCONN;
    } else {
        if (how == SHUT_RD || how == SHUT_RDWR) s->shut |= SOCK_SHUT_RD;
        if (how == SHUT_WR || how == SHUT_RDWR) {
            if (!(s->shut & SOCK_SHUT_WR) && is->tcp && is->state == INET_CONNECTED) {
                tcp_shutdown(is->tcp, 0, 1);
            }
            s->shut |= SOCK_SHUT_WR;
        }
    }
    net_unlock(fl);
    wake_all(&s->wq);
    return r;
}

static uint32_t tcp_poll_op(struct socket *s, struct poll_table *pt)
{
    struct inet_sock *is = inet_of(s);
    poll_wait(pt, &s->wq);
    uint32_t mask = 0;
    uint64_t fl = net_lock();
    if (s->error) mask |= POLLERR;
    switch (is->state) {
    case INET_LISTENING:
        if (is->accept_first) mask |= POLLIN | POLLRDNORM;
        break;
    case INET_NEW:
        mask |= POLLOUT | POLLWRNORM | POLLHUP;
        break;
    case INET_CONNECTING:
        break;
    case INET_CONNECTED:
        if (is->rx_bytes) mask |= POLLIN | POLLRDNORM;
        if (is->rx_fin || (s->shut & SOCK_SHUT_RD)) mask |= POLLIN | POLLRDNORM | POLLRDHUP;
        if (is->rx_fin && (s->shut & SOCK_SHUT_WR)) mask |= POLLHUP;
        if (!(s->shut & SOCK_SHUT_WR)) {
            if (is->tcp && tcp_sndbuf(is->tcp) >= TCP_MSS && tcp_sndqueuelen(is->tcp) < TCP_SND_QUEUELEN / 2)
                mask |= POLLOUT | POLLWRNORM;
        } else {
            mask |= POLLOUT | POLLWRNORM;
        }
        break;
    case INET_CLOSED:
        mask |= POLLIN | POLLRDNORM | POLLRDHUP | POLLHUP | POLLOUT | POLLWRNORM;
        break;
    }
    net_unlock(fl);
    return mask;
}

static long tcp_ioctl_op(struct socket *s, uint64_t cmd, uint64_t arg)
{
    struct inet_sock *is = inet_of(s);
    int v;
    uint64_t fl;
    switch (cmd) {
    case SIOCINQ:
        fl = net_lock();
        if (is->state == INET_LISTENING) { net_unlock(fl); return -EINVAL; }
        v = (int)MIN(is->rx_bytes, (size_t)INT32_MAX);
        net_unlock(fl);
        break;
    case SIOCOUTQ:
        fl = net_lock();
        if (is->state == INET_LISTENING) { net_unlock(fl); return -EINVAL; }
        v = is->tcp && is->state == INET_CONNECTED ? (int)(TCP_SND_BUF - tcp_sndbuf(is->tcp)) : 0;
        net_unlock(fl);
        break;
    default:
        /* SIOCGIFADDR and its kin answer on AF_INET sockets only. */
        return is->v6 ? -ENOIOCTLCMD : netif_ioctl_inet(cmd, arg);
    }
    return copy_to_user(arg, &v, sizeof v) < 0 ? -EFAULT : 0;
}

/* The file closed. A listener aborts the connections nobody accepted; a
 * connection closes gracefully (FIN after what is queued), or is reset if
 * unread data is left or SO_LINGER says 0, as Linux does. */
static void tcp_release_op(struct socket *s)
{
    struct inet_sock *is = inet_of(s);
    uint64_t fl = net_lock();
    struct inet_sock *queued = is->accept_first;
    is->accept_first = is->accept_last = NULL;
    is->accept_count = 0;
    struct tcp_pcb *pcb = is->tcp;
    is->tcp = NULL;
    if (pcb) {
        detach(pcb);
        bool reset = is->rx_bytes > 0 || (s->linger.onoff && s->linger.secs == 0);
        if (pcb->state == LISTEN) tcp_close(pcb);
        else if (reset) tcp_abort(pcb);
        else if (tcp_close(pcb) != ERR_OK) tcp_abort(pcb);
    }
    is->state = INET_CLOSED;
    if (is->rx) pbuf_free(is->rx);
    is->rx = NULL;
    is->rx_bytes = 0;
    for (struct inet_sock *c = queued; c; c = c->accept_next) {
        if (c->tcp) {
            detach(c->tcp);
            tcp_abort(c->tcp);
            c->tcp = NULL;
        }
        if (c->rx) pbuf_free(c->rx);
        c->rx = NULL;
        c->state = INET_CLOSED;
    }
    net_unlock(fl);
    while (queued) {
        struct inet_sock *c = queued;
        queued = c->accept_next;
        socket_put(&c->sock);
    }
}

static void tcp_destroy_op(struct socket *s)
{
    struct inet_sock *is = inet_of(s);
    if (is->tcp || is->rx) {
        uint64_t fl = net_lock();
        if (is->tcp) {
            detach(is->tcp);
            tcp_abort(is->tcp);
            is->tcp = NULL;
        }
        if (is->rx) pbuf_free(is->rx);
        is->rx = NULL;
        net_unlock(fl);
    }
    if (is->tx_buf) deallocate(s->heap, is->tx_buf, INET_TX_BUF);
    deallocate(s->heap, is, sizeof *is);
}

const struct sock_ops inet_tcp_ops = {
    .bind = tcp_bind_op,
    .listen = tcp_listen_op,
    .accept = tcp_accept_op,
    .connect = tcp_connect_op,
    .sendmsg = tcp_sendmsg_op,
    .recvmsg = tcp_recvmsg_op,
    .shutdown = tcp_shutdown_op,
    .setsockopt = inet_setsockopt,
    .getsockopt = inet_getsockopt,
    .getname = inet_getname,
    .ioctl = tcp_ioctl_op,
    .poll = tcp_poll_op,
    .release = tcp_release_op,
    .destroy = tcp_destroy_op,
};
