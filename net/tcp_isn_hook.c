/* The kernel side of net/tcp_isn.h: the boot's key and lwIP's hook. */
#include "tcp_isn.h"
#include "port/lwip_hooks.h"
#include "../kernel/clock.h"
#include "../kernel/cpu.h"
#include "../klib/string.h"

static struct siphash_key isn_key;

void tcp_isn_init(void)
{
    isn_key = (struct siphash_key){ cpu_random64(), cpu_random64() };
}

static void put_addr(uint8_t out[16], const ip_addr_t *ip)
{
    if (IP_IS_V6(ip)) memcpy(out, ip_2_ip6(ip)->addr, 16);
    else memcpy(out, &ip_2_ip4(ip)->addr, 4);
}

/* lwIP's LWIP_HOOK_TCP_ISN, under net_lock. */
u32_t pith_tcp_isn(const ip_addr_t *local_ip, u16_t local_port, const ip_addr_t *remote_ip, u16_t remote_port)
{
    struct tcp_endpoints e;
    memset(&e, 0, sizeof e);
    put_addr(e.local, local_ip);
    put_addr(e.remote, remote_ip);
    e.local_port = local_port;
    e.remote_port = remote_port;
    e.v6 = IP_IS_V6(remote_ip);
    return tcp_isn(&isn_key, &e, clock_monotonic_ns());
}
