/* The AF_INET and AF_INET6 families: socket creation, the options lwIP
 * must know, names. TCP and UDP are in inet_tcp.c and inet_udp.c. */
#include "inet.h"
#include "net_stack.h"
#include "lwip/tcp.h"
#include "lwip/udp.h"
#include "lwip/netif.h"
#include "../klib/errno.h"
#include "../klib/string.h"

#define IPPROTO_IP 0
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17
#define IPPROTO_IPV6 41

#define TCP_NODELAY 1
#define TCP_MAXSEG 2
#define TCP_CORK 3
#define TCP_KEEPIDLE 4
#define TCP_KEEPINTVL 5
#define TCP_KEEPCNT 6
#define TCP_QUICKACK 12

#define IP_TOS 1
#define IP_TTL 2
#define IPV6_UNICAST_HOPS 16
#define IPV6_V6ONLY 26

#define MAX_TCP_KEEPIDLE 32767
#define MAX_TCP_KEEPINTVL 32767
#define MAX_TCP_KEEPCNT 127

static const struct sock_family inet4_family;
static const struct sock_family inet6_family;

struct inet_sock *inet_alloc(bool v6, int type, int protocol)
{
    struct heap *h = net_heap();
    struct inet_sock *is = allocate_zero(h, sizeof *is);
    if (!is) return NULL;
    socket_init(&is->sock, h, v6 ? &inet6_family : &inet4_family, type == SOCK_STREAM ? &inet_tcp_ops : &inet_udp_ops,
                type, protocol);
    is->v6 = v6;
    is->keepidle = 7200;
    is->keepintvl = 75;
    is->keepcnt = 9;
    is->ttl = 64;
    return is;
}

static int create(bool v6, struct heap *h, int type, int protocol, struct socket **out)
{
    (void)h;
    if (type == SOCK_STREAM) {
        if (protocol != 0 && protocol != IPPROTO_TCP) return -EPROTONOSUPPORT;
        protocol = IPPROTO_TCP;
    } else if (type == SOCK_DGRAM) {
        if (protocol != 0 && protocol != IPPROTO_UDP) return -EPROTONOSUPPORT;
        protocol = IPPROTO_UDP;
    } else if (type == SOCK_RAW) {
        return -EPROTONOSUPPORT;   /* raw IP (ping) not yet */
    } else {
        return -ESOCKTNOSUPPORT;
    }
    struct inet_sock *is = inet_alloc(v6, type, protocol);
    if (!is) return -ENOMEM;
    int r = type == SOCK_STREAM ? inet_tcp_open(is) : inet_udp_open(is);
    if (r) {
        deallocate(is->sock.heap, is, sizeof *is);
        return r;
    }
    *out = &is->sock;
    return 0;
}

static int create4(struct heap *h, int type, int protocol, struct socket **out) { return create(false, h, type, protocol, out); }
static int create6(struct heap *h, int type, int protocol, struct socket **out) { return create(true, h, type, protocol, out); }

static const struct sock_family inet4_family = { .family = AF_INET, .create = create4 };
static const struct sock_family inet6_family = { .family = AF_INET6, .create = create6 };

void inet_init(void)
{
    socket_register_family(&inet4_family);
    socket_register_family(&inet6_family);
}

bool inet_addr_is_local(const ip_addr_t *ip)
{
    if (ip_addr_isany(ip)) return true;
    if (IP_IS_V4(ip) && ip4_addr_isloopback(ip_2_ip4(ip))) return true;
    struct netif *nif;
    NETIF_FOREACH(nif) {
        if (IP_IS_V4(ip) && ip4_addr_cmp(ip_2_ip4(ip), netif_ip4_addr(nif))) return true;
        if (IP_IS_V6(ip) && netif_get_ip6_addr_match(nif, ip_2_ip6(ip)) >= 0) return true;
    }
    return false;
}

