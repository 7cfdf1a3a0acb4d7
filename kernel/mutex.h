/* A sleeping lock, for data whose users may block while holding it (TFS
 * waits for the disk): the holder is a thread, a contender sleeps on the
 * mutex's wait queue, and signals do not end the wait. Never taken in an
 * interrupt handler; a mutex is always taken before any spinlock, never
 * while one is held. Zero-initialized is unlocked. Rules: docs/locking.md. */
#pragma once
#include "../klib/types.h"
#include "spinlock.h"
#include "wait.h"

struct thread;

struct mutex {
    struct spinlock lock;       /* owner */
    struct thread *owner;
    struct wait_queue waiters;
};

void mutex_lock(struct mutex *m);
/* Take it if free; false if anyone (this thread too) holds it. For code
 * that must not wait: the page allocator's reclaimer. */
bool mutex_trylock(struct mutex *m);
void mutex_unlock(struct mutex *m);
bool mutex_held_by_me(struct mutex *m);
