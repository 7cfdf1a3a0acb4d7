/* Path-based calls: open, stat, access, readlink, the working directory. */
#include "syscalls.h"
#include "../kernel/process.h"
#include "../kernel/usercopy.h"
#include "../fs/tfs.h"
#include "../fs/pseudo.h"
#include "../klib/string.h"

#define S_IFMT 0170000
#define S_IFDIR 0040000
#define S_IFLNK 0120000
#define W_OK 2

/* Copy a user path into buf (PATH_MAX_LEN bytes). */
static long user_path(char *buf, uint64_t upath)
{
    return copy_string_from_user(buf, upath, PATH_MAX_LEN);
}

/* The directory a relative path starts from. */
static long start_dir(struct process *p, int dirfd, const char *path, struct tfs_node **out)
{
    if (path[0] == '/' || dirfd == AT_FDCWD) {
        *out = path[0] == '/' ? tfs_root(p->fs) : p->cwd;
        return 0;
    }
    struct file *f = fd_get(&p->fds, dirfd);
    if (!f) return -EBADF;
    long r = 0;
    if (!f->node) r = -ENOTDIR;
    else if ((tfs_mode(f->node) & S_IFMT) != S_IFDIR) r = -ENOTDIR;
    else *out = f->node;
    file_put(f);
    return r;
}

static void join_path(const char *cwd, const char *path, char *out, size_t size);

/* The absolute path a dirfd-relative path names (lexically). */
static void absolute_path(struct process *p, int dirfd, const char *path, char *out, size_t size)
{
    const char *base = p->cwd_path;
    struct file *f = NULL;
    if (path[0] != '/' && dirfd != AT_FDCWD && (f = fd_get(&p->fds, dirfd)) && f->path) base = f->path;
    join_path(base, path, out, size);
    if (f) file_put(f);
}

/* What a path names: a file in TFS or a synthetic one under /dev, /proc, /sys. */
struct vnode {
    struct tfs_node *tfs;
    struct pseudo_node *pseudo;
};

static uint32_t vnode_mode(const struct vnode *v)
{
    return v->pseudo ? pseudo_mode(v->pseudo) : tfs_mode(v->tfs);
}

static void vnode_stat(const struct vnode *v, struct linux_stat *st)
{
    if (v->pseudo) pseudo_stat(v->pseudo, st);
    else stat_from_tfs(v->tfs, st);
}

static long vnode_readlink(const struct vnode *v, char *buf, size_t len)
{
    return v->pseudo ? pseudo_readlink(v->pseudo, buf, len) : tfs_readlink(v->tfs, buf, len);
}

#define MAX_SYMLINK_HOPS 40

static bool under_pseudo_root(const char *path)
{
    static const char *const roots[] = { "/dev", "/proc", "/sys" };
    for (size_t i = 0; i < ARRAY_SIZE(roots); i++) {
        size_t n = strlen(roots[i]);
        if (strncmp(path, roots[i], n) == 0 && (path[n] == '/' || path[n] == 0)) return true;
    }
    return false;
}

/* Resolve dirfd + path. The synthetic trees are matched on the lexical
 * absolute path; everything else is walked in TFS from the start directory,
 * so ".." after a symlink means what it means on Linux. */
static long resolve_at(int dirfd, const char *path, int flags, bool follow, struct vnode *out)
{
    struct process *p = current_process();
    out->tfs = NULL;
    out->pseudo = NULL;
    if (!path[0]) {
        if (!(flags & AT_EMPTY_PATH)) return -ENOENT;
        struct file *f = fd_get(&p->fds, dirfd);
        if (!f) return -EBADF;
        long r = f->node ? 0 : -EBADF;
        out->tfs = f->node;
        file_put(f);
        return r;
    }
    char abs[PATH_MAX_LEN], target[PATH_MAX_LEN];
    absolute_path(p, dirfd, path, abs, sizeof abs);
    size_t plen = strlen(path);
    if (path[plen - 1] == '/') follow = true;   /* "link/" names what the link points at */
    for (int hops = 0;; hops++) {
        struct pseudo_node *pn;
        int r = pseudo_lookup(abs, &pn);
        if (r == PSEUDO_NOT_MINE) {
            /* A path that only left /dev, /proc or /sys through ".." is taken lexically. */
            if (hops == 0 && !under_pseudo_root(path)) {
                struct tfs_node *dir;
                long sr = start_dir(p, dirfd, path, &dir);
                if (sr < 0) return sr;
                return tfs_resolve(p->fs, dir, path, follow, &out->tfs);
            }
            return tfs_resolve(p->fs, tfs_root(p->fs), abs, follow, &out->tfs);
        }
        if (r < 0) return r;
        if (!follow || (pseudo_mode(pn) & S_IFMT) != S_IFLNK) {
            out->pseudo = pn;
            return 0;
        }
        if (hops == MAX_SYMLINK_HOPS) return -ELOOP;
        int n = pseudo_readlink(pn, target, sizeof target - 1);
        if (n < 0) return n;
        target[n] = 0;
        /* A relative target is relative to the link's directory. */
        char *slash = abs + strlen(abs);
        while (slash > abs && *slash != '/') slash--;
        slash[slash == abs ? 1 : 0] = 0;
        char next[PATH_MAX_LEN];
        join_path(abs, target, next, sizeof next);
        memcpy(abs, next, sizeof next);
    }
}

