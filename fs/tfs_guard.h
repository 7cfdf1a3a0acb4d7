/* TFS's one lock per volume. Every public TFS call (fs/tfs_api.c) holds its
 * volume's guard for its whole length, disk waits included, so TFS's own
 * code keeps its single-caller rules: its cache pointers stay valid until
 * the call returns. In the kernel it is a sleeping mutex (kernel/mutex.h);
 * the host tools call TFS from one thread and compile it away. */
#pragma once

#ifdef PITH_KERNEL
#include "../kernel/mutex.h"
typedef struct mutex tfs_guard_t;
#define tfs_guard_lock(fs) mutex_lock(&(fs)->guard)
#define tfs_guard_trylock(fs) mutex_trylock(&(fs)->guard)
#define tfs_guard_unlock(fs) mutex_unlock(&(fs)->guard)
#else
typedef struct {
    int unused;
} tfs_guard_t;
#define tfs_guard_lock(fs) ((void)(fs))
#define tfs_guard_trylock(fs) ((void)(fs), true)
#define tfs_guard_unlock(fs) ((void)(fs))
#endif
