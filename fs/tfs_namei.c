/* Namespace changes: create, mkdir, symlink, link, unlink, rmdir, rename,
 * setattr, and node references. Each change first reserves log room (so a
 * full log or disk fails it before anything happens), then does every step
 * that can fail for lack of memory, then updates memory and appends its
 * records to the pending transaction. */
#include "tfs_internal.h"
#include "../klib/string.h"

#define SUB_DIRENT_MAX (TFS_SUB_HEADER_SIZE + TFS_DIRENT_NAME + TFS_NAME_MAX + 8)
#define SUB_DIRDEL_MAX (TFS_SUB_HEADER_SIZE + TFS_DIRDEL_NAME + TFS_NAME_MAX + 8)
#define SUB_IFREE (TFS_SUB_HEADER_SIZE + TFS_IFREE_LEN)

/* Atomic: callers may hold a node of another volume's guard, or none. */
void tfs_node_get(struct tfs_node *n) { __atomic_add_fetch(&n->refs, 1, __ATOMIC_RELAXED); }

/* Free a node that no name and no reference keeps: its blocks become
 * reusable once the INODE_FREE before this is durable. */
static void destroy(struct tfs *fs, struct tfs_node *n)
{
    if (fs->writable && tfs_is_reg(n)) tfs_extent_punch(fs->heap, n, 0, TFS_MAX_FILE_BLOCKS, tfs_freed_cb, fs);
    tfs_node_free(fs->heap, n);
}

void tfs_node_put_locked(struct tfs *fs, struct tfs_node *n)
{
    if (!n->refs || __atomic_sub_fetch(&n->refs, 1, __ATOMIC_ACQ_REL) || !n->dead) return;
    struct tfs_node **pp = &fs->dead_list;
    while (*pp && *pp != n) pp = &(*pp)->dead_next;
    if (*pp) *pp = n->dead_next;
    destroy(fs, n);
}

/* The last name went away: forget the inode in the log; keep the node in
 * memory while it is referenced (open files, cwd). */
static void drop_inode(struct tfs *fs, struct tfs_node *n)
{
    uint8_t p[TFS_IFREE_LEN];
    tfs_put64(p + TFS_IFREE_INO, n->ino);
    tfs_log_add(fs, TFS_REC_INODE_FREE, p, sizeof(p));
    tfs_undirty(fs, n);
    tfs_inode_remove(fs, n);
    n->nlink = 0;
    if (n->refs) {
        n->dead = true;
        n->dead_next = fs->dead_list;
        fs->dead_list = n;
    } else {
        destroy(fs, n);
    }
}

static void log_dirent_add(struct tfs *fs, struct tfs_node *dir, const char *name, size_t len, struct tfs_node *child)
{
    uint8_t p[TFS_DIRENT_NAME + TFS_NAME_MAX];
    tfs_put64(p + TFS_DIRENT_DIR, dir->ino);
    tfs_put64(p + TFS_DIRENT_CHILD, child->ino);
    tfs_put16(p + TFS_DIRENT_NAMELEN, (uint16_t)len);
    memcpy(p + TFS_DIRENT_NAME, name, len);
    tfs_log_add(fs, TFS_REC_DIRENT_ADD, p, (uint32_t)(TFS_DIRENT_NAME + len));
}

static void log_dirent_del(struct tfs *fs, struct tfs_node *dir, const char *name, size_t len)
{
    uint8_t p[TFS_DIRDEL_NAME + TFS_NAME_MAX];
    tfs_put64(p + TFS_DIRDEL_DIR, dir->ino);
    tfs_put16(p + TFS_DIRDEL_NAMELEN, (uint16_t)len);
    memcpy(p + TFS_DIRDEL_NAME, name, len);
    tfs_log_add(fs, TFS_REC_DIRENT_DEL, p, (uint32_t)(TFS_DIRDEL_NAME + len));
}

