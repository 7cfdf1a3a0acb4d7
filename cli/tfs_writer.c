/* TFS image writer (host only): manifest -> guest tree -> log + extents.
 * The output is a fresh, compact filesystem: every file is one contiguous
 * extent, the log holds one record per fact, and the log area and disk keep
 * some free room for the writable version to append into. */
#include "tfs_writer.h"
#include "volume.h"
#include "../fs/tfs.h"
#include "../fs/tfs_format.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define GUEST_PATH_MAX 4096
#define IO_CHUNK (1u << 20)
#define ROOT_INO 1

struct wnode {
    char *path;                 /* full guest path, the key of the path table */
    const char *name;           /* last component (points into path) */
    struct wnode *parent;
    struct wnode *first_child, *last_child, *next_sibling;
    uint64_t ino;
    uint32_t mode;              /* S_IF* | permissions */
    uint32_t nlink;
    uint64_t size, mtime_ns;
    bool explicit_dir;          /* named by dir/tree, not only implied */
    char *host;                 /* regular files: where the data comes from */
    char *target;               /* symlinks */
    uint64_t disk_block, nblocks;
};

struct tfs_plan {
    const struct manifest *m;
    struct wnode **nodes;       /* in creation order; nodes[0] is the root */
    size_t nnodes, cap;
    struct wnode **table;       /* open addressing by path */
    size_t table_size;
    uint64_t log_bytes, log_records, log_blocks, data_start, data_blocks, total_blocks;
};

/* ---- the guest tree ---- */

static uint64_t hash_path(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (; *s; s++) h = (h ^ (uint8_t)*s) * 0x100000001b3ull;
    return h;
}

static struct wnode *find(struct tfs_plan *p, const char *path)
{
    for (size_t i = hash_path(path) & (p->table_size - 1);; i = (i + 1) & (p->table_size - 1)) {
        if (!p->table[i]) return NULL;
        if (strcmp(p->table[i]->path, path) == 0) return p->table[i];
    }
}

static bool table_put(struct wnode **table, size_t size, struct wnode *n)
{
    size_t i = hash_path(n->path) & (size - 1);
    while (table[i]) i = (i + 1) & (size - 1);
    table[i] = n;
    return true;
}

static int oom(char *err, size_t errlen)
{
    snprintf(err, errlen, "out of memory");
    return -ENOMEM;
}

/* Create a node for `path` (which must not exist) under `parent`. */
static struct wnode *new_node(struct tfs_plan *p, struct wnode *parent, const char *path, uint32_t mode)
{
    if ((p->nnodes + 1) * 2 > p->table_size) {
        size_t size = p->table_size ? p->table_size * 2 : 1024;
        struct wnode **t = calloc(size, sizeof(*t));
        if (!t) return NULL;
        for (size_t i = 0; i < p->nnodes; i++) table_put(t, size, p->nodes[i]);
        free(p->table);
        p->table = t;
        p->table_size = size;
    }
    if (p->nnodes == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 256;
        struct wnode **n = realloc(p->nodes, cap * sizeof(*n));
        if (!n) return NULL;
        p->nodes = n;
        p->cap = cap;
    }
    struct wnode *n = calloc(1, sizeof(*n));
    if (!n || !(n->path = strdup(path))) {
        free(n);
        return NULL;
    }
    n->name = strrchr(n->path, '/') + 1;
    n->mode = mode;
    n->parent = parent;
    if (parent) {
        if (parent->last_child) parent->last_child->next_sibling = n;
        else parent->first_child = n;
        parent->last_child = n;
    }
    p->nodes[p->nnodes++] = n;
    table_put(p->table, p->table_size, n);
    return n;
}

/* The directory at `path`, creating missing ones (implied parents, mode 0755). */
static int get_dir(struct tfs_plan *p, const char *path, struct wnode **out, char *err, size_t errlen);

/* The directory holding `path`, created (with its parents) if missing. */
static int get_parent_dir(struct tfs_plan *p, const char *path, struct wnode **out, char *err, size_t errlen)
{
    char parent_path[GUEST_PATH_MAX];
    snprintf(parent_path, sizeof(parent_path), "%s", path);
    char *slash = strrchr(parent_path, '/');
    if (slash == parent_path) slash[1] = 0;
    else *slash = 0;
    return get_dir(p, parent_path, out, err, errlen);
}

