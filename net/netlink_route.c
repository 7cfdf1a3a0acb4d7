/* NETLINK_ROUTE, the part programs ask to learn the machine's interfaces
 * (glibc's getifaddrs and if_nameindex, musl's, Go's net.Interfaces):
 * RTM_GETLINK (dump, or one by index or IFLA_IFNAME) and RTM_GETADDR
 * (dump: IPv4 then IPv6, as Linux orders them), answered from the
 * interface registry (net/netif_registry.h) in Linux's message layout.
 * Other requests get an NLMSG_ERROR of -EOPNOTSUPP. Link statistics are
 * not counted yet: IFLA_STATS/IFLA_STATS64 are left out rather than
 * reported as zeros. */
#include "netlink.h"
#include "netif_registry.h"
#include "../klib/errno.h"
#include "../klib/string.h"

#define RTM_NEWLINK 16
#define RTM_GETLINK 18
#define RTM_NEWADDR 20
#define RTM_GETADDR 22

#define IFLA_ADDRESS 1
#define IFLA_BROADCAST 2
#define IFLA_IFNAME 3
#define IFLA_MTU 4
#define IFLA_TXQLEN 13
#define IFLA_OPERSTATE 16
#define IFLA_LINKMODE 17

#define IFA_ADDRESS 1
#define IFA_LOCAL 2
#define IFA_LABEL 3
#define IFA_BROADCAST 4
#define IFA_CACHEINFO 6
#define IFA_FLAGS 8
#define IFA_F_PERMANENT 0x80

#define IF_OPER_UNKNOWN 0
#define IF_OPER_UP 6

struct nlbuf {
    uint8_t b[768];
    size_t len;
};

struct ifinfomsg_k {
    uint8_t family, pad;
    uint16_t type;
    int32_t index;
    uint32_t flags, change;
};

struct ifaddrmsg_k {
    uint8_t family, prefixlen, flags, scope;
    uint32_t index;
};

static void put(struct nlbuf *m, const void *p, size_t n)
{
    if (m->len + NLMSG_ALIGN(n) > sizeof m->b) return;   /* cannot happen with our sizes */
    memcpy(m->b + m->len, p, n);
    memset(m->b + m->len + n, 0, NLMSG_ALIGN(n) - n);
    m->len += NLMSG_ALIGN(n);
}

static void attr(struct nlbuf *m, uint16_t type, const void *data, size_t n)
{
    uint16_t h[2] = { (uint16_t)(4 + n), type };
    if (m->len + 4 + NLMSG_ALIGN(n) > sizeof m->b) return;
    memcpy(m->b + m->len, h, 4);
    m->len += 4;
    put(m, data, n);
}

static void attr_u32(struct nlbuf *m, uint16_t type, uint32_t v) { attr(m, type, &v, 4); }
static void attr_u8(struct nlbuf *m, uint16_t type, uint8_t v) { attr(m, type, &v, 1); }

static void begin(struct nlbuf *m, uint16_t type, uint16_t flags, const struct nlmsghdr_k *req, uint32_t portid)
{
    struct nlmsghdr_k h = { 0, type, flags, req->seq, portid };
    m->len = 0;
    put(m, &h, sizeof h);
}

static void finish(struct nlbuf *m, struct nl_reply_sink *sink)
{
    uint32_t len = (uint32_t)m->len;
    memcpy(m->b, &len, 4);
    sink->put(sink->ctx, m->b, m->len);
}

