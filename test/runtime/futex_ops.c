/* futex operations with two threads: requeue moves waiters, CMP_REQUEUE,
 * WAKE_OP, bitsets, futex_waitv, the PI word protocol, bad addresses. Only
 * deterministic results are printed: the same binary prints the same lines
 * on Linux. A waiter is "parked" once the main thread sees it in the
 * kernel, which it learns by polling with short sleeps. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* Linux's values (linux/futex.h, which musl's headers lack). */
#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_PRIVATE_FLAG 128
#define FUTEX_CLOCK_REALTIME 256
#define FUTEX_WAIT_PRIVATE (0 | FUTEX_PRIVATE_FLAG)
#define FUTEX_WAKE_PRIVATE (1 | FUTEX_PRIVATE_FLAG)
#define FUTEX_REQUEUE_PRIVATE (3 | FUTEX_PRIVATE_FLAG)
#define FUTEX_CMP_REQUEUE_PRIVATE (4 | FUTEX_PRIVATE_FLAG)
#define FUTEX_WAKE_OP_PRIVATE (5 | FUTEX_PRIVATE_FLAG)
#define FUTEX_LOCK_PI_PRIVATE (6 | FUTEX_PRIVATE_FLAG)
#define FUTEX_UNLOCK_PI_PRIVATE (7 | FUTEX_PRIVATE_FLAG)
#define FUTEX_TRYLOCK_PI_PRIVATE (8 | FUTEX_PRIVATE_FLAG)
#define FUTEX_WAIT_BITSET_PRIVATE (9 | FUTEX_PRIVATE_FLAG)
#define FUTEX_WAKE_BITSET_PRIVATE (10 | FUTEX_PRIVATE_FLAG)
#define FUTEX_32 2
#define FUTEX_WAITERS 0x80000000u
#define FUTEX_TID_MASK 0x3fffffffu
#define FUTEX_OP_SET 0
#define FUTEX_OP_ADD 1
#define FUTEX_OP_OR 2
#define FUTEX_OP_ANDN 3
#define FUTEX_OP_XOR 4
#define FUTEX_OP_OPARG_SHIFT 8
#define FUTEX_OP_CMP_EQ 0
#define FUTEX_OP_CMP_NE 1
#define FUTEX_OP_CMP_LT 2
#define FUTEX_OP_CMP_LE 3
#define FUTEX_OP_CMP_GT 4
#define FUTEX_OP_CMP_GE 5
#define FUTEX_OP(op, oparg, cmp, cmparg) \
    ((((op) & 0xf) << 28) | (((cmp) & 0xf) << 24) | (((oparg) & 0xfff) << 12) | ((cmparg) & 0xfff))

#include "checks.h"

static long fx(uint32_t *a, int op, uint32_t val, uintptr_t t, uint32_t *a2, uint32_t v3)
{
    return syscall(SYS_futex, a, op, val, t, a2, v3);
}

static void nap(void) { usleep(20000); }

struct waitarg {
    uint32_t *word;
    uint32_t val;
    int op;
    uint32_t bitset;
    long ret;
    int err;
    volatile int done;
};

static void *waiter(void *p)
{
    struct waitarg *w = p;
    w->ret = fx(w->word, w->op, w->val, 0, NULL, w->bitset);
    w->err = errno;
    w->done = 1;
    return NULL;
}

static pthread_t start(struct waitarg *w)
{
    pthread_t t;
    pthread_create(&t, NULL, waiter, w);
    nap();
    return t;
}

