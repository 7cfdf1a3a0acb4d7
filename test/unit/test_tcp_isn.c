/* TCP initial sequence numbers (net/tcp_isn.c): the clock part ticks every
 * 4 µs, the hash part depends on every field and on the key. */
#include "../../net/tcp_isn.h"
#include "check.h"
#include <string.h>

int main(void)
{
    struct siphash_key key = { 0x0123456789abcdefull, 0xfedcba9876543210ull };
    struct tcp_endpoints e;
    memset(&e, 0, sizeof e);
    e.local[0] = 10, e.local[3] = 2;
    e.remote[0] = 10, e.remote[3] = 1;
    e.local_port = 8080, e.remote_port = 40000;
    uint64_t t = 1000000000ull;

    uint32_t base = tcp_isn(&key, &e, t);
    CHECK(tcp_isn(&key, &e, t) == base, "the same endpoints at the same time give the same number");
    CHECK(tcp_isn(&key, &e, t + 4000) == base + 1, "one tick later: +1");
    CHECK(tcp_isn(&key, &e, t + 4000u * 1000) == base + 1000, "a thousand ticks later: +1000");

    /* The next client port does not give a number near the last one: an
     * observer of one connection learns nothing of its neighbour's. */
    struct tcp_endpoints next = e;
    next.remote_port++;
    uint32_t d = tcp_isn(&key, &next, t) - base;
    CHECK(d > 1000000 && d < 0xffffffffu - 1000000, "the neighbouring port's number is far away (%u)", d);
    next = e;
    next.remote[3]++;
    CHECK(tcp_isn(&key, &next, t) != base, "the remote address changes it");
    struct siphash_key other = { key.k0, key.k1 + 1 };
    CHECK(tcp_isn(&other, &e, t) != base, "another boot's key changes it");
    return check_report("tcp_isn");
}
