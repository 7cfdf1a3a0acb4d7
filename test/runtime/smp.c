/* Many CPUs (issue 9, SMP): run with two vCPUs, the same lines as on a
 * two-CPU Linux host. Threads really run on both CPUs at once; affinity
 * moves a thread and keeps it there; a mapping changed by one thread is
 * seen changed at once by a thread spinning on another CPU (TLB
 * shootdowns: without them that thread keeps its stale translation);
 * atomic counters from both CPUs add up; membarrier works. Every wait is
 * bounded, so a broken kernel fails instead of hanging. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "checks.h"

#define SECONDS_LIMIT 20

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int pin(int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return sched_setaffinity(0, sizeof set, &set);
}

/* Both CPUs again, as the program started. */
static void unpin(void)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(0, &set);
    CPU_SET(1, &set);
    sched_setaffinity(0, sizeof set, &set);
}

/* 1. Two spinning threads both running at the same moment on different CPUs. */
static atomic_int spinning, seen_cpu_mask, stop_spinning;
static void *spin_and_report(void *arg)
{
    (void)arg;
    atomic_fetch_add(&spinning, 1);
    double until = now() + SECONDS_LIMIT;
    while (!atomic_load(&stop_spinning) && now() < until) {
        int cpu = sched_getcpu();
        if (cpu >= 0 && cpu < 31) atomic_fetch_or(&seen_cpu_mask, 1 << cpu);
        /* Both spinners running at once (neither blocked): true parallelism. */
        if (atomic_load(&spinning) == 2 && atomic_load(&seen_cpu_mask) == 3) break;
    }
    return NULL;
}

static void parallel_threads(void)
{
    pthread_t a, b;
    pthread_create(&a, NULL, spin_and_report, NULL);
    pthread_create(&b, NULL, spin_and_report, NULL);
    pthread_join(a, NULL);
    atomic_store(&stop_spinning, 1);
    pthread_join(b, NULL);
    printf("spinners ran on both CPUs: %s\n", atomic_load(&seen_cpu_mask) == 3 ? "yes" : "no");
}

/* 2. Affinity. */
static void affinity(void)
{
    cpu_set_t set;
    CHECK(sched_getaffinity(0, sizeof set, &set) == 0);
    printf("affinity: %d CPUs allowed\n", CPU_COUNT(&set));
    CHECK(pin(1) == 0);
    int on1 = 1;
    for (int i = 0; i < 1000; i++) on1 &= sched_getcpu() == 1;
    CHECK(pin(0) == 0);
    int on0 = 1;
    for (int i = 0; i < 1000; i++) on0 &= sched_getcpu() == 0;
    printf("pinned to 1 then 0: stayed %d %d\n", on1, on0);
    CHECK(sched_getaffinity(0, sizeof set, &set) == 0);
    printf("after pinning: %d allowed, cpu 0 %d\n", CPU_COUNT(&set), CPU_ISSET(0, &set) ? 1 : 0);
    CPU_ZERO(&set);
    FAILS(sched_setaffinity(0, sizeof set, &set), EINVAL);
    CPU_SET(60, &set);
    FAILS(sched_setaffinity(0, sizeof set, &set), EINVAL);
    FAILS(syscall(SYS_sched_getaffinity, 0, 4, &set), EINVAL);
    FAILS(syscall(SYS_sched_getaffinity, 999999, sizeof set, &set), ESRCH);
    FAILS(syscall(SYS_sched_getaffinity, 0, sizeof set, (void *)8), EFAULT);
    CPU_ZERO(&set);
    CPU_SET(0, &set);
    CPU_SET(1, &set);
    CHECK(sched_setaffinity(0, sizeof set, &set) == 0);
    printf("affinity errors as Linux\n");
}

/* A thread pinned to the other CPU, which a mapping change must reach. */
static volatile int *watched;
static atomic_int watcher_state;    /* 1 reading, 2 faulted, 3 saw new value */
static sigjmp_buf fault_jump;
static void on_segv(int sig) { (void)sig; siglongjmp(fault_jump, 1); }

static void *watch_page(void *arg)
{
    (void)arg;
    pin(1);
    struct sigaction sa = { .sa_handler = on_segv };
    sigaction(SIGSEGV, &sa, NULL);
    if (sigsetjmp(fault_jump, 1)) {
        atomic_store(&watcher_state, 2);
        return NULL;
    }
    double until = now() + SECONDS_LIMIT;
    int first = *watched;
    atomic_store(&watcher_state, 1);
    while (now() < until) {
        if (*watched != first) {
            atomic_store(&watcher_state, 3);
            return NULL;
        }
    }
    return NULL;
}

