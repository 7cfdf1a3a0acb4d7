/* The program's FPU/SSE/AVX state, as Linux keeps it: XSAVE enabled where
 * the CPU has it (OSXSAVE, XCR0 with AVX and AVX-512 where present,
 * /proc/cpuinfo agreeing), each thread's registers (XMM, and YMM upper
 * halves where there is AVX; MXCSR, the x87 control word and stack) kept
 * across preemption on two CPUs and across signal handlers that clobber
 * them, handlers starting from a clean state, the signal frame in Linux's
 * layout (UC_FP_XSTATE, magic words, sizes, 64-byte alignment), edits to it
 * heard at sigreturn, a frame without the magic words restoring only the
 * legacy image, bad frames answered with SIGSEGV, AT_MINSIGSTKSZ covering
 * the frame, a new thread inheriting its creator's MXCSR.
 *
 * Every stdout line reads the same whether or not the CPU has AVX (a check
 * that does not apply passes); stderr says what the CPU offered. */
#define _GNU_SOURCE
#include <cpuid.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>
#include "checks.h"

#ifndef AT_MINSIGSTKSZ
#define AT_MINSIGSTKSZ 51
#endif
#define MAGIC1 0x46505853u
#define MAGIC2 0x46505845u
#define UC_FP_XSTATE 0x1

static bool has_xsave, osxsave, avx, avx2, avx512f;
static uint64_t xcr0;
static uint32_t avx_offset;    /* where YMM_Hi128 sits in an XSAVE area */

/* What the registers hold around one asm block: 16 vector registers
 * (YMM images; SSE uses the low 16 bytes), MXCSR, FCW, one x87 value. */
struct vec_state {
    uint8_t v[16][32];
    uint32_t mxcsr;
    uint16_t fcw;
    double st0;
};

#define LOAD_SSE(r) "movdqu " #r "*32(%%r8), %%xmm" #r "\n"
#define STORE_SSE(r) "movdqu %%xmm" #r ", " #r "*32(%%r9)\n"
#define LOAD_AVX(r) "vmovdqu " #r "*32(%%r8), %%ymm" #r "\n"
#define STORE_AVX(r) "vmovdqu %%ymm" #r ", " #r "*32(%%r9)\n"
#define ALL16(m) m(0) m(1) m(2) m(3) m(4) m(5) m(6) m(7) m(8) m(9) m(10) m(11) m(12) m(13) m(14) m(15)
#define ENV_IN "ldmxcsr %c[mx](%%r8)\n fldcw %c[cw](%%r8)\n fldl %c[st](%%r8)\n"
#define ENV_OUT "fstpl %c[st](%%r9)\n fnstcw %c[cw](%%r9)\n stmxcsr %c[mx](%%r9)\n"
/* nr >= 0: that system call with three arguments; else spin `spins` times. */
#define MIDDLE "test %%rax, %%rax\n js 2f\n syscall\n jmp 3f\n 2: mov %%r10, %%rcx\n 4: dec %%rcx\n jnz 4b\n 3:\n"
#define OPERANDS                                                                                          \
    : "+a"(nr)                                                                                           \
    : "r"(r8), "r"(r9), "D"(a0), "S"(a1), "d"(a2), "r"(r10), [mx] "i"(offsetof(struct vec_state, mxcsr)), \
      [cw] "i"(offsetof(struct vec_state, fcw)), [st] "i"(offsetof(struct vec_state, st0))              \
    : "rcx", "r11", "memory", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8",     \
      "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15"

/* Load in, run a system call or spin, store into out. The caller's MXCSR
 * and FCW come back afterwards. */
