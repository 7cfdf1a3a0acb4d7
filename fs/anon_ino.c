#include "anon_ino.h"
#include "../klib/siphash.h"
#include "../kernel/cpu.h"
#include "../kernel/spinlock.h"

/* Chosen at the first call; `ready` publishes it. */
static struct siphash_key key;
static bool ready;
static struct spinlock key_lock;

static const struct siphash_key *boot_key(void)
{
    if (!__atomic_load_n(&ready, __ATOMIC_ACQUIRE)) {
        uint64_t irq = spin_lock_irqsave(&key_lock);
        if (!ready) {
            key = (struct siphash_key){ cpu_random64(), cpu_random64() };
            __atomic_store_n(&ready, true, __ATOMIC_RELEASE);
        }
        spin_unlock_irqrestore(&key_lock, irq);
    }
    return &key;
}

uint64_t anon_ino(const void *object)
{
    uint64_t at = (uint64_t)object;
    /* Linux's numbers are never 0; keep them below 2^63 too. */
    return (siphash24(boot_key(), &at, sizeof at) >> 1) | 1;
}
