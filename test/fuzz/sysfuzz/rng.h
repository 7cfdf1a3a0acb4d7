/* The fuzzer's random numbers: one generator per thread, seeded from the run's
 * seed and the thread's index, so a thread's call sequence is a function of
 * (seed, thread, call index) alone and replays. */
#pragma once
#include <stdint.h>

static inline uint64_t rng_next(uint64_t *s)
{
    /* splitmix64: small state, good enough spread for argument choice */
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* uniform in [0, n); n > 0 */
static inline uint64_t rng_below(uint64_t *s, uint64_t n) { return rng_next(s) % n; }

/* true with probability num/den */
static inline int rng_chance(uint64_t *s, unsigned num, unsigned den) { return rng_below(s, den) < num; }

static inline uint64_t rng_seed_for(uint64_t seed, unsigned thread)
{
    uint64_t s = seed * 0x2545f4914f6cdd1dULL + thread + 1;
    rng_next(&s);
    return s;
}
