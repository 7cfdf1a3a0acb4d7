/* Per-call rules that keep the fuzzer alive (README: "What is left out"),
 * applied after the arguments are drawn, and the tidying after a call. */
#include "sysfuzz.h"
#include <sys/mman.h>
#include <signal.h>

#define MAP_FIXED_ANY (MAP_FIXED | MAP_FIXED_NOREPLACE)
#define TIMER_SLOT_OFF (LEAK_OFF + PAGE - 64)

static int bad_prctl(uint64_t option)
{
    switch ((uint32_t)option) {
    case 22:  /* PR_SET_SECCOMP: a strict filter kills on the next call */
    case 26:  /* PR_SET_TSC: rdtsc would fault */
    case 35:  /* PR_SET_MM: rewrites the memory map's bounds */
    case 59:  /* PR_SET_SYSCALL_USER_DISPATCH: SIGSYS on every call */
    case 75: case 76: /* shadow stack status and lock */
        return 1;
    }
    return 0;
}

static int bad_arch_prctl(uint64_t code)
{
    uint32_t c = (uint32_t)code;
    return c == 0x1002 /* ARCH_SET_FS: the thread pointer */ ||
           (c >= 0x2001 && c <= 0x2003) /* ARCH_MAP_VDSO_*: maps over anything */ ||
           (c >= 0x5001 && c <= 0x5005) /* shadow stack */;
}

void confine(struct fz_ctx *c, long nr, uint64_t a[6])
{
    int in_zone;
    switch (nr) {
    case 9: /* mmap: only MAP_FIXED into the map zone; others may be large */
        if (!(a[3] & MAP_FIXED_ANY) && rng_chance(c->rng, 1, 4)) a[1] = gen_len(c);
        break;
    case 25: /* mremap: MREMAP_FIXED's target and size kept in the zone */
        if (a[3] & 2) a[2] = gen_mm_len(c, a[4], a[4] - zone_map(c->thread) < MAP_SIZE);
        break;
    case 28: /* madvise applies across holes: a range in the zone, or one refused */
        if (a[0] - zone_map(c->thread) < MAP_SIZE && a[0] + a[1] - zone_map(c->thread) > MAP_SIZE)
            a[1] = zone_map(c->thread) + MAP_SIZE - a[0];
        break;
    case 30: /* shmat: no SHM_REMAP (it maps over whatever is there) */
        a[2] &= ~(uint64_t)040000;
        break;
    case 12: { /* brk: never below the current break (musl's heap) */
        uint64_t cur = (uint64_t)sys6(12, 0, 0, 0, 0, 0, 0);
        switch (rng_below(c->rng, 5)) {
        case 0: a[0] = 0; break;
        case 1: a[0] = 0x1000; break;
        case 2: a[0] = gen_mm_addr(c, &in_zone); a[0] = in_zone ? 0xffffffff80000000ULL : a[0]; break;
        default: a[0] = cur + rng_below(c->rng, 65536); break;
        }
        break;
    }
    case 72: /* fcntl: F_SETSIG only to a harmless signal */
        if ((uint32_t)a[1] == 10) a[2] = gen_signal(c);
        break;
    case 157: /* prctl */
        if (rng_chance(c->rng, 2, 3)) a[0] = rng_below(c->rng, 80);
        else if (rng_chance(c->rng, 1, 2)) {
            static const uint64_t odd[] = { 0x41555856 /* PR_GET_AUXV */, 0x53564d41 /* PR_SET_VMA */,
                                            0x59616d61 /* PR_SET_PTRACER */ };
            a[0] = odd[rng_below(c->rng, 3)];
        }
        if (bad_prctl(a[0])) a[0] = 16; /* PR_GET_NAME */
        if ((uint32_t)a[0] == 40 || (uint32_t)a[0] == 0x41555856) a[1] = gen_leak_ptr(c);
        break;
    case 158: /* arch_prctl */
        if (rng_chance(c->rng, 3, 4)) {
            static const uint64_t codes[] = { 0x1001, 0x1003, 0x1004, 0x1011, 0x1012, 0x1021, 0x1022,
                                              0x1023, 0x1024, 0x1025, 0x4001, 0x4002, 0x4003, 0x4004, 0x3001 };
            a[0] = codes[rng_below(c->rng, sizeof codes / sizeof codes[0])];
        }
        if (bad_arch_prctl(a[0])) a[0] = 0x1003; /* ARCH_GET_FS */
        break;
    case 436: /* close_range: never from below 3 (the log) */
        if ((uint32_t)a[0] < 3) a[0] = 3 + rng_below(c->rng, 60);
        break;
    case 202: { /* futex: PI locks wait for an owner that may never come, even
                 * through signals (Linux restarts them): always a timeout */
        uint32_t cmd = (uint32_t)a[1] & 127;
        if (cmd == 6 || cmd == 13 || cmd == 11) {
            uint64_t t;
            do t = gen_timeout(c); while (!t);
            a[3] = t;
        }
        break;
    }
    case 222: /* timer_create: the id where after_call can read it */
        a[2] = rng_chance(c->rng, 3, 4) ? zone_data(c->thread) + TIMER_SLOT_OFF : gen_leak_ptr(c);
        break;
    }
}

