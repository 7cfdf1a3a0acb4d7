/* Socket addresses of AF_INET and AF_INET6 in lwIP's terms. */
#include "inet.h"
#include "lwip/ip_addr.h"
#include "lwip/err.h"
#include "../klib/errno.h"
#include "../klib/string.h"

struct sockaddr_in_k {
    uint16_t family;
    uint16_t port;           /* network order */
    uint8_t addr[4];
    uint8_t zero[8];
};

struct sockaddr_in6_k {
    uint16_t family;
    uint16_t port;
    uint32_t flowinfo;
    uint8_t addr[16];
    uint32_t scope_id;
};

static uint16_t be16(uint16_t v) { return (uint16_t)(v >> 8 | v << 8); }

int inet_addr_from(const struct inet_sock *is, const struct sockaddr_k *a, uint32_t len, ip_addr_t *ip, uint16_t *port)
{
    if (!is->v6) {
        struct sockaddr_in_k in;
        if (len < sizeof(struct sockaddr_in_k)) return -EINVAL;
        memcpy(&in, a, sizeof in);
        if (in.family != AF_INET) return -EAFNOSUPPORT;
        uint32_t v;
        memcpy(&v, in.addr, 4);
        ip_addr_set_ip4_u32_val(*ip, v);
        *port = be16(in.port);
        return 0;
    }
    struct sockaddr_in6_k in6;
    if (len < 24) return -EINVAL;   /* SIN6_LEN_RFC2133: without scope_id */
    memset(&in6, 0, sizeof in6);
    memcpy(&in6, a, len < sizeof in6 ? len : sizeof in6);
    if (in6.family != AF_INET6) return -EAFNOSUPPORT;
    *port = be16(in6.port);
    ip6_addr_t a6;
    memcpy(a6.addr, in6.addr, 16);
    ip6_addr_clear_zone(&a6);
    if (ip6_addr_isipv4mappedipv6(&a6)) {
        if (is->v6only) return -ENETUNREACH;
        ip_addr_set_ip4_u32_val(*ip, a6.addr[3]);
        return 0;
    }
    if (ip6_addr_islinklocal(&a6) && in6.scope_id) ip6_addr_set_zone(&a6, (u8_t)in6.scope_id);
    ip_addr_copy_from_ip6(*ip, a6);
    return 0;
}

int inet_bind_addr_from(const struct inet_sock *is, const struct sockaddr_k *a, uint32_t len, ip_addr_t *ip,
                        uint16_t *port)
{
    int r = inet_addr_from(is, a, len, ip, port);
    if (!r && is->v6 && ip_addr_isany(ip) && !is->v6only && IP_IS_V6(ip)) *ip = *IP_ANY_TYPE;
    return r;
}

uint32_t inet_addr_to(const struct inet_sock *is, const ip_addr_t *ip, uint16_t port, struct sockaddr_k *out)
{
    memset(out, 0, sizeof *out);
    if (!is->v6) {
        struct sockaddr_in_k in = { .family = AF_INET, .port = be16(port) };
        uint32_t v = IP_IS_V4(ip) ? ip4_addr_get_u32(ip_2_ip4(ip)) : 0;
        memcpy(in.addr, &v, 4);
        memcpy(out, &in, sizeof in);
        return sizeof in;
    }
    struct sockaddr_in6_k in6 = { .family = AF_INET6, .port = be16(port) };
    if (IP_IS_V4(ip)) {
        uint32_t v = ip4_addr_get_u32(ip_2_ip4(ip));
        /* The wildcard stays ::, not ::ffff:0.0.0.0 (a dual-stack bind). */
        if (v) {
            in6.addr[10] = in6.addr[11] = 0xff;
            memcpy(in6.addr + 12, &v, 4);
        }
    } else {
        const ip6_addr_t *a6 = ip_2_ip6(ip);
        memcpy(in6.addr, a6->addr, 16);
        if (ip6_addr_has_zone(a6)) in6.scope_id = ip6_addr_zone(a6);
    }
    memcpy(out, &in6, sizeof in6);
    return sizeof in6;
}

int inet_errno(int8_t err, enum inet_state state)
{
    switch (err) {
    case ERR_OK: return 0;
    case ERR_MEM: case ERR_BUF: return ENOMEM;
    case ERR_TIMEOUT: return ETIMEDOUT;
    case ERR_RTE: return ENETUNREACH;
    case ERR_INPROGRESS: return EINPROGRESS;
    case ERR_VAL: return EINVAL;
    case ERR_WOULDBLOCK: return EAGAIN;
    case ERR_USE: return EADDRINUSE;
    case ERR_ALREADY: return EALREADY;
    case ERR_ISCONN: return EISCONN;
    case ERR_CONN: return ENOTCONN;
    case ERR_IF: return ENETDOWN;
    case ERR_ABRT: return state == INET_CONNECTING ? ETIMEDOUT : ECONNABORTED;
    case ERR_RST: return state == INET_CONNECTING ? ECONNREFUSED : ECONNRESET;
    case ERR_CLSD: return ENOTCONN;
    case ERR_ARG: return EINVAL;
    default: return EIO;
    }
}