static int watch_outcome(void (*change)(void *page), void *page)
{
    atomic_store(&watcher_state, 0);
    watched = page;
    pthread_t t;
    pthread_create(&t, NULL, watch_page, NULL);
    double until = now() + SECONDS_LIMIT;
    while (atomic_load(&watcher_state) == 0 && now() < until) sched_yield();
    /* Let it cache the translation on its CPU, reading in a loop. */
    struct timespec ms = { 0, 20 * 1000 * 1000 };
    nanosleep(&ms, NULL);
    change(page);
    pthread_join(t, NULL);
    return atomic_load(&watcher_state);
}

static void protect_none(void *page) { mprotect(page, 4096, PROT_NONE); }
static void replace_page(void *page)
{
    /* A new page at the same address, holding something else. */
    void *p = mmap(page, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    CHECK(p == page);
    *(volatile int *)p = 2;
}

static void shootdowns(void)
{
    pin(0);
    int *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    *page = 1;
    int s = watch_outcome(protect_none, page);
    printf("mprotect PROT_NONE seen on the other CPU: %s\n", s == 2 ? "fault" : s == 3 ? "changed" : "stale");
    munmap(page, 4096);
    page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    *page = 1;
    s = watch_outcome(replace_page, page);
    printf("page replaced under the other CPU: %s\n", s == 3 ? "new contents" : s == 2 ? "fault" : "stale");
    munmap(page, 4096);
    struct sigaction dfl = { .sa_handler = SIG_DFL };
    sigaction(SIGSEGV, &dfl, NULL);
    unpin();
}

/* 4. A signal to a thread spinning on the other CPU in a loop that never
 * enters the kernel (how Go preempts goroutines): its CPU must be
 * interrupted for the handler to run. */
static volatile sig_atomic_t poked;
static atomic_int spinner_tid, spinner_ready;
static void on_usr1(int sig) { (void)sig; poked = 1; }
static void *spin_until_poked(void *arg)
{
    (void)arg;
    pin(1);
    atomic_store(&spinner_tid, (int)syscall(SYS_gettid));
    atomic_store(&spinner_ready, 1);
    double until = now() + SECONDS_LIMIT;
    unsigned long spins = 0;
    while (!poked) {
        /* now() is the vDSO (no kernel entry); checked rarely. */
        if (++spins % (1ul << 22) == 0 && now() > until) break;
    }
    return NULL;
}

static void signal_to_spinner(void)
{
    struct sigaction sa = { .sa_handler = on_usr1 };
    sigaction(SIGUSR1, &sa, NULL);
    pin(0);
    pthread_t t;
    pthread_create(&t, NULL, spin_until_poked, NULL);
    while (!atomic_load(&spinner_ready)) sched_yield();
    struct timespec ms = { 0, 20 * 1000 * 1000 };
    nanosleep(&ms, NULL);
    syscall(SYS_tgkill, getpid(), atomic_load(&spinner_tid), SIGUSR1);
    pthread_join(t, NULL);
    printf("signal to a thread spinning on the other CPU: %s\n", poked ? "handled" : "never handled");
    unpin();
}

/* 5. Both CPUs write the same page at the same moment, page after page:
 * one fills or copies it, the other's fault must find it done (not a
 * SIGSEGV, and neither write lost to a second page put in its place). Three
 * kinds of first write: a private file mapping whose pages were first read
 * in (copy on write), anonymous memory never touched (zero fill), and a
 * shared mapping of a sparse file (the hole gets its block). */
#define RACE_PAGES 256
static char *race;
static atomic_int race_arrived[RACE_PAGES];
static void *race_writer(void *arg)
{
    int id = (int)(intptr_t)arg;
    pin(id);
    double until = now() + SECONDS_LIMIT;
    for (int i = 0; i < RACE_PAGES; i++) {
        atomic_fetch_add(&race_arrived[i], 1);
        while (atomic_load(&race_arrived[i]) < 2 && now() < until) {}
        race[(size_t)i * 4096 + (size_t)id * 64] = (char)('A' + id);
    }
    return NULL;
}

enum race_kind { RACE_COW, RACE_ANON, RACE_HOLE };

static void first_write_race(enum race_kind kind)
{
    static const char *const what[] = { "copy-on-write", "untouched anonymous", "sparse shared file" };
    size_t len = RACE_PAGES * 4096;
    int fd = -1;
    if (kind == RACE_ANON) {
        race = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    } else {
        fd = open("/tmp/smp_race", O_CREAT | O_RDWR | O_TRUNC, 0600);
        CHECK(fd >= 0 && ftruncate(fd, (off_t)len) == 0);
        race = mmap(NULL, len, PROT_READ | PROT_WRITE, kind == RACE_COW ? MAP_PRIVATE : MAP_SHARED, fd, 0);
    }
    CHECK(race != MAP_FAILED);
    volatile char sum = 0;
    if (kind != RACE_ANON)
        for (int i = 0; i < RACE_PAGES; i++) sum += race[(size_t)i * 4096];   /* the file's pages (or holes) first */
    for (int i = 0; i < RACE_PAGES; i++) atomic_store(&race_arrived[i], 0);
    pthread_t a, b;
    pthread_create(&a, NULL, race_writer, (void *)0);
    pthread_create(&b, NULL, race_writer, (void *)1);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    int good = 0;
    for (int i = 0; i < RACE_PAGES; i++) good += race[(size_t)i * 4096] == 'A' && race[(size_t)i * 4096 + 64] == 'B';
    printf("simultaneous first writes to %d %s pages: %d kept both\n", RACE_PAGES, what[kind], good);
    munmap(race, len);
    if (fd >= 0) {
        close(fd);
        unlink("/tmp/smp_race");
    }
    unpin();
}

/* 6. Both CPUs map at once: no range may be handed to both. */
#define MAPS_EACH 1500
static uintptr_t maps[2][MAPS_EACH];
static atomic_int maps_go;
static void *map_many(void *arg)
{
    int id = (int)(intptr_t)arg;
    pin(id);
    atomic_fetch_add(&maps_go, 1);
    while (atomic_load(&maps_go) < 2) {}
    for (int i = 0; i < MAPS_EACH; i++) {
        char *p = mmap(NULL, 4096 * (1 + i % 3), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        maps[id][i] = p == MAP_FAILED ? 0 : (uintptr_t)p;
        if (p != MAP_FAILED) p[0] = (char)(id + 1);
    }
    return NULL;
}

static int by_address(const void *a, const void *b)
{
    uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;
    return x < y ? -1 : x > y;
}

static void concurrent_maps(void)
{
    pthread_t a, b;
    pthread_create(&a, NULL, map_many, (void *)0);
    pthread_create(&b, NULL, map_many, (void *)1);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    int kept = 0;
    for (int id = 0; id < 2; id++)
        for (int i = 0; i < MAPS_EACH; i++) kept += maps[id][i] && *(char *)maps[id][i] == (char)(id + 1);
    static uintptr_t all[2 * MAPS_EACH];
    memcpy(all, maps[0], sizeof maps[0]);
    memcpy(all + MAPS_EACH, maps[1], sizeof maps[1]);
    qsort(all, 2 * MAPS_EACH, sizeof all[0], by_address);
    int shared = 0;
    for (int i = 1; i < 2 * MAPS_EACH; i++) shared += all[i] && all[i] == all[i - 1];
    printf("mmap from both CPUs at once: %d of %d kept their own byte, %d addresses given twice\n", kept, 2 * MAPS_EACH, shared);
    for (int id = 0; id < 2; id++)
        for (int i = 0; i < MAPS_EACH; i++)
            if (maps[id][i]) munmap((void *)maps[id][i], 4096 * (1 + i % 3));
    unpin();
}

/* 7. Atomics from both CPUs, and a mutex handed between them. */
#define ADDS 200000
static atomic_long total;
static long plain_total;
static pthread_mutex_t plain_lock = PTHREAD_MUTEX_INITIALIZER;
static void *add_up(void *arg)
{
    pin((int)(intptr_t)arg);
    for (int i = 0; i < ADDS; i++) {
        atomic_fetch_add(&total, 1);
        if (i % 16 == 0) {
            pthread_mutex_lock(&plain_lock);
            plain_total++;
            pthread_mutex_unlock(&plain_lock);
        }
    }
    return NULL;
}

static void counters(void)
{
    pthread_t a, b;
    pthread_create(&a, NULL, add_up, (void *)0);
    pthread_create(&b, NULL, add_up, (void *)1);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    printf("atomic total %ld, locked total %ld\n", atomic_load(&total), plain_total);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("online CPUs: %ld\n", sysconf(_SC_NPROCESSORS_ONLN));
    parallel_threads();
    affinity();
    shootdowns();
    signal_to_spinner();
    first_write_race(RACE_COW);
    first_write_race(RACE_ANON);
    first_write_race(RACE_HOLE);
    concurrent_maps();
    counters();
    long r = syscall(SYS_membarrier, 0, 0, 0);
    CHECK(r >= 0);
    CHECK(syscall(SYS_membarrier, 8, 0, 0) == 0 || errno == EPERM);
    printf("smp: %s\n", failures ? "FAILED" : "all checks passed");
    return failures != 0;
}
