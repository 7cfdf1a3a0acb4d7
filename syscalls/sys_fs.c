/* Path-based calls: open, stat, access, readlink, the working directory. */
#include "syscalls.h"
#include "../kernel/process.h"
#include "../kernel/usercopy.h"
#include "../kernel/hardening.h"
#include "../fs/tfs.h"
#include "../fs/pseudo.h"
#include "../fs/memfs.h"
#include "path.h"
#include "../kernel/cpu.h"
#include "../klib/format.h"
#include "../klib/string.h"

#define S_IFMT 0170000
#define S_IFDIR 0040000
#define S_IFLNK 0120000
#define S_IFREG 0100000
#define W_OK 2

/* Give the program a descriptor for f, named by the path the walk reached. */
static long install_file(struct process *p, struct file *f, const char *walked, int flags)
{
    f->path = name_intern(walked);
    long r = fd_install(&p->fds, f, 0, (flags & O_CLOEXEC) != 0);
    file_put(f);
    return r;
}

/* O_TMPFILE: a file with no name, gone when its last descriptor closes. */
static long open_tmpfile(struct process *p, int dirfd, const char *path, int flags, int mode)
{
    if ((flags & O_ACCMODE) == O_RDONLY) return -EINVAL;
    struct walk_pos w;
    long r = resolve_at(dirfd, path, 0, true, &w);
    if (r < 0) return r;
    const struct vnode v = w.node;
    if (!vnode_is_dir(&v)) return -ENOTDIR;
    if (v.pseudo) return -EOPNOTSUPP;
    if (v.mem) {
        int err = 0;
        struct file *f = memfs_open_unnamed(p->heap, (uint32_t)mode & ~p->umask & 07777, (uint32_t)(flags & ~O_TMPFILE), &err);
        return f ? install_file(p, f, w.path, flags) : err;
    }
    char name[40];
    format_sn(name, sizeof name, ".pith-tmpfile-%lx", cpu_random64());
    struct tfs_node *n;
    r = tfs_create(v.fs, v.tfs, name, strlen(name), hardening_create_mode((uint32_t)mode & ~p->umask & 07777), 0, 0, &n);
    if (r < 0) return r;
    struct file *f = tfs_file_open(p->heap, v.fs, n, (uint32_t)(flags & ~O_TMPFILE));
    tfs_unlink(v.fs, v.tfs, name, strlen(name));
    if (!f) return -ENOMEM;
    return install_file(p, f, w.path, flags);
}

long sys_openat(int dirfd, uint64_t upath, int flags, int mode)
{
    struct process *p = current_process();
    char path[PATH_MAX_LEN];
    long r = user_path(path, upath);
    if (r < 0) return r;
    if ((flags & O_TMPFILE) == O_TMPFILE) return open_tmpfile(p, dirfd, path, flags, mode);
    struct walk_pos w;
    r = resolve_at(dirfd, path, 0, !(flags & O_NOFOLLOW) && !((flags & O_CREAT) && (flags & O_EXCL)), &w);
    if (r == -ENOENT && (flags & O_CREAT)) {
        /* O_CREAT through a dangling symlink creates the file it points at. */
        struct walk_last last;
        r = resolve_parent(dirfd, path, !(flags & (O_EXCL | O_NOFOLLOW)), &w, &last);
        if (r < 0) return r == -EBUSY ? -EISDIR : r;
        if (last.trailing_slash) return -EISDIR;
        struct file *f;
        if (w.node.mem) {
            struct mem_node *n;
            r = memfs_create(w.node.mem, last.name, last.len, (uint32_t)mode & ~p->umask & 07777, &n);
            if (r < 0) return r;
            int err = -ENOMEM;
            if (!(f = memfs_open(p->heap, n, (uint32_t)flags, &err))) return err;
        } else {
            struct tfs_node *n;
            uint32_t perm = hardening_create_mode((uint32_t)mode & ~p->umask & 07777);
            r = tfs_create(w.node.fs, w.node.tfs, last.name, last.len, perm, 0, 0, &n);
            if (r < 0) return r;
            f = tfs_file_open(p->heap, w.node.fs, n, (uint32_t)flags);
            if (!f) return -ENOMEM;
        }
        if ((r = walk_path(&w, last.name, 0, NULL)) < 0) {
            file_put(f);
            return r;
        }
        return install_file(p, f, w.path, flags);
    }
    if (r < 0) return r;
    struct vnode v = w.node;
    uint32_t fmt = vnode_mode(&v) & S_IFMT;
    if ((flags & O_CREAT) && (flags & O_EXCL)) return -EEXIST;
    if (fmt == S_IFLNK && !(flags & O_PATH)) return -ELOOP;
    if (fmt == 0140000 && !(flags & O_PATH)) return -ENXIO;   /* a socket: connect(2) opens it, not open(2) */
    if ((flags & O_DIRECTORY) && fmt != S_IFDIR) return -ENOTDIR;
    bool writing = (flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC);
    if (fmt == S_IFDIR && writing && !(flags & O_PATH)) return -EISDIR;
    /* Permission first, then the running text, as Linux's may_open does
     * before get_write_access. */
    if (writing && !(flags & O_PATH) && hardening_file_locked(&v)) return -EACCES;
    if (writing && !(flags & O_PATH) && !v.pseudo && !v.mem && process_runs_node(p, v.tfs)) return -ETXTBSY;
    struct file *f;
    if (v.pseudo) {
        int err = 0;
        f = pseudo_open(p->heap, v.pseudo, (uint32_t)flags, &err);
        if (!f) return err ? err : -ENOMEM;
    } else if (v.mem) {
        if ((flags & O_TRUNC) && !(flags & O_PATH) && fmt == S_IFREG && (flags & O_ACCMODE) != O_RDONLY) {
            r = memfs_truncate(v.mem, 0);
            if (r < 0) return r;
        }
        int err = -ENOMEM;
        if (!(f = memfs_open(p->heap, v.mem, (uint32_t)flags, &err))) return err;
    } else {
        if ((flags & O_TRUNC) && !(flags & O_PATH) && fmt == S_IFREG && (flags & O_ACCMODE) != O_RDONLY) {
            r = truncate_file(v.fs, v.tfs, 0);
            if (r < 0) return r;
        }
        f = tfs_file_open(p->heap, v.fs, v.tfs, (uint32_t)flags);
        if (!f) return -ENOMEM;
    }
    return install_file(p, f, w.path, flags);
}

