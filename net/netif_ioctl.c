/* SIOCGIF* from the registry (net/netif_registry.h), struct ifreq and
 * struct ifconf in Linux's x86_64 layout. Setting interface state is not
 * supported: the network core owns it (EOPNOTSUPP). */
#include "netif_ioctl.h"
#include "netif_registry.h"
#include "socket.h"
#include "../kernel/usercopy.h"
#include "../klib/errno.h"
#include "../klib/string.h"

#define SIOCGIFNAME 0x8910
#define SIOCGIFCONF 0x8912
#define SIOCGIFFLAGS 0x8913
#define SIOCSIFFLAGS 0x8914
#define SIOCGIFADDR 0x8915
#define SIOCSIFADDR 0x8916
#define SIOCGIFBRDADDR 0x8919
#define SIOCGIFNETMASK 0x891b
#define SIOCGIFMTU 0x8921
#define SIOCSIFMTU 0x8922
#define SIOCSIFHWADDR 0x8924
#define SIOCGIFHWADDR 0x8927
#define SIOCGIFINDEX 0x8933
#define SIOCGIFTXQLEN 0x8942
#define SIOCGIFDSTADDR 0x8917

struct ifreq_k {
    char name[NETIF_NAME_MAX];
    union {
        struct {
            uint16_t family;
            uint8_t data[14];
        } addr;
        int16_t flags;
        int32_t ivalue;
        uint8_t pad[24];
    } u;
};

struct ifconf_k {
    int32_t len;
    uint32_t pad;
    uint64_t buf;
};

static void put_sin(struct ifreq_k *r, const uint8_t *ip4)
{
    r->u.addr.family = AF_INET;
    memcpy(r->u.addr.data + 2, ip4, 4);     /* sin_port stays 0 */
}

static const struct netif_addr *first_ipv4(const struct netif_info *n)
{
    for (int i = 0; i < n->naddrs; i++)
        if (n->addrs[i].family == AF_INET) return &n->addrs[i];
    return NULL;
}

static long ifconf(uint64_t arg)
{
    struct ifconf_k c;
    if (copy_from_user(&c, arg, sizeof c) < 0) return -EFAULT;
    struct netif_info all[NETIF_MAX];
    int n = netif_snapshot(all, NETIF_MAX);
    int32_t total = 0;
    for (int i = 0; i < n; i++) {
        for (int a = 0; a < all[i].naddrs; a++) {
            if (all[i].addrs[a].family != AF_INET) continue;
            if (!c.buf) {
                total += (int32_t)sizeof(struct ifreq_k);
                continue;
            }
            if (c.len - total < (int32_t)sizeof(struct ifreq_k)) goto full;
            struct ifreq_k r = { 0 };
            memcpy(r.name, all[i].name, NETIF_NAME_MAX);
            put_sin(&r, all[i].addrs[a].addr);
            if (copy_to_user(c.buf + (uint64_t)total, &r, sizeof r) < 0) return -EFAULT;
            total += (int32_t)sizeof r;
        }
    }
full:
    c.len = total;
    return copy_to_user(arg, &c, sizeof c) < 0 ? -EFAULT : 0;
}

static long one_interface(uint64_t cmd, uint64_t arg)
{
    struct ifreq_k r;
    if (copy_from_user(&r, arg, sizeof r) < 0) return -EFAULT;
    r.name[NETIF_NAME_MAX - 1] = 0;
    struct netif_info n;
    long e = cmd == SIOCGIFNAME ? netif_by_index(r.u.ivalue, &n) : netif_by_name(r.name, &n);
    if (e) return e;
    switch (cmd) {
    case SIOCGIFNAME:
        memcpy(r.name, n.name, NETIF_NAME_MAX);
        break;
    case SIOCGIFFLAGS:
        r.u.flags = (int16_t)n.flags;
        break;
    case SIOCGIFMTU:
        r.u.ivalue = (int32_t)n.mtu;
        break;
    case SIOCGIFINDEX:
        r.u.ivalue = n.index;
        break;
    case SIOCGIFTXQLEN:
        r.u.ivalue = 1000;      /* Linux's default queue length, lo included */
        break;
    case SIOCGIFHWADDR:
        memset(&r.u, 0, sizeof r.u);
        r.u.addr.family = n.type;
        memcpy(r.u.addr.data, n.mac, 6);
        break;
    case SIOCGIFADDR: case SIOCGIFNETMASK: case SIOCGIFBRDADDR: case SIOCGIFDSTADDR: {
        const struct netif_addr *a = first_ipv4(&n);
        if (!a) return -EADDRNOTAVAIL;
        uint32_t ip = (uint32_t)a->addr[0] << 24 | (uint32_t)a->addr[1] << 16 | (uint32_t)a->addr[2] << 8 | a->addr[3];
        uint32_t mask = a->prefix_len ? ~0u << (32 - a->prefix_len) : 0;
        uint32_t v = cmd == SIOCGIFADDR || cmd == SIOCGIFDSTADDR ? ip : cmd == SIOCGIFNETMASK ? mask : (ip | ~mask);
        if (cmd == SIOCGIFBRDADDR && !(n.flags & IFF_BROADCAST)) v = 0;
        uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };
        memset(&r.u, 0, sizeof r.u);
        put_sin(&r, b);
        break;
    }
    }
    return copy_to_user(arg, &r, sizeof r) < 0 ? -EFAULT : 0;
}

long netif_ioctl(uint64_t cmd, uint64_t arg)
{
    switch (cmd) {
    case SIOCGIFCONF:
        return ifconf(arg);
    case SIOCGIFNAME: case SIOCGIFFLAGS: case SIOCGIFMTU: case SIOCGIFHWADDR: case SIOCGIFINDEX: case SIOCGIFTXQLEN:
        return one_interface(cmd, arg);
    case SIOCSIFFLAGS: case SIOCSIFMTU: case SIOCSIFHWADDR:
        return -EOPNOTSUPP;
    default:
        return -ENOTTY;
    }
}

long netif_ioctl_inet(uint64_t cmd, uint64_t arg)
{
    switch (cmd) {
    case SIOCGIFADDR: case SIOCGIFNETMASK: case SIOCGIFBRDADDR: case SIOCGIFDSTADDR:
        return one_interface(cmd, arg);
    case SIOCSIFADDR:
        return -EOPNOTSUPP;
    default:
        return -ENOIOCTLCMD;
    }
}
