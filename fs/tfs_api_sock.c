/* tfs_mksock: the public, guarded form (as fs/tfs_api.c's calls are). */
#include "tfs_internal.h"

int tfs_mksock(struct tfs *fs, struct tfs_node *dir, const char *name, size_t namelen, uint32_t mode, uint32_t uid,
               uint32_t gid, struct tfs_node **out)
{
    tfs_guard_lock(fs);
    int r = tfs_mksock_locked(fs, dir, name, namelen, mode, uid, gid, out);
    tfs_guard_unlock(fs);
    return r;
}