static void test_requeue(void)
{
    uint32_t a = 0, b = 0;
    struct waitarg w1 = { .word = &a, .val = 0, .op = FUTEX_WAIT_PRIVATE, .bitset = 0 }, w2 = { .word = &a, .val = 0, .op = FUTEX_WAIT_PRIVATE, .bitset = 0 };
    pthread_t t1 = start(&w1), t2 = start(&w2);
    /* Wake one, move one to b. */
    CHECK(fx(&a, FUTEX_REQUEUE_PRIVATE, 1, 1, &b, 0) == 2);
    nap();
    CHECK(w1.done + w2.done == 1);
    /* The moved one is on b now: a wake on a finds nobody. */
    CHECK(fx(&a, FUTEX_WAKE_PRIVATE, 1, 0, NULL, 0) == 0);
    CHECK(fx(&b, FUTEX_WAKE_PRIVATE, 1, 0, NULL, 0) == 1);
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    CHECK(w1.ret == 0 && w2.ret == 0);

    struct waitarg w3 = { .word = &a, .val = 0, .op = FUTEX_WAIT_PRIVATE, .bitset = 0 };
    pthread_t t3 = start(&w3);
    errno = 0;
    CHECK(fx(&a, FUTEX_CMP_REQUEUE_PRIVATE, 0, 1, &b, 5) == -1 && errno == EAGAIN);
    CHECK(fx(&a, FUTEX_CMP_REQUEUE_PRIVATE, 0, 1, &b, 0) == 1);   /* moved, not woken */
    nap();
    CHECK(!w3.done);
    CHECK(fx(&b, FUTEX_WAKE_PRIVATE, 1, 0, NULL, 0) == 1);
    pthread_join(t3, NULL);
    errno = 0;
    CHECK(fx(&a, FUTEX_CMP_REQUEUE_PRIVATE, (uint32_t)-1, 1, &b, 0) == -1 && errno == EINVAL);
    printf("requeue: moved waiters woken on the second word\n");
}

static void test_wake_op(void)
{
    uint32_t a = 0, b = 5;
    struct waitarg w1 = { .word = &a, .val = 0, .op = FUTEX_WAIT_PRIVATE, .bitset = 0 }, w2 = { .word = &b, .val = 5, .op = FUTEX_WAIT_PRIVATE, .bitset = 0 };
    pthread_t t1 = start(&w1), t2 = start(&w2);
    /* b += 3 (old 5); wake b's waiters too if old > 4. Waking b's waiter
     * with b changed is fine: it was already in the kernel. */
    CHECK(fx(&a, FUTEX_WAKE_OP_PRIVATE, 1, 1, &b, FUTEX_OP(FUTEX_OP_ADD, 3, FUTEX_OP_CMP_GT, 4)) == 2);
    CHECK(b == 8);
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    /* Each op and comparison, no waiters. */
    b = 0xf0;
    CHECK(fx(&a, FUTEX_WAKE_OP_PRIVATE, 1, 1, &b, FUTEX_OP(FUTEX_OP_SET, 7, FUTEX_OP_CMP_EQ, 0xf0)) == 0 && b == 7);
    CHECK(fx(&a, FUTEX_WAKE_OP_PRIVATE, 1, 1, &b, FUTEX_OP(FUTEX_OP_OR, 8, FUTEX_OP_CMP_NE, 7)) == 0 && b == 15);
    CHECK(fx(&a, FUTEX_WAKE_OP_PRIVATE, 1, 1, &b, FUTEX_OP(FUTEX_OP_ANDN, 1, FUTEX_OP_CMP_LT, 0)) == 0 && b == 14);
    CHECK(fx(&a, FUTEX_WAKE_OP_PRIVATE, 1, 1, &b, FUTEX_OP(FUTEX_OP_XOR, 0xff, FUTEX_OP_CMP_LE, 14)) == 0 && b == 0xf1);
    CHECK(fx(&a, FUTEX_WAKE_OP_PRIVATE, 1, 1, &b, FUTEX_OP(FUTEX_OP_SET | FUTEX_OP_OPARG_SHIFT, 4, FUTEX_OP_CMP_GE, 0)) == 0 && b == 16);
    b = 0;
    CHECK(fx(&a, FUTEX_WAKE_OP_PRIVATE, 1, 1, &b, FUTEX_OP(FUTEX_OP_ADD, -1, FUTEX_OP_CMP_EQ, 0)) == 0 && b == 0xffffffffu);
    errno = 0;
    CHECK(fx(&a, FUTEX_WAKE_OP_PRIVATE, 1, 1, &b, (7u << 28)) == -1 && errno == ENOSYS);
    errno = 0;
    CHECK(fx(&a, FUTEX_WAKE_OP_PRIVATE, 1, 1, &b, FUTEX_OP(FUTEX_OP_SET, 3, 9, 0)) == -1 && errno == ENOSYS && b == 3);
    printf("wake_op: b=%u\n", b);
}

