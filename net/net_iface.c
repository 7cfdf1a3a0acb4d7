/* Bringing the NICs up under lwIP and saying when they have an address. */
#include "net_iface.h"
#include "net_stack.h"
#include "net_config.h"
#include "virtio_net.h"
#include "netif_registry.h"
#include "socket.h"
#include "lwip/netif.h"
#include "lwip/dhcp.h"
#include "lwip/dns.h"
#include "lwip/ip_addr.h"
#include "lwip/etharp.h"
#include "lwip/nd6.h"
#include "lwip/ethip6.h"
#include "../fs/tfs.h"
#include "../kernel/console.h"
#include "../kernel/clock.h"
#include "../kernel/wait.h"
#include "../klib/string.h"
#include "../klib/format.h"

#define MAX_NICS 4

struct nic {
    struct netif netif;
    struct virtio_net *dev;
    char name[8];          /* what the program sees: eth0, eth1... */
    bool announced;        /* its IPv4 address was reported */
    bool has_gateway6;     /* a static IPv6 default router (gateway6) */
    ip6_addr_t gateway6;
};

static struct nic *nics[MAX_NICS];
static int nnics;
static bool trace;

static int prefix_of(const ip4_addr_t *mask)
{
    int bits = 0;
    for (uint32_t m = ip4_addr_get_u32(mask); m; m &= m - 1) bits++;
    return bits;
}

/* One line per address an interface gains: on the control channel always
 * (the host tool may read it), on the console with --trace only. */
static void announce(struct nic *n)
{
    struct netif *nif = &n->netif;
    char a[IP4ADDR_STRLEN_MAX], g[IP4ADDR_STRLEN_MAX];
    ip4addr_ntoa_r(netif_ip4_addr(nif), a, sizeof a);
    ip4addr_ntoa_r(netif_ip4_gw(nif), g, sizeof g);
    int prefix = prefix_of(netif_ip4_netmask(nif));
    control_printf("net %s %s/%d gw %s\n", n->name, a, prefix, g);
    if (trace) kprintf("[trace] net: %s %s/%d gw %s\n", n->name, a, prefix, g);
}

/* What the program sees of the NIC (netlink, SIOCGIF*): its link and
 * current addresses, under lwIP's index (so IPv6 scope ids agree). */
static void publish(struct nic *n)
{
    struct netif *nif = &n->netif;
    struct netif_info info = { .index = netif_get_index(nif), .mtu = nif->mtu, .type = ARPHRD_ETHER,
                               .flags = IFF_BROADCAST | IFF_MULTICAST };
    memcpy(info.name, n->name, sizeof n->name);
    memcpy(info.mac, nif->hwaddr, 6);
    if (netif_is_up(nif)) info.flags |= IFF_UP;
    if (netif_is_link_up(nif)) info.flags |= IFF_RUNNING | IFF_LOWER_UP;
    if (!ip4_addr_isany_val(*netif_ip4_addr(nif))) {
        struct netif_addr *a = &info.addrs[info.naddrs++];
        uint32_t v = ip4_addr_get_u32(netif_ip4_addr(nif));
        a->family = AF_INET;
        memcpy(a->addr, &v, 4);
        a->prefix_len = (uint8_t)prefix_of(netif_ip4_netmask(nif));
    }
    for (int i = 0; i < LWIP_IPV6_NUM_ADDRESSES && info.naddrs < NETIF_ADDR_MAX; i++) {
        if (!ip6_addr_isvalid(netif_ip6_addr_state(nif, i))) continue;
        const ip6_addr_t *a6 = netif_ip6_addr(nif, i);
        struct netif_addr *a = &info.addrs[info.naddrs++];
        a->family = AF_INET6;
        memcpy(a->addr, a6->addr, 16);
        a->prefix_len = 64;
        a->scope = ip6_addr_islinklocal(a6) ? 253 : 0;
    }
    netif_register(&info);
}

/* lwIP's status callback, under net_lock. */
static void status_changed(struct netif *nif)
{
    struct nic *n = (struct nic *)nif;
    publish(n);
    bool has = !ip4_addr_isany_val(*netif_ip4_addr(nif));
    if (has && !n->announced) announce(n);
    n->announced = has;
    wake_all(&net_address_changed);
}

static void to_ip4(const struct net_addr *a, ip4_addr_t *out)
{
    uint32_t v;
    memcpy(&v, a->bytes, 4);
    ip4_addr_set_u32(out, v);
}

