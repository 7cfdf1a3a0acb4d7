/* The path walker (see walk.h). The path it reached is kept beside the
 * node because mount points are named by path, and because ".." out of a
 * mounted filesystem's root needs to know where that filesystem hangs. */
#include "walk.h"
#include "mounts.h"
#include "../kernel/kernel.h"
#include "../klib/path.h"
#include "../klib/string.h"

#define S_IFMT 0170000
#define S_IFDIR 0040000
#define S_IFLNK 0120000
#define MAX_SYMLINKS 40   /* Linux's MAXSYMLINKS */
#define NAME_MAX 255

uint32_t vnode_mode(const struct vnode *v)
{
    return v->pseudo ? pseudo_mode(v->pseudo) : v->mem ? memfs_mode(v->mem) : tfs_mode(v->tfs);
}

bool vnode_is_dir(const struct vnode *v) { return (vnode_mode(v) & S_IFMT) == S_IFDIR; }

static bool vnode_is_link(const struct vnode *v) { return (vnode_mode(v) & S_IFMT) == S_IFLNK; }

void vnode_stat(const struct vnode *v, struct linux_stat *st)
{
    if (v->pseudo) pseudo_stat(v->pseudo, st);
    else if (v->mem) memfs_stat(v->mem, st);
    else stat_from_tfs(v->tfs, st);
}

long vnode_readlink(const struct vnode *v, char *buf, size_t len)
{
    if (v->mem) return memfs_readlink(v->mem, buf, len);
    return v->pseudo ? pseudo_readlink(v->pseudo, buf, len) : tfs_readlink(v->tfs, buf, len);
}

void walk_root(struct walk_pos *pos)
{
    pos->node = (struct vnode){ .fs = kernel.root_fs, .tfs = tfs_root(kernel.root_fs) };
    pos->path[0] = '/';
    pos->path[1] = 0;
}

/* The root of the filesystem mounted exactly at absolute path `abs`. */
static bool mounted_at(const char *abs, struct vnode *root)
{
    struct pseudo_node *pn = pseudo_mount_root(abs);
    if (pn) {
        *root = (struct vnode){ .pseudo = pn };
        return true;
    }
    struct mem_node *mn = memfs_mount_root(abs);
    if (mn) {
        *root = (struct vnode){ .mem = mn };
        return true;
    }
    struct tfs *vol = mount_at(&kernel.mounts, abs);
    if (!vol) return false;
    *root = (struct vnode){ .fs = vol, .tfs = tfs_root(vol) };
    return true;
}

static bool at_global_root(const struct vnode *v)
{
    return !v->pseudo && !v->mem && v->fs == kernel.root_fs && v->tfs == tfs_root(kernel.root_fs);
}

/* The root of some mounted filesystem other than the global root. */
static bool at_mount_root(const struct vnode *v)
{
    if (v->mem) return memfs_parent(v->mem) == NULL;
    return v->pseudo ? pseudo_parent(v->pseudo) == NULL : v->tfs == tfs_root(v->fs);
}

/* Drop the last component of an absolute path ("/a/b" -> "/a", "/a" -> "/"). */
static void path_up(char *path)
{
    char *slash = path + strlen(path);
    while (slash > path && *slash != '/') slash--;
    slash[slash == path ? 1 : 0] = 0;
}

/* Append one name; -ENAMETOOLONG if the reached path would not fit. */
static int path_down(char *path, const char *name, size_t len)
{
    size_t have = strlen(path), sep = have > 1 ? 1 : 0;
    if (have + sep + len >= WALK_PATH_MAX) return -ENAMETOOLONG;
    if (sep) path[have] = '/';
    memcpy(path + have + sep, name, len);
    path[have + sep + len] = 0;
    return 0;
}

static int step(struct walk_pos *pos, const char *name, size_t len);

/* ".." from the root of a mounted filesystem: the directory holding its
 * mount point. The mount point's path was reached by walking, so it has no
 * symlinks or dots and is walked again name by name; mount points are short
 * (MOUNT_PATH_MAX), which keeps this off the stack's budget. */
static int leave_mount(struct walk_pos *pos)
{
    path_up(pos->path);
    char parent[MOUNT_PATH_MAX];
    size_t len = strlen(pos->path);
    if (len >= sizeof parent) return -ENAMETOOLONG;
    memcpy(parent, pos->path, len + 1);
    walk_root(pos);
    const char *p = parent;
    const char *name;
    while ((name = path_component(&p, &len))) {
        int r = step(pos, name, len);
        if (r < 0) return r;
    }
    return 0;
}

/* Move *pos into one name of the directory it stands on: ".", "..", a mount
 * point, or an entry of the directory's own filesystem. */