long sys_open(uint64_t path, int flags, int mode) { return sys_openat(AT_FDCWD, path, flags, mode); }

/* stat of dirfd + path, or with AT_EMPTY_PATH and "" of the open file
 * itself (which may be the console or a pipe). */
static long stat_path(int dirfd, uint64_t upath, int flags, struct linux_stat *st)
{
    char path[PATH_MAX_LEN];
    long r = user_path(path, upath);
    if (r < 0) return r;
    if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | 0x800 /* AT_NO_AUTOMOUNT */ | 0x6000 /* AT_STATX_SYNC_TYPE */))
        return -EINVAL;
    if (!path[0] && (flags & AT_EMPTY_PATH)) {
        struct file *f = fd_get(&current_process()->fds, dirfd);
        if (!f) return -EBADF;
        r = f->ops->stat(f, st);
        file_put(f);
        return r;
    }
    struct walk_pos w;
    r = resolve_at(dirfd, path, flags, !(flags & AT_SYMLINK_NOFOLLOW), &w);
    if (r == 0) vnode_stat(&w.node, st);
    return r;
}

static long stat_at(int dirfd, uint64_t upath, uint64_t ust, int flags)
{
    struct linux_stat st;
    long r = stat_path(dirfd, upath, flags, &st);
    if (r == 0 && copy_to_user(ust, &st, sizeof st) < 0) r = -EFAULT;
    return r;
}

long sys_stat(uint64_t path, uint64_t st) { return stat_at(AT_FDCWD, path, st, 0); }
long sys_lstat(uint64_t path, uint64_t st) { return stat_at(AT_FDCWD, path, st, AT_SYMLINK_NOFOLLOW); }
long sys_newfstatat(int dirfd, uint64_t path, uint64_t st, int flags) { return stat_at(dirfd, path, st, flags); }

struct statx_time {
    int64_t sec;
    uint32_t nsec;
    int32_t reserved;
};

struct statx_k {
    uint32_t mask, blksize;
    uint64_t attributes;
    uint32_t nlink, uid, gid;
    uint16_t mode, pad1;
    uint64_t ino, size, blocks, attributes_mask;
    struct statx_time atime, btime, ctime, mtime;
    uint32_t rdev_major, rdev_minor, dev_major, dev_minor;
    uint64_t spare[14];
};

#define STATX_BASIC_STATS 0x7ff

