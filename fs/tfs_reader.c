/* Queries on a mounted TFS: name lookup, path resolution, stat, reading
 * symlinks, listing directories. All of it works on the in-memory tables
 * built by tfs_mount (file data is in tfs_data.c). */
#include "tfs_internal.h"
#include "../klib/string.h"

#define TFS_MAX_SYMLINKS 40

struct tfs_node *tfs_root(struct tfs *fs) { return fs->root; }
uint32_t tfs_mode(const struct tfs_node *n) { return n->mode; }
uint64_t tfs_ino(const struct tfs_node *n) { return n->ino; }

const struct tfs_config *tfs_config(struct tfs *fs) { return fs->has_config ? &fs->config : 0; }

int tfs_lookup_locked(struct tfs *fs, struct tfs_node *dir, const char *name, size_t namelen, struct tfs_node **out)
{
    if (!tfs_is_dir(dir)) return -ENOTDIR;
    if (namelen > TFS_NAME_MAX) return -ENAMETOOLONG;
    if (namelen == 0 || dir->dead) return -ENOENT;
    if (namelen == 1 && name[0] == '.') {
        *out = dir;
        return 0;
    }
    if (namelen == 2 && name[0] == '.' && name[1] == '.') {
        *out = dir->parent ? dir->parent : fs->root;
        return 0;
    }
    struct tfs_dent *d = tfs_dir_find(dir, name, namelen);
    if (!d) return -ENOENT;
    *out = d->child;
    return 0;
}

/* Resolve path[0..len) from start. `links` counts symlinks followed across
 * the whole resolution, including nested targets, so recursion depth is
 * bounded by TFS_MAX_SYMLINKS. */
static int walk(struct tfs *fs, struct tfs_node *start, const char *path, size_t len, bool follow_last,
                int *links, struct tfs_node **out)
{
    if (len == 0) return -ENOENT;
    struct tfs_node *cur = path[0] == '/' || !start ? fs->root : start;
    size_t i = 0;
    bool want_dir = false;
    for (;;) {
        while (i < len && path[i] == '/') i++;
        if (i == len) break;
        size_t s = i;
        while (i < len && path[i] != '/') i++;
        size_t e = i;
        size_t rest = i;
        while (rest < len && path[rest] == '/') rest++;
        bool last = rest == len;
        if (last && e < len) want_dir = true;   /* trailing slash */

        struct tfs_node *next;
        int rc = tfs_lookup_locked(fs, cur, path + s, e - s, &next);
        if (rc) return rc;
        if (tfs_is_lnk(next) && (!last || follow_last || want_dir)) {
            if (++*links > TFS_MAX_SYMLINKS) return -ELOOP;
            rc = walk(fs, cur, next->target, next->target_len, true, links, &next);
            if (rc) return rc;
        }
        cur = next;
    }
    if (want_dir && !tfs_is_dir(cur)) return -ENOTDIR;
    *out = cur;
    return 0;
}

int tfs_resolve_locked(struct tfs *fs, struct tfs_node *cwd, const char *path, bool follow_last, struct tfs_node **out)
{
    int links = 0;
    return walk(fs, cwd, path, strlen(path), follow_last, &links, out);
}

void tfs_stat(struct tfs_node *n, struct tfs_stat *st)
{
    st->ino = n->ino;
    st->size = n->size;
    st->blocks = n->allocated_blocks * TFS_SECTORS_PER_BLOCK;
    st->mode = n->mode;
    st->nlink = n->nlink;
    st->uid = n->uid;
    st->gid = n->gid;
    st->atime_ns = n->atime_ns;
    st->mtime_ns = n->mtime_ns;
    st->ctime_ns = n->ctime_ns;
}

int tfs_readlink(struct tfs_node *n, char *buf, size_t len)
{
    if (!tfs_is_lnk(n)) return -EINVAL;
    size_t k = MIN(len, (size_t)n->target_len);
    memcpy(buf, n->target, k);
    return (int)k;
}

int tfs_readdir_locked(struct tfs *fs, struct tfs_node *dir, uint64_t *cookie, struct tfs_dirent *out)
{
    if (!tfs_is_dir(dir)) return -ENOTDIR;
    for (;;) {
        uint64_t c = *cookie;
        if (c < 2) {
            struct tfs_node *n = c == 0 ? dir : (dir->parent ? dir->parent : fs->root);
            out->ino = n->ino;
            out->mode = n->mode;
            memcpy(out->name, "..", c + 1);
            out->name[c + 1] = 0;
            *cookie = c + 1;
            return 1;
        }
        if (c - 2 >= dir->nentries) return 0;
        *cookie = c + 1;
        const struct tfs_dent *d = dir->order[c - 2];
        if (!d) continue;   /* a deleted entry, in the writable version */
        out->ino = d->child->ino;
        out->mode = d->child->mode;
        memcpy(out->name, d->name, d->namelen + 1u);
        return 1;
    }
}
