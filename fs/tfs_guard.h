/* TFS's one lock per volume. Every public TFS call (fs/tfs_api.c) holds its
 * volume's guard for its whole length, disk waits included, so TFS's own
 * code keeps its single-caller rules: its cache pointers stay valid until
 * the call returns. The one exception is a read the cache can serve whole:
 * it holds the guard shared, beside other such reads, and changes nothing
 * but the cache's recency order, under the cache's own small spinlock
 * (tfs_cache_peek). In the kernel the guard is a sleeping mutex
 * (kernel/mutex.h); the host tools call TFS from one thread and compile
 * both away. */
#pragma once

#ifdef PITH_KERNEL
#include "../kernel/mutex.h"
typedef struct mutex tfs_guard_t;
#define tfs_guard_lock(fs) mutex_lock(&(fs)->guard)
#define tfs_guard_trylock(fs) mutex_trylock(&(fs)->guard)
#define tfs_guard_unlock(fs) mutex_unlock(&(fs)->guard)
#define tfs_guard_lock_shared(fs) mutex_lock_shared(&(fs)->guard)
#define tfs_guard_unlock_shared(fs) mutex_unlock_shared(&(fs)->guard)
#include "../kernel/spinlock.h"
typedef struct spinlock tfs_recency_lock_t;
#define tfs_recency_lock(l) spin_lock_irqsave(l)
#define tfs_recency_unlock(l, flags) spin_unlock_irqrestore(l, flags)
#else
typedef struct {
    int unused;
} tfs_guard_t;
#define tfs_guard_lock(fs) ((void)(fs))
#define tfs_guard_trylock(fs) ((void)(fs), true)
#define tfs_guard_unlock(fs) ((void)(fs))
#define tfs_guard_lock_shared(fs) ((void)(fs))
#define tfs_guard_unlock_shared(fs) ((void)(fs))
typedef struct {
    int unused;
} tfs_recency_lock_t;
#define tfs_recency_lock(l) ((void)(l), 0ull)
#define tfs_recency_unlock(l, flags) ((void)(l), (void)(flags))
#endif