static int get_dir(struct tfs_plan *p, const char *path, struct wnode **out, char *err, size_t errlen)
{
    struct wnode *n = find(p, path);
    if (n) {
        if ((n->mode & TFS_S_IFMT) != TFS_S_IFDIR) {
            snprintf(err, errlen, "%s: is a %s, not a directory", path,
                     (n->mode & TFS_S_IFMT) == TFS_S_IFLNK ? "symlink" : "file");
            return -ENOTDIR;
        }
        *out = n;
        return 0;
    }
    struct wnode *parent;
    int rc = get_parent_dir(p, path, &parent, err, errlen);
    if (rc) return rc;
    if (!(n = new_node(p, parent, path, TFS_S_IFDIR | 0755))) return oom(err, errlen);
    *out = n;
    return 0;
}

/* A new non-directory at `path`: its parents are created, the path itself must be new. */
static int new_leaf(struct tfs_plan *p, const char *path, uint32_t mode, struct wnode **out, char *err, size_t errlen)
{
    if (find(p, path)) {
        snprintf(err, errlen, "duplicate path %s", path);
        return -EEXIST;
    }
    struct wnode *parent;
    int rc = get_parent_dir(p, path, &parent, err, errlen);
    if (rc) return rc;
    if (!(*out = new_node(p, parent, path, mode))) return oom(err, errlen);
    return 0;
}

static uint64_t mtime_ns(const struct stat *st)
{
    return (uint64_t)st->st_mtim.tv_sec * 1000000000ull + (uint64_t)st->st_mtim.tv_nsec;
}

static int add_host_file(struct tfs_plan *p, const char *guest, const char *host, const struct stat *st,
                         bool has_mode, uint32_t mode, char *err, size_t errlen)
{
    if ((uint64_t)st->st_size > TFS_MAX_FILE_BLOCKS * TFS_BLOCK_SIZE) {
        snprintf(err, errlen, "%s: file too large", host);
        return -EFBIG;
    }
    struct wnode *n;
    int rc = new_leaf(p, guest, TFS_S_IFREG | (has_mode ? mode : (uint32_t)st->st_mode & 07777), &n, err, errlen);
    if (rc) return rc;
    if (!(n->host = strdup(host))) return oom(err, errlen);
    n->size = (uint64_t)st->st_size;
    n->mtime_ns = mtime_ns(st);
    return 0;
}

static int add_symlink(struct tfs_plan *p, const char *guest, const char *target, uint64_t mtime, char *err, size_t errlen)
{
    struct wnode *n;
    int rc = new_leaf(p, guest, TFS_S_IFLNK | 0777, &n, err, errlen);
    if (rc) return rc;
    if (!(n->target = strdup(target))) return oom(err, errlen);
    n->size = strlen(target);
    n->mtime_ns = mtime;
    return 0;
}

