/* Calls that change the filesystem: names (mkdir, unlink, rename, link,
 * symlink), sizes (truncate, fallocate), attributes (chmod, chown, utimes)
 * and durability (fsync, sync). Each maps onto one TFS or memfs operation;
 * both keep Linux's error rules, so these mostly translate arguments. */
#include "syscalls.h"
#include "path.h"
#include "../kernel/hardening.h"
#include "../fs/memfs.h"
#include "../kernel/usercopy.h"
#include "../kernel/clock.h"
#include "../klib/string.h"

#define S_IFMT 0170000
#define S_IFDIR 0040000
#define S_IFREG 0100000
#define RENAME_NOREPLACE 1
#define RENAME_EXCHANGE 2
#define RENAME_WHITEOUT 4
#define UTIME_NOW ((1l << 30) - 1)
#define UTIME_OMIT ((1l << 30) - 2)
#define NSEC 1000000000ul


long sys_mkdirat(int dirfd, uint64_t upath, int mode)
{
    char path[PATH_MAX_LEN];
    long r = user_path(path, upath);
    if (r < 0) return r;
    struct walk_pos dir;
    struct walk_last last;
    struct tfs_node *n;
    r = resolve_parent(dirfd, path, false, &dir, &last);
    if (r == -EBUSY) return -EEXIST;
    if (r < 0) return r;
    if (dir.node.mem)
        return memfs_mkdir(dir.node.mem, last.name, last.len, (uint32_t)mode & ~current_process()->umask & 07777);
    return tfs_mkdir(dir.node.fs, dir.node.tfs, last.name, last.len, (uint32_t)mode & ~current_process()->umask & 07777,
                     0, 0, &n);
}

long sys_mkdir(uint64_t path, int mode) { return sys_mkdirat(AT_FDCWD, path, mode); }

/* Whether dir's entry `name` is a file the program may not change
 * (kernel/hardening.h); a name that is not there is for the call to report. */
static bool locked_name(struct tfs *fs, struct tfs_node *dir, const char *name, size_t len)
{
    struct tfs_node *n;
    if (!hardening_flags() || tfs_lookup(fs, dir, name, len, &n) < 0) return false;
    const struct vnode v = { .fs = fs, .tfs = n };
    return hardening_file_locked(&v);
}

long sys_unlinkat(int dirfd, uint64_t upath, int flags)
{
    if (flags & ~AT_REMOVEDIR) return -EINVAL;
    char path[PATH_MAX_LEN];
    long r = user_path(path, upath);
    if (r < 0) return r;
    struct walk_pos dir;
    struct walk_last last;
    r = resolve_parent(dirfd, path, false, &dir, &last);
    if (r < 0) return r;
    if (dir.node.mem) {
        if (flags & AT_REMOVEDIR) return memfs_rmdir(dir.node.mem, last.name, last.len);
        if (last.trailing_slash) {
            struct mem_node *n;
            if ((r = memfs_lookup(dir.node.mem, last.name, last.len, &n)) < 0) return r;
            return (memfs_mode(n) & S_IFMT) == S_IFDIR ? -EISDIR : -ENOTDIR;
        }
        return memfs_unlink(dir.node.mem, last.name, last.len);
    }
    struct tfs *fs = dir.node.fs;
    if (flags & AT_REMOVEDIR) return tfs_rmdir(fs, dir.node.tfs, last.name, last.len);
    if (locked_name(fs, dir.node.tfs, last.name, last.len)) return -EACCES;
    if (last.trailing_slash) {
        struct tfs_node *n;
        r = tfs_lookup(fs, dir.node.tfs, last.name, last.len, &n);
        if (r < 0) return r;
        return (tfs_mode(n) & S_IFMT) == S_IFDIR ? -EISDIR : -ENOTDIR;
    }
    return tfs_unlink(fs, dir.node.tfs, last.name, last.len);
}

long sys_unlink(uint64_t path) { return sys_unlinkat(AT_FDCWD, path, 0); }
long sys_rmdir(uint64_t path) { return sys_unlinkat(AT_FDCWD, path, AT_REMOVEDIR); }

