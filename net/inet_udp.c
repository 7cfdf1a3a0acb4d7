/* UDP sockets on lwIP's raw API (rules: net/inet.h). */
#include "inet.h"
#include "netif_ioctl.h"
#include "net_stack.h"
#include "lwip/udp.h"
#include "lwip/pbuf.h"
#include "../kernel/poll.h"
#include "../kernel/usercopy.h"
#include "../klib/errno.h"
#include "../klib/string.h"

#define SIOCINQ 0x541B
#define SIOCOUTQ 0x5411
#define UDP_MAX_PAYLOAD 65507      /* IPv4's: 65535 - 20 - 8 */
#define UDP6_MAX_PAYLOAD 65527

/* A datagram arrived (net_lock held): queue it unless the receive buffer
 * (SO_RCVBUF) is full, which drops it, as Linux does. */
static void on_recv(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *addr, u16_t port)
{
    struct inet_sock *is = arg;
    if (!is || (is->sock.shut & SOCK_SHUT_RD) || is->dq_bytes + p->tot_len > is->sock.rcvbuf) {
        pbuf_free(p);
        return;
    }
    struct inet_dgram *d = allocate(is->sock.heap, sizeof *d);
    if (!d) {
        pbuf_free(p);
        return;
    }
    d->next = NULL;
    d->p = p;
    ip_addr_copy(d->from, *addr);
    d->port = port;
    if (is->dq_last) is->dq_last->next = d; else is->dq_first = d;
    is->dq_last = d;
    is->dq_bytes += p->tot_len;
    wake_all(&is->sock.wq);
}

int inet_udp_open(struct inet_sock *is)
{
    uint64_t fl = net_lock();
    struct udp_pcb *pcb = udp_new_ip_type(is->v6 ? IPADDR_TYPE_ANY : IPADDR_TYPE_V4);
    if (pcb) {
        is->udp = pcb;
        udp_recv(pcb, on_recv, is);
        net_timers_start();
    }
    net_unlock(fl);
    return pcb ? 0 : -ENOMEM;
}

static int udp_bind_op(struct socket *s, const struct sockaddr_k *addr, uint32_t len)
{
    struct inet_sock *is = inet_of(s);
    ip_addr_t ip;
    uint16_t port;
    int r = inet_bind_addr_from(is, addr, len, &ip, &port);
    if (r) return r;
    uint64_t fl = net_lock();
    if (is->bound) r = -EINVAL;
    else if (!inet_addr_is_local(&ip)) r = -EADDRNOTAVAIL;
    else {
        if (s->reuseaddr) ip_set_option(is->udp, SOF_REUSEADDR);
        err_t e = udp_bind(is->udp, &ip, port);
        if (e != ERR_OK) r = -inet_errno(e, INET_NEW);
        else is->bound = true;
    }
    net_unlock(fl);
    return r;
}

static void bind_any(struct inet_sock *is)
{
    if (is->bound) return;
    udp_bind(is->udp, inet_any_addr(is), 0);
    is->bound = true;
}

static void fix_destination(ip_addr_t *ip)
{
    if (IP_IS_V4(ip) && ip4_addr_isany_val(*ip_2_ip4(ip))) ip_addr_set_ip4_u32_val(*ip, PP_HTONL(0x7f000001));
    if (IP_IS_V6(ip) && ip6_addr_isany(ip_2_ip6(ip))) { ip6_addr_set_loopback(ip_2_ip6(ip)); ip6_addr_clear_zone(ip_2_ip6(ip)); }
    if (IP_IS_V6(ip) && ip6_addr_islinklocal(ip_2_ip6(ip)) && !ip6_addr_has_zone(ip_2_ip6(ip)))
        ip6_addr_assign_zone(ip_2_ip6(ip), IP6_UNICAST, netif_default);
}