static long with_state(const struct vec_state *in, struct vec_state *out, long nr, long a0, long a1, long a2,
                       long spins)
{
    uint32_t mxcsr;
    uint16_t fcw;
    __asm__ volatile("stmxcsr %0\n fnstcw %1" : "=m"(mxcsr), "=m"(fcw));
    register const struct vec_state *r8 __asm__("r8") = in;
    register struct vec_state *r9 __asm__("r9") = out;
    register long r10 __asm__("r10") = spins;
    if (avx)
        __asm__ volatile(ENV_IN ALL16(LOAD_AVX) MIDDLE ALL16(STORE_AVX) ENV_OUT "vzeroupper\n" OPERANDS);
    else
        __asm__ volatile(ENV_IN ALL16(LOAD_SSE) MIDDLE ALL16(STORE_SSE) ENV_OUT OPERANDS);
    __asm__ volatile("ldmxcsr %0\n fldcw %1" : : "m"(mxcsr), "m"(fcw));
    return nr;
}

static void fill(struct vec_state *s, unsigned seed)
{
    for (int r = 0; r < 16; r++)
        for (int b = 0; b < 32; b++) s->v[r][b] = (uint8_t)(seed * 131 + r * 17 + b * 7 + 1);
    s->mxcsr = 0x1f80 | ((seed % 4) << 13);    /* a rounding mode of its own */
    s->fcw = (uint16_t)(0x37f & ~0xc00) | (uint16_t)(((seed + 1) % 4) << 10);
    s->st0 = 1.5 + seed;
}

/* The bytes that must have survived: YMM images with AVX, else XMM. */
static bool same_state(const struct vec_state *a, const struct vec_state *b)
{
    int width = avx ? 32 : 16;
    for (int r = 0; r < 16; r++)
        if (memcmp(a->v[r], b->v[r], width)) return false;
    return a->mxcsr == b->mxcsr && a->fcw == b->fcw && a->st0 == b->st0;
}

static void identify(void)
{
    unsigned a, b, c, d;
    __cpuid(0, a, b, c, d);
    unsigned max = a;
    __cpuid(1, a, b, c, d);
    has_xsave = c >> 26 & 1;
    osxsave = c >> 27 & 1;
    bool avx_cpu = c >> 28 & 1;
    bool avx2_cpu = false, avx512_cpu = false;
    if (max >= 7) {
        __cpuid_count(7, 0, a, b, c, d);
        avx2_cpu = b >> 5 & 1;
        avx512_cpu = b >> 16 & 1;
    }
    if (osxsave) {
        unsigned lo, hi;
        __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
        xcr0 = (uint64_t)hi << 32 | lo;
        __cpuid_count(0xd, 2, a, b, c, d);
        avx_offset = b;
    }
    avx = avx_cpu && (xcr0 & 6) == 6;
    avx2 = avx && avx2_cpu;
    avx512f = avx512_cpu && (xcr0 & 0xe6) == 0xe6;
    unsigned xsave_features = 0;    /* XSAVEOPT, XSAVEC, XGETBV1, XSAVES */
    if (max >= 0xd) {
        __cpuid_count(0xd, 1, a, b, c, d);
        xsave_features = a & 0xf;
    }
    __cpuid_count(0xd, 0, a, b, c, d);
    fprintf(stderr, "note: cpu xsave %d (opt/c/getbv1/s %#x) osxsave %d avx %d avx2 %d avx512f %d, xcr0 %#llx, xsave area %u\n",
            has_xsave, xsave_features, osxsave, avx_cpu, avx2_cpu, avx512_cpu, (unsigned long long)xcr0, osxsave ? b : 0);
    printf("xsave on where the CPU has it: %s\n", has_xsave == osxsave ? "yes" : "no");
    printf("avx usable where the CPU has it: %s\n", avx == avx_cpu ? "yes" : "no");
    printf("avx-512 usable where the CPU has it: %s\n", avx512f == avx512_cpu ? "yes" : "no");
}