long sys_openat(int dirfd, uint64_t upath, int flags, int mode)
{
    struct process *p = current_process();
    char path[PATH_MAX_LEN];
    long r = user_path(path, upath);
    if (r < 0) return r;
    struct vnode v;
    r = resolve_at(dirfd, path, 0, !(flags & O_NOFOLLOW), &v);
    if (r == -ENOENT && (flags & O_CREAT)) return -EROFS;   /* the root is read-only for now */
    if (r < 0) return r;
    uint32_t fmt = vnode_mode(&v) & S_IFMT;
    if ((flags & O_CREAT) && (flags & O_EXCL)) return -EEXIST;
    if (fmt == S_IFLNK && !(flags & O_PATH)) return -ELOOP;
    if ((flags & O_DIRECTORY) && fmt != S_IFDIR) return -ENOTDIR;
    struct file *f;
    if (v.pseudo) {
        int err = 0;
        f = pseudo_open(p->heap, v.pseudo, (uint32_t)flags, &err);
        if (!f) return err ? err : -ENOMEM;
    } else {
        if (!(flags & O_PATH) && ((flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC)))
            return fmt == S_IFDIR ? -EISDIR : -EROFS;
        f = tfs_file_open(p->heap, p->fs, v.tfs, (uint32_t)flags);
        if (!f) return -ENOMEM;
    }
    char abs[PATH_MAX_LEN];
    absolute_path(p, dirfd, path, abs, sizeof abs);
    f->path = name_intern(abs);
    r = fd_install(&p->fds, f, 0, (flags & O_CLOEXEC) != 0);
    file_put(f);
    return r;
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
    struct vnode v;
    r = resolve_at(dirfd, path, flags, !(flags & AT_SYMLINK_NOFOLLOW), &v);
    if (r == 0) vnode_stat(&v, st);
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
    struct vnode v;
    r = resolve_at(dirfd, path, flags, !(flags & AT_SYMLINK_NOFOLLOW), &v);
    if (r < 0) return r;
    uint32_t m = vnode_mode(&v);
    if ((mode & W_OK) && !v.pseudo) return -EROFS;
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
    struct vnode v;
    r = resolve_at(dirfd, path, 0, false, &v);
    if (r < 0) return r;
    r = vnode_readlink(&v, target, sizeof target);
    if (r < 0) return r;
    r = MIN(r, (long)len);
    return copy_to_user(ubuf, target, (size_t)r) < 0 ? -EFAULT : r;
}

long sys_readlink(uint64_t path, uint64_t buf, uint64_t len) { return sys_readlinkat(AT_FDCWD, path, buf, len); }

long sys_getcwd(uint64_t buf, uint64_t len)
{
    struct process *p = current_process();
    size_t n = strlen(p->cwd_path) + 1;
    if (len < n) return -ERANGE;
    return copy_to_user(buf, p->cwd_path, n) < 0 ? -EFAULT : (long)n;
}

/* Append path's components to the canonical path out (length *o), folding
 * "." and ".." lexically. */
static void fold_components(const char *path, char *out, size_t *o, size_t size)
{
    for (const char *s = path; *s;) {
        while (*s == '/') s++;
        const char *e = s;
        while (*e && *e != '/') e++;
        size_t cl = (size_t)(e - s);
        if (cl == 2 && s[0] == '.' && s[1] == '.') {
            while (*o > 1 && out[*o - 1] != '/') (*o)--;
            if (*o > 1) (*o)--;
        } else if (cl && !(cl == 1 && s[0] == '.') && *o + cl + 2 < size) {
            if (*o > 1) out[(*o)++] = '/';
            memcpy(out + *o, s, cl);
            *o += cl;
        }
        s = e;
    }
    out[*o] = 0;
}

static void join_path(const char *cwd, const char *path, char *out, size_t size)
{
    size_t o = 1;
    out[0] = '/';
    out[1] = 0;
    if (path[0] != '/') fold_components(cwd, out, &o, size);
    fold_components(path, out, &o, size);
}

long sys_chdir(uint64_t upath)
{
    struct process *p = current_process();
    char path[PATH_MAX_LEN];
    long r = user_path(path, upath);
    if (r < 0) return r;
    struct tfs_node *n;
    r = tfs_resolve(p->fs, p->cwd, path, true, &n);
    if (r < 0) return r;
    if ((tfs_mode(n) & S_IFMT) != S_IFDIR) return -ENOTDIR;
    char joined[PATH_MAX_LEN];
    join_path(p->cwd_path, path, joined, sizeof joined);
    memcpy(p->cwd_path, joined, sizeof joined);
    p->cwd = n;
    return 0;
}
