/* The functions lwIP's hooks call (lwipopts.h names them), included by
 * lwIP's sources through LWIP_HOOK_FILENAME. */
#pragma once
#include "lwip/ip_addr.h"

struct netif;

u32_t pith_tcp_isn(const ip_addr_t *local_ip, u16_t local_port, const ip_addr_t *remote_ip, u16_t remote_port);
const ip6_addr_t *pith_nd6_gateway(struct netif *nif, const ip6_addr_t *dest);
