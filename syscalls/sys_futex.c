/* futex: waiters sleep on a bucket hashed from their address; WAKE takes
 * the ones on that word (whose bitset intersects) off it, REQUEUE moves
 * them to another word's bucket, WAKE_OP changes a second word and wakes
 * by a comparison of its old value. The PI operations are futex_pi.c,
 * futex_waitv sys_futex_waitv.c.
 *
 * A waiter is known by its word's key (struct futex_key in
 * futex_internal.h): the address for private futexes, the file page for
 * shared ones in MAP_SHARED file mappings, so that two mappings of one
 * /dev/shm file or memfd at different addresses wake each other. */
#include "syscalls.h"
#include "../kernel/process.h"
#include "../kernel/usercopy.h"
#include "../kernel/clock.h"
#include "futex.h"
#include "futex_internal.h"
#include "timeout.h"

#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_REQUEUE 3
#define FUTEX_CMP_REQUEUE 4
#define FUTEX_WAKE_OP 5
#define FUTEX_LOCK_PI 6
#define FUTEX_UNLOCK_PI 7
#define FUTEX_TRYLOCK_PI 8
#define FUTEX_WAIT_BITSET 9
#define FUTEX_WAKE_BITSET 10
#define FUTEX_LOCK_PI2 13
#define FUTEX_PRIVATE_FLAG 128
#define FUTEX_CLOCK_REALTIME 256

/* Buckets, not a queue per futex word: no allocation on the wait path, and
 * a few colliding words only cost a skipped entry in a wake. */
static struct wait_queue futex_queues[FUTEX_BUCKETS];

struct wait_queue *futex_bucket_at(int i) { return &futex_queues[i]; }

struct wait_queue *futex_bucket(struct futex_key key)
{
    /* Words are 4-byte aligned and often on nearby cache lines: mix. */
    uint64_t h = ((key.offset >> 2) ^ ((uint64_t)key.object >> 4)) * 0x9e3779b97f4a7c15ull;
    return &futex_queues[h >> 58];
}

long futex_check_address(uint64_t uaddr, bool shared)
{
    if (uaddr & 3) return -EINVAL;
    if (!user_range_ok(uaddr, 4)) return -EFAULT;
    /* Linux keys a shared futex by its page, so an unmapped one faults;
     * a private key is just the address. */
    uint32_t v;
    if (shared && copy_from_user(&v, uaddr, sizeof v) < 0) return -EFAULT;
    return 0;
}

long futex_key_in(struct vm *vm, uint64_t uaddr, bool shared, struct futex_key *key)
{
    long r = futex_check_address(uaddr, shared);
    if (r < 0) return r;
    *key = (struct futex_key){ vm, uaddr };
    if (!shared) return 0;
    uint64_t irq = read_lock_irqsave(&vm->lock);
    struct vma *v = vm_find(vm, uaddr);
    if (v && (v->flags & VM_SHARED) && v->file && v->file->node)
        *key = (struct futex_key){ v->file->node, v->file_offset + (uaddr - v->start) };
    read_unlock_irqrestore(&vm->lock, irq);
    return 0;
}

long futex_key_of(uint64_t uaddr, bool shared, struct futex_key *key)
{
    return futex_key_in(process_vm(current_process()), uaddr, shared, key);
}

long futex_deadline(uint64_t utimeout, bool absolute, bool realtime, uint64_t *deadline)
{
    *deadline = WAIT_FOREVER;
    if (!utimeout) return 0;
    struct timespec_user t;
    if (copy_from_user(&t, utimeout, sizeof t) < 0) return -EFAULT;
    if (!timespec_valid(t.sec, t.nsec)) return -EINVAL;
    uint64_t now = clock_monotonic_ns();
    uint64_t ns = (uint64_t)t.sec >= UINT64_MAX / NSEC_PER_SEC / 2 ? UINT64_MAX / 2 : (uint64_t)t.sec * NSEC_PER_SEC + (uint64_t)t.nsec;
    if (absolute) {
        uint64_t base = realtime ? clock_realtime_ns() : now;
        *deadline = ns > base ? now + (ns - base) : now;
    } else {
        *deadline = now + ns;
    }
    return 0;
}