/* /proc/cpuinfo's flags: avx, avx2, xsave, avx512f as the CPU and OSXSAVE allow. */
static bool has_flag(const char *flags, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = flags; (p = strstr(p, name)); p += n)
        if ((p == flags || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\n' || !p[n])) return true;
    return false;
}

static void cpuinfo_flags(void)
{
    FILE *f = fopen("/proc/cpuinfo", "r");
    CHECK(f != NULL);
    if (!f) return;
    static char line[8192];
    bool agree = false;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "flags", 5)) continue;
        agree = has_flag(line, "xsave") == has_xsave && has_flag(line, "avx") == avx &&
                has_flag(line, "avx2") == avx2 && has_flag(line, "avx512f") == avx512f;
        break;
    }
    fclose(f);
    printf("/proc/cpuinfo flags agree: %s\n", agree ? "yes" : "no");
}

/* --- Preemption: threads on two CPUs, each spinning with its own state. --- */

#define WORKERS 4
static volatile int stop_workers;
static volatile int handler_runs, dirty_starts;
static pthread_t worker_ids[WORKERS];

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *worker(void *arg)
{
    unsigned seed = (unsigned)(uintptr_t)arg;
    struct vec_state in, out;
    fill(&in, seed);
    int rounds = 0, bad = 0;
    while (!stop_workers || rounds < 3) {
        memset(&out, 0, sizeof out);
        with_state(&in, &out, -1, 0, 0, 0, 2000000);
        if (!same_state(&in, &out)) bad++;
        rounds++;
    }
    return (void *)(uintptr_t)bad;
}

/* A handler that checks it starts clean (Linux hands it a fresh FPU), then
 * clobbers everything the interrupted code had. */
static void clobber(int sig)
{
    (void)sig;
    uint32_t mxcsr;
    uint16_t fcw;
    uint8_t v0[32];
    __asm__ volatile("stmxcsr %0\n fnstcw %1" : "=m"(mxcsr), "=m"(fcw));
    if (avx) __asm__ volatile("vmovdqu %%ymm0, %0" : "=m"(v0));
    else __asm__ volatile("movdqu %%xmm0, %0" : "=m"(v0));
    static const uint8_t zero[32];
    if (mxcsr != 0x1f80 || fcw != 0x37f || memcmp(v0, zero, avx ? 32 : 16)) __atomic_add_fetch(&dirty_starts, 1, __ATOMIC_RELAXED);
    static struct vec_state junk, sink;
    fill(&junk, 99);
    with_state(&junk, &sink, -1, 0, 0, 0, 1);
    __asm__ volatile("ldmxcsr %0\n fldcw %1" : : "m"(junk.mxcsr), "m"(junk.fcw));
    if (avx) __asm__ volatile("vmovdqu %0, %%ymm3\n vmovdqu %0, %%ymm12" : : "m"(junk.v[5]) : "xmm3", "xmm12");
    __atomic_add_fetch(&handler_runs, 1, __ATOMIC_RELAXED);
}

static void preemption(void)
{
    signal(SIGUSR2, clobber);
    for (int i = 0; i < WORKERS; i++) CHECK(pthread_create(&worker_ids[i], NULL, worker, (void *)(uintptr_t)(i + 1)) == 0);
    double end = now() + 0.6;
    while (now() < end) {
        for (int i = 0; i < WORKERS; i++) pthread_kill(worker_ids[i], SIGUSR2);
        usleep(20000);
    }
    stop_workers = 1;
    int bad = 0;
    for (int i = 0; i < WORKERS; i++) {
        void *r;
        pthread_join(worker_ids[i], &r);
        bad += (int)(uintptr_t)r;
    }
    printf("per-thread state across preemption and clobbering handlers: %s\n", bad ? "lost" : "kept");
    printf("handlers ran and started clean: %s\n", handler_runs > 0 && !dirty_starts ? "yes" : "no");
    signal(SIGUSR2, SIG_DFL);
}

/* --- The signal frame. --- */

struct sw_bytes {
    uint32_t magic1, extended_size;
    uint64_t xfeatures;
    uint32_t xstate_size, padding[7];
};