static void test_bitset(void)
{
    uint32_t a = 0;
    struct waitarg w1 = { .word = &a, .val = 0, .op = FUTEX_WAIT_BITSET_PRIVATE, .bitset = 1 }, w2 = { .word = &a, .val = 0, .op = FUTEX_WAIT_BITSET_PRIVATE, .bitset = 2 };
    pthread_t t1 = start(&w1), t2 = start(&w2);
    CHECK(fx(&a, FUTEX_WAKE_BITSET_PRIVATE, 10, 0, NULL, 4) == 0);
    CHECK(fx(&a, FUTEX_WAKE_BITSET_PRIVATE, 10, 0, NULL, 2) == 1);
    nap();
    CHECK(w2.done && !w1.done);
    CHECK(fx(&a, FUTEX_WAKE_PRIVATE, 10, 0, NULL, 0) == 1);
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    errno = 0;
    CHECK(fx(&a, FUTEX_WAKE_BITSET_PRIVATE, 1, 0, NULL, 0) == -1 && errno == EINVAL);
    errno = 0;
    CHECK(fx(&a, FUTEX_WAIT_BITSET_PRIVATE, 0, 0, NULL, 0) == -1 && errno == EINVAL);
    /* Absolute timeouts on both clocks. */
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_nsec += 10000000;
    if (ts.tv_nsec >= 1000000000) ts.tv_sec++, ts.tv_nsec -= 1000000000;
    errno = 0;
    CHECK(fx(&a, FUTEX_WAIT_BITSET_PRIVATE, 0, (uintptr_t)&ts, NULL, ~0u) == -1 && errno == ETIMEDOUT);
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 10000000;
    if (ts.tv_nsec >= 1000000000) ts.tv_sec++, ts.tv_nsec -= 1000000000;
    errno = 0;
    CHECK(fx(&a, FUTEX_WAIT_BITSET_PRIVATE | FUTEX_CLOCK_REALTIME, 0, (uintptr_t)&ts, NULL, ~0u) == -1 && errno == ETIMEDOUT);
    errno = 0;
    CHECK(fx(&a, FUTEX_WAIT | FUTEX_CLOCK_REALTIME, 0, (uintptr_t)&ts, NULL, 0) == -1 && errno == ENOSYS);
    struct timespec rel = { 0, 5000000 };
    errno = 0;
    CHECK(fx(&a, FUTEX_WAIT_PRIVATE, 0, (uintptr_t)&rel, NULL, 0) == -1 && errno == ETIMEDOUT);
    printf("bitset: matching wakes only\n");
}

struct fw2 {
    uint64_t val, uaddr;
    uint32_t flags, reserved;
};

static uint32_t wv[3];
static long waitv_ret;
static void *waitv_thread(void *p)
{
    struct fw2 *v = p;
    waitv_ret = syscall(449, v, 3, 0, NULL, 0);
    return NULL;
}

static void test_waitv(void)
{
    struct fw2 v[3];
    for (int i = 0; i < 3; i++) v[i] = (struct fw2){ 0, (uintptr_t)&wv[i], FUTEX_32 | FUTEX_PRIVATE_FLAG, 0 };
    pthread_t t;
    pthread_create(&t, NULL, waitv_thread, v);
    nap();
    CHECK(fx(&wv[2], FUTEX_WAKE_PRIVATE, 1, 0, NULL, 0) == 1);
    pthread_join(t, NULL);
    printf("waitv: woke index %ld\n", waitv_ret);
    wv[1] = 1;
    errno = 0;
    CHECK(syscall(449, v, 3, 0, NULL, 0) == -1 && errno == EAGAIN);
    wv[1] = 0;
    errno = 0;
    CHECK(syscall(449, v, 0, 0, NULL, 0) == -1 && errno == EINVAL);
    CHECK(syscall(449, v, 129, 0, NULL, 0) == -1 && errno == EINVAL);
    CHECK(syscall(449, v, 3, 1, NULL, 0) == -1 && errno == EINVAL);
    v[0].flags = FUTEX_PRIVATE_FLAG;   /* no size */
    errno = 0;
    CHECK(syscall(449, v, 3, 0, NULL, 0) == -1 && errno == EINVAL);
    v[0].flags = FUTEX_32;
    v[0].uaddr = 8;
    errno = 0;
    CHECK(syscall(449, v, 3, 0, NULL, 0) == -1 && errno == EFAULT);
    v[0].uaddr = (uintptr_t)&wv[0] + 1;
    errno = 0;
    CHECK(syscall(449, v, 3, 0, NULL, 0) == -1 && errno == EINVAL);
    errno = 0;
    CHECK(syscall(449, (void *)8, 3, 0, NULL, 0) == -1 && errno == EFAULT);
    v[0].uaddr = (uintptr_t)&wv[0];
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_nsec += 10000000;
    if (ts.tv_nsec >= 1000000000) ts.tv_sec++, ts.tv_nsec -= 1000000000;
    errno = 0;
    CHECK(syscall(449, v, 3, 0, &ts, CLOCK_MONOTONIC) == -1 && errno == ETIMEDOUT);
    errno = 0;
    CHECK(syscall(449, v, 3, 0, &ts, CLOCK_BOOTTIME) == -1 && errno == EINVAL);
}

