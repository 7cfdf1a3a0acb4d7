/* From a path the program gave to what it names. The synthetic trees
 * (/dev, /proc, /sys) are matched on the lexical absolute path; everything
 * else is walked in TFS from the start directory, so ".." after a symlink
 * means what it means on Linux. */
#include "path.h"
#include "../kernel/usercopy.h"
#include "../klib/string.h"
#include "../klib/path.h"

#define S_IFMT 0170000
#define S_IFDIR 0040000
#define S_IFLNK 0120000

void join_path(const char *dir, const char *path, char *out, size_t size)
{
    /* Too long to name anything: an empty path, which nothing resolves. */
    if (path_join(dir, path, out, size) < 0) out[0] = 0;
}

long user_path(char *buf, uint64_t upath)
{
    return copy_string_from_user(buf, upath, PATH_MAX_LEN);
}

/* The directory (and its volume) a relative path starts from. */
static long start_dir(struct process *p, int dirfd, const char *path, struct tfs **fs, struct tfs_node **out)
{
    if (path[0] == '/') {
        *fs = p->fs;
        *out = tfs_root(p->fs);
        return 0;
    }
    if (dirfd == AT_FDCWD) {
        *fs = p->cwd_fs;
        *out = p->cwd;
        return 0;
    }
    struct file *f = fd_get(&p->fds, dirfd);
    if (!f) return -EBADF;
    long r = 0;
    if (!f->node || !f->fs) r = -ENOTDIR;
    else if ((tfs_mode(f->node) & S_IFMT) != S_IFDIR) r = -ENOTDIR;
    else {
        *fs = f->fs;
        *out = f->node;
    }
    file_put(f);
    return r;
}


/* The absolute path a dirfd-relative path names (lexically). */
void absolute_path(struct process *p, int dirfd, const char *path, char *out, size_t size)
{
    const char *base = p->cwd_path;
    struct file *f = NULL;
    if (path[0] != '/' && dirfd != AT_FDCWD && (f = fd_get(&p->fds, dirfd)) && f->path) base = f->path;
    join_path(base, path, out, size);
    if (f) file_put(f);
}

uint32_t vnode_mode(const struct vnode *v)
{
    return v->pseudo ? pseudo_mode(v->pseudo) : tfs_mode(v->tfs);
}

void vnode_stat(const struct vnode *v, struct linux_stat *st)
{
    if (v->pseudo) pseudo_stat(v->pseudo, st);
    else stat_from_tfs(v->tfs, st);
}

long vnode_readlink(const struct vnode *v, char *buf, size_t len)
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
long resolve_at(int dirfd, const char *path, int flags, bool follow, struct vnode *out)
{
    struct process *p = current_process();
    out->fs = p->fs;
    out->tfs = NULL;
    out->pseudo = NULL;
    if (!path[0]) {
        if (!(flags & AT_EMPTY_PATH)) return -ENOENT;
        struct file *f = fd_get(&p->fds, dirfd);
        if (!f) return -EBADF;
        long r = f->node ? 0 : -EBADF;
        out->tfs = f->node;
        if (f->fs) out->fs = f->fs;
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
            const char *rest;
            struct tfs *vol = mount_lookup(&kernel.mounts, abs, &rest);
            if (vol) {
                /* Inside a mounted volume: walk the rest of the path from its root. */
                out->fs = vol;
                return tfs_resolve(vol, tfs_root(vol), *rest ? rest : ".", follow, &out->tfs);
            }
            /* A path that only left /dev, /proc or /sys through ".." is taken lexically. */
            if (hops == 0 && !under_pseudo_root(path)) {
                struct tfs_node *dir;
                long sr = start_dir(p, dirfd, path, &out->fs, &dir);
                if (sr < 0) return sr;
                if (out->fs == p->fs) return tfs_resolve(out->fs, dir, path, follow, &out->tfs);
                /* From inside a volume to outside it: only the lexical path knows the way. */
                out->fs = p->fs;
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


long resolve_parent(int dirfd, const char *path, struct tfs **fs, struct tfs_node **dir, const char **name,
                    size_t *namelen, bool *must_be_dir)
{
    struct process *p = current_process();
    size_t len = strlen(path);
    if (!len) return -ENOENT;
    *must_be_dir = false;
    while (len > 1 && path[len - 1] == '/') {
        len--;
        *must_be_dir = true;
    }
    size_t start = len;
    while (start > 0 && path[start - 1] != '/') start--;
    *name = path + start;
    *namelen = len - start;
    if (!*namelen) return -EBUSY;   /* "/" itself */
    char parent[PATH_MAX_LEN];
    if (start == 0) {
        parent[0] = '.';
        parent[1] = 0;
    } else {
        memcpy(parent, path, start);
        parent[start] = 0;
    }
    char abs[PATH_MAX_LEN];
    absolute_path(p, dirfd, parent, abs, sizeof abs);
    struct pseudo_node *pn;
    if (pseudo_lookup(abs, &pn) != PSEUDO_NOT_MINE) return -EACCES;   /* nothing is created under /dev, /proc, /sys */
    struct vnode v;
    long r = resolve_at(dirfd, parent, 0, true, &v);
    if (r < 0) return r;
    if (v.pseudo) return -EACCES;
    if ((tfs_mode(v.tfs) & S_IFMT) != S_IFDIR) return -ENOTDIR;
    *fs = v.fs;
    *dir = v.tfs;
    return 0;
}