static void link_message(const struct netif_info *n, uint16_t flags, const struct nlmsghdr_k *req,
                         struct nl_reply_sink *sink)
{
    struct nlbuf m;
    begin(&m, RTM_NEWLINK, flags, req, sink->portid);
    struct ifinfomsg_k i = { .family = AF_UNSPEC, .type = n->type, .index = n->index, .flags = n->flags };
    put(&m, &i, sizeof i);
    attr(&m, IFLA_IFNAME, n->name, strlen(n->name) + 1);
    attr_u32(&m, IFLA_TXQLEN, 1000);
    attr_u8(&m, IFLA_OPERSTATE, (n->flags & IFF_LOOPBACK) ? IF_OPER_UNKNOWN : (n->flags & IFF_RUNNING) ? IF_OPER_UP : 2);
    attr_u8(&m, IFLA_LINKMODE, 0);
    attr_u32(&m, IFLA_MTU, n->mtu);
    attr(&m, IFLA_ADDRESS, n->mac, 6);
    static const uint8_t zero[6], all[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
    attr(&m, IFLA_BROADCAST, (n->flags & IFF_BROADCAST) ? all : zero, 6);
    finish(&m, sink);
}

static void addr_message(const struct netif_info *n, const struct netif_addr *a, const struct nlmsghdr_k *req,
                         struct nl_reply_sink *sink)
{
    struct nlbuf m;
    begin(&m, RTM_NEWADDR, NLM_F_MULTI, req, sink->portid);
    struct ifaddrmsg_k i = { .family = (uint8_t)a->family, .prefixlen = a->prefix_len, .flags = IFA_F_PERMANENT,
                             .scope = a->scope, .index = (uint32_t)n->index };
    put(&m, &i, sizeof i);
    size_t alen = a->family == AF_INET ? 4 : 16;
    attr(&m, IFA_ADDRESS, a->addr, alen);
    if (a->family == AF_INET) {
        attr(&m, IFA_LOCAL, a->addr, 4);
        if ((n->flags & IFF_BROADCAST) && a->prefix_len < 31) {
            uint8_t b[4];
            for (int k = 0; k < 4; k++) {
                int bits = a->prefix_len - 8 * k;
                uint8_t mask = bits >= 8 ? 0xff : bits <= 0 ? 0 : (uint8_t)(0xff << (8 - bits));
                b[k] = (uint8_t)(a->addr[k] | ~mask);
            }
            attr(&m, IFA_BROADCAST, b, 4);
        }
        attr(&m, IFA_LABEL, n->name, strlen(n->name) + 1);
    }
    attr_u32(&m, IFA_FLAGS, IFA_F_PERMANENT);
    uint32_t cache[4] = { UINT32_MAX, UINT32_MAX, 0, 0 };     /* preferred, valid: forever */
    attr(&m, IFA_CACHEINFO, cache, sizeof cache);
    finish(&m, sink);
}

static void done(const struct nlmsghdr_k *req, struct nl_reply_sink *sink)
{
    struct nlbuf m;
    begin(&m, NLMSG_DONE, NLM_F_MULTI, req, sink->portid);
    int32_t zero = 0;
    put(&m, &zero, sizeof zero);
    finish(&m, sink);
}

void netlink_reply_error(const struct nlmsghdr_k *req, int err, struct nl_reply_sink *sink)
{
    struct nlbuf m;
    /* An error carries the request back; an acknowledgement only its header. */
    size_t back = err ? MIN((size_t)req->len, sizeof m.b - NLMSG_HDRLEN - 4) : NLMSG_HDRLEN;
    begin(&m, NLMSG_ERROR, err ? 0 : NLM_F_CAPPED, req, sink->portid);
    int32_t e = err;
    put(&m, &e, sizeof e);
    put(&m, req, back);
    finish(&m, sink);
}

/* The address family a dump asks for (rtgenmsg or the first byte of its message). */
static int dump_family(const struct nlmsghdr_k *req, size_t len)
{
    return len > NLMSG_HDRLEN ? ((const uint8_t *)req)[NLMSG_HDRLEN] : AF_UNSPEC;
}

/* One link by index or by IFLA_IFNAME, as Linux's rtnl_getlink. */
static int get_one_link(const struct nlmsghdr_k *req, size_t len, struct netif_info *out)
{
    if (len < NLMSG_HDRLEN + sizeof(struct ifinfomsg_k)) return -EINVAL;
    struct ifinfomsg_k i;
    memcpy(&i, (const uint8_t *)req + NLMSG_HDRLEN, sizeof i);
    if (i.index > 0) return netif_by_index(i.index, out);
    for (size_t at = NLMSG_HDRLEN + sizeof i; at + 4 <= len;) {
        uint16_t h[2];
        memcpy(h, (const uint8_t *)req + at, 4);
        if (h[0] < 4 || at + h[0] > len) break;
        if (h[1] == IFLA_IFNAME) {
            char name[NETIF_NAME_MAX] = { 0 };
            memcpy(name, (const uint8_t *)req + at + 4, MIN((size_t)h[0] - 4, sizeof name - 1));
            return netif_by_name(name, out);
        }
        at += NLMSG_ALIGN(h[0]);
    }
    return -EINVAL;
}

void netlink_route_request(const struct nlmsghdr_k *req, size_t len, struct nl_reply_sink *sink)
{
    bool dump = (req->flags & NLM_F_DUMP) != 0;
    struct netif_info all[NETIF_MAX];
    int err = 0;
    if (req->type == RTM_GETLINK && dump) {
        int n = netif_snapshot(all, NETIF_MAX);
        for (int k = 0; k < n; k++) link_message(&all[k], NLM_F_MULTI, req, sink);
        done(req, sink);
    } else if (req->type == RTM_GETLINK) {
        struct netif_info one;
        err = get_one_link(req, len, &one);
        if (!err) link_message(&one, 0, req, sink);
    } else if (req->type == RTM_GETADDR && dump) {
        int family = dump_family(req, len);
        int n = netif_snapshot(all, NETIF_MAX);
        static const int order[2] = { AF_INET, AF_INET6 };
        for (int f = 0; f < 2; f++) {
            if (family != AF_UNSPEC && family != order[f]) continue;
            for (int k = 0; k < n; k++)
                for (int a = 0; a < all[k].naddrs; a++)
                    if (all[k].addrs[a].family == order[f]) addr_message(&all[k], &all[k].addrs[a], req, sink);
        }
        done(req, sink);
    } else if (req->type < RTM_NEWLINK) {
        return;     /* control messages (NOOP, ERROR, DONE, OVERRUN) are ignored, as Linux ignores them */
    } else {
        err = -EOPNOTSUPP;
    }
    if (err || ((req->flags & NLM_F_ACK) && !dump)) netlink_reply_error(req, err, sink);
}