void futex_enqueue(struct futex_waiter *fw)
{
    fw->bucket = futex_bucket(fw->key);
    wait_enqueue(fw->bucket, &fw->w);
}

bool futex_unqueue(struct futex_waiter *fw)
{
    for (;;) {
        struct wait_queue *q = __atomic_load_n(&fw->bucket, __ATOMIC_ACQUIRE);
        uint64_t flags = spin_lock_irqsave(&q->lock);
        if (fw->bucket != q) {   /* requeued meanwhile: follow it */
            spin_unlock_irqrestore(&q->lock, flags);
            continue;
        }
        bool woken = fw->w.queue == NULL;
        if (!woken) {
            for (struct waiter **p = &q->first; *p; p = &(*p)->next) {
                if (*p == &fw->w) {
                    *p = fw->w.next;
                    break;
                }
            }
            fw->w.queue = NULL;
        }
        /* Taken even when woken: the waker held this lock, so it is done with fw. */
        spin_unlock_irqrestore(&q->lock, flags);
        return woken;
    }
}

void futex_wake_one(struct futex_waiter *fw)
{
    if (fw->sleeper) wake_waiter(fw->sleeper);
    wake_waiter(&fw->w);
}

long futex_word_update(uint64_t uaddr, uint32_t *old, bool (*update)(uint32_t, uint32_t *, void *), void *arg)
{
    uint32_t cur, next;
    if (copy_from_user(&cur, uaddr, sizeof cur) < 0) return -EFAULT;
    for (;;) {
        *old = cur;
        if (!update(cur, &next, arg)) return 0;
        /* Threads on other CPUs change the word with their own atomic
         * operations: store only over the value update saw, else redo. */
        uint32_t seen = cur;
        if (cmpxchg_user32(uaddr, &seen, next) < 0) return -EFAULT;
        if (seen == cur) return 0;
        cur = seen;
    }
}

static struct futex_waiter *futex_of(struct waiter *w) { return container_of(w, struct futex_waiter, w); }


/* Linux counts wakes as "stop once ++woken >= n" for a signed n: 0 or a
 * negative count still wakes one. */
static uint32_t wake_limit(uint32_t n) { return (int32_t)n <= 0 ? 1 : n; }

static long futex_wait(uint64_t uaddr, uint32_t val, uint64_t utimeout, bool absolute, bool realtime, uint32_t bitset, bool shared)
{
    if (!bitset) return -EINVAL;
    /* An unmapped word is EFAULT from the read below, shared or not, as
     * on Linux (which reads it before it looks at the mapping). */
    long r = futex_check_address(uaddr, false);
    if (r < 0) return r;
    struct futex_key key = { process_vm(current_process()), uaddr };
    if (shared && futex_key_of(uaddr, true, &key) < 0) key = (struct futex_key){ process_vm(current_process()), uaddr };
    uint64_t deadline;
    r = futex_deadline(utimeout, absolute, realtime, &deadline);
    if (r < 0) return r;
    struct futex_waiter fw = { .key = key, .bitset = bitset };
    wait_begin(&fw.w, deadline);
    /* On the queue before reading the word: a thread that changes it and
     * then calls WAKE finds us, or we see its new value. */
    futex_enqueue(&fw);
    uint32_t cur;
    if (copy_from_user(&cur, uaddr, sizeof cur) < 0) r = -EFAULT;
    else if (cur != val) r = -EAGAIN;
    else
        while (!waiter_dequeued(&fw.w) && (r = wait_sleep(&fw.w)) == 0) {}
    /* A wake that raced the timeout still counts: Linux returns 0 then. */
    if (futex_unqueue(&fw) && r == -ETIMEDOUT) r = 0;
    wait_end(NULL, &fw.w);
    return r;
}

/* Wake up to max waiters on key whose bitset meets bitset. */
static long wake_word(struct futex_key key, uint32_t max, uint32_t bitset)
{
    struct wait_queue *q = futex_bucket(key);
    long woken = 0;
    uint64_t flags = spin_lock_irqsave(&q->lock);
    for (struct waiter **p = &q->first; *p && (uint32_t)woken < max;) {
        struct futex_waiter *fw = futex_of(*p);
        if (!futex_key_equal(fw->key, key) || fw->pi || !(fw->bitset & bitset)) {
            p = &(*p)->next;
            continue;
        }
        *p = fw->w.next;
        fw->w.next = NULL;
        __atomic_store_n(&fw->w.queue, NULL, __ATOMIC_RELEASE);
        futex_wake_one(fw);
        woken++;
    }
    spin_unlock_irqrestore(&q->lock, flags);
    return woken;
}