static int cmp_names(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Copy host directory `host` into guest directory `guest` (merging with
 * whatever is already there). Entries are added in name order so the same
 * input always gives the same image. */
static int add_tree(struct tfs_plan *p, const char *guest, const char *host, const struct stat *hst, char *err, size_t errlen)
{
    struct wnode *dir;
    int rc = get_dir(p, guest, &dir, err, errlen);
    if (rc) return rc;
    dir->mode = TFS_S_IFDIR | ((uint32_t)hst->st_mode & 07777);
    dir->mtime_ns = mtime_ns(hst);
    dir->explicit_dir = true;

    DIR *d = opendir(host);
    if (!d) {
        int e = errno;
        snprintf(err, errlen, "%s: %s", host, strerror(e));
        return -e;
    }
    char **names = NULL;
    size_t count = 0, cap = 0;
    struct dirent *de;
    rc = 0;
    while ((de = readdir(d))) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
        if (count == cap) {
            cap = cap ? cap * 2 : 32;
            char **nn = realloc(names, cap * sizeof(*nn));
            if (!nn) { rc = oom(err, errlen); break; }
            names = nn;
        }
        if (!(names[count] = strdup(de->d_name))) { rc = oom(err, errlen); break; }
        count++;
    }
    closedir(d);
    if (!rc) qsort(names, count, sizeof(*names), cmp_names);

    char *hpath = malloc(PATH_MAX), *gpath = malloc(GUEST_PATH_MAX), *target = malloc(PATH_MAX);
    if (!hpath || !gpath || !target) rc = oom(err, errlen);
    for (size_t i = 0; i < count && !rc; i++) {
        const char *name = names[i];
        if (strlen(name) > TFS_NAME_MAX) {
            snprintf(err, errlen, "%s/%s: name longer than 255 bytes", host, name);
            rc = -ENAMETOOLONG;
            break;
        }
        if ((size_t)snprintf(hpath, PATH_MAX, "%s/%s", host, name) >= PATH_MAX ||
            (size_t)snprintf(gpath, GUEST_PATH_MAX, "%s/%s", strcmp(guest, "/") ? guest : "", name) >= GUEST_PATH_MAX) {
            snprintf(err, errlen, "%s/%s: path too long", host, name);
            rc = -ENAMETOOLONG;
            break;
        }
        struct stat st;
        if (lstat(hpath, &st) != 0) {
            rc = -errno;
            snprintf(err, errlen, "%s: %s", hpath, strerror(errno));
        } else if (S_ISDIR(st.st_mode)) {
            rc = add_tree(p, gpath, hpath, &st, err, errlen);
        } else if (S_ISREG(st.st_mode)) {
            rc = add_host_file(p, gpath, hpath, &st, false, 0, err, errlen);
        } else if (S_ISLNK(st.st_mode)) {
            ssize_t n = readlink(hpath, target, PATH_MAX - 1);
            if (n <= 0 || n > (ssize_t)TFS_SYMLINK_MAX) {
                snprintf(err, errlen, "%s: %s", hpath, n < 0 ? strerror(errno) : "bad symlink target");
                rc = -EINVAL;
            } else {
                target[n] = 0;
                rc = add_symlink(p, gpath, target, mtime_ns(&st), err, errlen);
            }
        } else {
            snprintf(err, errlen, "%s: unsupported file type (device, fifo or socket)", hpath);
            rc = -EINVAL;
        }
    }
    for (size_t i = 0; i < count; i++) free(names[i]);
    free(names);
    free(hpath);
    free(gpath);
    free(target);
    return rc;
}

static int add_entry(struct tfs_plan *p, const struct manifest_entry *e, char *err, size_t errlen)
{
    struct stat st;
    struct wnode *n;
    int rc;
    switch (e->kind) {
    case MANIFEST_DIR:
        if ((rc = get_dir(p, e->guest, &n, err, errlen))) return rc;
        if (e->has_mode || !n->explicit_dir) n->mode = TFS_S_IFDIR | (e->has_mode ? e->mode : 0755);
        n->explicit_dir = true;
        return 0;
    case MANIFEST_SYMLINK:
        return add_symlink(p, e->guest, e->source, 0, err, errlen);
    case MANIFEST_FILE:
    case MANIFEST_TREE:
        if (stat(e->source, &st) != 0) {
            int e2 = errno;
            snprintf(err, errlen, "%s: %s", e->source, strerror(e2));
            return -e2;
        }
        if (e->kind == MANIFEST_TREE) {
            if (!S_ISDIR(st.st_mode)) {
                snprintf(err, errlen, "%s: not a directory (tree needs a host directory)", e->source);
                return -ENOTDIR;
            }
            return add_tree(p, e->guest, e->source, &st, err, errlen);
        }
        if (S_ISDIR(st.st_mode)) {
            snprintf(err, errlen, "%s: is a directory (use tree to copy a directory)", e->source);
            return -EISDIR;
        }
        if (!S_ISREG(st.st_mode)) {
            snprintf(err, errlen, "%s: not a regular file", e->source);
            return -EINVAL;
        }
        return add_host_file(p, e->guest, e->source, &st, e->has_mode, e->mode, err, errlen);
    }
    return -EINVAL;
}

/* ---- the log ---- */

/* Appends records to buf (or only measures when buf is NULL). */
struct log_out {
    uint8_t *buf;
    uint64_t len, records, seq;
};