enum frame_action { LOOK, EDIT, DROP_MAGIC, BAD_COMPONENT, BAD_MXCSR };
static enum frame_action action;
static bool frame_ok;
static uintptr_t alt_top, frame_used;
static const uint8_t EDITED[32] = "0123456789abcdefGHIJKLMNOPQRSTUV";

static uint8_t *fpstate_of(ucontext_t *uc) { return (uint8_t *)uc->uc_mcontext.fpregs; }

/* The standard form's size for these components, from CPUID. */
static uint32_t xsave_size_for(uint64_t features)
{
    uint32_t end = 576;
    for (unsigned i = 2; i < 63; i++) {
        if (!(features >> i & 1)) continue;
        unsigned a, b, c, d;
        __cpuid_count(0xd, i, a, b, c, d);
        if (b + a > end) end = b + a;
    }
    return end;
}

static void look_at_frame(int sig, siginfo_t *si, void *ucv)
{
    (void)sig, (void)si;
    ucontext_t *uc = ucv;
    uint8_t *fp = fpstate_of(uc);
    struct sw_bytes sw;
    memcpy(&sw, fp + 464, sizeof sw);
    frame_used = alt_top ? alt_top - ((uintptr_t)uc - 8) : 0;
    if (osxsave) {
        uint32_t magic2;
        memcpy(&magic2, fp + sw.xstate_size, 4);
        uint64_t xstate_bv;
        memcpy(&xstate_bv, fp + 512, 8);
        frame_ok = (uc->uc_flags & UC_FP_XSTATE) && sw.magic1 == MAGIC1 && magic2 == MAGIC2 &&
                   sw.extended_size == sw.xstate_size + 4 && (sw.xfeatures & ~xcr0) == 0 &&
                   (sw.xfeatures & 7) == (xcr0 & 7) && sw.xstate_size == xsave_size_for(sw.xfeatures) &&
                   (xstate_bv & 3) == 3 && ((uintptr_t)fp & 63) == 0;
        if (alt_top) frame_ok = frame_ok && (uintptr_t)fp + sw.extended_size <= alt_top;
    } else {
        static const struct sw_bytes none;
        frame_ok = !(uc->uc_flags & UC_FP_XSTATE) && !memcmp(&sw, &none, sizeof sw) && ((uintptr_t)fp & 15) == 0;
        if (alt_top) frame_ok = frame_ok && (uintptr_t)fp + 512 <= alt_top;
    }
    switch (action) {
    case LOOK:
        break;
    case EDIT:        /* XMM0 in the legacy image, YMM0's upper half in AVX's component */
        memcpy(fp + 160, EDITED, 16);
        if (avx) memcpy(fp + avx_offset, EDITED + 16, 16);
        break;
    case DROP_MAGIC:  /* as a handler that copied only the 512-byte image */
        memcpy(fp + 160 + 16, EDITED, 16);
        if (osxsave) memset(fp + 464, 0, 4);
        if (avx) memcpy(fp + avx_offset + 16, EDITED + 16, 16);
        break;
    case BAD_COMPONENT: {
        uint64_t bv;
        memcpy(&bv, fp + 512, 8);
        bv |= 1ull << 62;
        memcpy(fp + 512, &bv, 8);
        break;
    }
    case BAD_MXCSR: {
        uint32_t mx = 0xffffffffu;
        memcpy(fp + 24, &mx, 4);
        break;
    }
    }
}

static sigjmp_buf segv_jump;
static volatile int segvs;
static void on_segv(int sig)
{
    (void)sig;
    segvs++;
    siglongjmp(segv_jump, 1);
}

/* Send SIGUSR1 to this thread from inside an asm block holding `in`; what
 * the registers hold after the handler's return lands in out. */
static void signal_with_state(const struct vec_state *in, struct vec_state *out)
{
    memset(out, 0, sizeof *out);
    with_state(in, out, SYS_tgkill, getpid(), syscall(SYS_gettid), SIGUSR1, 0);
}

