/* The kernel's random numbers: stack guards, the program's address-space
 * layout (loader/), AT_RANDOM, getrandom and /dev/urandom, TCP sequence
 * numbers, hash keys. In order of preference:
 *   RDRAND  the CPU's DRBG, reseeded by its entropy source;
 *   RDSEED  that entropy source itself, where RDRAND is missing or keeps
 *           failing (slower, and it fails more often under load: retried);
 *   TSC     neither: the time stamp counter, read now, added to a running
 *           state and stirred through splitmix64's finaliser. Weak (the TSC
 *           is predictable to whoever knows the boot's timing) but never
 *           constant: every call reads the counter again, and successive
 *           calls on any CPU see different states.
 * KASLR's slide is chosen before this code runs, by boot/kaslr/ with the same
 * order and the TSC always mixed in (docs/boot.md, "Entropy"). */
#include "cpu.h"
#include "io.h"

#define HARDWARE_TRIES 10

static bool try_rdrand(uint64_t *v)
{
    for (int tries = 0; tries < HARDWARE_TRIES; tries++) {
        unsigned char ok;
        __asm__ volatile("rdrand %0; setc %1" : "=r"(*v), "=qm"(ok));
        if (ok) return true;
    }
    return false;
}

static bool try_rdseed(uint64_t *v)
{
    for (int tries = 0; tries < HARDWARE_TRIES; tries++) {
        unsigned char ok;
        __asm__ volatile("rdseed %0; setc %1" : "=r"(*v), "=qm"(ok));
        if (ok) return true;
        cpu_relax();
    }
    return false;
}

static uint64_t tsc_mixed(void)
{
    static uint64_t state;
    /* Atomic: two CPUs asking at once must not both mix the same state. */
    uint64_t z = __atomic_add_fetch(&state, rdtsc() + 0x9e3779b97f4a7c15ul, __ATOMIC_RELAXED);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ul;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebul;
    return z ^ (z >> 31);
}

uint64_t cpu_random64(void)
{
    uint64_t v;
    if (cpu_features.rdrand && try_rdrand(&v)) return v;
    if (cpu_features.rdseed && try_rdseed(&v)) return v;
    return tsc_mixed();
}

const char *cpu_random_source(void)
{
    return cpu_features.rdrand ? "rdrand" : cpu_features.rdseed ? "rdseed" : "tsc";
}
