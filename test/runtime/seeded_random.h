/* The random choices of the differential tests (fsops_random, vmops_random):
 * a generator that gives the same sequence on every machine and libc, so the
 * same SEED means the same operations in the VM and on the host. */
#pragma once
#include <stdint.h>

static uint64_t rng;

/* xorshift64* */
static uint64_t next(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 2685821657736338717ull;
}

static unsigned pick(unsigned n) { return (unsigned)(next() % n); }