static void configure(struct nic *n, const struct net_config *cfg)
{
    struct netif *nif = &n->netif;
    if (cfg->hostname[0]) netif_set_hostname(nif, cfg->hostname);
    netif_set_up(nif);
    netif_create_ip6_linklocal_address(nif, 1);
    netif_set_ip6_autoconfig_enabled(nif, 1);
    if (cfg->ip6.family == 6) {
        ip6_addr_t a;
        memcpy(&a.addr, cfg->ip6.bytes, 16);
        ip6_addr_clear_zone(&a);
        s8_t idx;
        if (netif_add_ip6_address(nif, &a, &idx) == ERR_OK) netif_ip6_addr_set_state(nif, idx, IP6_ADDR_PREFERRED);
    }
    if (cfg->gateway6.family == 6) {
        memcpy(&n->gateway6.addr, cfg->gateway6.bytes, 16);
        ip6_addr_clear_zone(&n->gateway6);
        ip6_addr_assign_zone(&n->gateway6, IP6_UNICAST, nif);
        n->has_gateway6 = true;
    }
    for (int i = 0; i < cfg->ndns && i < DNS_MAX_SERVERS; i++) {
        ip_addr_t d;
        if (cfg->dns[i].family == 4) {
            to_ip4(&cfg->dns[i], ip_2_ip4(&d));
            IP_SET_TYPE_VAL(d, IPADDR_TYPE_V4);
        } else {
            memcpy(ip_2_ip6(&d)->addr, cfg->dns[i].bytes, 16);
            ip6_addr_clear_zone(ip_2_ip6(&d));
            IP_SET_TYPE_VAL(d, IPADDR_TYPE_V6);
        }
        dns_setserver((u8_t)i, &d);
    }
    if (cfg->dhcp4) {
        dhcp_start(nif);
    } else {
        ip4_addr_t a, m, g;
        to_ip4(&cfg->ip4, &a);
        ip4_addr_set_u32(&m, cfg->prefix4 ? lwip_htonl(0xffffffffu << (32 - cfg->prefix4)) : 0);
        if (cfg->gateway4.family == 4) to_ip4(&cfg->gateway4, &g); else ip4_addr_set_zero(&g);
        netif_set_addr(nif, &a, &m, &g);
    }
}

/* lwIP's LWIP_HOOK_ND6_GET_GW, under net_lock: the next hop for an
 * off-link destination. A static gateway6 comes before routers learnt from
 * advertisements, as a static default route does on Linux. */
const ip6_addr_t *pith_nd6_gateway(struct netif *nif, const ip6_addr_t *dest)
{
    for (int i = 0; i < nnics; i++)
        if (&nics[i]->netif == nif && nics[i]->has_gateway6) return &nics[i]->gateway6;
    return NULL;
}

/* The settings from the image's boot config (pith run/build --ip, --dns...,
 * checked by the host with the same parser); none: DHCPv4 alone. */
static void read_config(struct tfs *root, struct net_config *cfg)
{
    const struct tfs_config *tc = root ? tfs_config(root) : NULL;
    char err[160];
    if (net_config_parse(tc ? tc->net : NULL, cfg, err, sizeof err) == 0) return;
    /* Only a damaged image gets here: say so, and use DHCP. */
    kprintf("net: the image's network settings: %s; using DHCP\n", err);
    net_config_parse(NULL, cfg, err, sizeof err);
}

static bool all_addressed(void *arg)
{
    (void)arg;
    uint64_t flags = net_lock();
    bool done = true;
    for (int i = 0; i < nnics; i++)
        if (ip4_addr_isany_val(*netif_ip4_addr(&nics[i]->netif))) done = false;
    net_unlock(flags);
    return done;
}

void net_iface_init(struct heap *h, const char *cmdline, struct tfs *root)
{
    const struct tfs_config *tc = root ? tfs_config(root) : NULL;
    trace = tc && (tc->flags & TFS_CONFIG_TRACE);
    struct virtio_net *devs[MAX_NICS];
    int ndevs = virtio_net_find_all(h, cmdline, devs, MAX_NICS);
    if (ndevs <= 0) return;

    struct net_config cfg;
    read_config(root, &cfg);
    uint64_t flags = net_lock();
    for (int i = 0; i < ndevs; i++) {
        struct nic *n = allocate_zero(h, sizeof *n);
        if (!n) break;
        n->dev = devs[i];
        format_sn(n->name, sizeof n->name, "eth%d", nnics);
        if (!netif_add(&n->netif, NULL, NULL, NULL, devs[i], virtio_net_netif_init, netif_input)) {
            deallocate(h, n, sizeof *n);
            continue;
        }
        netif_set_status_callback(&n->netif, status_changed);
        if (nnics == 0) netif_set_default(&n->netif);
        nics[nnics++] = n;
        /* Static settings go to the first NIC; the others ask DHCP. */
        struct net_config dhcp_only = { .dhcp4 = true };
        configure(n, nnics == 1 ? &cfg : &dhcp_only);
        virtio_net_link_start(devs[i]);
        publish(n);
        if (trace) kprintf("[trace] net: %s virtio-net %02x:%02x:%02x:%02x:%02x:%02x features %s\n", n->name,
                           n->netif.hwaddr[0], n->netif.hwaddr[1], n->netif.hwaddr[2], n->netif.hwaddr[3],
                           n->netif.hwaddr[4], n->netif.hwaddr[5], virtio_net_features(devs[i]));
    }
    net_timers_start();
    net_unlock(flags);
    if (nnics == 0) return;
    uint64_t deadline = clock_monotonic_ns() + (uint64_t)NET_ADDRESS_WAIT_MS * 1000000;
    if (wait_until(&net_address_changed, all_addressed, NULL, deadline) != 0 && trace)
        kprintf("[trace] net: no IPv4 address after %d ms; the program starts anyway\n", NET_ADDRESS_WAIT_MS);
}