static uint32_t pi;
static volatile int pi_got;
static void *pi_thread(void *unused)
{
    (void)unused;
    pi_got = fx(&pi, FUTEX_LOCK_PI_PRIVATE, 0, 0, NULL, 0) == 0 && (pi & FUTEX_TID_MASK) == (uint32_t)syscall(SYS_gettid) ? 1 : -1;
    CHECK(fx(&pi, FUTEX_UNLOCK_PI_PRIVATE, 0, 0, NULL, 0) == 0);
    return NULL;
}

static void test_pi(void)
{
    uint32_t tid = (uint32_t)syscall(SYS_gettid);
    CHECK(fx(&pi, FUTEX_TRYLOCK_PI_PRIVATE, 0, 0, NULL, 0) == 0 && pi == tid);
    errno = 0;
    CHECK(fx(&pi, FUTEX_LOCK_PI_PRIVATE, 0, 0, NULL, 0) == -1 && errno == EDEADLK);
    CHECK(fx(&pi, FUTEX_UNLOCK_PI_PRIVATE, 0, 0, NULL, 0) == 0 && pi == 0);
    errno = 0;
    CHECK(fx(&pi, FUTEX_UNLOCK_PI_PRIVATE, 0, 0, NULL, 0) == -1 && errno == EPERM);
    CHECK(fx(&pi, FUTEX_LOCK_PI_PRIVATE, 0, 0, NULL, 0) == 0 && pi == tid);
    pthread_t t;
    pthread_create(&t, NULL, pi_thread, NULL);
    nap();
    CHECK(pi_got == 0 && pi == (tid | FUTEX_WAITERS));
    CHECK(fx(&pi, FUTEX_UNLOCK_PI_PRIVATE, 0, 0, NULL, 0) == 0);
    pthread_join(t, NULL);
    CHECK(pi_got == 1 && pi == 0);
    pi = 0x3ffffff0;   /* no such thread */
    errno = 0;
    CHECK(fx(&pi, FUTEX_TRYLOCK_PI_PRIVATE, 0, 0, NULL, 0) == -1 && errno == ESRCH);
    printf("pi: lock handed over\n");
}

static void test_addresses(void)
{
    uint32_t *unmapped = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(unmapped, 4096);
    errno = 0;
    CHECK(fx(unmapped, FUTEX_WAKE, 1, 0, NULL, 0) == -1 && errno == EFAULT);
    CHECK(fx(unmapped, FUTEX_WAKE_PRIVATE, 1, 0, NULL, 0) == 0);
    errno = 0;
    CHECK(fx(unmapped, FUTEX_WAIT_PRIVATE, 0, 0, NULL, 0) == -1 && errno == EFAULT);
    errno = 0;
    CHECK(fx((uint32_t *)((char *)&pi + 1), FUTEX_WAKE_PRIVATE, 1, 0, NULL, 0) == -1 && errno == EINVAL);
    errno = 0;
    CHECK(fx(&pi, 99, 0, 0, NULL, 0) == -1 && errno == ENOSYS);
    /* Shared (no PRIVATE flag) works the same on ordinary memory. */
    uint32_t s = 0;
    struct waitarg w = { .word = &s, .val = 0, .op = FUTEX_WAIT, .bitset = 0 };
    pthread_t t = start(&w);
    CHECK(fx(&s, FUTEX_WAKE, 1, 0, NULL, 0) == 1);
    pthread_join(t, NULL);
    printf("addresses: EFAULT and EINVAL as Linux\n");
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    test_requeue();
    test_wake_op();
    test_bitset();
    test_waitv();
    test_pi();
    test_addresses();
    if (failures) printf("futex_ops: %d FAILED\n", failures);
    else printf("futex_ops: all checks passed\n");
    return failures != 0;
}
