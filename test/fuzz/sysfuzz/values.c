/* Argument values: mostly hostile (kernel addresses, unmapped and misaligned
 * memory, pointers straddling the end of a mapping, lengths near 2^64, closed
 * and negative fds), some plausible so calls get past their first check.
 * Every pointer is into the calling thread's own zones or is invalid: the
 * kernel may write wherever these point without touching the fuzzer. */
#include "sysfuzz.h"
#include <string.h>
#include <signal.h>
#include <sys/mman.h>
#include <stdint.h>

extern char __executable_start[], _end[];

#define PICK(c, arr) ((arr)[rng_below((c)->rng, sizeof(arr) / sizeof((arr)[0]))])

/* Addresses nobody may use: the kernel's halves, non-canonical, the last
 * page, this thread's never-mapped guard. */
static uint64_t bad_ptr(struct fz_ctx *c)
{
    static const uint64_t bad[] = {
        0, 1, 8, 0xfff, 0x1000, 0x10000,
        0xffff800000000000ULL, 0xffff880000000000ULL, 0xffff888000001000ULL,
        0xffffc90000000000ULL, 0xffffffff80000000ULL, 0xffffffff81000000ULL,
        0xffffffffff600000ULL, 0xfffffffffffff000ULL, 0xfffffffffffffff8ULL, 0xffffffffffffffffULL,
        0x0000800000000000ULL, 0x00007ffffffffff8ULL + 0x10, 0x8000000000000000ULL, 0x4000000000000000ULL,
        0xdead000000000000ULL,
    };
    if (rng_chance(c->rng, 1, 5)) /* guard: mapped by nobody */
        return zone_data(c->thread) + DATA_SIZE + rng_below(c->rng, MAP_OFFSET - DATA_SIZE);
    return PICK(c, bad);
}

int fuzzer_owned(uint64_t v)
{
    return v >= (uint64_t)__executable_start && v < (uint64_t)_end + (64u << 20);
}

/* A word for inside a struct: never a pointer to anything but leaves. */
static uint64_t leaf_word(struct fz_ctx *c)
{
    switch (rng_below(c->rng, 10)) {
    case 0: return zone_map(c->thread) + rng_below(c->rng, MAP_SIZE);
    case 1: return zone_data(c->thread) + BLOB_OFF + rng_below(c->rng, BLOB_SIZE);
    case 2: return bad_ptr(c);
    case 3: case 4: return gen_len(c);
    case 5: return gen_fd(c);
    default: return gen_int(c);
    }
}

static void fill_words(struct fz_ctx *c, uint64_t addr, size_t bytes, int nested)
{
    uint64_t *w = (uint64_t *)addr;
    uint64_t nest = zone_data(c->thread) + NEST_OFF + rng_below(c->rng, NEST_SIZE - 1024) / 8 * 8;
    if (nested) fill_words(c, nest, 1024, 0);
    for (size_t i = 0; i < bytes / 8; i++) {
        if (nested && rng_chance(c->rng, 1, 3)) w[i] = nest + rng_below(c->rng, 1024 - 64) / 8 * 8;
        else if (rng_chance(c->rng, 1, 4)) w[i] = (uint64_t)rng_below(c->rng, 64);
        else w[i] = leaf_word(c);
    }
}

/* The end of the data zone: the next page is never mapped. */
static void fill_tail(struct fz_ctx *c)
{
    fill_words(c, zone_data(c->thread) + DATA_SIZE - TAIL_FILL, TAIL_FILL, 1);
}

uint64_t gen_ptr(struct fz_ctx *c)
{
    uint64_t d = zone_data(c->thread);
    switch (rng_below(c->rng, 20)) {
    case 0: case 1: case 2: case 3: case 4: case 5: case 6: case 7: {
        uint64_t off = rng_below(c->rng, BLOB_SIZE - 512);
        off = rng_chance(c->rng, 7, 8) ? off / 8 * 8 : off; /* sometimes misaligned */
        fill_words(c, d + BLOB_OFF + off / 8 * 8, 520, 1);
        return d + BLOB_OFF + off;
    }
    case 8: case 9: case 10:
        return zone_map(c->thread) + (rng_chance(c->rng, 1, 2) ? rng_below(c->rng, MAP_SIZE / PAGE) * PAGE
                                                              : rng_below(c->rng, MAP_SIZE));
    case 11: /* straddles the end of the map zone */
        return zone_map(c->thread) + MAP_SIZE - 1 - rng_below(c->rng, 64);
    case 12: case 13:
        fill_tail(c);
        return d + DATA_SIZE - 1 - rng_below(c->rng, 64);
    default:
        return bad_ptr(c);
    }
}

