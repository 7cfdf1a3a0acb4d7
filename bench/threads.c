/* Thread and syscall benchmark, the same static binary in Pith and in a Linux
 * guest (bench/threads):   threads [--quick] [SECONDS]
 * Each timed row runs for SECONDS (default 0.5) and prints one line
 * "threads NAME VALUE":
 *   create_join_per_s       pthread_create + pthread_join of an empty thread
 *   futex_roundtrips_per_s  two threads hand one word back and forth with
 *                           FUTEX_WAIT / FUTEX_WAKE (one round trip = both turns)
 *   getpid_per_s            the raw getpid system call (never libc's cache)
 *   signal_roundtrips_per_s tgkill to the calling thread, handler run, back
 *   epoll_wait_1000_per_s   epoll_wait with timeout 0 on an epoll holding 1,000
 *                           idle fds (both ends of 500 pipes, waiting for input)
 *   parallel_1_ms, parallel_2_ms, parallel_speedup
 *                           a fixed amount of CPU-bound work (integer hashing,
 *                           no memory traffic) done by 1 thread, then split
 *                           over 2, three times each, the fastest kept;
 *                           speedup = 1-thread time / 2-thread time
 *   mmap_touch_unmap_ns_10, mmap_touch_unmap_ns_100k
 *                           one anonymous page mapped, written once, unmapped,
 *                           with 10 and with 100,000 other one-page regions
 *                           present (one range, protections alternating page
 *                           by page so none merge)
 * plus "threads cpus N" (CPUs the process may run on) first and
 * "threads done" last. --quick: tiny counts, for the functional test in
 * make test (every row printed, nothing timed seriously). A row that fails
 * prints "threads NAME - (why)". Linux caps a process at vm.max_map_count
 * regions (65,530 by default): bench/threads raises it in the guest first. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096ul
/* musl ships no <linux/futex.h>: the ABI's values. */
#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_PRIVATE_FLAG 128

static double seconds = 0.5;
static int quick;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void fail(const char *name, const char *why)
{
    printf("threads %s - (%s: %s)\n", name, why, strerror(errno));
    fflush(stdout);
}

static void result(const char *name, double value)
{
    printf("threads %s %.*f\n", name, value >= 100 ? 0 : 2, value);
    fflush(stdout);
}

/* Calls step() in batches of `batch` until `seconds` have passed; returns
 * calls per second. The clock is read once per batch so that its cost (a
 * system call where there is no vDSO) stays out of cheap rows. */
static double per_second(void (*step)(void), long batch)
{
    long calls = 0;
    double t0 = now(), t;
    do {
        for (long i = 0; i < batch; i++) step();
        calls += batch;
        t = now();
    } while (t - t0 < seconds);
    return calls / (t - t0);
}

/* --- thread create + join ------------------------------------------------ */

static void *empty_thread(void *arg) { return arg; }

static int create_failed;
static void create_join(void)
{
    pthread_t t;
    if (create_failed || pthread_create(&t, NULL, empty_thread, NULL) != 0) {
        create_failed = 1;
        return;
    }
    pthread_join(t, NULL);
}

/* --- futex ping-pong ------------------------------------------------------ */

/* 0: the main thread's turn, 1: the partner's; 2: the partner must leave. */
static uint32_t turn;

static long futex(uint32_t *word, int op, uint32_t val)
{
    return syscall(SYS_futex, word, op | FUTEX_PRIVATE_FLAG, val, NULL, NULL, 0);
}

static void wait_while(uint32_t *word, uint32_t val)
{
    while (__atomic_load_n(word, __ATOMIC_ACQUIRE) == val) futex(word, FUTEX_WAIT, val);
}

static void pass_to(uint32_t *word, uint32_t val)
{
    __atomic_store_n(word, val, __ATOMIC_RELEASE);
    futex(word, FUTEX_WAKE, 1);
}

static void *futex_partner(void *arg)
{
    (void)arg;
    for (;;) {
        wait_while(&turn, 0);
        if (__atomic_load_n(&turn, __ATOMIC_ACQUIRE) == 2) return NULL;
        pass_to(&turn, 0);
    }
}