static void emit(struct log_out *o, uint16_t type, const void *payload, uint32_t len)
{
    if (o->buf) {
        uint8_t *h = o->buf + o->len;
        memset(h, 0, TFS_REC_HEADER_SIZE);
        tfs_put16(h + TFS_REC_TYPE, type);
        tfs_put32(h + TFS_REC_LEN, len);
        tfs_put64(h + TFS_REC_SEQ, o->seq);
        memcpy(h + TFS_REC_HEADER_SIZE, payload, len);
        uint32_t crc = tfs_crc32c(tfs_crc32c(0, h, TFS_REC_HEADER_SIZE), payload, len);
        tfs_put32(h + TFS_REC_CRC, crc);
        uint64_t end = o->len + TFS_REC_HEADER_SIZE + len;
        memset(o->buf + end, 0, ALIGN_UP(end, (uint64_t)TFS_REC_ALIGN) - end);
    }
    o->len = ALIGN_UP(o->len + TFS_REC_HEADER_SIZE + len, (uint64_t)TFS_REC_ALIGN);
    o->records++;
    o->seq++;
}

/* The volumes' uuids for the config (TFS_CONFIG_MOUNT_UUIDS): read from the
 * volume files now, so a kernel with no host to hand it a mount list can
 * still tell which disk is which. A volume not readable here gets zeros
 * (the kernel then names it missing); pith run checks volumes before this. */
static void mount_uuids(const struct manifest *m, char *out)
{
    for (size_t i = 1; i < m->mountc; i += 2) {
        uint8_t uuid[16] = { 0 };
        char why[256];
        if (volume_read_uuid(m->mounts[i], uuid, why, sizeof why) != 0) memset(uuid, 0, sizeof uuid);
        for (int b = 0; b < 16; b++) out += sprintf(out, "%02x", uuid[b]);
    }
    *out = 0;
}

static int emit_config(struct tfs_plan *p, struct log_out *o, char *err, size_t errlen)
{
    const struct manifest *m = p->m;
    size_t argc = m->argc ? m->argc : 1;
    if (argc > TFS_CONFIG_MAX_STRINGS || m->envc > TFS_CONFIG_MAX_STRINGS) {
        snprintf(err, errlen, "too many arguments or environment entries (max %d each)", TFS_CONFIG_MAX_STRINGS);
        return -E2BIG;
    }
    size_t len = TFS_CONFIG_STRINGS + strlen(m->program) + 1;
    for (size_t i = 0; i < m->argc; i++) len += strlen(m->argv[i]) + 1;
    if (!m->argc) len += strlen(m->program) + 1;
    for (size_t i = 0; i < m->envc; i++) len += strlen(m->envp[i]) + 1;
    for (size_t i = 0; i < m->mountc; i++) len += strlen(m->mounts[i]) + 1;
    if (m->core_path) len += strlen(m->core_path) + 1;
    if (m->net) len += strlen(m->net) + 1;
    if (m->kernel_options) len += strlen(m->kernel_options) + 1;
    char uuids[32 * TFS_CONFIG_MAX_MOUNTS + 1] = "";
    if (m->mountc / 2 > TFS_CONFIG_MAX_MOUNTS) {
        snprintf(err, errlen, "too many volumes (max %d)", TFS_CONFIG_MAX_MOUNTS);
        return -E2BIG;
    }
    if (m->mountc) {
        mount_uuids(m, uuids);
        len += strlen(uuids) + 1;
    }
    if (len > TFS_MAX_RECORD) {
        snprintf(err, errlen, "arguments and environment too large (%zu bytes, max %u)", len, TFS_MAX_RECORD);
        return -E2BIG;
    }
    uint8_t *rec = calloc(1, len);
    if (!rec) return oom(err, errlen);
    tfs_put32(rec + TFS_CONFIG_FLAGS, m->flags | (m->core_path ? MANIFEST_FLAG_CORE_PATH : 0) |
                                             (m->net ? MANIFEST_FLAG_NET : 0) |
                                             (m->mountc ? TFS_CONFIG_MOUNT_UUIDS : 0) |
                                             (m->kernel_options ? TFS_CONFIG_KERNEL_OPTIONS : 0));
    tfs_put32(rec + TFS_CONFIG_ARGC, (uint32_t)argc);
    tfs_put32(rec + TFS_CONFIG_ENVC, (uint32_t)m->envc);
    tfs_put64(rec + TFS_CONFIG_LAYOUT_SEED, m->layout_seed);
    tfs_put32(rec + TFS_CONFIG_MOUNTC, (uint32_t)(m->mountc / 2));
    char *s = (char *)rec + TFS_CONFIG_STRINGS;
    s = stpcpy(s, m->program) + 1;
    if (!m->argc) s = stpcpy(s, m->program) + 1;
    for (size_t i = 0; i < m->argc; i++) s = stpcpy(s, m->argv[i]) + 1;
    for (size_t i = 0; i < m->envc; i++) s = stpcpy(s, m->envp[i]) + 1;
    for (size_t i = 0; i < m->mountc; i++) s = stpcpy(s, m->mounts[i]) + 1;
    if (m->core_path) s = stpcpy(s, m->core_path) + 1;
    if (m->net) s = stpcpy(s, m->net) + 1;
    if (m->mountc) s = stpcpy(s, uuids) + 1;
    if (m->kernel_options) s = stpcpy(s, m->kernel_options) + 1;
    emit(o, TFS_REC_CONFIG, rec, (uint32_t)len);
    free(rec);
    return 0;
}

