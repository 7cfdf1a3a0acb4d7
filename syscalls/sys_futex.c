/* futex: waiters sleep on a queue hashed from their address, and WAKE
 * wakes the ones waiting on that address (threads: pthread mutexes,
 * condvars, join). REQUEUE wakes instead of moving; bitset matching is
 * not kept (every waiter on the word matches: a spurious wake at worst). */
#include "syscalls.h"
#include "../kernel/process.h"
#include "../kernel/usercopy.h"
#include "../kernel/clock.h"
#include "../kernel/wait.h"
#include "futex.h"

#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_REQUEUE 3
#define FUTEX_CMP_REQUEUE 4
#define FUTEX_WAKE_OP 5
#define FUTEX_WAIT_BITSET 9
#define FUTEX_WAKE_BITSET 10
#define FUTEX_PRIVATE_FLAG 128
#define FUTEX_CLOCK_REALTIME 256
#define NSEC 1000000000ul

struct timespec_k {
    int64_t sec, nsec;
};

/* Buckets, not a queue per futex word: no allocation on the wait path, and
 * a few colliding words only cost a skipped entry in wake_up. */
#define FUTEX_BUCKETS 64

struct futex_waiter {
    struct waiter w;
    struct vm *vm;        /* private futexes are per address space */
    uint64_t uaddr;
};

static struct wait_queue futex_queues[FUTEX_BUCKETS];

static struct wait_queue *futex_queue(uint64_t uaddr)
{
    /* Words are 4-byte aligned and often on nearby cache lines: mix. */
    uint64_t h = (uaddr >> 2) * 0x9e3779b97f4a7c15ull;
    return &futex_queues[h >> 58];
}

static bool same_futex(struct waiter *w, void *key)
{
    struct futex_waiter *fw = container_of(w, struct futex_waiter, w), *k = key;
    return fw->vm == k->vm && fw->uaddr == k->uaddr;
}

static long futex_deadline(uint64_t utimeout, bool absolute, bool realtime, uint64_t *deadline)
{
    *deadline = WAIT_FOREVER;
    if (!utimeout) return 0;
    struct timespec_k t;
    if (copy_from_user(&t, utimeout, sizeof t) < 0) return -EFAULT;
    if (t.sec < 0 || t.nsec < 0 || t.nsec >= (int64_t)NSEC) return -EINVAL;
    uint64_t ns = (uint64_t)t.sec > UINT64_MAX / NSEC / 2 ? UINT64_MAX / 2 : (uint64_t)t.sec * NSEC + (uint64_t)t.nsec;
    uint64_t now = clock_monotonic_ns();
    if (absolute) {
        uint64_t base = realtime ? clock_realtime_ns() : now;
        *deadline = ns > base ? now + (ns - base) : now;
    } else {
        *deadline = now + ns;
    }
    return 0;
}

static long futex_wait(uint64_t uaddr, uint32_t val, uint64_t utimeout, bool absolute, bool realtime)
{
    if (uaddr & 3) return -EINVAL;
    uint64_t deadline;
    long r = futex_deadline(utimeout, absolute, realtime, &deadline);
    if (r < 0) return r;
    struct futex_waiter fw = { .vm = process_vm(current_process()), .uaddr = uaddr };
    struct wait_queue *q = futex_queue(uaddr);
    wait_begin(&fw.w, deadline);
    /* On the queue before reading the word: a thread that changes it and
     * then calls WAKE finds us, or we see its new value. */
    wait_enqueue(q, &fw.w);
    uint32_t cur;
    if (copy_from_user(&cur, uaddr, sizeof cur) < 0) r = -EFAULT;
    else if (cur != val) r = -EAGAIN;
    else
        while (!waiter_dequeued(&fw.w) && (r = wait_sleep(&fw.w)) == 0) {}
    wait_end(q, &fw.w);
    return r;
}

long futex_wake_address(struct vm *vm, uint64_t uaddr, uint32_t max)
{
    if (uaddr & 3) return -EINVAL;
    struct futex_waiter key = { .vm = vm, .uaddr = uaddr };
    return wake_up(futex_queue(uaddr), max, same_futex, &key);
}

static long futex_wake(uint64_t uaddr, uint32_t max)
{
    return futex_wake_address(process_vm(current_process()), uaddr, max);
}

long sys_futex(uint64_t uaddr, int op, uint32_t val, uint64_t timeout, uint64_t uaddr2, uint32_t val3)
{
    int cmd = op & ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
    bool realtime = op & FUTEX_CLOCK_REALTIME;
    if (realtime && cmd != FUTEX_WAIT_BITSET && cmd != FUTEX_WAIT) return -ENOSYS;
    switch (cmd) {
    case FUTEX_WAIT:
        return futex_wait(uaddr, val, timeout, false, false);
    case FUTEX_WAIT_BITSET:
        if (!val3) return -EINVAL;
        return futex_wait(uaddr, val, timeout, true, realtime);
    case FUTEX_WAKE:
    case FUTEX_WAKE_BITSET:
        if (cmd == FUTEX_WAKE_BITSET && !val3) return -EINVAL;
        return futex_wake(uaddr, val);
    case FUTEX_REQUEUE:
    case FUTEX_CMP_REQUEUE: {
        if (cmd == FUTEX_CMP_REQUEUE) {
            uint32_t cur;
            if (copy_from_user(&cur, uaddr, sizeof cur) < 0) return -EFAULT;
            if (cur != val3) return -EAGAIN;
        }
        /* Waking those it would move instead is allowed (every futex
         * waiter re-checks its word: wakes may be spurious) and keeps a
         * waiter on the queue it entered. The count is Linux's: woken +
         * requeued. */
        uint64_t both = (uint64_t)val + (uint32_t)timeout;
        return futex_wake(uaddr, (uint32_t)MIN(both, 0x7ffffffful));
    }
    default:
        return -ENOSYS;
    }
}
