/* A sleeping lock, for data whose users may block while holding it (TFS
 * waits for the disk): the holder is a thread, a contender sleeps on the
 * mutex's wait queue, and signals do not end the wait. Never taken in an
 * interrupt handler; a mutex is always taken before any spinlock, never
 * while one is held. Zero-initialized is unlocked. Rules: docs/locking.md.
 *
 * It may also be held shared, by any number of threads that only read
 * (file reads served from TFS's cache): an exclusive holder waits until
 * they are gone, and while one waits no new shared holder enters, so a
 * stream of readers cannot starve a writer. A shared holder never takes
 * the mutex again in either mode. */
#pragma once
#include "../klib/types.h"
#include "spinlock.h"
#include "wait.h"

struct thread;

struct mutex {
    struct spinlock lock;       /* owner, shared, exclusive_waiting */
    struct thread *owner;
    uint32_t shared;            /* shared holders */
    uint32_t exclusive_waiting; /* threads waiting to take it exclusively */
    struct wait_queue waiters;
};

void mutex_lock(struct mutex *m);
/* Take it if free; false if anyone (this thread too) holds it. For code
 * that must not wait: the page allocator's reclaimer. */
bool mutex_trylock(struct mutex *m);
void mutex_unlock(struct mutex *m);
void mutex_lock_shared(struct mutex *m);
void mutex_unlock_shared(struct mutex *m);
bool mutex_held_by_me(struct mutex *m);
