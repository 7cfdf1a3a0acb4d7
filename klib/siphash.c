/* SipHash-2-4, from the algorithm's description: four 64-bit lanes
 * initialised from the key, two rounds per 8-byte word, the length in the
 * last word's top byte, four finishing rounds. */
#include "siphash.h"

static inline uint64_t rotl(uint64_t x, int b) { return (x << b) | (x >> (64 - b)); }

struct lanes {
    uint64_t v0, v1, v2, v3;
};

static void round_once(struct lanes *s)
{
    s->v0 += s->v1; s->v1 = rotl(s->v1, 13); s->v1 ^= s->v0; s->v0 = rotl(s->v0, 32);
    s->v2 += s->v3; s->v3 = rotl(s->v3, 16); s->v3 ^= s->v2;
    s->v0 += s->v3; s->v3 = rotl(s->v3, 21); s->v3 ^= s->v0;
    s->v2 += s->v1; s->v1 = rotl(s->v1, 17); s->v1 ^= s->v2; s->v2 = rotl(s->v2, 32);
}

static void absorb(struct lanes *s, uint64_t m)
{
    s->v3 ^= m;
    round_once(s);
    round_once(s);
    s->v0 ^= m;
}

/* Little-endian load of n <= 8 bytes. */
static uint64_t load_le(const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}

uint64_t siphash24(const struct siphash_key *key, const void *data, size_t len)
{
    struct lanes s = {
        key->k0 ^ 0x736f6d6570736575ull, key->k1 ^ 0x646f72616e646f6dull,
        key->k0 ^ 0x6c7967656e657261ull, key->k1 ^ 0x7465646279746573ull,
    };
    const uint8_t *p = data;
    size_t whole = len & ~(size_t)7;
    for (size_t i = 0; i < whole; i += 8) absorb(&s, load_le(p + i, 8));
    absorb(&s, load_le(p + whole, len - whole) | (uint64_t)(len & 0xff) << 56);
    s.v2 ^= 0xff;
    for (int i = 0; i < 4; i++) round_once(&s);
    return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}
