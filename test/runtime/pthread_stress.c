/* Many threads on every pthread primitive at once (issue 9 item 8): each
 * phase ends in a count that only comes out right if the primitive excluded,
 * woke and ordered as it must, so the lines are the same on Linux and in
 * Pith, however the threads were scheduled. `make test` runs it once per
 * libc; `make test-long` runs it 20 times in a row with --cpus 2
 * (test/stress/tests.sh).
 *
 *   pthread_stress [THREADS [ITERATIONS]]   (default 200 threads, 2000)
 *
 * Now and then a thread yields while it holds a mutex or the write lock, so
 * that on one CPU too the others find it taken and go to sleep on it. */
#include "checks.h"
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_THREADS 1000

static int nthreads = 200, iterations = 2000;

/* mutex: a plain counter, and a second one only valid if nobody else ran
 * between the read and the write. */
static pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
static long mutex_count;

/* spinlock */
static pthread_spinlock_t spin;
static long spin_count;

/* rwlock: writers keep a == b; readers must never see them apart. */
static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static long rw_a, rw_b, rw_torn, rw_reads;

/* condvar: a bounded queue, producers and consumers. */
#define QUEUE_SIZE 16
static pthread_mutex_t q_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t q_not_empty = PTHREAD_COND_INITIALIZER, q_not_full = PTHREAD_COND_INITIALIZER;
static long queue[QUEUE_SIZE];
static int q_head, q_len;
static long q_items_left;          /* items consumers still have to take */
static long q_sum;

/* barrier: every round each thread adds its number; the serial thread
 * checks the round's sum once everyone has added. */
#define ROUNDS 20
static pthread_barrier_t barrier;
static long round_sum[ROUNDS];
static int serial_count, round_errors;

/* TLS: each thread's own counter, and where it lives. */
static __thread long tls_counter;
static __thread int tls_initialised = 7;
static uintptr_t tls_address[MAX_THREADS];
static int tls_bad;

static void queue_put(long v)
{
    pthread_mutex_lock(&q_lock);
    while (q_len == QUEUE_SIZE) pthread_cond_wait(&q_not_full, &q_lock);
    queue[(q_head + q_len++) % QUEUE_SIZE] = v;
    pthread_cond_signal(&q_not_empty);
    pthread_mutex_unlock(&q_lock);
}

/* Takes one item; false once every item has been taken. */
static int queue_take(long *v)
{
    pthread_mutex_lock(&q_lock);
    while (q_len == 0 && q_items_left > 0) pthread_cond_wait(&q_not_empty, &q_lock);
    if (q_items_left == 0) {
        pthread_mutex_unlock(&q_lock);
        return 0;
    }
    *v = queue[q_head];
    q_head = (q_head + 1) % QUEUE_SIZE;
    q_len--;
    if (--q_items_left == 0) pthread_cond_broadcast(&q_not_empty);   /* the other consumers end */
    pthread_cond_signal(&q_not_full);
    pthread_mutex_unlock(&q_lock);
    return 1;
}

static void *worker(void *arg)
{
    int id = (int)(intptr_t)arg;
    if (tls_counter != 0 || tls_initialised != 7) __atomic_add_fetch(&tls_bad, 1, __ATOMIC_RELAXED);
    tls_address[id] = (uintptr_t)&tls_counter;

    for (int i = 0; i < iterations; i++) {
        pthread_mutex_lock(&mutex);
        mutex_count++;
        if (i % 128 == id % 128) sched_yield();
        pthread_mutex_unlock(&mutex);
        pthread_spin_lock(&spin);
        spin_count++;
        pthread_spin_unlock(&spin);
        tls_counter++;
    }

    /* One thread in four writes, the rest read. */
    for (int i = 0; i < iterations; i++) {
        if (id % 4 == 0) {
            pthread_rwlock_wrlock(&rw);
            rw_a++;
            if (i % 64 == 0) sched_yield();
            rw_b++;
            pthread_rwlock_unlock(&rw);
        } else {
            pthread_rwlock_rdlock(&rw);
            if (rw_a != rw_b) __atomic_add_fetch(&rw_torn, 1, __ATOMIC_RELAXED);
            __atomic_add_fetch(&rw_reads, 1, __ATOMIC_RELAXED);
            pthread_rwlock_unlock(&rw);
        }
    }

    /* Even threads produce `iterations` items each, odd ones consume. */
    if (id % 2 == 0) {
        for (int i = 0; i < iterations; i++) queue_put(id * 1000L + i);
    } else {
        long v, sum = 0;
        while (queue_take(&v)) sum += v;
        pthread_mutex_lock(&q_lock);
        q_sum += sum;
        pthread_mutex_unlock(&q_lock);
    }

    for (int r = 0; r < ROUNDS; r++) {
        __atomic_add_fetch(&round_sum[r], id + 1, __ATOMIC_RELAXED);
        int s = pthread_barrier_wait(&barrier);
        if (s == PTHREAD_BARRIER_SERIAL_THREAD) {
            __atomic_add_fetch(&serial_count, 1, __ATOMIC_RELAXED);
            long want = (long)nthreads * (nthreads + 1) / 2;
            if (__atomic_load_n(&round_sum[r], __ATOMIC_RELAXED) != want) __atomic_add_fetch(&round_errors, 1, __ATOMIC_RELAXED);
        } else if (s != 0) {
            __atomic_add_fetch(&round_errors, 1, __ATOMIC_RELAXED);
        }
        pthread_barrier_wait(&barrier);   /* the check is done before anyone starts the next round */
    }
    return (void *)tls_counter;
}

