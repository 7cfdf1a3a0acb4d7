/* Network interfaces: the loopback (lwIP's own) and the virtio-net NICs,
 * configured from struct net_config (net/net_config.h): DHCPv4 unless a
 * static IPv4 address is given, IPv6 link-local always plus SLAAC and an
 * optional static address. */
#pragma once
#include "../klib/types.h"
#include "../klib/heap.h"

struct tfs;

/* Called by net_init once lwIP is up. Finds the NICs; with one, waits (at
 * most NET_ADDRESS_WAIT_MS) for its IPv4 address so the program starts
 * with a working network; with none, returns at once, silently. */
void net_iface_init(struct heap *h, const char *cmdline, struct tfs *root);

#define NET_ADDRESS_WAIT_MS 3000
