/* The vDSO: time and CPU number for the program without entering the kernel.
 * Built as a tiny freestanding shared object (see vdso.lds) that the loader
 * copies into every program; it reads the kernel's clock page, mapped
 * read-only one page below its own first byte ([vvar]). Anything it cannot
 * answer goes to the real system call, so behaviour never differs. */
#include <stdint.h>
#include "vdso_data.h"

#define CLOCK_REALTIME 0
#define CLOCK_MONOTONIC 1
#define CLOCK_MONOTONIC_RAW 4
#define CLOCK_REALTIME_COARSE 5
#define CLOCK_MONOTONIC_COARSE 6
#define CLOCK_BOOTTIME 7
#define NSEC 1000000000ull

#define SYS_gettimeofday 96
#define SYS_time 201
#define SYS_clock_gettime 228
#define SYS_getcpu 309

struct timespec_v { int64_t tv_sec, tv_nsec; };
struct timeval_v { int64_t tv_sec, tv_usec; };
struct timezone_v { int32_t minuteswest, dsttime; };

/* Placed by vdso.lds at the vDSO's base minus one page: reached RIP-relative. */
extern const volatile struct vdso_data vvar_page __attribute__((visibility("hidden")));

static long syscall3(long nr, long a, long b, long c)
{
    long ret;
    __asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
    return ret;
}

static inline uint64_t read_tsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

/* Monotonic and the realtime offset, read consistently; false when the
 * kernel says the clock is not readable here. */
static int read_clock(uint64_t *mono, uint64_t *offset)
{
    const volatile struct vdso_data *d = &vvar_page;
    uint32_t seq;
    do {
        seq = d->seq;
        __asm__ volatile("" ::: "memory");
        if (d->use_syscall) return 0;
        uint64_t delta = read_tsc() - d->tsc_base;
        *mono = d->mono_base_ns + (uint64_t)(((unsigned __int128)delta * d->mult) >> d->shift);
        *offset = d->real_offset_ns;
        __asm__ volatile("" ::: "memory");
    } while ((seq & 1) || seq != d->seq);
    return 1;
}

int __vdso_clock_gettime(int clk, struct timespec_v *ts)
{
    uint64_t mono, offset, ns;
    switch (clk) {
    case CLOCK_REALTIME:
    case CLOCK_REALTIME_COARSE:
    case CLOCK_MONOTONIC:
    case CLOCK_MONOTONIC_RAW:
    case CLOCK_MONOTONIC_COARSE:
    case CLOCK_BOOTTIME:
        if (!read_clock(&mono, &offset)) break;
        ns = (clk == CLOCK_REALTIME || clk == CLOCK_REALTIME_COARSE) ? mono + offset : mono;
        ts->tv_sec = (int64_t)(ns / NSEC);
        ts->tv_nsec = (int64_t)(ns % NSEC);
        return 0;
    }
    return (int)syscall3(SYS_clock_gettime, clk, (long)ts, 0);
}

int __vdso_gettimeofday(struct timeval_v *tv, struct timezone_v *tz)
{
    uint64_t mono, offset;
    if (!read_clock(&mono, &offset)) return (int)syscall3(SYS_gettimeofday, (long)tv, (long)tz, 0);
    if (tv) {
        uint64_t ns = mono + offset;
        tv->tv_sec = (int64_t)(ns / NSEC);
        tv->tv_usec = (int64_t)(ns % NSEC / 1000);
    }
    if (tz) {
        tz->minuteswest = 0;
        tz->dsttime = 0;
    }
    return 0;
}

int64_t __vdso_time(int64_t *t)
{
    uint64_t mono, offset;
    if (!read_clock(&mono, &offset)) return syscall3(SYS_time, (long)t, 0, 0);
    int64_t now = (int64_t)((mono + offset) / NSEC);
    if (t) *t = now;
    return now;
}

int __vdso_getcpu(unsigned *cpu, unsigned *node, void *cache)
{
    (void)cache;
    unsigned id = 0;
    if (vvar_page.has_tsc_aux) {
        uint32_t lo, hi, aux;
        __asm__ volatile("rdtscp" : "=a"(lo), "=d"(hi), "=c"(aux));
        id = aux & 0xfff;
    }
    if (cpu) *cpu = id;
    if (node) *node = 0;
    return 0;
}

/* The plain names, as Linux's vDSO also offers them. */
int clock_gettime(int, struct timespec_v *) __attribute__((weak, alias("__vdso_clock_gettime")));
int gettimeofday(struct timeval_v *, struct timezone_v *) __attribute__((weak, alias("__vdso_gettimeofday")));
int64_t time(int64_t *) __attribute__((weak, alias("__vdso_time")));
int getcpu(unsigned *, unsigned *, void *) __attribute__((weak, alias("__vdso_getcpu")));