static int step(struct walk_pos *pos, const char *name, size_t len)
{
    struct vnode *v = &pos->node;
    if (!vnode_is_dir(v)) return -ENOTDIR;
    if (len > NAME_MAX) return -ENAMETOOLONG;
    if (len == 1 && name[0] == '.') return 0;
    if (len == 2 && name[0] == '.' && name[1] == '.') {
        if (at_global_root(v)) return 0;   /* ".." at "/" is "/" */
        if (at_mount_root(v)) return leave_mount(pos);
        if (v->pseudo) {
            v->pseudo = pseudo_parent(v->pseudo);
        } else if (v->mem) {
            v->mem = memfs_parent(v->mem);
        } else {
            int r = tfs_lookup(v->fs, v->tfs, name, len, &v->tfs);
            if (r < 0) return r;
        }
        path_up(pos->path);
        return 0;
    }
    int r = path_down(pos->path, name, len);
    if (r < 0) return r;
    /* A mount hides whatever the directory itself has under that name. */
    if (mounted_at(pos->path, v)) return 0;
    struct vnode next = *v;
    r = v->pseudo ? pseudo_lookup(v->pseudo, name, len, &next.pseudo)
        : v->mem  ? memfs_lookup(v->mem, name, len, &next.mem)
                  : tfs_lookup(v->fs, v->tfs, name, len, &next.tfs);
    if (r < 0) {
        path_up(pos->path);
        return r;
    }
    *v = next;
    return 0;
}

/* Replace the component just walked (a symlink) with the link's target:
 * the path left to walk becomes the target followed by *rest (what came
 * after the link). Done in rest_buf itself, which the walk's stack budget
 * (the boot stack runs the loader's walks) cannot afford twice: *rest moves
 * to the end, the target is read in front of it, then the two are joined. */
static int splice_link(const struct vnode *link, char *rest_buf, const char **rest)
{
    size_t after = strlen(*rest);
    char *tail = rest_buf + WALK_PATH_MAX - after - 1;
    memmove(tail, *rest, after + 1);
    size_t room = (size_t)(tail - rest_buf);
    long n = vnode_readlink(link, rest_buf, room);
    if (n < 0) return n == -EINVAL ? -ENOENT : (int)n;
    if (n == 0) return -ENOENT;
    if ((size_t)n == room) return -ENAMETOOLONG;   /* it may not have fitted: no room for the NUL anyway */
    memmove(rest_buf + n, tail, after + 1);
    *rest = rest_buf;
    return 0;
}

int walk_path(struct walk_pos *pos, const char *path, unsigned flags, struct walk_last *last)
{
    size_t plen = strlen(path);
    if (!plen) return -ENOENT;
    if (plen >= WALK_PATH_MAX) return -ENAMETOOLONG;
    char rest_buf[WALK_PATH_MAX];
    memcpy(rest_buf, path, plen + 1);
    const char *rest = rest_buf;
    int links = 0;
    bool restart = true;   /* at the beginning of a path (the given one or a link's target) */
    for (;;) {
        if (restart && *rest == '/') walk_root(pos);
        restart = false;
        while (*rest == '/') rest++;
        if (!*rest) {
            /* Nothing named after the slashes: the walk stands on what was asked for. */
            if (flags & WALK_PARENT) return -EBUSY;
            return 0;
        }
        const char *name = rest;
        size_t len = 0;
        while (name[len] && name[len] != '/') len++;
        const char *after = name + len;   /* what follows this name, slashes included */
        const char *next = after;
        while (*next == '/') next++;
        bool is_last = !*next, trailing_slash = is_last && after != next;
        if (len > NAME_MAX) return -ENAMETOOLONG;

        struct vnode dir = pos->node;
        size_t dir_len = strlen(pos->path);
        if (is_last && (flags & WALK_PARENT)) {
            if (!vnode_is_dir(&dir)) return -ENOTDIR;
            memcpy(last->name, name, len);
            last->name[len] = 0;
            last->len = len;
            last->trailing_slash = trailing_slash;
            bool dots = (len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.');
            if (dots) return 0;   /* each call has its own answer for "." and ".." */
            int r = step(pos, name, len);
            struct vnode mounted;
            bool mount_point = r == 0 && mounted_at(pos->path, &mounted);
            bool follow = r == 0 && (flags & WALK_FOLLOW) && vnode_is_link(&pos->node);
            if (follow) {
                if (++links > MAX_SYMLINKS) return -ELOOP;
                struct vnode link = pos->node;
                pos->node = dir;
                pos->path[dir_len] = 0;
                rest = after;
                if ((r = splice_link(&link, rest_buf, &rest)) < 0) return r;
                restart = true;
                continue;
            }
            pos->node = dir;
            pos->path[dir_len] = 0;
            if (mount_point) return -EBUSY;
            return r == -ENOENT || r == 0 ? 0 : r;
        }

        int r = step(pos, name, len);
        if (r < 0) return r;
        if (vnode_is_link(&pos->node) && (!is_last || (flags & WALK_FOLLOW) || trailing_slash)) {
            if (++links > MAX_SYMLINKS) return -ELOOP;
            struct vnode link = pos->node;
            pos->node = dir;   /* a relative target continues in the link's directory */
            pos->path[dir_len] = 0;
            rest = after;
            if ((r = splice_link(&link, rest_buf, &rest)) < 0) return r;
            restart = true;
            continue;
        }
        if (is_last) return trailing_slash && !vnode_is_dir(&pos->node) ? -ENOTDIR : 0;
        rest = next;
    }
}
