/* futex_waitv: wait on up to 128 words at once; returns the index of one
 * that was woken. Each word gets an ordinary futex waiter, so WAKE,
 * REQUEUE and WAKE_OP treat them like any other; one extra waiter, on no
 * queue, holds the deadline and does the sleeping, and every entry's wake
 * wakes it too (futex_wake_one). Only the sleeper is the thread's signal
 * wait: were a word's waiter, a signal would wake that one and the
 * sleeper could sleep through it. */
#include "syscalls.h"
#include "../kernel/process.h"
#include "../kernel/usercopy.h"
#include "futex_internal.h"

#define FUTEX_WAITV_MAX 128
#define FUTEX2_SIZE_U32 0x02
#define FUTEX2_SIZE_MASK 0x03
#define FUTEX2_PRIVATE 128
#define CLOCK_REALTIME 0
#define CLOCK_MONOTONIC 1

struct futex_waitv_user {
    uint64_t val;
    uint64_t uaddr;
    uint32_t flags;
    uint32_t reserved;
};

long sys_futex_waitv(uint64_t uwaiters, unsigned nr, unsigned flags, uint64_t utimeout, int clockid)
{
    if (flags || !uwaiters || nr == 0 || nr > FUTEX_WAITV_MAX) return -EINVAL;
    uint64_t deadline = WAIT_FOREVER;
    if (utimeout) {
        if (clockid != CLOCK_REALTIME && clockid != CLOCK_MONOTONIC) return -EINVAL;
        long r = futex_deadline(utimeout, true, clockid == CLOCK_REALTIME, &deadline);
        if (r < 0) return r;
    }
    struct process *p = current_process();
    struct futex_waitv_user *in = allocate(p->heap, nr * sizeof *in);
    struct futex_waiter *fw = allocate_zero(p->heap, nr * sizeof *fw);
    long r = in && fw ? 0 : -ENOMEM;
    if (r == 0 && copy_from_user(in, uwaiters, nr * sizeof *in) < 0) r = -EFAULT;
    for (unsigned i = 0; r == 0 && i < nr; i++) {
        /* Linux's futex2 rules: 32-bit words only, no unknown flag bits,
         * the reserved field zero, a value that fits the word. */
        if ((in[i].flags & ~(FUTEX2_SIZE_MASK | FUTEX2_PRIVATE)) || (in[i].flags & FUTEX2_SIZE_MASK) != FUTEX2_SIZE_U32 ||
            in[i].reserved || in[i].val > UINT32_MAX)
            r = -EINVAL;
        else
            r = futex_key_of(in[i].uaddr, !(in[i].flags & FUTEX2_PRIVATE), &fw[i].key);
    }
    if (r < 0) goto out;

    struct waiter sleeper;
    wait_begin(&sleeper, deadline);
    for (unsigned i = 0; i < nr; i++) {
        fw[i].bitset = FUTEX_BITSET_ANY;
        fw[i].sleeper = &sleeper;
        wait_begin_member(&fw[i].w);
        futex_enqueue(&fw[i]);
    }
    /* Every entry is queued before any word is read: a change plus WAKE
     * after our read of that word finds its waiter. */
    for (unsigned i = 0; r == 0 && i < nr; i++) {
        uint32_t cur;
        if (copy_from_user(&cur, in[i].uaddr, sizeof cur) < 0) r = -EFAULT;
        else if (cur != (uint32_t)in[i].val) r = -EAGAIN;
    }
    for (;;) {
        if (r) break;
        wait_enqueue(NULL, &sleeper);   /* forget wakes seen below */
        bool any = false;
        for (unsigned i = 0; i < nr && !any; i++) any = waiter_dequeued(&fw[i].w);
        if (any) break;
        r = wait_sleep(&sleeper);
    }
    /* As Linux: the highest index that was woken wins, even over a
     * timeout or a value that no longer matched. */
    for (unsigned i = 0; i < nr; i++)
        if (futex_unqueue(&fw[i])) r = i;
    for (unsigned i = 0; i < nr; i++) wait_end(NULL, &fw[i].w);
    wait_end(NULL, &sleeper);
out:
    if (in) deallocate(p->heap, in, nr * sizeof *in);
    if (fw) deallocate(p->heap, fw, nr * sizeof *fw);
    return r;
}
