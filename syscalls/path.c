/* Paths as system calls take them: a user string, a dirfd or the working
 * directory to start from, then one walk (fs/walk.c). */
#include "path.h"
#include "../kernel/usercopy.h"
#include "../klib/string.h"

long user_path(char *buf, uint64_t upath)
{
    return copy_string_from_user(buf, upath, PATH_MAX_LEN);
}

/* What an open file stands on, if it is a TFS node, a memfs node or a synthetic node. */
static bool file_vnode(struct file *f, struct vnode *v)
{
    if (file_is_tfs(f) && f->node) {
        *v = (struct vnode){ .fs = f->fs, .tfs = f->node };
        return true;
    }
    struct mem_node *mn = memfs_file_node(f);
    if (mn) {
        *v = (struct vnode){ .mem = mn };
        return true;
    }
    struct pseudo_node *pn = pseudo_file_node(f);
    if (!pn) return false;
    *v = (struct vnode){ .pseudo = pn };
    return true;
}

/* Where a relative path starts: the working directory, or the directory
 * dirfd is open on (with the path it was opened by). */
static long start_at(struct process *p, int dirfd, struct walk_pos *pos)
{
    if (dirfd == AT_FDCWD) {
        uint64_t irq = spin_lock_irqsave(&p->cwd_lock);
        pos->node = (struct vnode){ .fs = p->cwd_fs, .tfs = p->cwd, .pseudo = p->cwd_pseudo, .mem = p->cwd_mem };
        memcpy(pos->path, p->cwd_path, strlen(p->cwd_path) + 1);
        spin_unlock_irqrestore(&p->cwd_lock, irq);
        return 0;
    }
    struct file *f = fd_get(&p->fds, dirfd);
    if (!f) return -EBADF;
    long r = 0;
    if (!file_vnode(f, &pos->node) || !vnode_is_dir(&pos->node) || !f->path) r = -ENOTDIR;
    else memcpy(pos->path, f->path, strlen(f->path) + 1);
    file_put(f);
    return r;
}

long resolve_at(int dirfd, const char *path, int at_flags, bool follow, struct walk_pos *out)
{
    struct process *p = current_process();
    if (!path[0]) {
        if (!(at_flags & AT_EMPTY_PATH)) return -ENOENT;
        struct file *f = fd_get(&p->fds, dirfd);
        if (!f) return -EBADF;
        long r = file_vnode(f, &out->node) ? 0 : -EBADF;
        out->path[0] = 0;
        if (f->path) memcpy(out->path, f->path, MIN(strlen(f->path) + 1, sizeof out->path));
        file_put(f);
        return r;
    }
    if (path[0] != '/') {
        long r = start_at(p, dirfd, out);
        if (r < 0) return r;
    }
    return walk_path(out, path, follow ? WALK_FOLLOW : 0, NULL);
}

long resolve_parent(int dirfd, const char *path, bool follow, struct walk_pos *dir, struct walk_last *last)
{
    struct process *p = current_process();
    if (!path[0]) return -ENOENT;
    if (path[0] != '/') {
        long r = start_at(p, dirfd, dir);
        if (r < 0) return r;
    }
    long r = walk_path(dir, path, WALK_PARENT | (follow ? WALK_FOLLOW : 0), last);
    if (r < 0) return r;
    return dir->node.pseudo ? -EACCES : 0;
}
