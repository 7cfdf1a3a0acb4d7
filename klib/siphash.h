/* SipHash-2-4 (Aumasson and Bernstein): a keyed 64-bit hash of short
 * messages, for values an outsider must not predict without the key (TCP
 * initial sequence numbers, RFC 6528). Not a general digest. */
#pragma once
#include "types.h"

struct siphash_key {
    uint64_t k0, k1;
};

uint64_t siphash24(const struct siphash_key *key, const void *data, size_t len);