static void futex_roundtrip(void)
{
    pass_to(&turn, 1);
    wait_while(&turn, 1);
}

static void bench_futex(void)
{
    pthread_t t;
    turn = 0;
    if (pthread_create(&t, NULL, futex_partner, NULL) != 0) {
        fail("futex_roundtrips_per_s", "pthread_create");
        return;
    }
    double rate = per_second(futex_roundtrip, 64);
    pass_to(&turn, 2);
    pthread_join(t, NULL);
    result("futex_roundtrips_per_s", rate);
}

/* --- getpid, signals -------------------------------------------------- */

static void raw_getpid(void) { syscall(SYS_getpid); }

static volatile sig_atomic_t handled;
static pid_t my_pid, my_tid;
static void on_usr1(int sig) { (void)sig; handled++; }
static void signal_self(void) { syscall(SYS_tgkill, my_pid, my_tid, SIGUSR1); }

static void bench_signal(void)
{
    struct sigaction sa = { .sa_handler = on_usr1 };
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGUSR1, &sa, NULL) != 0) {
        fail("signal_roundtrips_per_s", "sigaction");
        return;
    }
    my_pid = (pid_t)syscall(SYS_getpid);
    my_tid = (pid_t)syscall(SYS_gettid);
    handled = 0;
    double rate = per_second(signal_self, 64);
    if (handled == 0) {
        errno = 0;
        fail("signal_roundtrips_per_s", "the handler never ran");
        return;
    }
    result("signal_roundtrips_per_s", rate);
}

/* --- epoll_wait on 1,000 idle fds ---------------------------------------- */

static int epfd;
static void epoll_poll(void)
{
    struct epoll_event ev[16];
    epoll_wait(epfd, ev, 16, 0);
}

static void bench_epoll(void)
{
    enum { PIPES = 500 };
    static int fds[PIPES][2];
    const char *name = "epoll_wait_1000_per_s";
    /* 1,000 fds plus stdio and the epoll: over some systems' soft limit. */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 2 * PIPES + 64 && rl.rlim_max > rl.rlim_cur) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    epfd = epoll_create1(0);
    if (epfd < 0) {
        fail(name, "epoll_create1");
        return;
    }
    int made = 0, ok = 1;
    for (; made < PIPES && ok; made++) {
        if (pipe(fds[made]) != 0) {
            fail(name, "pipe");
            ok = 0;
            break;
        }
        /* Nothing is ever written: the read ends never have input and a
         * write end never reports EPOLLIN, so all 1,000 stay idle. */
        for (int e = 0; e < 2 && ok; e++) {
            struct epoll_event ev = { .events = EPOLLIN, .data.fd = fds[made][e] };
            if (epoll_ctl(epfd, EPOLL_CTL_ADD, fds[made][e], &ev) != 0) {
                fail(name, "epoll_ctl");
                ok = 0;
            }
        }
    }
    if (ok) {
        struct epoll_event ev[16];
        int ready = epoll_wait(epfd, ev, 16, 0);
        if (ready != 0) {
            errno = 0;
            fail(name, ready < 0 ? "epoll_wait failed" : "idle fds reported ready");
        } else {
            result(name, per_second(epoll_poll, 64));
        }
    }
    for (int i = 0; i < made; i++) {
        close(fds[i][0]);
        close(fds[i][1]);
    }
    close(epfd);
}

/* --- CPU-bound parallel work ------------------------------------------- */

struct share { uint64_t start, count, sum; };

/* A dependent chain of multiplies and shifts per step: no memory traffic,
 * nothing a compiler can fold into a closed form. */
static void *hash_range(void *arg)
{
    struct share *s = arg;
    uint64_t sum = 0;
    for (uint64_t i = s->start; i < s->start + s->count; i++) {
        uint64_t x = i * 0x9e3779b97f4a7c15ull;
        x ^= x >> 29;
        x *= 0xbf58476d1ce4e5b9ull;
        sum += x ^ (x >> 32);
    }
    s->sum = sum;
    return NULL;
}