/* Order: all INODEs first (so later records only name known inodes), then
 * symlink targets and extents, then directory entries, then the config. */
static int build_log(struct tfs_plan *p, struct log_out *o, char *err, size_t errlen)
{
    uint8_t rec[TFS_DIRENT_NAME + TFS_NAME_MAX + TFS_SYMLINK_MAX];
    for (size_t i = 0; i < p->nnodes; i++) {
        const struct wnode *n = p->nodes[i];
        memset(rec, 0, TFS_INODE_LEN);
        tfs_put64(rec + TFS_INODE_INO, n->ino);
        tfs_put32(rec + TFS_INODE_MODE, n->mode);
        tfs_put32(rec + TFS_INODE_NLINK, n->nlink);
        tfs_put64(rec + TFS_INODE_SIZE, (n->mode & TFS_S_IFMT) == TFS_S_IFDIR ? 0 : n->size);
        tfs_put64(rec + TFS_INODE_ATIME, n->mtime_ns);
        tfs_put64(rec + TFS_INODE_MTIME, n->mtime_ns);
        tfs_put64(rec + TFS_INODE_CTIME, n->mtime_ns);
        emit(o, TFS_REC_INODE, rec, TFS_INODE_LEN);
    }
    for (size_t i = 0; i < p->nnodes; i++) {
        const struct wnode *n = p->nodes[i];
        if (n->target) {
            size_t tl = strlen(n->target);
            tfs_put64(rec + TFS_SYMLINK_INO, n->ino);
            memcpy(rec + TFS_SYMLINK_TARGET, n->target, tl);
            emit(o, TFS_REC_SYMLINK, rec, (uint32_t)(TFS_SYMLINK_TARGET + tl));
        } else if (n->nblocks) {
            tfs_put64(rec + TFS_EXTENT_INO, n->ino);
            tfs_put64(rec + TFS_EXTENT_FILE_BLOCK, 0);
            tfs_put64(rec + TFS_EXTENT_DISK_BLOCK, n->disk_block);
            tfs_put64(rec + TFS_EXTENT_COUNT, n->nblocks);
            emit(o, TFS_REC_EXTENT, rec, TFS_EXTENT_LEN);
        }
    }
    for (size_t i = 0; i < p->nnodes; i++) {
        const struct wnode *n = p->nodes[i];
        for (const struct wnode *c = n->first_child; c; c = c->next_sibling) {
            size_t nl = strlen(c->name);
            tfs_put64(rec + TFS_DIRENT_DIR, n->ino);
            tfs_put64(rec + TFS_DIRENT_CHILD, c->ino);
            tfs_put16(rec + TFS_DIRENT_NAMELEN, (uint16_t)nl);
            memcpy(rec + TFS_DIRENT_NAME, c->name, nl);
            emit(o, TFS_REC_DIRENT_ADD, rec, (uint32_t)(TFS_DIRENT_NAME + nl));
        }
    }
    if (p->m->program) return emit_config(p, o, err, errlen);
    return 0;
}

/* ---- planning ---- */