uint64_t gen_len(struct fz_ctx *c)
{
    static const uint64_t lens[] = {
        0, 1, 2, 3, 4, 7, 8, 15, 16, 63, 64, 100, 128, 255, 256, 4095, 4096, 4097, 8192, 65535, 65536,
        65537, 1 << 20, 0x7ffff000, 0x7fffffff, 0x80000000ULL, 0xffffffffULL, 0x100000000ULL,
        0x7fffffffffffffffULL, 0x8000000000000000ULL, 0xfffffffffffff000ULL, 0xfffffffffffffffeULL,
        0xffffffffffffffffULL, (uint64_t)-4096, (uint64_t)-1024 };
    if (rng_chance(c->rng, 1, 3)) return rng_below(c->rng, 600);
    if (rng_chance(c->rng, 1, 8)) return (uint64_t)-(int64_t)rng_below(c->rng, 1 << 16);
    return PICK(c, lens);
}

uint64_t gen_int(struct fz_ctx *c)
{
    uint64_t v;
    switch (rng_below(c->rng, 10)) {
    case 0: v = 0; break;
    case 1: v = rng_below(c->rng, 16); break;
    case 2: v = 1ULL << rng_below(c->rng, 64); break;
    case 3: v = 1ULL << rng_below(c->rng, 32); break;
    case 4: v = (uint32_t)rng_next(c->rng); break;
    case 5: v = rng_next(c->rng); break;
    case 6: v = (uint64_t)-(int64_t)rng_below(c->rng, 8); break;
    case 7: v = rng_next(c->rng) & rng_next(c->rng) & 0xffffffffULL; break;
    case 8: v = rng_below(c->rng, 256); break;
    default: v = 0xffffffffULL - rng_below(c->rng, 4); break;
    }
    /* a random number may not land on the fuzzer's image or heap by chance */
    if (fuzzer_owned(v)) v ^= 0x4000000000000000ULL;
    return v;
}

/* Never 1 or 2 (the log), also not through the upper half Linux ignores. */
uint64_t gen_fd(struct fz_ctx *c)
{
    static const uint64_t odd[] = { (uint64_t)-1, (uint64_t)-100, (uint64_t)-2, 0x80000000ULL,
        0xffffffff80000000ULL, 0x7fffffff, 1023, 1024, 4096, 65536, 0x100000000ULL, 0x100000003ULL,
        0xffffffff00000004ULL, (uint64_t)-101, 0x7fffffffffffffffULL };
    uint64_t v;
    if (rng_chance(c->rng, 4, 5)) v = rng_below(c->rng, FD_POOL);
    else v = PICK(c, odd);
    if ((uint32_t)v == 1 || (uint32_t)v == 2) v = 3 + rng_below(c->rng, 20);
    return v;
}

/* Signals the fuzzer handles or ignores, and invalid numbers: never one that
 * would kill or stop it (README). */
uint64_t gen_signal(struct fz_ctx *c)
{
    static const uint64_t sigs[] = { 0, SIGUSR1, SIGALRM, SIGUSR1, SIGALRM, SIGUSR2, SIGCHLD, SIGWINCH,
        SIGURG, SIGCONT, SIGPIPE, SIGIO, SIGPROF, SIGVTALRM, SIGXFSZ, SIGTSTP, SIGTTIN, SIGTTOU, SIGHUP,
        SIGINT, SIGTERM, SIGQUIT, 35, 40, 64, 65, 100, (uint64_t)-1, 0x7fffffff, 0x100000000ULL + SIGUSR1 };
    return PICK(c, sigs);
}

