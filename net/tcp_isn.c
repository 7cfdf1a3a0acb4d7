#include "tcp_isn.h"

#define ISN_TICK_NS 4000u

uint32_t tcp_isn(const struct siphash_key *key, const struct tcp_endpoints *e, uint64_t now_ns)
{
    return (uint32_t)siphash24(key, e, sizeof *e) + (uint32_t)(now_ns / ISN_TICK_NS);
}
