/* The network interfaces the program can see, one registry for every way
 * it asks: netlink's RTM_GETLINK/RTM_GETADDR (net/netlink_route.c) and the
 * SIOCGIF* ioctls (net/netif_ioctl.c). The loopback interface "lo" (index
 * 1) is always there; the network core registers each device it brings up
 * and updates its addresses (DHCP, static settings).
 *
 * Readers take a copy (netif_snapshot) under the registry's lock, so a
 * change never tears what one call reports. */
#pragma once
#include "../klib/types.h"

#define NETIF_NAME_MAX 16       /* IFNAMSIZ, with the NUL */
#define NETIF_MAX 8
#define NETIF_ADDR_MAX 4

/* Linux's IFF_* flags (net/if.h). */
#define IFF_UP 0x1
#define IFF_BROADCAST 0x2
#define IFF_LOOPBACK 0x8
#define IFF_RUNNING 0x40
#define IFF_MULTICAST 0x1000
#define IFF_LOWER_UP 0x10000

/* ARPHRD_* link types. */
#define ARPHRD_ETHER 1
#define ARPHRD_LOOPBACK 772

struct netif_addr {
    int family;                 /* AF_INET or AF_INET6 */
    uint8_t addr[16];           /* network byte order; IPv4 in the first 4 */
    uint8_t prefix_len;
    uint8_t scope;              /* RT_SCOPE_*: 0 universe, 253 link, 254 host */
};

struct netif_info {
    int index;                  /* 1 for lo; others from 2 */
    char name[NETIF_NAME_MAX];
    uint32_t flags;             /* IFF_* */
    uint32_t mtu;
    uint16_t type;              /* ARPHRD_* */
    uint8_t mac[6];
    int naddrs;
    struct netif_addr addrs[NETIF_ADDR_MAX];
};

/* Add or replace (by name) an interface; its index is kept on a replace,
 * else the next free one is given (0 in info->index: choose). Returns the
 * index, or -ENOSPC when NETIF_MAX are registered. */
int netif_register(const struct netif_info *info);
/* Remove by index: 0 or -ENODEV. */
int netif_unregister(int index);
/* Copy every interface, in index order, into out (room for max): the count. */
int netif_snapshot(struct netif_info *out, int max);
/* One interface by index or by name: 0 and *out, or -ENODEV. */
int netif_by_index(int index, struct netif_info *out);
int netif_by_name(const char *name, struct netif_info *out);