uint64_t gen_pid(struct fz_ctx *c)
{
    switch (rng_below(c->rng, 8)) {
    case 0: return 0;
    case 1: return (uint64_t)run.pid;
    case 2: return (uint64_t)run.thr[rng_below(c->rng, run.threads)].tid;
    case 3: return (uint64_t)run.thr[c->thread].tid;
    case 4: return (uint64_t)-1;
    case 5: return (uint64_t)-(int64_t)run.pid;
    case 6: return 99999 + rng_below(c->rng, 3);
    default: { static const uint64_t odd[] = { 0x80000000ULL, 0x7fffffff, 0xffffffff, 0x100000001ULL, 4194304 };
               return PICK(c, odd); }
    }
}

/* Only for calls that write user-space pointers (get_robust_list's head,
 * ARCH_GET_FS, an old sigaction's handler): the leak sink or invalid, so
 * those values never come back as a pointer argument. */
uint64_t gen_leak_ptr(struct fz_ctx *c)
{
    if (rng_chance(c->rng, 1, 3)) return bad_ptr(c);
    return zone_data(c->thread) + LEAK_OFF + rng_below(c->rng, PAGE - 256);
}

/* For mm calls: an address in the map zone, or one the kernel must refuse
 * whatever the length (above the user half). */
uint64_t gen_mm_addr(struct fz_ctx *c, int *in_zone)
{
    static const uint64_t bad[] = { 0xffff800000000000ULL, 0xffffffff80000000ULL, 0xfffffffffffff000ULL,
        0x8000000000000000ULL, 0x0000800000000000ULL, 0xffffffffffffffffULL };
    *in_zone = 1;
    uint64_t m = zone_map(c->thread);
    switch (rng_below(c->rng, 10)) {
    case 0: *in_zone = 0; return PICK(c, bad);
    case 1: return m + rng_below(c->rng, MAP_SIZE);             /* misaligned */
    case 2: return m + MAP_SIZE - PAGE;
    default: return m + rng_below(c->rng, MAP_SIZE / PAGE) * PAGE;
    }
}

/* A length that keeps [addr, addr+len) inside the zone, or one so large the
 * range wraps or leaves the user half (refused before anything is done). */
uint64_t gen_mm_len(struct fz_ctx *c, uint64_t addr, int in_zone)
{
    uint64_t room = in_zone ? zone_map(c->thread) + MAP_SIZE - addr : 0;
    switch (rng_below(c->rng, 10)) {
    case 0: return 0;
    case 1: { static const uint64_t huge[] = { 0xffffffffffffffffULL, 0xfffffffffffff000ULL,
                  0x8000000000000000ULL, 0xffff800000000000ULL, (uint64_t)-4096 * 2 };
              return PICK(c, huge); }
    case 2: return room < PAGE ? room : PAGE;
    case 3: return room ? 1 + rng_below(c->rng, room) : 0;
    default: return room ? rng_below(c->rng, room / PAGE + 1) * PAGE : 0;
    }
}

uint64_t slot_addr(unsigned thread, unsigned slot) { return zone_data(thread) + SLOT_OFF + slot * 64; }

/* Slots are handed out in turn within one call: two arguments of a call
 * never share one (a timeout written over a sigset would block signals). */
static unsigned next_slot(struct fz_ctx *c) { return (c->slot_base + c->slots++) % 40; }

/* Short, valid timeouts mostly (so a blocked call ends), sometimes invalid. */
uint64_t gen_timeout(struct fz_ctx *c)
{
    if (rng_chance(c->rng, 1, 6)) return rng_chance(c->rng, 1, 2) ? 0 : bad_ptr(c);
    uint64_t s = slot_addr(c->thread, next_slot(c));
    int64_t *w = (int64_t *)s;
    w[0] = rng_chance(c->rng, 1, 8) ? (int64_t)gen_int(c) : 0;
    w[1] = rng_chance(c->rng, 1, 8) ? (int64_t)gen_int(c) : (int64_t)rng_below(c->rng, 2000000);
    return s;
}