static int compare_addresses(const void *a, const void *b)
{
    uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc > 1) nthreads = atoi(argv[1]);
    if (argc > 2) iterations = atoi(argv[2]);
    if (nthreads < 2 || nthreads > MAX_THREADS || nthreads % 4 || iterations < 1) {
        fprintf(stderr, "usage: pthread_stress [THREADS (a multiple of 4, <= %d) [ITERATIONS]]\n", MAX_THREADS);
        return 2;
    }
    CHECK(pthread_spin_init(&spin, PTHREAD_PROCESS_PRIVATE) == 0);
    CHECK(pthread_barrier_init(&barrier, NULL, (unsigned)nthreads) == 0);
    q_items_left = (long)(nthreads / 2) * iterations;

    static pthread_t threads[MAX_THREADS];
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 64 * 1024);   /* 200 threads: small stacks, as servers use */
    int created = 0;
    for (int i = 0; i < nthreads; i++)
        if (pthread_create(&threads[i], &attr, worker, (void *)(intptr_t)i) == 0) created++;
    CHECK(created == nthreads);
    long tls_total = 0;
    int joined = 0;
    for (int i = 0; i < created; i++) {
        void *ret;
        if (pthread_join(threads[i], &ret) == 0) {
            joined++;
            tls_total += (long)ret;
        }
    }
    printf("threads: %d created, %d joined\n", created, joined);

    long want = (long)nthreads * iterations;
    printf("mutex: %ld (expected %ld)\n", mutex_count, want);
    CHECK(mutex_count == want);
    printf("spinlock: %ld (expected %ld)\n", spin_count, want);
    CHECK(spin_count == want);

    long writes = (long)(nthreads / 4) * iterations, reads = want - writes;
    printf("rwlock: %ld writes, %ld reads, %ld torn\n", rw_a, rw_reads, rw_torn);
    CHECK(rw_a == writes && rw_b == writes && rw_reads == reads && rw_torn == 0);

    /* Producer p sends p*1000+i for i < iterations. */
    long q_want = 0;
    for (int p = 0; p < nthreads; p += 2) q_want += p * 1000L * iterations + (long)iterations * (iterations - 1) / 2;
    printf("condvar queue: sum %ld (expected %ld), %d left\n", q_sum, q_want, q_len);
    CHECK(q_sum == q_want && q_len == 0);

    printf("barrier: %d rounds, %d serial threads, %d errors\n", ROUNDS, serial_count, round_errors);
    CHECK(serial_count == ROUNDS && round_errors == 0);

    qsort(tls_address, (size_t)nthreads, sizeof tls_address[0], compare_addresses);
    int distinct = 1;
    for (int i = 1; i < nthreads; i++) distinct += tls_address[i] != tls_address[i - 1];
    printf("tls: %d distinct counters, sum %ld (expected %ld), %d started wrong, main's %ld\n", distinct,
           tls_total, want, tls_bad, tls_counter);
    CHECK(distinct == nthreads && tls_total == want && tls_bad == 0 && tls_counter == 0);

    CHECK(pthread_barrier_destroy(&barrier) == 0);
    CHECK(pthread_spin_destroy(&spin) == 0);
    if (failures) {
        printf("pthread_stress: %d checks failed\n", failures);
        return 1;
    }
    printf("pthread_stress: all checks passed\n");
    return 0;
}
