/* Advisory file locks: flock(2) and fcntl(2) record locks (POSIX and OFD).
 * flock and fcntl locks never see each other, as on Linux. POSIX locks are
 * owned by the process, so in a one-process system they only ever conflict
 * with OFD locks, which are owned by an open file description. */
#pragma once
#include "vfs.h"

enum file_lock_kind { FILE_LOCK_NONE, FILE_LOCK_SHARED, FILE_LOCK_EXCLUSIVE };

struct lock;
/* Every lock in the system (there are few); kept in the kernel context. */
struct file_lock_table {
    struct spinlock lock;
    struct lock *head;
};

/* flock: lock or unlock the whole file for f's open file description.
 * A conflict gives -EWOULDBLOCK without wait, and -EDEADLK with wait while
 * nothing else could ever release it (one thread). */
int file_lock_whole(struct file *f, enum file_lock_kind kind, bool wait);

/* fcntl record locks over [start, end) (end = UINT64_MAX: to EOF and
 * beyond). ofd: owned by f's description; else by the process. */
int file_lock_range(struct file *f, bool ofd, enum file_lock_kind kind, uint64_t start, uint64_t end, bool wait);
/* F_GETLK: the first lock that would conflict, or FILE_LOCK_NONE. */
enum file_lock_kind file_lock_test(struct file *f, bool ofd, enum file_lock_kind kind, uint64_t *start, uint64_t *end,
                                   bool *holder_is_ofd);
/* Drop every lock f's description holds (at its last close). */
void file_locks_release(struct file *f);
/* close(2) of any descriptor of a file drops the process's POSIX locks on it. */
void file_locks_close(struct file *f);