/* A sigset that never blocks the fuzzer's SIGUSR1 and SIGALRM (a call
 * blocked with them masked would never be interrupted). */
uint64_t gen_sigset(struct fz_ctx *c)
{
    if (rng_chance(c->rng, 1, 6)) return rng_chance(c->rng, 1, 2) ? 0 : bad_ptr(c);
    uint64_t s = slot_addr(c->thread, next_slot(c));
    uint64_t *w = (uint64_t *)s;
    w[0] = rng_next(c->rng) & ~((1ULL << (SIGUSR1 - 1)) | (1ULL << (SIGALRM - 1)));
    w[1] = rng_next(c->rng);
    return s;
}

static uint64_t gen_path(struct fz_ctx *c, int argi)
{
    static const char *paths[] = {
        "/tmp/sysfuzz/f0", "/tmp/sysfuzz/f1", "/tmp/sysfuzz/f2", "/tmp/sysfuzz/d0", "/tmp/sysfuzz/d0/x",
        "/tmp/sysfuzz/l0", "/tmp/sysfuzz/f0/x", "/tmp/sysfuzz", "/tmp", "/", ".", "..", "", "f0", "d0",
        "/dev/null", "/dev/zero", "/dev/shm/sysfuzz", "/proc/self/status", "/proc/self/maps",
        "/proc/self/fd", "/proc/self/fd/3", "/proc/self/exe", "/proc/self/cwd", "/nonexistent/a/b",
        "/tmp/sysfuzz/../sysfuzz/./f1", "////tmp//sysfuzz//f2", "/tmp/sysfuzz/f0/", "/etc/passwd",
        "/sys", "/dev", "/proc/self/task", "sysfuzz",
    };
    if (rng_chance(c->rng, 1, 8)) return gen_ptr(c);
    char *s = (char *)(zone_data(c->thread) + STR_OFF + argi * 1280);
    if (rng_chance(c->rng, 1, 20)) { /* longer than PATH_MAX, in the two string pages */
        s = (char *)(zone_data(c->thread) + STR_OFF);
        size_t n = 4090 + rng_below(c->rng, 16);
        memset(s, rng_chance(c->rng, 1, 2) ? 'a' : '/', n);
        s[n] = 0;
        return (uint64_t)s;
    }
    if (rng_chance(c->rng, 1, 25)) { /* no NUL before the end of the mapping */
        char *end = (char *)(zone_data(c->thread) + DATA_SIZE);
        memset(end - 64, 'z', 64);
        return (uint64_t)(end - 1 - rng_below(c->rng, 63));
    }
    const char *p = PICK(c, paths);
    size_t n = strlen(p);
    memcpy(s, p, n + 1);
    if (rng_chance(c->rng, 1, 10) && n < 1200) { s[n] = 'a' + rng_below(c->rng, 26); s[n + 1] = 0; }
    return (uint64_t)s;
}

static uint64_t gen_sigevent(struct fz_ctx *c)
{
    if (rng_chance(c->rng, 1, 4)) return rng_chance(c->rng, 1, 2) ? 0 : bad_ptr(c);
    uint64_t s = slot_addr(c->thread, next_slot(c));
    uint32_t *w = (uint32_t *)s;
    *(uint64_t *)s = gen_int(c);                 /* sigev_value */
    w[2] = (uint32_t)gen_signal(c);              /* sigev_signo */
    static const uint32_t how[] = { 0, 1, 2, 4, 4 | 0, 3, 0xffffffff };
    w[3] = how[rng_below(c->rng, 7)];            /* sigev_notify */
    w[4] = (uint32_t)gen_pid(c);                 /* sigev_notify_thread_id */
    return s;
}

/* {interval, value}: intervals of 0 or at least 10 ms so timers cannot flood
 * the guest; usec_unit is 1000 for timeval, 1 for timespec */