long sys_statx(int dirfd, uint64_t upath, int flags, unsigned mask, uint64_t ubuf)
{
    struct linux_stat st;
    long r = stat_path(dirfd, upath, flags, &st);
    if (r < 0) return r;
    struct statx_k x = {
        .mask = STATX_BASIC_STATS, .blksize = (uint32_t)st.st_blksize, .nlink = (uint32_t)st.st_nlink,
        .uid = st.st_uid, .gid = st.st_gid, .mode = (uint16_t)st.st_mode, .ino = st.st_ino,
        .size = (uint64_t)st.st_size, .blocks = (uint64_t)st.st_blocks,
        .atime = { (int64_t)st.st_atime, (uint32_t)st.st_atime_nsec, 0 },
        .ctime = { (int64_t)st.st_ctime, (uint32_t)st.st_ctime_nsec, 0 },
        .mtime = { (int64_t)st.st_mtime, (uint32_t)st.st_mtime_nsec, 0 },
        .rdev_major = (uint32_t)(st.st_rdev >> 8), .rdev_minor = (uint32_t)(st.st_rdev & 0xff),
        .dev_major = (uint32_t)(st.st_dev >> 8), .dev_minor = (uint32_t)(st.st_dev & 0xff),
    };
    return copy_to_user(ubuf, &x, sizeof x) < 0 ? -EFAULT : 0;
}

long sys_faccessat2(int dirfd, uint64_t upath, int mode, int flags)
{
    char path[PATH_MAX_LEN];
    long r = user_path(path, upath);
    if (r < 0) return r;
    if (mode & ~7) return -EINVAL;
    struct walk_pos w;
    r = resolve_at(dirfd, path, flags, !(flags & AT_SYMLINK_NOFOLLOW), &w);
    if (r < 0) return r;
    const struct vnode v = w.node;
    uint32_t m = vnode_mode(&v);
    if ((mode & W_OK) && v.tfs) {
        struct tfs_statfs sf;
        if (tfs_statfs(v.fs, &sf) == 0 && sf.readonly) return -EROFS;
    }
    /* One user, and it is root: execute needs some x bit, as for root on Linux. */
    if ((mode & 1) && (m & S_IFMT) != S_IFDIR && !(m & 0111)) return -EACCES;
    return 0;
}

long sys_faccessat(int dirfd, uint64_t path, int mode) { return sys_faccessat2(dirfd, path, mode, 0); }
long sys_access(uint64_t path, int mode) { return sys_faccessat2(AT_FDCWD, path, mode, 0); }

long sys_readlinkat(int dirfd, uint64_t upath, uint64_t ubuf, uint64_t len)
{
    char path[PATH_MAX_LEN], target[PATH_MAX_LEN];
    long r = user_path(path, upath);
    if (r < 0) return r;
    if ((int64_t)len <= 0) return -EINVAL;
    struct walk_pos w;
    r = resolve_at(dirfd, path, 0, false, &w);
    if (r < 0) return r;
    r = vnode_readlink(&w.node, target, sizeof target);
    if (r < 0) return r;
    r = MIN(r, (long)len);
    return copy_to_user(ubuf, target, (size_t)r) < 0 ? -EFAULT : r;
}

long sys_readlink(uint64_t path, uint64_t buf, uint64_t len) { return sys_readlinkat(AT_FDCWD, path, buf, len); }

long sys_getcwd(uint64_t buf, uint64_t len)
{
    struct process *p = current_process();
    /* A copy taken under cwd_lock: a chdir on another CPU may rewrite it. */
    char *copy = current_thread()->io_buffer;
    uint64_t irq = spin_lock_irqsave(&p->cwd_lock);
    size_t n = strlen(p->cwd_path) + 1;
    memcpy(copy, p->cwd_path, n);
    spin_unlock_irqrestore(&p->cwd_lock, irq);
    if (len < n) return -ERANGE;
    return copy_to_user(buf, copy, n) < 0 ? -EFAULT : (long)n;
}

/* The working directory becomes v, reached by the absolute path `walked`;
 * -ENOENT if v is a memfs directory removed since the walk. */
static long set_cwd(struct process *p, const struct vnode *v, const char *walked)
{
    if (v->mem && !memfs_node_get(v->mem)) return -ENOENT;
    if (v->tfs) tfs_node_get(v->tfs);
    /* The fields change together under cwd_lock (walks and getcwd on other
     * CPUs read them there); the old directory's holds go after. */
    uint64_t irq = spin_lock_irqsave(&p->cwd_lock);
    struct tfs_node *old_tfs = p->cwd;
    struct tfs *old_fs = p->cwd_fs;
    struct mem_node *old_mem = p->cwd_mem;
    memmove(p->cwd_path, walked, strlen(walked) + 1);
    p->cwd = v->tfs;
    p->cwd_fs = v->tfs ? v->fs : NULL;
    p->cwd_pseudo = v->pseudo;
    p->cwd_mem = v->mem;
    spin_unlock_irqrestore(&p->cwd_lock, irq);
    if (old_tfs) tfs_node_put(old_fs, old_tfs);
    if (old_mem) memfs_node_put(old_mem);
    return 0;
}

long sys_chdir(uint64_t upath)
{
    struct process *p = current_process();
    char path[PATH_MAX_LEN];
    long r = user_path(path, upath);
    if (r < 0) return r;
    struct walk_pos w;
    r = resolve_at(AT_FDCWD, path, 0, true, &w);
    if (r < 0) return r;
    if (!vnode_is_dir(&w.node)) return -ENOTDIR;
    return set_cwd(p, &w.node, w.path);
}