void inet_tcp_apply_options(struct inet_sock *is)
{
    struct tcp_pcb *pcb = is->tcp;
    if (!pcb) return;
    if (is->nodelay) tcp_nagle_disable(pcb); else tcp_nagle_enable(pcb);
    if (is->sock.keepalive) ip_set_option(pcb, SOF_KEEPALIVE); else ip_reset_option(pcb, SOF_KEEPALIVE);
    if (is->sock.reuseaddr) ip_set_option(pcb, SOF_REUSEADDR);
    pcb->keep_idle = (u32_t)is->keepidle * 1000;
    pcb->keep_intvl = (u32_t)is->keepintvl * 1000;
    pcb->keep_cnt = (u32_t)is->keepcnt;
    pcb->tos = is->tos;
    pcb->ttl = is->ttl;
}

static void apply_options(struct inet_sock *is)
{
    if (is->tcp) inet_tcp_apply_options(is);
    if (is->udp) {
        is->udp->tos = is->tos;
        is->udp->ttl = is->ttl;
        if (is->sock.reuseaddr) ip_set_option(is->udp, SOF_REUSEADDR);
        if (is->sock.broadcast) ip_set_option(is->udp, SOF_BROADCAST); else ip_reset_option(is->udp, SOF_BROADCAST);
    }
}

static int int_of(const void *val, uint32_t len, int *v)
{
    if (len < sizeof(int)) return -EINVAL;
    memcpy(v, val, sizeof *v);
    return 0;
}

int inet_setsockopt(struct socket *s, int level, int name, const void *val, uint32_t len)
{
    struct inet_sock *is = inet_of(s);
    int v = 0, r;
    if (level == SOL_SOCKET) {
        r = socket_setsockopt_generic(s, name, val, len);
        if (r == 0 && (name == SO_KEEPALIVE || name == SO_REUSEADDR || name == SO_BROADCAST)) {
            uint64_t fl = net_lock();
            apply_options(is);
            net_unlock(fl);
        }
        return r;
    }
    if (level == IPPROTO_TCP) {
        if (s->type != SOCK_STREAM) return -ENOPROTOOPT;
        if ((r = int_of(val, len, &v))) return r;
        uint64_t fl = net_lock();
        r = 0;
        switch (name) {
        case TCP_NODELAY: is->nodelay = v != 0; break;
        case TCP_CORK:
            is->cork = v != 0;
            if (!is->cork && is->tcp && is->state == INET_CONNECTED) tcp_output(is->tcp);
            break;
        case TCP_KEEPIDLE: if (v < 1 || v > MAX_TCP_KEEPIDLE) r = -EINVAL; else is->keepidle = v; break;
        case TCP_KEEPINTVL: if (v < 1 || v > MAX_TCP_KEEPINTVL) r = -EINVAL; else is->keepintvl = v; break;
        case TCP_KEEPCNT: if (v < 1 || v > MAX_TCP_KEEPCNT) r = -EINVAL; else is->keepcnt = v; break;
        case TCP_QUICKACK: break;
        case TCP_MAXSEG: break;   /* lwIP's MSS is fixed; Linux also treats it as a hint */
        default: r = -ENOPROTOOPT; break;
        }
        if (!r) apply_options(is);
        net_unlock(fl);
        return r;
    }
    if (level == IPPROTO_IP) {
        if ((r = int_of(val, len, &v))) return r;
        uint64_t fl = net_lock();
        r = 0;
        switch (name) {
        case IP_TOS: is->tos = (uint8_t)(v & 0xfc); break;
        case IP_TTL:
            if (v == -1) v = 64;
            if (v < 1 || v > 255) r = -EINVAL; else is->ttl = (uint8_t)v;
            break;
        default: r = -ENOPROTOOPT; break;
        }
        if (!r) apply_options(is);
        net_unlock(fl);
        return r;
    }
    if (level == IPPROTO_IPV6) {
        if (!is->v6) return -ENOPROTOOPT;
        if ((r = int_of(val, len, &v))) return r;
        uint64_t fl = net_lock();
        r = 0;
        switch (name) {
        case IPV6_V6ONLY:
            if (is->bound) {
                r = -EINVAL;
            } else {
                is->v6only = v != 0;
                u8_t type = is->v6only ? IPADDR_TYPE_V6 : IPADDR_TYPE_ANY;
                if (is->tcp) { IP_SET_TYPE_VAL(is->tcp->local_ip, type); IP_SET_TYPE_VAL(is->tcp->remote_ip, type); }
                if (is->udp) { IP_SET_TYPE_VAL(is->udp->local_ip, type); IP_SET_TYPE_VAL(is->udp->remote_ip, type); }
            }
            break;
        case IPV6_UNICAST_HOPS:
            if (v == -1) v = 64;
            if (v < 0 || v > 255) r = -EINVAL; else is->ttl = (uint8_t)v;
            if (!r) apply_options(is);
            break;
        default: r = -ENOPROTOOPT; break;
        }
        net_unlock(fl);
        return r;
    }
    return -ENOPROTOOPT;
}

