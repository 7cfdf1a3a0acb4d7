/* TCP initial sequence numbers, RFC 6528: a clock ticking every 4 µs plus
 * a keyed hash of the connection's addresses and ports. Connections to one
 * peer keep increasing sequence numbers across reuse of a port pair, while
 * nobody without the boot's key can predict another connection's. */
#pragma once
#include "../klib/siphash.h"

/* A connection's endpoints, in a fixed byte layout for the hash: IPv4
 * addresses sit in the first 4 bytes, the rest zero. */
struct tcp_endpoints {
    uint8_t local[16], remote[16];
    uint16_t local_port, remote_port;
    uint32_t v6;
};

uint32_t tcp_isn(const struct siphash_key *key, const struct tcp_endpoints *e, uint64_t now_ns);

/* The kernel's key: chosen once at boot (net_init). */
void tcp_isn_init(void);