/* Seconds the whole range takes split over `threads` threads, or -1. */
static double parallel(uint64_t work, int threads, uint64_t *sum)
{
    struct share s[2];
    pthread_t t[2];
    double t0 = now();
    for (int i = 0; i < threads; i++) {
        s[i] = (struct share){ .start = work / threads * i, .count = work / threads };
        if (i > 0 && pthread_create(&t[i], NULL, hash_range, &s[i]) != 0) return -1;
    }
    hash_range(&s[0]);
    *sum = s[0].sum;
    for (int i = 1; i < threads; i++) {
        pthread_join(t[i], NULL);
        *sum += s[i].sum;
    }
    return now() - t0;
}

static void bench_parallel(void)
{
    /* About 0.25 s on one CPU under QEMU's TCG; far less under KVM. The two
     * are timed in turn three times and the fastest of each kept: other
     * work on a shared host slows some turns, never speeds one up. */
    uint64_t work = quick ? 1u << 16 : 100000000u, sum1 = 0, sum2 = 0;
    double best[2] = { 0, 0 };
    for (int turn = 0; turn < 3; turn++) {
        for (int threads = 1; threads <= 2; threads++) {
            double t = parallel(work, threads, threads == 1 ? &sum1 : &sum2);
            if (t < 0) {
                fail("parallel_1_ms", "pthread_create");
                fail("parallel_2_ms", "pthread_create");
                fail("parallel_speedup", "pthread_create");
                return;
            }
            if (turn == 0 || t < best[threads - 1]) best[threads - 1] = t;
        }
    }
    if (sum1 != sum2) {
        errno = 0;
        fail("parallel_speedup", "1 and 2 threads computed different sums");
        return;
    }
    result("parallel_1_ms", best[0] * 1e3);
    result("parallel_2_ms", best[1] * 1e3);
    result("parallel_speedup", best[0] / best[1]);
}

/* --- mmap + first touch + munmap among many mappings ------------------- */

static int map_failed;
static void map_touch_unmap(void)
{
    unsigned char *p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        map_failed = 1;
        return;
    }
    p[0] = 1;
    munmap(p, PAGE);
}

/* Makes `count` one-page mappings (count even) in one reserved range: every
 * other page gets another protection, so no two neighbours merge, in half
 * as many calls as mapping each page, and one munmap frees them all. */
static unsigned char *make_mappings(long count)
{
    unsigned char *base = mmap(NULL, count * PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED) return NULL;
    for (long i = 1; i < count; i += 2) {
        if (mprotect(base + i * PAGE, PAGE, PROT_READ | PROT_WRITE) != 0) {
            munmap(base, count * PAGE);
            return NULL;
        }
    }
    return base;
}

static void bench_mmap(void)
{
    const char *names[2] = { "mmap_touch_unmap_ns_10", "mmap_touch_unmap_ns_100k" };
    long counts[2] = { 10, quick ? 1000 : 100000 };
    for (int r = 0; r < 2; r++) {
        unsigned char *maps = make_mappings(counts[r]);
        if (!maps) {
            char why[64];
            snprintf(why, sizeof why, "cannot make %ld mappings", counts[r]);
            fail(names[r], why);
            continue;
        }
        map_failed = 0;
        double rate = per_second(map_touch_unmap, 16);
        if (map_failed) fail(names[r], "mmap");
        else result(names[r], 1e9 / rate);
        munmap(maps, counts[r] * PAGE);
    }
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) {
            quick = 1;
            seconds = 0.02;
        } else {
            seconds = atof(argv[i]);
            if (seconds <= 0) {
                fprintf(stderr, "usage: threads [--quick] [SECONDS]\n");
                return 2;
            }
        }
    }
    cpu_set_t set;
    printf("threads cpus %d\n", sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : -1);

    /* The mappings first, while the process has only its own few regions. */
    bench_mmap();
    double rate = per_second(create_join, 1);
    if (create_failed) fail("create_join_per_s", "pthread_create");
    else result("create_join_per_s", rate);
    bench_futex();
    result("getpid_per_s", per_second(raw_getpid, 256));
    bench_signal();
    bench_epoll();
    bench_parallel();
    printf("threads done\n");
    return 0;
}