long sys_renameat2(int olddirfd, uint64_t uold, int newdirfd, uint64_t unew, unsigned flags)
{
    if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT)) return -EINVAL;
    if (flags & RENAME_WHITEOUT) return -EINVAL;   /* overlay filesystems only */
    if ((flags & RENAME_NOREPLACE) && (flags & RENAME_EXCHANGE)) return -EINVAL;
    char oldp[PATH_MAX_LEN], newp[PATH_MAX_LEN];
    long r = user_path(oldp, uold);
    if (r < 0) return r;
    if ((r = user_path(newp, unew)) < 0) return r;
    struct walk_pos od, nd;
    struct walk_last on, nn;
    if ((r = resolve_parent(olddirfd, oldp, false, &od, &on)) < 0) return r;
    if ((r = resolve_parent(newdirfd, newp, false, &nd, &nn)) < 0) return r;
    if (!od.node.mem != !nd.node.mem) return -EXDEV;
    if (od.node.mem) {
        if (on.trailing_slash || nn.trailing_slash) {
            struct mem_node *src;
            if ((r = memfs_lookup(od.node.mem, on.name, on.len, &src)) < 0) return r;
            if ((memfs_mode(src) & S_IFMT) != S_IFDIR) return -ENOTDIR;
        }
        unsigned mflags = ((flags & RENAME_NOREPLACE) ? MEMFS_RENAME_NOREPLACE : 0) |
                          ((flags & RENAME_EXCHANGE) ? MEMFS_RENAME_EXCHANGE : 0);
        return memfs_rename(od.node.mem, on.name, on.len, nd.node.mem, nn.name, nn.len, mflags);
    }
    struct tfs *fs = od.node.fs;
    if (fs != nd.node.fs) return -EXDEV;
    if (on.trailing_slash || nn.trailing_slash) {
        /* A trailing slash on either name requires the source to be a directory. */
        struct tfs_node *src;
        if ((r = tfs_lookup(fs, od.node.tfs, on.name, on.len, &src)) < 0) return r;
        if ((tfs_mode(src) & S_IFMT) != S_IFDIR) return -ENOTDIR;
    }
    /* Neither the program's files nor what they are replaced with may move. */
    if (locked_name(fs, od.node.tfs, on.name, on.len) || locked_name(fs, nd.node.tfs, nn.name, nn.len)) return -EACCES;
    unsigned tflags = ((flags & RENAME_NOREPLACE) ? TFS_RENAME_NOREPLACE : 0) |
                      ((flags & RENAME_EXCHANGE) ? TFS_RENAME_EXCHANGE : 0);
    return tfs_rename(fs, od.node.tfs, on.name, on.len, nd.node.tfs, nn.name, nn.len, tflags);
}

long sys_renameat(int od, uint64_t o, int nd, uint64_t n) { return sys_renameat2(od, o, nd, n, 0); }
long sys_rename(uint64_t o, uint64_t n) { return sys_renameat2(AT_FDCWD, o, AT_FDCWD, n, 0); }

long sys_linkat(int olddirfd, uint64_t uold, int newdirfd, uint64_t unew, int flags)
{
    if (flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH)) return -EINVAL;
    char oldp[PATH_MAX_LEN], newp[PATH_MAX_LEN];
    long r = user_path(oldp, uold);
    if (r < 0) return r;
    if ((r = user_path(newp, unew)) < 0) return r;
    struct walk_pos src, dir;
    struct walk_last last;
    if ((r = resolve_at(olddirfd, oldp, flags, (flags & AT_SYMLINK_FOLLOW) != 0, &src)) < 0) return r;
    if (src.node.pseudo) return -EXDEV;
    if ((r = resolve_parent(newdirfd, newp, false, &dir, &last)) < 0) return r == -EBUSY ? -EEXIST : r;
    if (!src.node.mem != !dir.node.mem) return -EXDEV;
    if (src.node.mem) {
        if (last.trailing_slash) return (memfs_mode(src.node.mem) & S_IFMT) == S_IFDIR ? -EPERM : -ENOENT;
        return memfs_link(src.node.mem, dir.node.mem, last.name, last.len);
    }
    if (last.trailing_slash) return (tfs_mode(src.node.tfs) & S_IFMT) == S_IFDIR ? -EPERM : -ENOENT;
    if (dir.node.fs != src.node.fs) return -EXDEV;
    return tfs_link(dir.node.fs, src.node.tfs, dir.node.tfs, last.name, last.len);
}

long sys_link(uint64_t o, uint64_t n) { return sys_linkat(AT_FDCWD, o, AT_FDCWD, n, 0); }

