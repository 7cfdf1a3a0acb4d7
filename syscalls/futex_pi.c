/* The PI futex operations: the word holds the owner's TID, with
 * FUTEX_WAITERS set while someone waits in the kernel, so the owner's
 * user-space unlock (a cmpxchg of TID to 0) fails and comes here. One CPU
 * and one priority for every thread leave nothing to inherit: the lock is
 * handed to the oldest waiter (FIFO), which Linux's PI does among equals.
 * An owner that exits holding the lock hands it over the same way, as
 * Linux's exit_pi_state_list does: each waiter remembers whom it waits for,
 * and the words of an exiting owner go to their oldest waiters, with the
 * FUTEX_OWNER_DIED its robust list (futex_robust.c) or its libc set.
 * Not done: the requeue-to-PI pair (WAIT_REQUEUE_PI, CMP_REQUEUE_PI:
 * ENOSYS). */
#include "syscalls.h"
#include "../kernel/process.h"
#include "../kernel/usercopy.h"
#include "futex_internal.h"

struct take {
    int tid;
    bool taken;       /* the word had no owner: now ours */
    int owner;        /* else its owner */
};

/* Free: take it (keeping OWNER_DIED, as Linux, for the new owner to see;
 * WAITERS if others already wait in the kernel). Owned: mark WAITERS. */
static bool take_or_mark(uint32_t old, uint32_t *new, void *arg)
{
    struct take *t = arg;
    t->owner = (int)(old & FUTEX_TID_MASK);
    t->taken = t->owner == 0;
    if (t->taken) *new = (uint32_t)t->tid | (old & (FUTEX_OWNER_DIED | FUTEX_WAITERS));
    else *new = old | FUTEX_WAITERS;
    return t->taken || (t->owner != t->tid && !(old & FUTEX_WAITERS));
}

long futex_lock_pi(uint64_t uaddr, uint64_t utimeout, bool realtime, bool trylock, bool shared)
{
    struct futex_key key;
    long r = futex_key_of(uaddr, shared, &key);
    if (r < 0) return r;
    uint64_t deadline;
    r = futex_deadline(utimeout, true, realtime, &deadline);
    if (r < 0) return r;
    struct process *p = current_process();
    struct take t = { .tid = current_thread()->tid };
    struct futex_waiter fw = { .key = key, .uaddr = uaddr, .bitset = FUTEX_BITSET_ANY, .pi = true, .tid = t.tid };
    wait_begin(&fw.w, deadline);
    /* Queued before the word is marked: an unlock that sees WAITERS finds us. */
    futex_enqueue(&fw);
    uint32_t old;
    if (futex_word_update(uaddr, &old, take_or_mark, &t) < 0) r = -EFAULT;
    else if (t.taken) r = 0;
    else if (t.owner == t.tid) r = -EDEADLK;
    else if (!process_has_thread(p, t.owner)) r = -ESRCH;
    else if (trylock) r = -EAGAIN;   /* EWOULDBLOCK */
    else {
        /* Whom we wait for: if it exits still owning the word, the lock
         * comes to us (futex_pi_owner_exit). */
        uint64_t irq = spin_lock_irqsave(&fw.bucket->lock);
        fw.owner = t.owner;
        spin_unlock_irqrestore(&fw.bucket->lock, irq);
        while (!waiter_dequeued(&fw.w) && (r = wait_sleep(&fw.w)) == 0) {}
    }
    /* Taken off the queue by UNLOCK_PI: it wrote our TID into the word. */
    if (futex_unqueue(&fw) && !t.taken) r = 0;
    wait_end(NULL, &fw.w);
    return r;
}

long futex_unlock_pi(uint64_t uaddr, bool shared)
{
    struct futex_key key;
    long r = futex_key_of(uaddr, shared, &key);
    if (r < 0) return r;
    int tid = current_thread()->tid;
    uint32_t word;
    if (copy_from_user(&word, uaddr, sizeof word) < 0) return -EFAULT;
    if ((int)(word & FUTEX_TID_MASK) != tid) return -EPERM;
    return futex_pi_hand_over(key, uaddr, 0);
}

long futex_pi_hand_over(struct futex_key key, uint64_t uaddr, uint32_t keep)
{
    uint32_t word;
    if (copy_from_user(&word, uaddr, sizeof word) < 0) return -EFAULT;
    /* An exchange of the word with itself first (atomic: it never undoes
     * another CPU's change), so the store under the bucket lock below finds
     * the page present and writable and cannot fault. */
    if (cmpxchg_user32(uaddr, &word, word) < 0) return -EFAULT;
    long r;
    struct wait_queue *q = futex_bucket(key);
    uint64_t flags = spin_lock_irqsave(&q->lock);
    struct futex_waiter *next = NULL;
    bool more = false;
    struct waiter **link = NULL;
    for (struct waiter **pp = &q->first; *pp; pp = &(*pp)->next) {
        struct futex_waiter *fw = container_of(*pp, struct futex_waiter, w);
        if (!fw->pi || !futex_key_equal(fw->key, key)) continue;
        if (next) {
            more = true;
            fw->owner = next->tid;   /* the one it waits for now */
            continue;
        }
        next = fw;
        link = pp;
    }
    uint32_t now = (next ? (uint32_t)next->tid | (more ? FUTEX_WAITERS : 0) : 0) | keep;
    r = copy_to_user(uaddr, &now, sizeof now) < 0 ? -EFAULT : 0;
    if (next && r == 0) {
        *link = next->w.next;
        next->w.next = NULL;
        __atomic_store_n(&next->w.queue, NULL, __ATOMIC_RELEASE);
        futex_wake_one(next);
    }
    spin_unlock_irqrestore(&q->lock, flags);
    return r;
}

/* The first PI waiter waiting for tid, anywhere: its key and address. */
static bool find_waiting_for(int tid, struct futex_key *key, uint64_t *uaddr)
{
    for (int b = 0; b < FUTEX_BUCKETS; b++) {
        struct wait_queue *q = futex_bucket_at(b);
        bool found = false;
        uint64_t flags = spin_lock_irqsave(&q->lock);
        for (struct waiter *w = q->first; w && !found; w = w->next) {
            struct futex_waiter *fw = container_of(w, struct futex_waiter, w);
            if (!fw->pi || fw->owner != tid) continue;
            *key = fw->key;
            *uaddr = fw->uaddr;
            found = true;
        }
        spin_unlock_irqrestore(&q->lock, flags);
        if (found) return true;
    }
    return false;
}

void futex_pi_owner_exit(int tid)
{
    /* Each hand-over takes the waiters of one word off tid; a word that
     * cannot be written any more leaves its waiters to their timeouts. */
    struct futex_key key;
    uint64_t uaddr;
    for (int words = 0; words < FUTEX_PI_EXIT_LIMIT && find_waiting_for(tid, &key, &uaddr); words++) {
        uint32_t word;
        if (copy_from_user(&word, uaddr, sizeof word) < 0 || futex_pi_hand_over(key, uaddr, word & FUTEX_OWNER_DIED) < 0)
            break;
    }
}