static void frames(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = look_at_frame;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigaction(SIGUSR1, &sa, NULL);

    /* On an alternate stack of AT_MINSIGSTKSZ (at least MINSIGSTKSZ, which
     * sigaltstack demands): the frame fits, laid out as Linux's. */
    unsigned long min = getauxval(AT_MINSIGSTKSZ);
    size_t size = min < 2048 ? 2048 : min;
    uint8_t *alt = aligned_alloc(64, 8192);
    stack_t ss = { .ss_sp = alt, .ss_size = size };
    CHECK(sigaltstack(&ss, NULL) == 0);
    alt_top = (uintptr_t)alt + size;
    struct vec_state in, out;
    fill(&in, 7);
    action = LOOK;
    signal_with_state(&in, &out);
    fprintf(stderr, "note: AT_MINSIGSTKSZ %lu, frame used %lu\n", min, (unsigned long)frame_used);
    printf("AT_MINSIGSTKSZ covers the frame: %s\n", min && frame_used && frame_used <= min ? "yes" : "no");
    printf("frame fpstate as Linux lays it out: %s\n", frame_ok ? "yes" : "no");
    printf("registers back after the handler: %s\n", same_state(&in, &out) ? "yes" : "no");
    ss.ss_flags = SS_DISABLE;
    sigaltstack(&ss, NULL);
    alt_top = 0;

    /* Edits to the frame are what sigreturn restores. */
    action = EDIT;
    signal_with_state(&in, &out);
    struct vec_state want = in;
    memcpy(want.v[0], EDITED, avx ? 32 : 16);
    printf("edited frame restored: %s\n", same_state(&want, &out) ? "yes" : "no");

    /* Without magic1: the legacy image only, AVX's upper halves start clean (Linux's fx_only). */
    action = DROP_MAGIC;
    signal_with_state(&in, &out);
    want = in;
    memcpy(want.v[1], EDITED, 16);
    if (osxsave) {
        for (int r = 0; r < 16; r++) memset(want.v[r] + 16, 0, 16);
    }
    printf("frame without magic: legacy image restored, the rest clean: %s\n", same_state(&want, &out) ? "yes" : "no");

    /* Frames XRSTOR/FXRSTOR would fault on: SIGSEGV, seen by its handler. */
    signal(SIGSEGV, on_segv);
    int expected = 0;
    enum frame_action bad[] = { BAD_MXCSR, BAD_COMPONENT };
    for (unsigned i = 0; i < 2; i++) {
        if (bad[i] == BAD_COMPONENT && !osxsave) continue;
        expected++;
        action = bad[i];
        if (!sigsetjmp(segv_jump, 1)) signal_with_state(&in, &out);
    }
    printf("bad MXCSR or component in the frame: SIGSEGV %s\n", segvs == expected ? "each" : "missing");
    signal(SIGSEGV, SIG_DFL);
    signal(SIGUSR1, SIG_DFL);
    free(alt);
}

/* A new thread starts with its creator's registers (MXCSR shows it). */
static void *report_mxcsr(void *arg)
{
    uint32_t mx;
    __asm__ volatile("stmxcsr %0" : "=m"(mx));
    *(uint32_t *)arg = mx;
    return NULL;
}

static void inherit(void)
{
    uint32_t mine, old, theirs = 0;
    __asm__ volatile("stmxcsr %0" : "=m"(old));
    mine = (old & ~0x6000u) | 0x6000u;  /* round toward zero */
    __asm__ volatile("ldmxcsr %0" : : "m"(mine));
    pthread_t t;
    CHECK(pthread_create(&t, NULL, report_mxcsr, &theirs) == 0);
    pthread_join(t, NULL);
    __asm__ volatile("ldmxcsr %0" : : "m"(old));
    printf("new thread inherits MXCSR: %s\n", theirs == mine ? "yes" : "no");
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    identify();
    cpuinfo_flags();
    frames();
    inherit();
    preemption();
    printf("avx_state: %s\n", failures ? "FAILED" : "done");
    return failures != 0;
}
