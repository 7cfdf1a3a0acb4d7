/* Threads on Pith (issue 9): pthread_create/join, mutexes, condition
 * variables, barriers, TLS, FPU state kept per thread across preemption, a
 * read blocked on a pipe, sleepers beside a spinner. Every line is the same
 * on Linux; nothing printed depends on timing. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>

static int failures;
#define CHECK(cond, ...) do { if (!(cond)) { printf("FAILED: " __VA_ARGS__); printf("\n"); failures++; } } while (0)

/* 1. Many threads, one mutex-protected counter. */
#define COUNTER_THREADS 50
#define COUNTER_ROUNDS 2000
static pthread_mutex_t counter_lock = PTHREAD_MUTEX_INITIALIZER;
static long counter;
static void *count_up(void *arg)
{
    for (int i = 0; i < COUNTER_ROUNDS; i++) {
        pthread_mutex_lock(&counter_lock);
        counter++;
        pthread_mutex_unlock(&counter_lock);
        if (i % 500 == 0) sched_yield();
    }
    return (void *)((intptr_t)arg * 3);   /* join's value */
}

static void test_counter(void)
{
    pthread_t t[COUNTER_THREADS];
    for (intptr_t i = 0; i < COUNTER_THREADS; i++)
        CHECK(pthread_create(&t[i], NULL, count_up, (void *)i) == 0, "pthread_create %ld", (long)i);
    long joined = 0;
    for (int i = 0; i < COUNTER_THREADS; i++) {
        void *ret;
        CHECK(pthread_join(t[i], &ret) == 0, "pthread_join %d", i);
        joined += (intptr_t)ret;
    }
    printf("counter %ld (expected %d)\n", counter, COUNTER_THREADS * COUNTER_ROUNDS);
    printf("join values sum %ld\n", joined);
}

/* 2. Condition-variable ping-pong between two threads. */
#define PINGPONG_ROUNDS 1000
static pthread_mutex_t pp_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pp_cond = PTHREAD_COND_INITIALIZER;
static int pp_turn, pp_hits[2];
static void *ping_pong(void *arg)
{
    int me = (int)(intptr_t)arg;
    for (int i = 0; i < PINGPONG_ROUNDS; i++) {
        pthread_mutex_lock(&pp_lock);
        while (pp_turn != me) pthread_cond_wait(&pp_cond, &pp_lock);
        pp_hits[me]++;
        pp_turn = 1 - me;
        pthread_cond_broadcast(&pp_cond);
        pthread_mutex_unlock(&pp_lock);
    }
    return NULL;
}

static void test_pingpong(void)
{
    pthread_t a, b;
    pthread_create(&a, NULL, ping_pong, (void *)0);
    pthread_create(&b, NULL, ping_pong, (void *)1);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    printf("pingpong %d %d\n", pp_hits[0], pp_hits[1]);
}

/* 3. A barrier, several rounds: nobody starts round r+1 before all ended r. */
#define BARRIER_THREADS 8
#define BARRIER_ROUNDS 5
static pthread_barrier_t barrier;
static int round_done[BARRIER_ROUNDS];
static int barrier_errors;
static pthread_mutex_t barrier_lock = PTHREAD_MUTEX_INITIALIZER;
static void *barrier_worker(void *arg)
{
    (void)arg;
    for (int r = 0; r < BARRIER_ROUNDS; r++) {
        pthread_mutex_lock(&barrier_lock);
        round_done[r]++;
        pthread_mutex_unlock(&barrier_lock);
        pthread_barrier_wait(&barrier);
        pthread_mutex_lock(&barrier_lock);
        if (round_done[r] != BARRIER_THREADS) barrier_errors++;
        pthread_mutex_unlock(&barrier_lock);
        pthread_barrier_wait(&barrier);
    }
    return NULL;
}

static void test_barrier(void)
{
    pthread_t t[BARRIER_THREADS];
    pthread_barrier_init(&barrier, NULL, BARRIER_THREADS);
    for (int i = 0; i < BARRIER_THREADS; i++) pthread_create(&t[i], NULL, barrier_worker, NULL);
    for (int i = 0; i < BARRIER_THREADS; i++) pthread_join(t[i], NULL);
    printf("barrier rounds %d errors %d\n", BARRIER_ROUNDS, barrier_errors);
}

/* 4. TLS: each thread's own copy, kept across switches; distinct tids. */
static __thread long tls_value = 42;
#define TLS_THREADS 10
static pid_t tids[TLS_THREADS];
static void *tls_worker(void *arg)
{
    long id = (long)(intptr_t)arg;
    long before = tls_value;
    tls_value = id * 1000;
    tids[id] = (pid_t)syscall(SYS_gettid);
    struct timespec ts = { 0, 2000000 };
    nanosleep(&ts, NULL);
    sched_yield();
    return (void *)(intptr_t)(before == 42 && tls_value == id * 1000);
}

