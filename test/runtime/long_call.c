/* A long system call must not keep its CPU from a thread queued behind it.
 * The kernel is not preempted, so a long loop inside it (here sendfile of
 * 1 GiB of /dev/zero to /dev/null, seconds under TCG) has to offer the CPU
 * between its steps; else a thread woken on that CPU waits for all of it
 * (no busy CPU takes work from another). Both threads are pinned to CPU 0,
 * so the counter can only run if the copy lets it. On Linux the same lines:
 * its kernel reschedules inside long copies too. */
#define _GNU_SOURCE
#include "checks.h"
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <sys/sendfile.h>
#include <time.h>
#include <unistd.h>

static atomic_ulong counted;
static atomic_int stop, copying;
/* When the counter ran while a copy was under way, at most one entry a
 * millisecond: main looks for one in the first half of its call. */
#define STAMPS 4096
static unsigned long long stamps[STAMPS];
static atomic_uint nstamps;

static unsigned long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void *count(void *unused)
{
    (void)unused;
    unsigned long long last = 0;
    while (!atomic_load(&stop)) {
        atomic_fetch_add(&counted, 1);
        if (!atomic_load(&copying)) continue;
        unsigned long long t = now_ns();
        if (t - last < 1000000) continue;
        last = t;
        unsigned i = atomic_fetch_add(&nstamps, 1);
        if (i < STAMPS) stamps[i] = t;
    }
    return NULL;
}

/* The counter ran in [from, to): a stamp taken before a copy began (the
 * counter was switched out between its look at the flag and its clock)
 * is older than from, and one from the switch on the way out of the call
 * is later than to. */
static int ran_between(unsigned long long from, unsigned long long to)
{
    unsigned n = atomic_load(&nstamps);
    for (unsigned i = 0; i < n && i < STAMPS; i++)
        if (stamps[i] >= from && stamps[i] < to) return 1;
    return 0;
}

int main(void)
{
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(0, &one);
    CHECK(sched_setaffinity(0, sizeof one, &one) == 0);     /* the counter inherits it */
    int in = open("/dev/zero", O_RDONLY), out = open("/dev/null", O_WRONLY);
    CHECK(in >= 0 && out >= 0);
    pthread_t th;
    CHECK(pthread_create(&th, NULL, count, NULL) == 0);
    while (atomic_load(&counted) == 0) sched_yield();

    /* The counter must run in the first half of the call: a switch on the
     * way out of it (the slice ran out meanwhile) lets it run too, but only
     * once the copy is done. Up to 4 GiB in all: one 1 GiB call is enough
     * where the kernel offers the CPU; without that none is, and the bound
     * ends the test. */
    int ran = 0;
    for (int round = 0; round < 4 && !ran; round++) {
        unsigned long long start = now_ns();
        atomic_store(&copying, 1);
        ssize_t n = sendfile(out, in, NULL, 1ul << 30);
        atomic_store(&copying, 0);
        unsigned long long end = now_ns();
        CHECK(n > 0);
        ran = ran_between(start, start + (end - start) / 2);
    }
    printf("the other thread ran during a long sendfile: %s\n", ran ? "yes" : "no");
    atomic_store(&stop, 1);
    CHECK(pthread_join(th, NULL) == 0);
    printf("long_call: %s\n", failures ? "FAILED" : "ok");
    return failures != 0;
}