int tfs_plan_build(const struct manifest *m, struct tfs_plan **out, char *err, size_t errlen)
{
    *out = NULL;
    struct tfs_plan *p = calloc(1, sizeof(*p));
    if (!p) return oom(err, errlen);
    p->m = m;
    int rc = 0;
    struct wnode *root = new_node(p, NULL, "/", TFS_S_IFDIR | 0755);
    if (!root) rc = oom(err, errlen);
    else root->name = "";
    for (size_t i = 0; i < m->nentries && !rc; i++) rc = add_entry(p, &m->entries[i], err, errlen);
    if (rc) {
        tfs_plan_free(p);
        return rc;
    }

    /* Inode numbers in creation order (parents before children), link
     * counts, and one contiguous extent per non-empty file. */
    for (size_t i = 0; i < p->nnodes; i++) {
        struct wnode *n = p->nodes[i];
        n->ino = ROOT_INO + i;
        bool dir = (n->mode & TFS_S_IFMT) == TFS_S_IFDIR;
        n->nlink = dir ? 2 : 1;
        if (dir && n->parent) n->parent->nlink++;
        if (n->host) n->nblocks = (n->size + TFS_BLOCK_SIZE - 1) / TFS_BLOCK_SIZE;
    }
    struct log_out measure = { NULL, 0, 0, 1 };
    if ((rc = build_log(p, &measure, err, errlen))) {
        tfs_plan_free(p);
        return rc;
    }
    p->log_bytes = measure.len;
    p->log_records = measure.records;
    uint64_t log_needed = (p->log_bytes + TFS_BLOCK_SIZE - 1) / TFS_BLOCK_SIZE;
    /* Room for the writable version to append before it must compact. */
    p->log_blocks = log_needed + MAX((uint64_t)16, log_needed / 4);
    p->data_start = 2 + p->log_blocks;
    uint64_t next = p->data_start;
    for (size_t i = 0; i < p->nnodes; i++) {
        struct wnode *n = p->nodes[i];
        if (!n->nblocks) continue;
        n->disk_block = next;
        next += n->nblocks;
    }
    p->data_blocks = next - p->data_start;
    /* Free room for files, plus the writable filesystem's log reserve: a
     * spare log area and room for the log to double (fs/tfs_alloc.c). */
    p->total_blocks = next + MAX((uint64_t)64, p->data_blocks / 16) + 3 * p->log_blocks + 8;
    uint64_t min_blocks = (m->min_size + TFS_BLOCK_SIZE - 1) / TFS_BLOCK_SIZE;
    if (p->total_blocks < min_blocks) p->total_blocks = min_blocks;
    *out = p;
    return 0;
}

uint64_t tfs_plan_blocks(const struct tfs_plan *p) { return p->total_blocks; }

void tfs_plan_reserve(struct tfs_plan *p, uint64_t blocks)
{
    if (p->total_blocks < blocks) p->total_blocks = blocks;
}

void tfs_plan_free(struct tfs_plan *p)
{
    if (!p) return;
    for (size_t i = 0; i < p->nnodes; i++) {
        free(p->nodes[i]->path);
        free(p->nodes[i]->host);
        free(p->nodes[i]->target);
        free(p->nodes[i]);
    }
    free(p->nodes);
    free(p->table);
    free(p);
}

/* ---- writing ---- */

static int write_blocks(struct blockdev *dev, uint64_t block, const uint8_t *buf, uint64_t nblocks, char *err, size_t errlen)
{
    while (nblocks) {
        uint64_t n = MIN(nblocks, (uint64_t)(IO_CHUNK / TFS_BLOCK_SIZE));
        int rc = dev->write(dev, block * TFS_SECTORS_PER_BLOCK, buf, (uint32_t)(n * TFS_SECTORS_PER_BLOCK));
        if (rc) {
            snprintf(err, errlen, "%s: write error at filesystem block %llu: %s", dev->name ? dev->name : "image",
                     (unsigned long long)block, strerror(-rc));
            return rc;
        }
        block += n;
        buf += n * TFS_BLOCK_SIZE;
        nblocks -= n;
    }
    return 0;
}