/* Unmap what a call mapped outside the map zone (the fuzzer must not fill
 * the address space) without touching the zone. */
static void trim_outside_zone(unsigned thread, uint64_t start, uint64_t len)
{
    uint64_t zs = zone_map(thread), ze = zs + MAP_SIZE;
    len = (len + PAGE - 1) & ~(PAGE - 1);
    if (!len || start + len < start) return;
    uint64_t end = start + len;
    if (start < zs) sys6(11, start, (end < zs ? end : zs) - start, 0, 0, 0, 0);
    if (end > ze) { uint64_t s = start > ze ? start : ze; sys6(11, s, end - s, 0, 0, 0, 0); }
}

static int is_addr(long ret) { return ret > 0 && (uint64_t)ret < 0x800000000000ULL; }

void after_call(struct fz_ctx *c, struct fz_state *st, long nr, const uint64_t a[6], long ret)
{
    long eff = (long)((uint32_t)nr & ~0x40000000u);
    if (eff < SC_TABLE && (sc_table[eff].flags & SC_RET_FD) && ret >= FD_POOL && ret < (1 << 20))
        sys6(3, (uint64_t)ret, 0, 0, 0, 0, 0);
    switch (eff) {
    case 72:
        if (((uint32_t)a[1] == 0 || (uint32_t)a[1] == 1030) && ret >= FD_POOL) sys6(3, (uint64_t)ret, 0, 0, 0, 0, 0);
        break;
    case 9: if (is_addr(ret)) trim_outside_zone(c->thread, (uint64_t)ret, a[1]); break;
    case 25: if (is_addr(ret)) trim_outside_zone(c->thread, (uint64_t)ret, a[2]); break;
    case 30: if (is_addr(ret)) sys6(67, (uint64_t)ret, 0, 0, 0, 0, 0); break;
    case 222:
        if (ret == 0 && a[2] == zone_data(c->thread) + TIMER_SLOT_OFF) {
            int id = *(volatile int *)a[2];
            int slot = (int)(st->live_timers++ % 4);
            if (st->timers[slot] >= 0) sys6(226, (uint64_t)st->timers[slot], 0, 0, 0, 0, 0);
            st->timers[slot] = id;
        }
        break;
    }
    uint64_t n = st->index;
    if (n % 128 == 0) sys6(436, FD_POOL, ~0u, 0, 0, 0, 0);
    if (n % REMAP_EVERY == 0) zone_remap(c->thread);
    if (n % 4096 == 0 && c->thread == 0) {
        static const char *files[] = { "/tmp/sysfuzz/f0", "/tmp/sysfuzz/f1", "/tmp/sysfuzz/f2" };
        for (int i = 0; i < 3; i++) sys6(76, (uint64_t)files[i], 0, 0, 0, 0, 0);
    }
}
