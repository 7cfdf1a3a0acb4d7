/* AF_INET and AF_INET6 sockets (TCP and UDP) on lwIP's raw API, plugged
 * into the generic socket layer (net/socket.h).
 *
 * Locking: an inet socket's lwIP side (its pcb, the received data, the
 * accept queue, the state) is guarded by net_lock, like all of lwIP; lwIP's
 * callbacks run under it (from a system call, the NIC's interrupt or the
 * net timer) and only move data and wake sock.wq. User memory is touched
 * only outside net_lock: one reader and one writer at a time per socket
 * (rx_mutex, tx_mutex, taken before net_lock), so a reader copies received
 * bytes straight out of the pbufs it was told about while lwIP appends
 * behind them, and a writer copies into its own buffer before lwIP copies
 * it into segments. */
#pragma once
#include "socket.h"
#include "../kernel/mutex.h"
#include "lwip/ip_addr.h"

struct tcp_pcb;
struct udp_pcb;
struct pbuf;

enum inet_state {
    INET_NEW,          /* not connected, maybe bound */
    INET_LISTENING,
    INET_CONNECTING,
    INET_CONNECTED,
    INET_CLOSED,       /* reset, refused, aborted or timed out: pcb gone */
};

/* One received datagram (UDP). */
struct inet_dgram {
    struct inet_dgram *next;
    struct pbuf *p;
    ip_addr_t from;
    uint16_t port;
};

struct inet_sock {
    struct socket sock;          /* first: the generic layer's view */
    bool v6;                     /* AF_INET6 */
    bool v6only;                 /* IPV6_V6ONLY */
    bool bound;
    enum inet_state state;
    bool connect_pending;        /* a non-blocking connect's success not yet reported by connect */
    struct tcp_pcb *tcp;         /* NULL once lwIP freed it (error) or we gave it up */
    struct udp_pcb *udp;
    /* TCP receive side. */
    struct pbuf *rx;             /* received, not yet read, in order */
    size_t rx_bytes;
    bool rx_fin;                 /* the peer sent FIN */
    /* Listening. */
    struct inet_sock *accept_first, *accept_last;
    int accept_count, backlog;
    struct inet_sock *accept_next;   /* in the listener's queue */
    /* UDP receive queue. */
    struct inet_dgram *dq_first, *dq_last;
    size_t dq_bytes;
    /* Options kept for lwIP. */
    bool nodelay, cork;
    int keepidle, keepintvl, keepcnt;   /* seconds / probes, Linux's defaults */
    uint8_t tos, ttl;
    /* One reader and one writer at a time (see above). */
    struct mutex rx_mutex, tx_mutex;
    char *tx_buf;                /* the writer's staging buffer, INET_TX_BUF bytes */
};

#define INET_TX_BUF 16384

static inline struct inet_sock *inet_of(struct socket *s) { return (struct inet_sock *)s; }

/* Register AF_INET and AF_INET6 (net_init). */
void inet_init(void);

/* Addresses (net/inet_addr.c): a user's sockaddr to lwIP's form, for a
 * socket of family v6 or not. 0, or -EINVAL / -EAFNOSUPPORT as Linux. */
int inet_addr_from(const struct inet_sock *is, const struct sockaddr_k *a, uint32_t len, ip_addr_t *ip,
                   uint16_t *port);
/* The same, for bind: an AF_INET6 socket that is not v6only bound to ::
 * takes IPv4 connections too, so its address becomes lwIP's any-type. */
int inet_bind_addr_from(const struct inet_sock *is, const struct sockaddr_k *a, uint32_t len, ip_addr_t *ip,
                        uint16_t *port);
/* The wildcard address a socket of this family binds to implicitly. */
static inline const ip_addr_t *inet_any_addr(const struct inet_sock *is)
{
    return is->v6 && !is->v6only ? IP_ANY_TYPE : is->v6 ? IP6_ADDR_ANY : IP4_ADDR_ANY;
}
/* lwIP's address to the socket family's sockaddr (IPv4 on an AF_INET6
 * socket as ::ffff:a.b.c.d); returns its length. */
uint32_t inet_addr_to(const struct inet_sock *is, const ip_addr_t *ip, uint16_t port, struct sockaddr_k *out);
/* lwIP's err_t as a positive Linux errno, for a socket in `state`. */
int inet_errno(int8_t err, enum inet_state state);

/* The protocol halves (net/inet_tcp.c, net/inet_udp.c). */
extern const struct sock_ops inet_tcp_ops;
extern const struct sock_ops inet_udp_ops;
int inet_tcp_open(struct inet_sock *is);
int inet_udp_open(struct inet_sock *is);
/* Options at IPPROTO_TCP, IPPROTO_IP, IPPROTO_IPV6 and SOL_SOCKET that
 * lwIP must know about (net/inet.c); both protocols' ops use them. */
int inet_setsockopt(struct socket *s, int level, int name, const void *val, uint32_t len);
int inet_getsockopt(struct socket *s, int level, int name, void *val, uint32_t *len);
int inet_getname(struct socket *s, struct sockaddr_k *addr, uint32_t *len, bool peer);
/* Apply the socket's options to a (new) pcb; under net_lock. */
void inet_tcp_apply_options(struct inet_sock *is);
/* A new socket object of the family (child of a listener too). */
struct inet_sock *inet_alloc(bool v6, int type, int protocol);
/* Whether some interface has ip (or it is a wildcard, or 127/8): what
 * bind may take. Under net_lock. */
bool inet_addr_is_local(const ip_addr_t *ip);
