/* The public TFS calls (fs/tfs.h): each holds its volume's guard
 * (fs/tfs_guard.h) around the work in the other fs/tfs_*.c files. The
 * reclaimer only tries: it runs inside page allocations, which TFS itself
 * makes while holding the guard. Reads the cache serves whole hold it
 * shared (tfs_read). */
#include "tfs_internal.h"

int tfs_lookup(struct tfs *fs, struct tfs_node *dir, const char *name, size_t namelen, struct tfs_node **out)
{
    tfs_guard_lock(fs);
    int r = tfs_lookup_locked(fs, dir, name, namelen, out);
    tfs_guard_unlock(fs);
    return r;
}

int tfs_resolve(struct tfs *fs, struct tfs_node *cwd, const char *path, bool follow_last, struct tfs_node **out)
{
    tfs_guard_lock(fs);
    int r = tfs_resolve_locked(fs, cwd, path, follow_last, out);
    tfs_guard_unlock(fs);
    return r;
}

/* The common case, a read of cached blocks, holds the guard shared, so
 * threads on several CPUs read at once; what the cache lacks is read with
 * the guard held as usual. */
int64_t tfs_read(struct tfs *fs, struct tfs_node *n, uint64_t off, void *buf, size_t len)
{
    tfs_guard_lock_shared(fs);
    int64_t r = tfs_read_cached(fs, n, off, buf, len);
    bool whole = r < 0 || (uint64_t)r == len || off + (uint64_t)r >= n->size;
    tfs_guard_unlock_shared(fs);
    if (whole) return r;
    tfs_guard_lock(fs);
    int64_t rest = tfs_read_locked(fs, n, off + (uint64_t)r, (uint8_t *)buf + r, len - (size_t)r);
    tfs_guard_unlock(fs);
    if (rest < 0) return r ? r : rest;
    return r + rest;
}

int tfs_lend_page(struct tfs *fs, struct tfs_node *n, uint64_t fb, bool fill, void **page)
{
    tfs_guard_lock(fs);
    int r = tfs_lend_page_locked(fs, n, fb, fill, page);
    tfs_guard_unlock(fs);
    return r;
}

int tfs_page_written(struct tfs *fs, struct tfs_node *n, uint64_t fb)
{
    tfs_guard_lock(fs);
    int r = tfs_page_written_locked(fs, n, fb);
    tfs_guard_unlock(fs);
    return r;
}

bool tfs_page_cached(struct tfs *fs, struct tfs_node *n, uint64_t fb)
{
    tfs_guard_lock(fs);
    bool r = tfs_page_cached_locked(fs, n, fb);
    tfs_guard_unlock(fs);
    return r;
}

int tfs_readdir(struct tfs *fs, struct tfs_node *dir, uint64_t *cookie, struct tfs_dirent *out)
{
    tfs_guard_lock(fs);
    int r = tfs_readdir_locked(fs, dir, cookie, out);
    tfs_guard_unlock(fs);
    return r;
}

void tfs_node_put(struct tfs *fs, struct tfs_node *n)
{
    tfs_guard_lock(fs);
    tfs_node_put_locked(fs, n);
    tfs_guard_unlock(fs);
}

int tfs_create(struct tfs *fs, struct tfs_node *dir, const char *name, size_t namelen, uint32_t mode, uint32_t uid, uint32_t gid, struct tfs_node **out)
{
    tfs_guard_lock(fs);
    int r = tfs_create_locked(fs, dir, name, namelen, mode, uid, gid, out);
    tfs_guard_unlock(fs);
    return r;
}

int tfs_mkdir(struct tfs *fs, struct tfs_node *dir, const char *name, size_t namelen, uint32_t mode, uint32_t uid, uint32_t gid, struct tfs_node **out)
{
    tfs_guard_lock(fs);
    int r = tfs_mkdir_locked(fs, dir, name, namelen, mode, uid, gid, out);
    tfs_guard_unlock(fs);
    return r;
}

int tfs_symlink(struct tfs *fs, struct tfs_node *dir, const char *name, size_t namelen, const char *target, size_t targetlen, uint32_t uid, uint32_t gid, struct tfs_node **out)
{
    tfs_guard_lock(fs);
    int r = tfs_symlink_locked(fs, dir, name, namelen, target, targetlen, uid, gid, out);
    tfs_guard_unlock(fs);
    return r;
}

int tfs_link(struct tfs *fs, struct tfs_node *node, struct tfs_node *dir, const char *name, size_t namelen)
{
    tfs_guard_lock(fs);
    int r = tfs_link_locked(fs, node, dir, name, namelen);
    tfs_guard_unlock(fs);
    return r;
}