static void make_super(const struct tfs_plan *p, uint8_t *b, const uint8_t uuid[16])
{
    memset(b, 0, TFS_BLOCK_SIZE);
    memcpy(b + TFS_SB_MAGIC, TFS_MAGIC, TFS_MAGIC_LEN);
    tfs_put32(b + TFS_SB_VERSION, TFS_VERSION);
    tfs_put32(b + TFS_SB_BLOCK_SIZE, TFS_BLOCK_SIZE);
    tfs_put64(b + TFS_SB_BLOCK_COUNT, p->total_blocks);
    memcpy(b + TFS_SB_UUID, uuid, 16);
    tfs_put64(b + TFS_SB_GENERATION, 1);
    tfs_put64(b + TFS_SB_LOG_START, 2);
    tfs_put64(b + TFS_SB_LOG_BLOCKS, p->log_blocks);
    tfs_put64(b + TFS_SB_LOG_BYTES, p->log_bytes);
    tfs_put64(b + TFS_SB_LOG_RECORDS, p->log_records);
    tfs_put64(b + TFS_SB_FIRST_SEQ, 1);
    tfs_put64(b + TFS_SB_ROOT_INO, ROOT_INO);
    tfs_put64(b + TFS_SB_DATA_START, p->data_start);
    tfs_put32(b + TFS_SB_CRC, tfs_crc32c(0, b, TFS_SB_CRC));
}

/* Copy one host file into its extent, zero-padding the last block. The
 * size must still be what tfs_plan_build saw. */
static int write_file(struct blockdev *dev, const struct wnode *n, uint8_t *buf, char *err, size_t errlen)
{
    int fd = open(n->host, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        snprintf(err, errlen, "%s: %s", n->host, strerror(e));
        return -e;
    }
    int rc = 0;
    uint64_t done = 0, block = n->disk_block;
    while (done < n->size && !rc) {
        size_t want = (size_t)MIN((uint64_t)IO_CHUNK, n->size - done), got = 0;
        while (got < want) {
            ssize_t r = read(fd, buf + got, want - got);
            if (r < 0 && errno == EINTR) continue;
            if (r < 0) {
                snprintf(err, errlen, "%s: %s", n->host, strerror(errno));
                rc = -EIO;
                break;
            }
            if (r == 0) {
                snprintf(err, errlen, "%s: file shrank while the image was being written", n->host);
                rc = -EIO;
                break;
            }
            got += (size_t)r;
        }
        if (rc) break;
        size_t padded = ALIGN_UP(want, (size_t)TFS_BLOCK_SIZE);
        memset(buf + want, 0, padded - want);
        rc = write_blocks(dev, block, buf, padded / TFS_BLOCK_SIZE, err, errlen);
        block += padded / TFS_BLOCK_SIZE;
        done += want;
    }
    char extra;
    if (!rc && read(fd, &extra, 1) > 0) {
        snprintf(err, errlen, "%s: file grew while the image was being written", n->host);
        rc = -EIO;
    }
    close(fd);
    return rc;
}

int tfs_plan_write(struct tfs_plan *p, struct blockdev *dev, char *err, size_t errlen)
{
    if (dev->sectors / TFS_SECTORS_PER_BLOCK < p->total_blocks) {
        snprintf(err, errlen, "%s: device too small for the filesystem", dev->name ? dev->name : "image");
        return -ENOSPC;
    }
    uint64_t log_area = p->log_blocks * TFS_BLOCK_SIZE;
    uint8_t *log = calloc(1, log_area);
    uint8_t *buf = malloc(IO_CHUNK);
    int rc = 0;
    if (!log || !buf) rc = oom(err, errlen);
    struct log_out o = { log, 0, 0, 1 };
    if (!rc) rc = build_log(p, &o, err, errlen);
    if (!rc && (o.len != p->log_bytes || o.records != p->log_records)) {
        snprintf(err, errlen, "internal error: log size changed between planning and writing");
        rc = -EIO;
    }
    if (!rc) {
        /* A content-derived uuid keeps images reproducible. */
        uint8_t uuid[16];
        uint32_t a = tfs_crc32c(0, log, p->log_bytes);
        for (int i = 0; i < 4; i++) {
            a = tfs_crc32c(a, &i, sizeof(i));
            tfs_put32(uuid + 4 * i, a);
        }
        make_super(p, buf, uuid);
        rc = write_blocks(dev, TFS_SUPER_BLOCK_A, buf, 1, err, errlen);
        if (!rc) rc = write_blocks(dev, TFS_SUPER_BLOCK_B, buf, 1, err, errlen);
        /* The whole log area, so the free tail reads as zeros (end of log). */
        if (!rc) rc = write_blocks(dev, 2, log, p->log_blocks, err, errlen);
    }
    for (size_t i = 0; i < p->nnodes && !rc; i++)
        if (p->nodes[i]->nblocks) rc = write_file(dev, p->nodes[i], buf, err, errlen);
    free(log);
    free(buf);
    return rc;
}