long futex_wake_key(struct futex_key key, uint32_t max) { return wake_word(key, max, FUTEX_BITSET_ANY); }

long futex_wake_address(struct vm *vm, uint64_t uaddr, uint32_t max)
{
    /* As Linux's wakes at thread exit: a shared futex. */
    struct futex_key key;
    long r = futex_key_in(vm, uaddr, true, &key);
    return r < 0 ? r : wake_word(key, max, FUTEX_BITSET_ANY);
}

static long futex_wake(uint64_t uaddr, uint32_t n, uint32_t bitset, bool shared)
{
    if (!bitset) return -EINVAL;
    struct futex_key key;
    long r = futex_key_of(uaddr, shared, &key);
    if (r < 0) return r;
    return wake_word(key, wake_limit(n), bitset);
}

/* Both buckets' locks, lower address first (one order for every pair). */
static uint64_t lock_pair(struct wait_queue *a, struct wait_queue *b)
{
    uint64_t flags = spin_lock_irqsave(a < b ? &a->lock : &b->lock);
    if (a != b) spin_lock(a < b ? &b->lock : &a->lock);
    return flags;
}

static void unlock_pair(struct wait_queue *a, struct wait_queue *b, uint64_t flags)
{
    if (a != b) spin_unlock(a < b ? &b->lock : &a->lock);
    spin_unlock_irqrestore(a < b ? &a->lock : &b->lock, flags);
}

static long futex_requeue(uint64_t uaddr, uint64_t uaddr2, int32_t nr_wake, int32_t nr_requeue, bool cmp, uint32_t val3, bool shared)
{
    if (nr_wake < 0 || nr_requeue < 0) return -EINVAL;
    struct futex_key key1, key2;
    long r = futex_key_of(uaddr, shared, &key1);
    if (r == 0) r = futex_key_of(uaddr2, shared, &key2);
    if (r < 0) return r;
    if (cmp) {
        uint32_t cur;
        if (copy_from_user(&cur, uaddr, sizeof cur) < 0) return -EFAULT;
        if (cur != val3) return -EAGAIN;
    }
    struct wait_queue *q1 = futex_bucket(key1), *q2 = futex_bucket(key2);
    long count = 0;   /* Linux's return: woken + moved */
    uint64_t flags = lock_pair(q1, q2);
    struct waiter **tail = &q2->first;
    while (*tail) tail = &(*tail)->next;
    for (struct waiter **p = &q1->first; *p && count - nr_wake < nr_requeue;) {
        struct futex_waiter *fw = futex_of(*p);
        if (!futex_key_equal(fw->key, key1) || fw->pi) {
            p = &(*p)->next;
            continue;
        }
        count++;
        if (count <= nr_wake) {
            *p = fw->w.next;
            fw->w.next = NULL;
            __atomic_store_n(&fw->w.queue, NULL, __ATOMIC_RELEASE);
            futex_wake_one(fw);
            continue;
        }
        fw->key = key2;
        if (q1 == q2) {   /* same bucket: the new key is the whole move */
            p = &(*p)->next;
            continue;
        }
        *p = fw->w.next;
        fw->w.next = NULL;
        *tail = &fw->w;
        tail = &fw->w.next;
        __atomic_store_n(&fw->w.queue, q2, __ATOMIC_RELEASE);
        __atomic_store_n(&fw->bucket, q2, __ATOMIC_RELEASE);
    }
    unlock_pair(q1, q2, flags);
    return count;
}

/* FUTEX_WAKE_OP's val3, as Linux encodes it: op in bits 28-30 (bit 31:
 * the argument is a shift count), cmp in 24-27, then two signed 12-bit
 * fields, oparg and cmparg. */
struct wake_op {
    unsigned op, cmp;
    int32_t oparg, cmparg;
};

static int32_t sign12(uint32_t v) { return (int32_t)(v << 20) >> 20; }