int tfs_unlink(struct tfs *fs, struct tfs_node *dir, const char *name, size_t namelen)
{
    tfs_guard_lock(fs);
    int r = tfs_unlink_locked(fs, dir, name, namelen);
    tfs_guard_unlock(fs);
    return r;
}

int tfs_rmdir(struct tfs *fs, struct tfs_node *dir, const char *name, size_t namelen)
{
    tfs_guard_lock(fs);
    int r = tfs_rmdir_locked(fs, dir, name, namelen);
    tfs_guard_unlock(fs);
    return r;
}

int tfs_rename(struct tfs *fs, struct tfs_node *olddir, const char *oldname, size_t oldlen, struct tfs_node *newdir, const char *newname, size_t newlen, unsigned flags)
{
    tfs_guard_lock(fs);
    int r = tfs_rename_locked(fs, olddir, oldname, oldlen, newdir, newname, newlen, flags);
    tfs_guard_unlock(fs);
    return r;
}

int64_t tfs_write(struct tfs *fs, struct tfs_node *n, uint64_t off, const void *buf, size_t len)
{
    tfs_guard_lock(fs);
    int64_t r = tfs_write_locked(fs, n, off, buf, len);
    tfs_guard_unlock(fs);
    return r;
}

int tfs_truncate(struct tfs *fs, struct tfs_node *n, uint64_t size)
{
    tfs_guard_lock(fs);
    int r = tfs_truncate_locked(fs, n, size);
    tfs_guard_unlock(fs);
    return r;
}

int tfs_fallocate(struct tfs *fs, struct tfs_node *n, uint32_t mode, uint64_t off, uint64_t len)
{
    tfs_guard_lock(fs);
    int r = tfs_fallocate_locked(fs, n, mode, off, len);
    tfs_guard_unlock(fs);
    return r;
}

int tfs_setattr(struct tfs *fs, struct tfs_node *n, uint32_t mask, uint32_t mode, uint32_t uid, uint32_t gid, uint64_t atime_ns, uint64_t mtime_ns)
{
    tfs_guard_lock(fs);
    int r = tfs_setattr_locked(fs, n, mask, mode, uid, gid, atime_ns, mtime_ns);
    tfs_guard_unlock(fs);
    return r;
}

int tfs_fsync(struct tfs *fs, struct tfs_node *n, bool datasync)
{
    tfs_guard_lock(fs);
    int r = tfs_fsync_locked(fs, n, datasync);
    tfs_guard_unlock(fs);
    return r;
}

int tfs_sync(struct tfs *fs)
{
    tfs_guard_lock(fs);
    int r = tfs_sync_locked(fs);
    tfs_guard_unlock(fs);
    return r;
}

void tfs_cache_usage(struct tfs *fs, uint64_t *blocks, uint64_t *dirty)
{
    tfs_guard_lock(fs);
    tfs_cache_usage_locked(fs, blocks, dirty);
    tfs_guard_unlock(fs);
}

size_t tfs_reclaim(struct tfs *fs, size_t want)
{
    if (!tfs_guard_trylock(fs)) return 0;
    size_t r = tfs_reclaim_locked(fs, want);
    tfs_guard_unlock(fs);
    return r;
}

int64_t tfs_seek_data(struct tfs *fs, struct tfs_node *n, uint64_t off)
{
    tfs_guard_lock(fs);
    int64_t r = tfs_seek_data_locked(fs, n, off);
    tfs_guard_unlock(fs);
    return r;
}

int64_t tfs_seek_hole(struct tfs *fs, struct tfs_node *n, uint64_t off)
{
    tfs_guard_lock(fs);
    int64_t r = tfs_seek_hole_locked(fs, n, off);
    tfs_guard_unlock(fs);
    return r;
}

int tfs_statfs(struct tfs *fs, struct tfs_statfs *st)
{
    tfs_guard_lock(fs);
    int r = tfs_statfs_locked(fs, st);
    tfs_guard_unlock(fs);
    return r;
}

int tfs_grow(struct tfs *fs, uint64_t new_blocks)
{
    tfs_guard_lock(fs);
    int r = tfs_grow_locked(fs, new_blocks);
    tfs_guard_unlock(fs);
    return r;
}

int tfs_shrink(struct tfs *fs, uint64_t new_blocks)
{
    tfs_guard_lock(fs);
    int r = tfs_shrink_locked(fs, new_blocks);
    tfs_guard_unlock(fs);
    return r;
}
