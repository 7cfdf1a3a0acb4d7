/* Shared by the futex system calls (sys_futex.c, futex_pi.c,
 * sys_futex_waitv.c): the waiter, its bucket and the word checks.
 *
 * Atomicity of the word: the kernel changes a word only with a locked
 * compare-and-exchange of the value it read (futex_word_update, over
 * cmpxchg_user32), so the program's own atomic operations on other CPUs
 * are never overwritten. */
#pragma once
#include "../klib/types.h"
#include "../kernel/wait.h"

#define FUTEX_BITSET_ANY 0xffffffffu
#define FUTEX_WAITERS 0x80000000u
#define FUTEX_OWNER_DIED 0x40000000u
#define FUTEX_TID_MASK 0x3fffffffu

struct vm;

/* What a futex word is known by, as Linux keys it. A private futex, and a
 * shared one in private or anonymous memory: (address space, address). A
 * shared futex in a MAP_SHARED file mapping: (the file's node, offset in
 * the file), so every mapping of that page, at whatever address, meets on
 * one key (shm_open + sem_open, pthread objects with PTHREAD_PROCESS_SHARED). */
struct futex_key {
    const void *object;
    uint64_t offset;
};

static inline bool futex_key_equal(struct futex_key a, struct futex_key b)
{
    return a.object == b.object && a.offset == b.offset;
}

struct futex_waiter {
    struct waiter w;
    struct futex_key key;
    uint32_t bitset;            /* WAIT_BITSET's; ANY for the rest */
    /* The bucket it is on, or was on when a waker took it off. Requeue
     * changes it (and uaddr) holding both buckets' locks; read under the
     * lock it names. */
    struct wait_queue *bucket;
    /* futex_waitv: the one waiter that sleeps for all of the thread's
     * entries (woken with each); NULL when w sleeps for itself. */
    struct waiter *sleeper;
    bool pi;                    /* LOCK_PI waiter: only UNLOCK_PI hands it the word */
    int tid;                    /* PI: the owner TID it will get */
    int owner;                  /* PI: the TID it waits for (0 until known) */
    uint64_t uaddr;             /* PI: the word's address, for a hand-over at the owner's exit */
};

/* The bucket a key hashes to; every bucket, by index. */
#define FUTEX_BUCKETS 64
struct wait_queue *futex_bucket(struct futex_key key);
struct wait_queue *futex_bucket_at(int i);
/* The address rules of Linux's futex key: misaligned EINVAL, outside the
 * user range EFAULT, and (shared futexes only) unmapped EFAULT. */
long futex_check_address(uint64_t uaddr, bool shared);
/* The checks, then the word's key in vm (see struct futex_key). */
long futex_key_in(struct vm *vm, uint64_t uaddr, bool shared, struct futex_key *key);
/* The same in the calling thread's address space. */
long futex_key_of(uint64_t uaddr, bool shared, struct futex_key *key);
/* A timeout as the futex calls take it: NULL none; else validated, then a
 * monotonic deadline (absolute ones on the realtime or monotonic clock). */
long futex_deadline(uint64_t utimeout, bool absolute, bool realtime, uint64_t *deadline);
/* Join fw's bucket (fw->key and bitset set by the caller; after
 * wait_begin). */
void futex_enqueue(struct futex_waiter *fw);
/* Leave whatever bucket fw is on now; true when a waker took it off first
 * (it was woken, or handed a PI lock). Afterwards no waker touches fw. */
bool futex_unqueue(struct futex_waiter *fw);
/* Make a waiter that a waker just unlinked runnable (and its waitv sleeper). */
void futex_wake_one(struct futex_waiter *fw);
/* Read the word, let update compute the new value (return false: leave it
 * alone), and store it if the word still holds what was read, else start
 * again from the value found; *old gets the value the update was computed
 * from. 0 or -EFAULT. */
long futex_word_update(uint64_t uaddr, uint32_t *old, bool (*update)(uint32_t old, uint32_t *new, void *arg), void *arg);

long futex_lock_pi(uint64_t uaddr, uint64_t utimeout, bool realtime, bool trylock, bool shared);
long futex_unlock_pi(uint64_t uaddr, bool shared);
/* Give the PI word at uaddr to its oldest waiter (its TID, WAITERS if more
 * wait), or 0 if none, with the `keep` bits added (OWNER_DIED). */
long futex_pi_hand_over(struct futex_key key, uint64_t uaddr, uint32_t keep);
/* Thread tid is exiting: every PI word it still owns with waiters goes to
 * its oldest waiter (at most FUTEX_PI_EXIT_LIMIT words). */
#define FUTEX_PI_EXIT_LIMIT 2048
void futex_pi_owner_exit(int tid);
/* Wake up to max non-PI waiters on key (any bitset). */
long futex_wake_key(struct futex_key key, uint32_t max);
