/* Each thread's private state block and its checksum. */
#include "sysfuzz.h"
#include <string.h>

static uint64_t state_sum(const struct fz_state *st)
{
    const uint64_t *w = (const uint64_t *)st;
    size_t n = offsetof(struct fz_state, sum) / 8;
    uint64_t h = 0x6a09e667f3bcc908ULL;
    for (size_t i = 0; i < n; i++) h = (h ^ w[i]) * 0x100000001b3ULL + (h >> 29);
    return h;
}

void state_init(struct fz_state *st, uint64_t seed, unsigned thread)
{
    memset(st, 0, sizeof *st);
    st->seed = seed;
    st->thread = thread;
    st->rng = rng_seed_for(seed, thread);
    for (int i = 0; i < 4; i++) st->timers[i] = -1;
    for (size_t i = 0; i < sizeof st->pattern / 8; i++)
        st->pattern[i] = 0xa5a5000000000000ULL ^ (seed << 8) ^ (thread * 0x1111ULL) ^ i;
    state_seal(st);
}

int state_ok(const struct fz_state *st)
{
    if (st->sum != state_sum(st)) return 0;
    for (size_t i = 0; i < sizeof st->pattern / 8; i++)
        if (st->pattern[i] != (0xa5a5000000000000ULL ^ (st->seed << 8) ^ (st->thread * 0x1111ULL) ^ i)) return 0;
    return 1;
}

void state_seal(struct fz_state *st) { st->sum = state_sum(st); }