int inet_getsockopt(struct socket *s, int level, int name, void *val, uint32_t *len)
{
    struct inet_sock *is = inet_of(s);
    if (level == SOL_SOCKET) return socket_getsockopt_generic(s, name, val, len);
    int v;
    uint64_t fl = net_lock();
    int r = 0;
    if (level == IPPROTO_TCP && s->type == SOCK_STREAM) {
        switch (name) {
        case TCP_NODELAY: v = is->nodelay; break;
        case TCP_CORK: v = is->cork; break;
        case TCP_KEEPIDLE: v = is->keepidle; break;
        case TCP_KEEPINTVL: v = is->keepintvl; break;
        case TCP_KEEPCNT: v = is->keepcnt; break;
        case TCP_QUICKACK: v = 1; break;
        case TCP_MAXSEG: v = is->tcp && is->state == INET_CONNECTED ? is->tcp->mss : 536; break;
        default: r = -ENOPROTOOPT; break;
        }
    } else if (level == IPPROTO_IP) {
        switch (name) {
        case IP_TOS: v = is->tos; break;
        case IP_TTL: v = is->ttl; break;
        default: r = -ENOPROTOOPT; break;
        }
    } else if (level == IPPROTO_IPV6 && is->v6) {
        switch (name) {
        case IPV6_V6ONLY: v = is->v6only; break;
        case IPV6_UNICAST_HOPS: v = is->ttl; break;
        default: r = -ENOPROTOOPT; break;
        }
    } else {
        r = -ENOPROTOOPT;
    }
    net_unlock(fl);
    if (r) return r;
    if (*len > sizeof v) *len = sizeof v;
    memcpy(val, &v, *len);
    return 0;
}

int inet_getname(struct socket *s, struct sockaddr_k *addr, uint32_t *len, bool peer)
{
    struct inet_sock *is = inet_of(s);
    ip_addr_t ip;
    uint16_t port = 0;
    ip_addr_set_zero(&ip);
    IP_SET_TYPE_VAL(ip, is->v6 ? IPADDR_TYPE_V6 : IPADDR_TYPE_V4);
    int r = 0;
    uint64_t fl = net_lock();
    if (peer) {
        if (is->state != INET_CONNECTED) r = -ENOTCONN;
        else if (is->tcp) { ip_addr_copy(ip, is->tcp->remote_ip); port = is->tcp->remote_port; }
        else if (is->udp) { ip_addr_copy(ip, is->udp->remote_ip); port = is->udp->remote_port; }
    } else {
        if (is->tcp) { ip_addr_copy(ip, is->tcp->local_ip); port = is->tcp->local_port; }
        else if (is->udp) { ip_addr_copy(ip, is->udp->local_ip); port = is->udp->local_port; }
    }
    net_unlock(fl);
    if (r) return r;
    if (IP_IS_ANY_TYPE_VAL(ip)) IP_SET_TYPE_VAL(ip, is->v6 ? IPADDR_TYPE_V6 : IPADDR_TYPE_V4);
    *len = inet_addr_to(is, &ip, port, addr);
    return 0;
}