static int udp_connect_op(struct socket *s, const struct sockaddr_k *addr, uint32_t len, bool nonblock)
{
    struct inet_sock *is = inet_of(s);
    if (len >= 2 && addr->family == AF_UNSPEC) {
        uint64_t fl = net_lock();
        udp_disconnect(is->udp);
        is->state = INET_NEW;
        net_unlock(fl);
        return 0;
    }
    ip_addr_t ip;
    uint16_t port;
    int r = inet_addr_from(is, addr, len, &ip, &port);
    if (r) return r;
    fix_destination(&ip);
    uint64_t fl = net_lock();
    bind_any(is);
    err_t e = udp_connect(is->udp, &ip, port);
    if (e == ERR_OK) is->state = INET_CONNECTED;
    else r = -inet_errno(e, INET_NEW);
    net_unlock(fl);
    return r;
}

static long udp_sendmsg_op(struct socket *s, struct sock_msg *m)
{
    struct inet_sock *is = inet_of(s);
    size_t len = sock_msg_left(m);
    if (len > (is->v6 ? UDP6_MAX_PAYLOAD : UDP_MAX_PAYLOAD)) return -EMSGSIZE;
    ip_addr_t ip;
    uint16_t port = 0;
    bool to = m->namelen > 0;
    if (to) {
        int r = inet_addr_from(is, &m->name, m->namelen, &ip, &port);
        if (r) return r;
        if (port == 0) return -EINVAL;
        fix_destination(&ip);
    }
    if (s->shut & SOCK_SHUT_WR) return socket_epipe(m->flags);
    /* The datagram in kernel memory first: lwIP copies it under net_lock. */
    char *buf = len ? allocate(s->heap, len) : NULL;
    if (len && !buf) return -ENOMEM;
    long c = len ? sock_msg_copy_in(m, buf, len) : 0;
    if (c < 0) {
        deallocate(s->heap, buf, len);
        return c;
    }
    long r = (long)len;
    uint64_t fl = net_lock();
    if (!to && is->state != INET_CONNECTED) {
        r = -EDESTADDRREQ;
    } else {
        struct pbuf *p = pbuf_alloc(PBUF_TRANSPORT, (u16_t)len, PBUF_RAM);
        if (!p) {
            r = -ENOMEM;
        } else {
            if (len) pbuf_take(p, buf, (u16_t)len);
            bind_any(is);
            err_t e = to ? udp_sendto(is->udp, p, &ip, port) : udp_send(is->udp, p);
            pbuf_free(p);
            if (e != ERR_OK) r = e == ERR_RTE ? -ENETUNREACH : -inet_errno(e, INET_NEW);
        }
    }
    net_unlock(fl);
    deallocate(s->heap, buf, len);
    return r;
}

static bool can_recv(void *arg)
{
    struct inet_sock *is = arg;
    uint64_t fl = net_lock();
    bool r = is->dq_first || is->sock.error || (is->sock.shut & SOCK_SHUT_RD);
    net_unlock(fl);
    return r;
}

static long udp_recvmsg_op(struct socket *s, struct sock_msg *m)
{
    struct inet_sock *is = inet_of(s);
    if (m->flags & MSG_OOB) return -EOPNOTSUPP;
    uint64_t deadline = socket_deadline(s, false, m->flags);
    bool peek = m->flags & MSG_PEEK;
    mutex_lock(&is->rx_mutex);
    long r;
    for (;;) {
        uint64_t fl = net_lock();
        struct inet_dgram *d = is->dq_first;
        if (d) {
            if (peek) {
                pbuf_ref(d->p);
            } else {
                is->dq_first = d->next;
                if (!is->dq_first) is->dq_last = NULL;
                is->dq_bytes -= d->p->tot_len;
            }
        }
        bool shut = s->shut & SOCK_SHUT_RD;
        net_unlock(fl);
        if (d) {
            struct pbuf *p = d->p;
            size_t n = MIN((size_t)p->tot_len, sock_msg_left(m));
            size_t done = 0;
            r = 0;
            for (struct pbuf *q = p; q && done < n; q = q->next) {
                size_t k = MIN((size_t)q->len, n - done);
                long c = sock_msg_copy_out(m, q->payload, k);
                if (c < 0) { r = c; break; }
                done += k;
            }
            if (r == 0) {
                r = (m->flags & MSG_TRUNC) ? (long)p->tot_len : (long)done;
                if (done < p->tot_len) m->out_flags |= MSG_TRUNC;
                m->namelen = inet_addr_to(is, &d->from, d->port, &m->name);
            }
            fl = net_lock();
            pbuf_free(p);
            net_unlock(fl);
            if (!peek) deallocate(s->heap, d, sizeof *d);
            break;
        }
        int e = socket_take_error(s);
        if (e) { r = -e; break; }
        if (shut) { r = 0; break; }
        r = socket_wait(s, NULL, deadline, can_recv, is);
        if (r) break;
    }
    mutex_unlock(&is->rx_mutex);
    return r;
}