static bool apply_op(uint32_t old, uint32_t *new, void *arg)
{
    struct wake_op *o = arg;
    uint32_t a = (uint32_t)o->oparg;
    switch (o->op) {
    case 0: *new = a; return true;           /* SET */
    case 1: *new = old + a; return true;     /* ADD */
    case 2: *new = old | a; return true;     /* OR */
    case 3: *new = old & ~a; return true;    /* ANDN */
    case 4: *new = old ^ a; return true;     /* XOR */
    default: return false;
    }
}

static long futex_wake_op(uint64_t uaddr, uint64_t uaddr2, uint32_t nr_wake, uint32_t nr_wake2, uint32_t encoded, bool shared)
{
    struct futex_key key1, key2;
    long r = futex_key_of(uaddr, shared, &key1);
    if (r == 0) r = futex_key_of(uaddr2, shared, &key2);
    if (r < 0) return r;
    struct wake_op o = { (encoded >> 28) & 7, (encoded >> 24) & 15, sign12(encoded >> 12), sign12(encoded) };
    if (encoded & 0x80000000u) o.oparg = (int32_t)(1u << (o.oparg & 31));   /* Linux masks a bad shift */
    if (o.op > 4) return -ENOSYS;
    uint32_t old;
    if (futex_word_update(uaddr2, &old, apply_op, &o) < 0) return -EFAULT;
    int32_t v = (int32_t)old;
    bool hit;
    /* As Linux: the word is already changed when the comparison is bad. */
    switch (o.cmp) {
    case 0: hit = v == o.cmparg; break;
    case 1: hit = v != o.cmparg; break;
    case 2: hit = v < o.cmparg; break;
    case 3: hit = v <= o.cmparg; break;
    case 4: hit = v > o.cmparg; break;
    case 5: hit = v >= o.cmparg; break;
    default: return -ENOSYS;
    }
    long woken = wake_word(key1, wake_limit(nr_wake), FUTEX_BITSET_ANY);
    if (hit) woken += wake_word(key2, wake_limit(nr_wake2), FUTEX_BITSET_ANY);
    return woken;
}

long sys_futex(uint64_t uaddr, int op, uint32_t val, uint64_t timeout, uint64_t uaddr2, uint32_t val3)
{
    int cmd = op & ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
    bool realtime = op & FUTEX_CLOCK_REALTIME;
    bool shared = !(op & FUTEX_PRIVATE_FLAG);
    if (realtime && cmd != FUTEX_WAIT_BITSET && cmd != FUTEX_LOCK_PI2) return -ENOSYS;
    /* For the calls without a timeout, that argument is a second count. */
    uint32_t val2 = (uint32_t)timeout;
    switch (cmd) {
    case FUTEX_WAIT:
        return futex_wait(uaddr, val, timeout, false, false, FUTEX_BITSET_ANY, shared);
    case FUTEX_WAIT_BITSET:
        return futex_wait(uaddr, val, timeout, true, realtime, val3, shared);
    case FUTEX_WAKE:
        return futex_wake(uaddr, val, FUTEX_BITSET_ANY, shared);
    case FUTEX_WAKE_BITSET:
        return futex_wake(uaddr, val, val3, shared);
    case FUTEX_REQUEUE:
    case FUTEX_CMP_REQUEUE:
        return futex_requeue(uaddr, uaddr2, (int32_t)val, (int32_t)val2, cmd == FUTEX_CMP_REQUEUE, val3, shared);
    case FUTEX_WAKE_OP:
        return futex_wake_op(uaddr, uaddr2, val, val2, val3, shared);
    case FUTEX_LOCK_PI:
        /* LOCK_PI's timeout is absolute on CLOCK_REALTIME, LOCK_PI2's on
         * the monotonic clock unless FUTEX_CLOCK_REALTIME says otherwise. */
        return futex_lock_pi(uaddr, timeout, true, false, shared);
    case FUTEX_LOCK_PI2:
        return futex_lock_pi(uaddr, timeout, realtime, false, shared);
    case FUTEX_TRYLOCK_PI:
        return futex_lock_pi(uaddr, 0, false, true, shared);
    case FUTEX_UNLOCK_PI:
        return futex_unlock_pi(uaddr, shared);
    default:
        return -ENOSYS;
    }
}