static void test_tls(void)
{
    pthread_t t[TLS_THREADS];
    for (intptr_t i = 0; i < TLS_THREADS; i++) pthread_create(&t[i], NULL, tls_worker, (void *)i);
    int good = 0;
    for (int i = 0; i < TLS_THREADS; i++) {
        void *ret;
        pthread_join(t[i], &ret);
        good += (int)(intptr_t)ret;
    }
    int distinct = 1;
    pid_t me = (pid_t)syscall(SYS_gettid);
    for (int i = 0; i < TLS_THREADS; i++) {
        if (tids[i] <= 0 || tids[i] == me) distinct = 0;
        for (int j = 0; j < i; j++)
            if (tids[i] == tids[j]) distinct = 0;
    }
    printf("tls %d of %d threads kept their own value; main still %ld\n", good, TLS_THREADS, tls_value);
    printf("tids distinct: %s; main tid is pid: %s\n", distinct ? "yes" : "no", me == getpid() ? "yes" : "no");
}

/* 5. FPU/SSE state per thread: each thread sets its own SSE rounding mode
 * and sums a series long enough to be preempted many times; a mixed-up
 * MXCSR or XMM register changes the last bits of the sum. */
#define MXCSR_NEAREST 0x1f80u
#define MXCSR_DOWN 0x3f80u
#define MXCSR_UP 0x5f80u
#define FPU_TERMS 3000000
struct fpu_job {
    unsigned mxcsr;
    double result;
};

static double series(unsigned mxcsr)
{
    unsigned saved;
    __asm__ volatile("stmxcsr %0" : "=m"(saved));
    __asm__ volatile("ldmxcsr %0" : : "m"(mxcsr));
    volatile double sum = 0;
    for (int i = 1; i <= FPU_TERMS; i++) sum += 1.0 / ((double)i * (double)i);
    double r = sum;
    __asm__ volatile("ldmxcsr %0" : : "m"(saved));
    return r;
}

static void *fpu_worker(void *arg)
{
    struct fpu_job *j = arg;
    j->result = series(j->mxcsr);
    return NULL;
}

static void test_fpu(void)
{
    unsigned modes[3] = { MXCSR_DOWN, MXCSR_UP, MXCSR_NEAREST };
    double alone[3];
    for (int i = 0; i < 3; i++) alone[i] = series(modes[i]);
    struct fpu_job jobs[3];
    pthread_t t[3];
    for (int i = 0; i < 3; i++) {
        jobs[i].mxcsr = modes[i];
        pthread_create(&t[i], NULL, fpu_worker, &jobs[i]);
    }
    for (int i = 0; i < 3; i++) pthread_join(t[i], NULL);
    int same = 0;
    for (int i = 0; i < 3; i++) same += memcmp(&alone[i], &jobs[i].result, sizeof(double)) == 0;
    printf("fpu: %d of 3 concurrent sums equal their lone runs; rounding modes differ: %s\n", same,
           alone[0] < alone[1] ? "yes" : "no");
}

/* 6. A read blocked on a pipe, woken by another thread's write. */
static int pipe_fds[2];
static void *pipe_reader(void *arg)
{
    static char buf[32];
    (void)arg;
    ssize_t n = read(pipe_fds[0], buf, sizeof buf - 1);
    if (n < 0) n = 0;
    buf[n] = 0;
    return buf;
}

static void test_pipe(void)
{
    pipe(pipe_fds);
    pthread_t t;
    pthread_create(&t, NULL, pipe_reader, NULL);
    struct timespec ts = { 0, 30000000 };
    nanosleep(&ts, NULL);   /* let the reader block first (either order must work) */
    write(pipe_fds[1], "through the pipe", 16);
    void *ret;
    pthread_join(t, &ret);
    printf("pipe reader got '%s'\n", (char *)ret);
    close(pipe_fds[0]);
    close(pipe_fds[1]);
}

/* 7. Sleepers while another thread spins: only preemption lets the
 * spinner see them all finish on one CPU. */
#define SLEEPERS 4
static int sleepers_done;
static void *sleeper(void *arg)
{
    (void)arg;
    for (int i = 0; i < 5; i++) {
        struct timespec ts = { 0, 5000000 };
        nanosleep(&ts, NULL);
    }
    __atomic_fetch_add(&sleepers_done, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

static void *spinner(void *arg)
{
    (void)arg;
    unsigned long spins = 0;
    while (__atomic_load_n(&sleepers_done, __ATOMIC_SEQ_CST) < SLEEPERS) spins++;
    return (void *)(intptr_t)(spins > 0);
}

static void test_sleep_and_spin(void)
{
    pthread_t s[SLEEPERS], sp;
    pthread_create(&sp, NULL, spinner, NULL);
    for (int i = 0; i < SLEEPERS; i++) pthread_create(&s[i], NULL, sleeper, NULL);
    for (int i = 0; i < SLEEPERS; i++) pthread_join(s[i], NULL);
    void *ret;
    pthread_join(sp, &ret);
    printf("sleepers done %d, spinner saw it: %s\n", sleepers_done, ret ? "yes" : "no");
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    test_counter();
    test_pingpong();
    test_barrier();
    test_tls();
    test_fpu();
    test_pipe();
    test_sleep_and_spin();
    printf("threads: %s\n", failures ? "FAILED" : "all checks passed");
    return failures != 0;
}