static bool is_dot(const char *name, size_t len)
{
    return (len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.');
}

/* Checks shared by every change of a name in dir. */
static int check_name(struct tfs *fs, struct tfs_node *dir, const char *name, size_t len)
{
    if (!fs->writable) return -EROFS;
    if (fs->broken) return -EIO;
    if (!tfs_is_dir(dir)) return -ENOTDIR;
    if (dir->dead) return -ENOENT;
    if (len == 0) return -ENOENT;
    if (len > TFS_NAME_MAX) return -ENAMETOOLONG;
    if (is_dot(name, len)) return 0;   /* each caller decides what "." means */
    for (size_t i = 0; i < len; i++)
        if (name[i] == '/' || name[i] == 0) return -EINVAL;
    return 0;
}

static void touch_dir(struct tfs *fs, struct tfs_node *dir, uint64_t now)
{
    dir->mtime_ns = dir->ctime_ns = now;
    tfs_mark_dirty(fs, dir);
}

/* Shared body of create, mkdir and symlink. */
static int make(struct tfs *fs, struct tfs_node *dir, const char *name, size_t len, uint32_t mode, uint32_t uid,
                uint32_t gid, const char *target, size_t tlen, struct tfs_node **out)
{
    int rc = check_name(fs, dir, name, len);
    if (rc) return rc;
    if (is_dot(name, len) || tfs_dir_find(dir, name, len)) return -EEXIST;
    bool is_dir = (mode & TFS_S_IFMT) == TFS_S_IFDIR;
    if (is_dir && dir->nlink == UINT32_MAX) return -EMLINK;
    size_t need = TFS_SUB_INODE_BYTES + SUB_DIRENT_MAX + (target ? TFS_SUB_HEADER_SIZE + 8 + tlen + 8 : 0);
    if ((rc = tfs_log_reserve(fs, need))) return rc;

    struct tfs_node *n = allocate_zero(fs->heap, sizeof(*n));
    if (!n) return -ENOMEM;
    uint64_t now = tfs_now(fs);
    n->ino = fs->next_ino;
    n->mode = mode;
    n->nlink = is_dir ? 2 : 1;
    n->uid = uid;
    n->gid = gid;
    n->atime_ns = n->mtime_ns = n->ctime_ns = now;
    if (target) {
        n->target = allocate(fs->heap, tlen + 1);
        if (!n->target) {
            deallocate(fs->heap, n, sizeof(*n));
            return -ENOMEM;
        }
        memcpy(n->target, target, tlen);
        n->target[tlen] = 0;
        n->target_len = (uint32_t)tlen;
        n->size = tlen;
    }
    if (tfs_inode_insert(fs, n)) {
        tfs_node_free(fs->heap, n);
        return -ENOMEM;
    }
    if (tfs_dir_add(fs, dir, name, len, n)) {
        tfs_inode_remove(fs, n);
        tfs_node_free(fs->heap, n);
        return -ENOMEM;
    }
    fs->next_ino++;
    tfs_log_inode_now(fs, n);
    if (target) {
        uint8_t p[TFS_SYMLINK_TARGET];
        tfs_put64(p + TFS_SYMLINK_INO, n->ino);
        tfs_log_add2(fs, TFS_REC_SYMLINK, p, sizeof(p), target, (uint32_t)tlen);
    }
    log_dirent_add(fs, dir, name, len, n);
    if (is_dir) dir->nlink++;
    touch_dir(fs, dir, now);
    if (out) *out = n;
    return 0;
}

int tfs_create_locked(struct tfs *fs, struct tfs_node *dir, const char *name, size_t namelen, uint32_t mode, uint32_t uid,
               uint32_t gid, struct tfs_node **out)
{
    return make(fs, dir, name, namelen, TFS_S_IFREG | (mode & 07777), uid, gid, 0, 0, out);
}

int tfs_mksock_locked(struct tfs *fs, struct tfs_node *dir, const char *name, size_t namelen, uint32_t mode, uint32_t uid,
                      uint32_t gid, struct tfs_node **out)
{
    return make(fs, dir, name, namelen, TFS_S_IFSOCK | (mode & 07777), uid, gid, 0, 0, out);
}

int tfs_mkdir_locked(struct tfs *fs, struct tfs_node *dir, const char *name, size_t namelen, uint32_t mode, uint32_t uid,
              uint32_t gid, struct tfs_node **out)
{
    return make(fs, dir, name, namelen, TFS_S_IFDIR | (mode & 07777), uid, gid, 0, 0, out);
}

int tfs_symlink_locked(struct tfs *fs, struct tfs_node *dir, const char *name, size_t namelen, const char *target,
                size_t targetlen, uint32_t uid, uint32_t gid, struct tfs_node **out)
{
    if (targetlen == 0) return -ENOENT;
    if (targetlen > TFS_SYMLINK_MAX) return -ENAMETOOLONG;
    for (size_t i = 0; i < targetlen; i++)
        if (!target[i]) return -EINVAL;
    return make(fs, dir, name, namelen, TFS_S_IFLNK | 0777, uid, gid, target, targetlen, out);
}

int tfs_link_locked(struct tfs *fs, struct tfs_node *node, struct tfs_node *dir, const char *name, size_t namelen)
{
    int rc = check_name(fs, dir, name, namelen);
    if (rc) return rc;
    /* Linux checks the new name before the kind of the old one. */
    if (is_dot(name, namelen) || tfs_dir_find(dir, name, namelen)) return -EEXIST;
    if (tfs_is_dir(node)) return -EPERM;
    if (node->dead) return -ENOENT;
    if (node->nlink >= 65000) return -EMLINK;
    if ((rc = tfs_log_reserve(fs, SUB_DIRENT_MAX))) return rc;
    if (tfs_dir_add(fs, dir, name, namelen, node)) return -ENOMEM;
    log_dirent_add(fs, dir, name, namelen, node);
    uint64_t now = tfs_now(fs);
    node->nlink++;
    node->ctime_ns = now;
    tfs_mark_dirty(fs, node);
    touch_dir(fs, dir, now);
    return 0;
}

/* Remove entry d from dir and drop the child's link. */
static void remove_name(struct tfs *fs, struct tfs_node *dir, struct tfs_dent *d, uint64_t now)
{
    struct tfs_node *child = d->child;
    log_dirent_del(fs, dir, d->name, d->namelen);
    tfs_dir_remove(fs, dir, d);
    if (tfs_is_dir(child)) dir->nlink--;
    touch_dir(fs, dir, now);
    child->ctime_ns = now;
    if (tfs_is_dir(child) || child->names == 0) {
        drop_inode(fs, child);
    } else {
        child->nlink--;
        tfs_mark_dirty(fs, child);
    }
}

int tfs_unlink_locked(struct tfs *fs, struct tfs_node *dir, const char *name, size_t namelen)
{
    int rc = check_name(fs, dir, name, namelen);
    if (rc) return rc;
    if (is_dot(name, namelen)) return -EISDIR;
    struct tfs_dent *d = tfs_dir_find(dir, name, namelen);
    if (!d) return -ENOENT;
    if (tfs_is_dir(d->child)) return -EISDIR;
    if ((rc = tfs_log_reserve(fs, SUB_DIRDEL_MAX + SUB_IFREE))) return rc;
    remove_name(fs, dir, d, tfs_now(fs));
    return 0;
}

int tfs_rmdir_locked(struct tfs *fs, struct tfs_node *dir, const char *name, size_t namelen)
{
    int rc = check_name(fs, dir, name, namelen);
    if (rc) return rc;
    if (namelen == 1 && name[0] == '.') return -EINVAL;
    if (namelen == 2 && name[0] == '.' && name[1] == '.') return -ENOTEMPTY;
    struct tfs_dent *d = tfs_dir_find(dir, name, namelen);
    if (!d) return -ENOENT;
    if (!tfs_is_dir(d->child)) return -ENOTDIR;
    if (d->child->nlive) return -ENOTEMPTY;
    if ((rc = tfs_log_reserve(fs, SUB_DIRDEL_MAX + SUB_IFREE))) return rc;
    remove_name(fs, dir, d, tfs_now(fs));
    return 0;
}

/* Is `dir` the node `top` or somewhere below it? */
static bool inside(struct tfs_node *dir, struct tfs_node *top)
{
    for (struct tfs_node *p = dir; p; p = p->parent)
        if (p == top) return true;
    return false;
}

int tfs_rename_locked(struct tfs *fs, struct tfs_node *olddir, const char *oldname, size_t oldlen, struct tfs_node *newdir,
               const char *newname, size_t newlen, unsigned flags)
{
    int rc = check_name(fs, olddir, oldname, oldlen);
    if (!rc) rc = check_name(fs, newdir, newname, newlen);
    if (rc) return rc;
    if (flags & ~(TFS_RENAME_NOREPLACE | TFS_RENAME_EXCHANGE) ||
        flags == (TFS_RENAME_NOREPLACE | TFS_RENAME_EXCHANGE))
        return -EINVAL;
    if (is_dot(oldname, oldlen) || is_dot(newname, newlen)) return -EBUSY;
    struct tfs_dent *od = tfs_dir_find(olddir, oldname, oldlen);
    if (!od) return -ENOENT;
    struct tfs_dent *nd = tfs_dir_find(newdir, newname, newlen);
    struct tfs_node *src = od->child, *dst = nd ? nd->child : 0;
    bool exchange = flags & TFS_RENAME_EXCHANGE;
    if (exchange && !nd) return -ENOENT;
    if (nd && (flags & TFS_RENAME_NOREPLACE)) return -EEXIST;
    if (src == dst) return 0;   /* two names of one inode: nothing to do */
    if (tfs_is_dir(src) && inside(newdir, src)) return -EINVAL;
    if (exchange && tfs_is_dir(dst) && inside(olddir, dst)) return -EINVAL;
    if (dst && !exchange) {
        if (tfs_is_dir(src) && !tfs_is_dir(dst)) return -ENOTDIR;
        if (!tfs_is_dir(src) && tfs_is_dir(dst)) return -EISDIR;
        if (tfs_is_dir(dst) && dst->nlive) return -ENOTEMPTY;
    }
    if ((rc = tfs_log_reserve(fs, 2 * SUB_DIRDEL_MAX + 2 * SUB_DIRENT_MAX + SUB_IFREE))) return rc;
    uint64_t now = tfs_now(fs);

    if (!dst) {
        /* Plain move: the new entry first, since only it can fail. */
        if (tfs_dir_add(fs, newdir, newname, newlen, src)) return -ENOMEM;
        log_dirent_del(fs, olddir, oldname, oldlen);
        log_dirent_add(fs, newdir, newname, newlen, src);
        tfs_dir_remove(fs, olddir, od);
        if (tfs_is_dir(src)) {
            src->parent = newdir;
            olddir->nlink--;
            newdir->nlink++;
        }
    } else if (exchange) {
        log_dirent_del(fs, olddir, oldname, oldlen);
        log_dirent_del(fs, newdir, newname, newlen);
        log_dirent_add(fs, olddir, oldname, oldlen, dst);
        log_dirent_add(fs, newdir, newname, newlen, src);
        od->child = dst;
        nd->child = src;
        if (tfs_is_dir(src)) {
            src->parent = newdir;
            olddir->nlink--;
            newdir->nlink++;
        }
        if (tfs_is_dir(dst)) {
            dst->parent = olddir;
            newdir->nlink--;
            olddir->nlink++;
        }
        dst->ctime_ns = now;
        tfs_mark_dirty(fs, dst);
    } else {
        /* Replace: nd now names src, and dst loses a name. */
        log_dirent_del(fs, olddir, oldname, oldlen);
        log_dirent_del(fs, newdir, newname, newlen);
        log_dirent_add(fs, newdir, newname, newlen, src);
        tfs_dir_remove(fs, olddir, od);
        nd->child = src;
        src->names++;
        dst->names--;
        if (tfs_is_dir(src)) {
            src->parent = newdir;
            olddir->nlink--;   /* newdir keeps its count: dst was a directory too */
        }
        dst->ctime_ns = now;
        if (tfs_is_dir(dst)) {
            dst->parent = 0;
            drop_inode(fs, dst);
        } else if (dst->names == 0) {
            drop_inode(fs, dst);
        } else {
            dst->nlink--;
            tfs_mark_dirty(fs, dst);
        }
    }
    src->ctime_ns = now;
    tfs_mark_dirty(fs, src);
    touch_dir(fs, olddir, now);
    touch_dir(fs, newdir, now);
    return 0;
}

int tfs_setattr_locked(struct tfs *fs, struct tfs_node *n, uint32_t mask, uint32_t mode, uint32_t uid, uint32_t gid,
                uint64_t atime_ns, uint64_t mtime_ns)
{
    if (!fs->writable) return -EROFS;
    if (fs->broken) return -EIO;
    int rc = tfs_log_reserve(fs, 0);
    if (rc) return rc;
    if (mask & TFS_SET_MODE) n->mode = (n->mode & TFS_S_IFMT) | (mode & 07777);
    if (mask & TFS_SET_UID) n->uid = uid;
    if (mask & TFS_SET_GID) n->gid = gid;
    if (mask & TFS_SET_ATIME) n->atime_ns = atime_ns;
    if (mask & TFS_SET_MTIME) n->mtime_ns = mtime_ns;
    n->ctime_ns = tfs_now(fs);
    tfs_mark_dirty(fs, n);
    return 0;
}