long sys_fchdir(int fd)
{
    struct process *p = current_process();
    struct walk_pos w;
    long r = resolve_at(fd, "", AT_EMPTY_PATH, false, &w);
    if (r == -EBADF && fd >= 0 && fd < FD_MAX) {
        struct file *f = fd_get(&p->fds, fd);
        if (f) r = -ENOTDIR;   /* open, but on no directory (the console, a pipe) */
        if (f) file_put(f);
    }
    if (r < 0) return r;
    if (!vnode_is_dir(&w.node) || !w.path[0]) return -ENOTDIR;
    return set_cwd(p, &w.node, w.path);
}

struct open_how_k {
    uint64_t flags, mode, resolve;
};

#define RESOLVE_NO_XDEV 0x01
#define RESOLVE_NO_MAGICLINKS 0x02
#define RESOLVE_NO_SYMLINKS 0x04
#define RESOLVE_BENEATH 0x08
#define RESOLVE_IN_ROOT 0x10
#define RESOLVE_CACHED 0x20
#define VALID_OPEN_FLAGS (O_ACCMODE | O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_APPEND | O_NONBLOCK | O_DSYNC | \
                          O_SYNC | O_DIRECT | O_LARGEFILE | O_DIRECTORY | O_NOFOLLOW | O_NOATIME | O_CLOEXEC | \
                          O_PATH | O_TMPFILE | 020000 /* FASYNC */)

/* openat2: the same open, with its stricter argument checks. Of the
 * resolve restrictions, the ones that hold trivially on one filesystem
 * without magic links outside /proc are accepted; the others are refused
 * with EINVAL rather than ignored. */
long sys_openat2(int dirfd, uint64_t upath, uint64_t uhow, uint64_t size)
{
    struct open_how_k how;
    if (size < sizeof how) return -EINVAL;
    if (size > 4096) return -E2BIG;
    if (copy_from_user(&how, uhow, sizeof how) < 0) return -EFAULT;
    for (uint64_t off = sizeof how; off < size; off++) {
        uint8_t b;
        if (copy_from_user(&b, uhow + off, 1) < 0) return -EFAULT;
        if (b) return -E2BIG;
    }
    if (how.flags & ~(uint64_t)VALID_OPEN_FLAGS) return -EINVAL;
    if (how.mode & ~07777ul) return -EINVAL;
    if (how.mode && !(how.flags & O_CREAT) && (how.flags & O_TMPFILE) != O_TMPFILE) return -EINVAL;
    if (how.resolve & ~(uint64_t)(RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH |
                                  RESOLVE_IN_ROOT | RESOLVE_CACHED))
        return -EINVAL;
    if (how.resolve & (RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH | RESOLVE_IN_ROOT)) return -EINVAL;
    if (how.resolve & RESOLVE_CACHED) return -EAGAIN;   /* Linux's answer when the lookup would need I/O */
    if (how.resolve & (RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS)) {
        /* Only the synthetic trees hold magic links and other mounts here. */
        char path[PATH_MAX_LEN];
        struct walk_pos w;
        long r = user_path(path, upath);
        if (r < 0) return r;
        r = resolve_at(dirfd, path, 0, !(how.flags & O_NOFOLLOW), &w);
        if (r == 0 && w.node.pseudo) return (how.resolve & RESOLVE_NO_XDEV) ? -EXDEV : -ELOOP;
    }
    return sys_openat(dirfd, upath, (int)how.flags, (int)how.mode);
}

#define MFD_CLOEXEC 1u
#define MFD_ALLOW_SEALING 2u
#define MFD_HUGETLB 4u

/* memfd_create: an anonymous file in memfs, as Linux makes it in its
 * internal tmpfs; /proc/self/fd shows "/memfd:NAME (deleted)". */
long sys_memfd_create(uint64_t uname, unsigned flags)
{
    if (flags & ~(MFD_CLOEXEC | MFD_ALLOW_SEALING)) return -EINVAL;
    struct process *p = current_process();
    char name[250];
    long r = copy_string_from_user(name, uname, sizeof name);
    if (r == -ENAMETOOLONG) return -EINVAL;
    if (r < 0) return r;
    int err = -ENOMEM;
    struct file *f = memfs_open_unnamed(p->heap, 0777, O_RDWR, &err);
    if (!f) return err;
    char label[280];
    format_sn(label, sizeof label, "/memfd:%s (deleted)", name);
    f->path = name_intern(label);
    r = fd_install(&p->fds, f, 0, (flags & MFD_CLOEXEC) != 0);
    file_put(f);
    return r;
}