long sys_symlinkat(uint64_t utarget, int dirfd, uint64_t upath)
{
    char target[PATH_MAX_LEN], path[PATH_MAX_LEN];
    long r = user_path(target, utarget);
    if (r < 0) return r;
    if ((r = user_path(path, upath)) < 0) return r;
    struct walk_pos dir;
    struct walk_last last;
    struct tfs_node *n;
    if ((r = resolve_parent(dirfd, path, false, &dir, &last)) < 0) return r == -EBUSY ? -EEXIST : r;
    if (last.trailing_slash) return -ENOENT;
    if (dir.node.mem) return memfs_symlink(dir.node.mem, last.name, last.len, target);
    return tfs_symlink(dir.node.fs, dir.node.tfs, last.name, last.len, target, strlen(target), 0, 0, &n);
}

long sys_symlink(uint64_t target, uint64_t path) { return sys_symlinkat(target, AT_FDCWD, path); }

/* The TFS or memfs node behind an fd opened for writing, with its file referenced. */
static long writable_fd(int fd, struct file **out)
{
    struct file *f = fd_get(&current_process()->fds, fd);
    if (!f) return -EBADF;
    long r = 0;
    struct mem_node *mn = memfs_file_node(f);
    uint32_t mode = mn ? memfs_mode(mn) : file_is_tfs(f) && f->node ? tfs_mode(f->node) : 0;
    if ((!file_is_tfs(f) && !mn) || (f->flags & O_PATH)) r = f->node ? -EBADF : -EINVAL;
    else if ((f->flags & O_ACCMODE) == O_RDONLY) r = -EBADF;
    else if ((mode & S_IFMT) != S_IFREG) r = -EINVAL;
    if (r < 0) {
        file_put(f);
        return r;
    }
    *out = f;
    return 0;
}

long truncate_file(struct tfs *fs, struct tfs_node *n, uint64_t length)
{
    long r = tfs_truncate(fs, n, length);
    if (r == 0) vm_file_truncated(&current_process()->vm, n, length);
    return r;
}

long sys_ftruncate(int fd, int64_t length)
{
    if (length < 0) return -EINVAL;
    struct file *f;
    long r = writable_fd(fd, &f);
    if (r < 0) return r == -EBADF ? -EINVAL : r;
    struct mem_node *mn = memfs_file_node(f);
    r = mn ? memfs_truncate(mn, (uint64_t)length) : truncate_file(f->fs, f->node, (uint64_t)length);
    file_put(f);
    return r;
}

long sys_truncate(uint64_t upath, int64_t length)
{
    if (length < 0) return -EINVAL;
    char path[PATH_MAX_LEN];
    long r = user_path(path, upath);
    if (r < 0) return r;
    struct walk_pos w;
    if ((r = resolve_at(AT_FDCWD, path, 0, true, &w)) < 0) return r;
    const struct vnode v = w.node;
    if (v.pseudo) return -EACCES;
    if ((vnode_mode(&v) & S_IFMT) == S_IFDIR) return -EISDIR;
    if ((vnode_mode(&v) & S_IFMT) != S_IFREG) return -EINVAL;
    if (v.mem) return memfs_truncate(v.mem, (uint64_t)length);
    if (hardening_file_locked(&v)) return -EACCES;
    if (process_runs_node(current_process(), v.tfs)) return -ETXTBSY;
    return truncate_file(v.fs, v.tfs, (uint64_t)length);
}

long sys_fallocate(int fd, int mode, int64_t off, int64_t len)
{
    if (off < 0 || len <= 0) return -EINVAL;
    struct file *f;
    long r = writable_fd(fd, &f);
    if (r < 0) return r == -EINVAL ? -ENODEV : r;
    struct mem_node *mn = memfs_file_node(f);
    if (mn) {
        r = memfs_fallocate(mn, (uint32_t)mode, (uint64_t)off, (uint64_t)len);
        file_put(f);
        return r;
    }
    r = tfs_fallocate(f->fs, f->node, (uint32_t)mode, (uint64_t)off, (uint64_t)len);
    if (r == 0 && (mode & TFS_FALLOC_PUNCH_HOLE))
        vm_file_punched(&current_process()->vm, f->node, (uint64_t)off, (uint64_t)off + (uint64_t)len);
    file_put(f);
    return r;
}

static long sync_fd(int fd, bool datasync)
{
    struct file *f = fd_get(&current_process()->fds, fd);
    if (!f) return -EBADF;
    /* The console and synthetic files have nothing to write back. What
     * shared mappings wrote is part of the file (Linux flushes it too). */
    long r = 0;
    if (file_is_tfs(f)) {
        r = vm_writeback_file(&current_process()->vm, f->node);
        long s = tfs_fsync(f->fs, f->node, datasync);
        if (!r) r = s;
    }
    file_put(f);
    return r;
}