static int udp_shutdown_op(struct socket *s, int how)
{
    struct inet_sock *is = inet_of(s);
    if (how < SHUT_RD || how > SHUT_RDWR) return -EINVAL;
    uint64_t fl = net_lock();
    int r = is->state == INET_CONNECTED ? 0 : -ENOTCONN;
    if (how == SHUT_RD || how == SHUT_RDWR) s->shut |= SOCK_SHUT_RD;
    if (how == SHUT_WR || how == SHUT_RDWR) s->shut |= SOCK_SHUT_WR;
    net_unlock(fl);
    wake_all(&s->wq);
    return r;
}

static uint32_t udp_poll_op(struct socket *s, struct poll_table *pt)
{
    struct inet_sock *is = inet_of(s);
    poll_wait(pt, &s->wq);
    uint32_t mask = POLLOUT | POLLWRNORM;
    uint64_t fl = net_lock();
    if (is->dq_first) mask |= POLLIN | POLLRDNORM;
    if (s->error) mask |= POLLERR;
    if (s->shut & SOCK_SHUT_RD) mask |= POLLIN | POLLRDNORM | POLLRDHUP;
    if ((s->shut & (SOCK_SHUT_RD | SOCK_SHUT_WR)) == (SOCK_SHUT_RD | SOCK_SHUT_WR)) mask |= POLLHUP;
    net_unlock(fl);
    return mask;
}

static long udp_ioctl_op(struct socket *s, uint64_t cmd, uint64_t arg)
{
    struct inet_sock *is = inet_of(s);
    int v;
    if (cmd == SIOCINQ) {
        uint64_t fl = net_lock();
        v = is->dq_first ? (int)is->dq_first->p->tot_len : 0;
        net_unlock(fl);
    } else if (cmd == SIOCOUTQ) {
        v = 0;
    } else {
        return is->v6 ? -ENOIOCTLCMD : netif_ioctl_inet(cmd, arg);
    }
    return copy_to_user(arg, &v, sizeof v) < 0 ? -EFAULT : 0;
}

static void drop_queue(struct inet_sock *is)
{
    struct inet_dgram *d = is->dq_first;
    is->dq_first = is->dq_last = NULL;
    is->dq_bytes = 0;
    while (d) {
        struct inet_dgram *next = d->next;
        pbuf_free(d->p);
        deallocate(is->sock.heap, d, sizeof *d);
        d = next;
    }
}

static void udp_release_op(struct socket *s)
{
    struct inet_sock *is = inet_of(s);
    uint64_t fl = net_lock();
    if (is->udp) udp_remove(is->udp);
    is->udp = NULL;
    drop_queue(is);
    net_unlock(fl);
}

static void udp_destroy_op(struct socket *s)
{
    struct inet_sock *is = inet_of(s);
    if (is->udp || is->dq_first) udp_release_op(s);
    deallocate(s->heap, is, sizeof *is);
}

const struct sock_ops inet_udp_ops = {
    .bind = udp_bind_op,
    .connect = udp_connect_op,
    .sendmsg = udp_sendmsg_op,
    .recvmsg = udp_recvmsg_op,
    .shutdown = udp_shutdown_op,
    .setsockopt = inet_setsockopt,
    .getsockopt = inet_getsockopt,
    .getname = inet_getname,
    .ioctl = udp_ioctl_op,
    .poll = udp_poll_op,
    .release = udp_release_op,
    .destroy = udp_destroy_op,
};