static uint64_t gen_itimer(struct fz_ctx *c, uint64_t frac_max)
{
    if (rng_chance(c->rng, 1, 6)) return rng_chance(c->rng, 1, 3) ? 0 : gen_ptr(c);
    uint64_t s = slot_addr(c->thread, next_slot(c));
    int64_t *w = (int64_t *)s;
    int bad = rng_chance(c->rng, 1, 10);
    w[0] = rng_chance(c->rng, 1, 2) ? 0 : (int64_t)rng_below(c->rng, 2);
    w[1] = w[0] ? 0 : (rng_chance(c->rng, 1, 2) ? 0 : (int64_t)(frac_max / 100 + rng_below(c->rng, frac_max / 2)));
    w[2] = (int64_t)rng_below(c->rng, 2);
    w[3] = (int64_t)rng_below(c->rng, frac_max);
    if (bad) { /* refused values only: a valid tiny interval would flood the
                * guest with signals (Linux starves such a program too) */
        static const int64_t refused[] = { -1, 1000000000, INT64_MIN, -1000000 };
        int i = (int)rng_below(c->rng, 4);
        w[i] = (i & 1) ? refused[rng_below(c->rng, 4)] : (int64_t)gen_int(c) | INT64_MIN;
    }
    return s;
}

static uint64_t gen_clock(struct fz_ctx *c)
{
    static const uint64_t clocks[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 16, (uint64_t)-1,
        (uint64_t)-2, (uint64_t)-6, (uint64_t)-14, 0x7fffffff, (uint64_t)~(99999ULL << 3) + 2 };
    return PICK(c, clocks);
}

uint64_t gen_value(struct fz_ctx *c, char kind, int argi)
{
    switch (kind) {
    case 'f': return gen_fd(c);
    case 'b': return gen_ptr(c);
    case 'l': return gen_len(c);
    case 'i': return gen_int(c);
    case 's': return gen_path(c, argi);
    case 'g': return gen_signal(c);
    case 'm': return gen_sigset(c);
    case 'z': return rng_chance(c->rng, 7, 8) ? 8 : gen_len(c);
    case 't': return gen_timeout(c);
    case 'T': return gen_itimer(c, 1000000);
    case 'U': return gen_itimer(c, 1000000000);
    case 'p': return gen_pid(c);
    case 'P': { static const uint64_t p[] = { 99999, 0x7fffffff, (uint64_t)-1, (uint64_t)-5, 4194304 };
                return PICK(c, p); }
    case 'c': return gen_clock(c);
    case 'e': return gen_sigevent(c);
    case 'B': return rng_chance(c->rng, 1, 3) ? 0 : bad_ptr(c);
    case 'k': return gen_leak_ptr(c);
    case 'u': { static const uint64_t u[] = { 0, 1, 1000, 65534, (uint64_t)-1, 0xffffffff, 0x7fffffff, 0x100000000ULL };
                return rng_chance(c->rng, 1, 4) ? gen_int(c) : PICK(c, u); }
    case 'o': return rng_chance(c->rng, 3, 4) ? rng_below(c->rng, 010000) : gen_int(c);
    case 'v': return rng_chance(c->rng, 1, 2) ? gen_ptr(c) : gen_int(c);
    case 'M': {
        if (rng_chance(c->rng, 1, 6)) return rng_chance(c->rng, 1, 2) ? 0 : bad_ptr(c);
        uint64_t set = gen_sigset(c), s;
        s = slot_addr(c->thread, next_slot(c));
        ((uint64_t *)s)[0] = set;
        ((uint64_t *)s)[1] = rng_chance(c->rng, 7, 8) ? 8 : gen_len(c);
        return s;
    }
    default: return gen_int(c);
    }
}

/* The zones: data mapped RW, map zone mapped RW, the guard left empty. */
void zones_setup(unsigned thread)
{
    void *d = mmap((void *)zone_data(thread), DATA_SIZE, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (d == MAP_FAILED || (uint64_t)d != zone_data(thread)) {
        out("sysfuzz: cannot map the data zone of thread %u\n", thread);
        _Exit(3);
    }
    zone_remap(thread);
}

void zone_remap(unsigned thread)
{
    void *m = mmap((void *)zone_map(thread), MAP_SIZE, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    if (m == MAP_FAILED) {
        out("sysfuzz: cannot map the map zone of thread %u\n", thread);
        _Exit(3);
    }
}