long sys_fsync(int fd) { return sync_fd(fd, false); }
long sys_fdatasync(int fd) { return sync_fd(fd, true); }
long sys_syncfs(int fd)
{
    /* The whole filesystem: what every shared mapping wrote, then the file's volume. */
    vm_writeback(&current_process()->vm, 0, USER_TOP, false);
    return sync_fd(fd, false);
}
long sys_sync(void) { sync_all_filesystems(); return 0; }

/* The node a dirfd + path names for attribute changes. */
static long attr_target(int dirfd, uint64_t upath, int flags, struct vnode *out)
{
    char path[PATH_MAX_LEN];
    long r = user_path(path, upath);
    if (r < 0) return r;
    struct walk_pos w;
    if ((r = resolve_at(dirfd, path, flags, !(flags & AT_SYMLINK_NOFOLLOW), &w)) < 0) return r;
    if (w.node.pseudo) return -EPERM;
    *out = w.node;
    return 0;
}

static long fd_target(int fd, struct vnode *out)
{
    struct file *f = fd_get(&current_process()->fds, fd);
    if (!f) return -EBADF;
    long r = 0;
    struct mem_node *mn = memfs_file_node(f);
    if (mn) *out = (struct vnode){ .mem = mn };
    else if (f->node && file_is_tfs(f)) *out = (struct vnode){ .fs = f->fs, .tfs = f->node };
    else r = -EPERM;
    file_put(f);
    return r;
}

static long setattr(const struct vnode *v, uint32_t mask, uint32_t mode, uint32_t uid, uint32_t gid, uint64_t atime,
                    uint64_t mtime)
{
    if (v->mem) return memfs_setattr(v->mem, mask, mode, uid, gid, atime, mtime);
    return tfs_setattr(v->fs, v->tfs, mask, mode, uid, gid, atime, mtime);
}

long sys_fchmodat(int dirfd, uint64_t path, int mode)
{
    struct vnode v;
    long r = attr_target(dirfd, path, 0, &v);
    if (r == 0) r = hardening_check_chmod(&v, (uint32_t)mode);
    return r < 0 ? r : setattr(&v, TFS_SET_MODE, (uint32_t)mode & 07777, 0, 0, 0, 0);
}

long sys_chmod(uint64_t path, int mode) { return sys_fchmodat(AT_FDCWD, path, mode); }

long sys_fchmod(int fd, int mode)
{
    struct vnode v;
    long r = fd_target(fd, &v);
    if (r == 0) r = hardening_check_chmod(&v, (uint32_t)mode);
    return r < 0 ? r : setattr(&v, TFS_SET_MODE, (uint32_t)mode & 07777, 0, 0, 0, 0);
}

static long chown_node(const struct vnode *v, int uid, int gid)
{
    uint32_t mask = (uid != -1 ? TFS_SET_UID : 0) | (gid != -1 ? TFS_SET_GID : 0);
    return setattr(v, mask, 0, (uint32_t)uid, (uint32_t)gid, 0, 0);
}

long sys_fchownat(int dirfd, uint64_t path, int uid, int gid, int flags)
{
    if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) return -EINVAL;
    struct vnode v;
    long r = attr_target(dirfd, path, flags, &v);
    return r < 0 ? r : chown_node(&v, uid, gid);
}

long sys_chown(uint64_t path, int uid, int gid) { return sys_fchownat(AT_FDCWD, path, uid, gid, 0); }
long sys_lchown(uint64_t path, int uid, int gid) { return sys_fchownat(AT_FDCWD, path, uid, gid, AT_SYMLINK_NOFOLLOW); }

long sys_fchown(int fd, int uid, int gid)
{
    struct vnode v;
    long r = fd_target(fd, &v);
    return r < 0 ? r : chown_node(&v, uid, gid);
}

struct timespec_k {
    int64_t sec, nsec;
};

static long set_times(const struct vnode *v, const struct timespec_k ts[2])
{
    uint64_t now = clock_realtime_ns(), t[2];
    uint32_t mask = 0;
    for (int i = 0; i < 2; i++) {
        if (ts[i].nsec == UTIME_OMIT) continue;
        if (ts[i].nsec == UTIME_NOW) t[i] = now;
        else if (ts[i].nsec < 0 || ts[i].nsec >= (int64_t)NSEC || ts[i].sec < 0) return -EINVAL;
        else t[i] = (uint64_t)ts[i].sec * NSEC + (uint64_t)ts[i].nsec;
        mask |= i == 0 ? TFS_SET_ATIME : TFS_SET_MTIME;
    }
    if (!mask) return 0;
    return setattr(v, mask, 0, 0, 0, (mask & TFS_SET_ATIME) ? t[0] : 0, (mask & TFS_SET_MTIME) ? t[1] : 0);
}

