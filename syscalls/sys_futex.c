/* futex with one thread: nobody else can wake a waiter, so WAKE finds no
 * one and a WAIT whose value matches can only end by its timeout (or never,
 * which is the deadlock Linux would give too). Wait queues arrive with
 * threads; this keeps the same answers until then. */
#include "syscalls.h"
#include "../kernel/process.h"
#include "../kernel/usercopy.h"
#include "../kernel/clock.h"
#include "../kernel/interrupt.h"
#include "../kernel/io.h"

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

static long futex_wait(uint64_t uaddr, uint32_t val, uint64_t utimeout, bool absolute, bool realtime)
{
    if (uaddr & 3) return -EINVAL;
    uint32_t cur;
    if (copy_from_user(&cur, uaddr, sizeof cur) < 0) return -EFAULT;
    if (cur != val) return -EAGAIN;
    uint64_t deadline = UINT64_MAX;
    if (utimeout) {
        struct timespec_k t;
        if (copy_from_user(&t, utimeout, sizeof t) < 0) return -EFAULT;
        if (t.sec < 0 || t.nsec < 0 || t.nsec >= (int64_t)NSEC) return -EINVAL;
        uint64_t ns = (uint64_t)t.sec * NSEC + (uint64_t)t.nsec, now = clock_monotonic_ns();
        if (absolute) {
            uint64_t base = realtime ? clock_realtime_ns() : now;
            deadline = ns > base ? now + (ns - base) : now;
        } else {
            deadline = now + ns;
        }
    }
    for (;;) {
        uint64_t now = clock_monotonic_ns();
        if (now >= deadline) return -ETIMEDOUT;
        irq_disable();
        if (deadline != UINT64_MAX) lapic_timer_oneshot(deadline - now);
        __asm__ volatile("sti; hlt" ::: "memory");
    }
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
        if (uaddr & 3) return -EINVAL;
        return 0;   /* no other thread can be waiting */
    case FUTEX_REQUEUE:
    case FUTEX_CMP_REQUEUE: {
        if (cmd == FUTEX_CMP_REQUEUE) {
            uint32_t cur;
            if (copy_from_user(&cur, uaddr, sizeof cur) < 0) return -EFAULT;
            if (cur != val3) return -EAGAIN;
        }
        return 0;
    }
    default:
        return -ENOSYS;
    }
}
