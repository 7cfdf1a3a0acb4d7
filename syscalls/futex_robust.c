/* Robust futexes: each thread names a list of the locks it holds
 * (set_robust_list), kept in user memory by its libc; when the thread ends,
 * the kernel walks that list and marks every word the thread still owns
 * FUTEX_OWNER_DIED, waking one waiter, so the next locker learns the owner
 * died (EOWNERDEAD) instead of waiting forever.
 *
 * The list is the program's memory and may be anything: every read is
 * checked, the walk stops at the first bad pointer and after
 * ROBUST_LIST_LIMIT entries (a cycle), as Linux's does. */
#include "syscalls.h"
#include "futex.h"
#include "futex_internal.h"
#include "../kernel/process.h"
#include "../kernel/usercopy.h"

#define ROBUST_LIST_LIMIT 2048   /* Linux's bound on one walk */

/* Linux's struct robust_list_head: the list (a circular list of entries
 * linked by their first word, the head being its own end), where the futex
 * word is relative to an entry, and the entry being added or removed. */
struct robust_head {
    uint64_t next;
    int64_t futex_offset;
    uint64_t op_pending;
};
_Static_assert(sizeof(struct robust_head) == 24, "Linux's size: set_robust_list checks it");

long sys_set_robust_list(uint64_t head, uint64_t len)
{
    if (len != sizeof(struct robust_head)) return -EINVAL;
    struct thread *t = current_thread();
    t->robust_list = head;
    t->robust_len = len;
    return 0;
}

struct robust_query {
    int tid;
    bool found;
    uint64_t head;
};

static void find_head(struct thread *t, void *arg)
{
    struct robust_query *q = arg;
    if (t->tid != q->tid) return;
    q->found = true;
    q->head = t->robust_list;
}

long sys_get_robust_list(int tid, uint64_t uhead, uint64_t ulen)
{
    struct robust_query q = { .tid = tid ? tid : current_thread()->tid };
    if (q.tid < 0) return -ESRCH;
    process_for_each_thread(current_process(), find_head, &q);
    if (!q.found) return -ESRCH;
    uint64_t len = sizeof(struct robust_head);
    if (copy_to_user(ulen, &len, sizeof len) < 0) return -EFAULT;
    return copy_to_user(uhead, &q.head, sizeof q.head) < 0 ? -EFAULT : 0;
}

struct death {
    uint32_t tid;
    bool owned;
};

/* The dying owner's word: keep WAITERS, add OWNER_DIED, drop the TID. */
static bool mark_dead(uint32_t old, uint32_t *new, void *arg)
{
    struct death *d = arg;
    d->owned = (old & FUTEX_TID_MASK) == d->tid;
    if (!d->owned) return false;
    *new = (old & FUTEX_WAITERS) | FUTEX_OWNER_DIED;
    return true;
}

/* One futex word of the list; false when it cannot be read (stop there). */
static bool owner_died(uint64_t uaddr, uint32_t tid, bool pi, bool pending)
{
    struct futex_key key;
    if (futex_key_of(uaddr, true, &key) < 0) return false;
    uint32_t old;
    struct death d = { .tid = tid };
    if (futex_word_update(uaddr, &old, mark_dead, &d) < 0) return false;
    /* Died between taking a free lock and listing it: the word may be 0
     * with a waiter that was meant to be woken by the unlock. */
    if (pending && !pi && old == 0) {
        futex_wake_key(key, 1);
        return true;
    }
    if (!d.owned || !(old & FUTEX_WAITERS)) return true;
    if (pi) futex_pi_hand_over(key, uaddr, FUTEX_OWNER_DIED);
    else futex_wake_key(key, 1);
    return true;
}

/* An entry pointer's low bit says the lock is a PI futex. */
static bool read_entry(uint64_t at, uint64_t *entry, bool *pi)
{
    uint64_t v;
    if (copy_from_user(&v, at, sizeof v) < 0) return false;
    *entry = v & ~1ull;
    *pi = v & 1;
    return true;
}

static void walk_robust_list(struct thread *t)
{
    uint64_t head = t->robust_list;
    if (!head) return;
    struct robust_head h;
    if (copy_from_user(&h, head, sizeof h) < 0) return;
    uint64_t entry, pending;
    bool pi, pending_pi;
    if (!read_entry(head, &entry, &pi) || !read_entry(head + 16, &pending, &pending_pi)) return;
    uint32_t tid = (uint32_t)t->tid;
    for (int n = 0; entry != head && n < ROBUST_LIST_LIMIT; n++) {
        uint64_t next;
        bool next_pi;
        bool readable = read_entry(entry, &next, &next_pi);
        /* The pending entry is handled last, whether listed or not. */
        if (entry != pending && !owner_died(entry + (uint64_t)h.futex_offset, tid, pi, false)) return;
        if (!readable) return;
        entry = next;
        pi = next_pi;
    }
    if (pending) owner_died(pending + (uint64_t)h.futex_offset, tid, pending_pi, true);
}

void futex_thread_exit(struct thread *t)
{
    walk_robust_list(t);
    futex_pi_owner_exit(t->tid);
}