long sys_utimensat(int dirfd, uint64_t upath, uint64_t utimes, int flags)
{
    if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) return -EINVAL;
    struct timespec_k ts[2] = { { 0, UTIME_NOW }, { 0, UTIME_NOW } };
    if (utimes && copy_from_user(ts, utimes, sizeof ts) < 0) return -EFAULT;
    struct vnode v;
    long r = upath ? attr_target(dirfd, upath, flags, &v) : fd_target(dirfd, &v);
    return r < 0 ? r : set_times(&v, ts);
}

long sys_futimesat(int dirfd, uint64_t upath, uint64_t utimes)
{
    struct timespec_k ts[2] = { { 0, UTIME_NOW }, { 0, UTIME_NOW } };
    if (utimes) {
        int64_t tv[4];
        if (copy_from_user(tv, utimes, sizeof tv) < 0) return -EFAULT;
        for (int i = 0; i < 2; i++) {
            if (tv[2 * i + 1] < 0 || tv[2 * i + 1] >= 1000000) return -EINVAL;
            ts[i] = (struct timespec_k){ tv[2 * i], tv[2 * i + 1] * 1000 };
        }
    }
    struct vnode v;
    long r = upath ? attr_target(dirfd, upath, 0, &v) : fd_target(dirfd, &v);
    return r < 0 ? r : set_times(&v, ts);
}

long sys_utimes(uint64_t path, uint64_t times) { return sys_futimesat(AT_FDCWD, path, times); }

struct statfs_k {
    int64_t f_type, f_bsize;
    uint64_t f_blocks, f_bfree, f_bavail, f_files, f_ffree;
    int32_t f_fsid[2];
    int64_t f_namelen, f_frsize, f_flags, f_spare[4];
};

#define TFS_MAGIC 0x54465331   /* "TFS1" */
#define ST_RDONLY 1

static long fill_statfs(struct tfs *fs, uint64_t ubuf)
{
    struct tfs_statfs t;
    long r = tfs_statfs(fs, &t);
    if (r < 0) return r;
    struct statfs_k s = {
        .f_type = TFS_MAGIC, .f_bsize = (int64_t)t.block_size, .f_blocks = t.blocks,
        .f_bfree = t.free_blocks, .f_bavail = t.avail_blocks, .f_files = t.files + t.free_files,
        .f_ffree = t.free_files, .f_namelen = t.name_max, .f_frsize = (int64_t)t.block_size,
        .f_flags = t.readonly ? ST_RDONLY : 0,
    };
    memcpy(s.f_fsid, t.uuid, sizeof s.f_fsid);
    return copy_to_user(ubuf, &s, sizeof s) < 0 ? -EFAULT : 0;
}

/* memfs as Linux's tmpfs reports itself: its size limit in pages. */
static long fill_statfs_memfs(uint64_t ubuf)
{
    struct memfs_usage u;
    memfs_usage(&u);
    uint64_t free = u.used_pages < u.max_pages ? u.max_pages - u.used_pages : 0;
    struct statfs_k s = {
        .f_type = TMPFS_MAGIC, .f_bsize = PAGE_SIZE, .f_blocks = u.max_pages, .f_bfree = free, .f_bavail = free,
        .f_files = u.max_pages, .f_ffree = u.max_pages - MIN(u.files, u.max_pages), .f_namelen = 255,
        .f_frsize = PAGE_SIZE, .f_flags = 0x406 /* ST_NOSUID | ST_NODEV | ST_RELATIME */,
    };
    return copy_to_user(ubuf, &s, sizeof s) < 0 ? -EFAULT : 0;
}

long sys_statfs(uint64_t upath, uint64_t buf)
{
    struct vnode v;
    long r = attr_target(AT_FDCWD, upath, 0, &v);
    if (r < 0) return r;
    return v.mem ? fill_statfs_memfs(buf) : fill_statfs(v.fs, buf);
}

long sys_fstatfs(int fd, uint64_t buf)
{
    struct file *f = fd_get(&current_process()->fds, fd);
    if (!f) return -EBADF;
    bool mem = memfs_file_node(f) != NULL;
    struct tfs *fs = f->fs ? f->fs : current_process()->fs;
    file_put(f);
    return mem ? fill_statfs_memfs(buf) : fill_statfs(fs, buf);
}
