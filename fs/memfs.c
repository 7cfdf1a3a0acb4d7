/* memfs names and attributes: directories are lists of entries (a file may
 * have several names: sem_open links its file into place), nodes live while
 * they have a name or a hold (an open file, the working directory). */
#include "memfs_internal.h"
#include "tfs.h"
#include "../kernel/kernel.h"
#include "../kernel/clock.h"
#include "../kernel/mm.h"
#include "../kernel/page_alloc.h"
#include "../klib/errno.h"
#include "../klib/string.h"

struct memfs memfs;

uint64_t memfs_now(void) { return clock_realtime_ns(); }

static void memfs_init(void)
{
    static struct spinlock once;
    static bool done;
    if (__atomic_load_n(&done, __ATOMIC_ACQUIRE)) return;
    uint64_t irq = spin_lock_irqsave(&once);
    if (!done) {
        memfs.heap = kernel.heap;
        memfs.max_pages = pages_total_count() / 2;   /* tmpfs's default size */
        memfs.next_ino = 2;
        struct mem_node *root = allocate_zero(memfs.heap, sizeof *root);
        if (root) {
            uint64_t now = memfs_now();
            *root = (struct mem_node){ .live = true, .mode = S_IFDIR | 01777, .nlink = 2, .holds = 1, .ino = 1,
                                       .atime_ns = now, .mtime_ns = now, .ctime_ns = now };
            root->tail = &root->entries;
            memfs.root = root;
            __atomic_store_n(&done, true, __ATOMIC_RELEASE);
        }
    }
    spin_unlock_irqrestore(&once, irq);
}

struct mem_node *memfs_mount_root(const char *abs)
{
    if (strcmp(abs, "/dev/shm") != 0) return NULL;
    memfs_init();
    return memfs.root;
}

static bool is_dir(const struct mem_node *n) { return (n->mode & S_IFMT) == S_IFDIR; }

static struct mem_dirent **find(struct mem_node *dir, const char *name, size_t len)
{
    for (struct mem_dirent **e = &dir->entries; *e; e = &(*e)->next)
        if ((*e)->len == len && memcmp((*e)->name, name, len) == 0) return e;
    return NULL;
}

int memfs_lookup(struct mem_node *dir, const char *name, size_t len, struct mem_node **out)
{
    if (!is_dir(dir)) return -ENOTDIR;
    uint64_t irq = spin_lock_irqsave(&memfs.lock);
    struct mem_dirent **e = find(dir, name, len);
    if (e) *out = (*e)->node;
    spin_unlock_irqrestore(&memfs.lock, irq);
    return e ? 0 : -ENOENT;
}

struct mem_node *memfs_parent(struct mem_node *n)
{
    uint64_t irq = spin_lock_irqsave(&memfs.lock);   /* rename moves directories */
    struct mem_node *p = n->parent;
    spin_unlock_irqrestore(&memfs.lock, irq);
    return p;
}
uint32_t memfs_mode(struct mem_node *n) { return n->mode; }

/* tmpfs's directory size: 20 bytes an entry, "." and ".." included. */
static int64_t dir_size(const struct mem_node *dir)
{
    int64_t size = 2 * 20;
    for (const struct mem_dirent *e = dir->entries; e; e = e->next) size += 20;
    return size;
}

void memfs_stat(struct mem_node *n, struct linux_stat *st)
{
    uint64_t irq = spin_lock_irqsave(&memfs.lock);
    *st = (struct linux_stat){
        .st_dev = MEMFS_DEV, .st_ino = n->ino, .st_nlink = n->nlink, .st_mode = n->mode,
        .st_uid = n->uid, .st_gid = n->gid, .st_size = is_dir(n) ? dir_size(n) : (int64_t)n->size,
        .st_blksize = 4096, .st_blocks = (int64_t)(n->pages * (PAGE_SIZE / 512)),
        .st_atime = n->atime_ns / 1000000000, .st_atime_nsec = n->atime_ns % 1000000000,
        .st_mtime = n->mtime_ns / 1000000000, .st_mtime_nsec = n->mtime_ns % 1000000000,
        .st_ctime = n->ctime_ns / 1000000000, .st_ctime_nsec = n->ctime_ns % 1000000000,
    };
    spin_unlock_irqrestore(&memfs.lock, irq);
}

void memfs_node_free(struct mem_node *n)
{
    memfs_pages_drop(n, 0);
    if (n->target) deallocate(memfs.heap, n->target, n->size + 1);
    n->target = NULL;
    memfs.files--;
    n->live = false;
    n->free_next = memfs.free_nodes;
    memfs.free_nodes = n;
}

void memfs_maybe_free(struct mem_node *n)
{
    if (!n->nlink && !n->holds) memfs_node_free(n);
}

bool memfs_node_get(struct mem_node *n)
{
    uint64_t irq = spin_lock_irqsave(&memfs.lock);
    bool live = n->live;
    if (live) n->holds++;
    spin_unlock_irqrestore(&memfs.lock, irq);
    return live;
}

void memfs_node_put(struct mem_node *n)
{
    uint64_t irq = spin_lock_irqsave(&memfs.lock);
    n->holds--;
    memfs_maybe_free(n);
    spin_unlock_irqrestore(&memfs.lock, irq);
}

/* A new node, not yet live: a dead one again, or fresh from the heap
 * (allocated without the lock). */
static struct mem_node *node_new(uint32_t mode)
{
    uint64_t now = memfs_now();
    uint64_t irq = spin_lock_irqsave(&memfs.lock);
    struct mem_node *n = memfs.free_nodes;
    if (n) {
        memfs.free_nodes = n->free_next;
        *n = (struct mem_node){ 0 };
    }
    spin_unlock_irqrestore(&memfs.lock, irq);
    if (!n && !(n = allocate_zero(memfs.heap, sizeof *n))) return NULL;
    irq = spin_lock_irqsave(&memfs.lock);
    n->mode = mode;
    n->atime_ns = n->mtime_ns = n->ctime_ns = now;
    n->tail = &n->entries;
    spin_unlock_irqrestore(&memfs.lock, irq);
    return n;
}

/* A node made but never named goes back for the next. */
static void node_discard(struct mem_node *n)
{
    if (!n) return;
    uint64_t irq = spin_lock_irqsave(&memfs.lock);
    n->free_next = memfs.free_nodes;
    memfs.free_nodes = n;
    spin_unlock_irqrestore(&memfs.lock, irq);
}

static struct mem_dirent *dirent_new(const char *name, size_t len)
{
    struct mem_dirent *e = allocate_zero(memfs.heap, sizeof *e + len + 1);
    if (!e) return NULL;
    memcpy(e->name, name, len);
    e->len = len;
    return e;
}

static void dirent_free(struct mem_dirent *e) { deallocate(memfs.heap, e, sizeof *e + e->len + 1); }

int memfs_node_unnamed(uint32_t mode, struct mem_node **out)
{
    memfs_init();
    struct mem_node *n = node_new(mode);
    if (!n) return -ENOMEM;
    uint64_t irq = spin_lock_irqsave(&memfs.lock);
    n->ino = memfs.next_ino++;
    memfs.files++;
    n->holds = 1;
    n->live = true;
    spin_unlock_irqrestore(&memfs.lock, irq);
    *out = n;
    return 0;
}

/* Under the lock: add e (naming e->node) at the end of dir. */
static void dir_add(struct mem_node *dir, struct mem_dirent *e)
{
    e->serial = dir->next_serial++;
    e->next = NULL;
    *dir->tail = e;
    dir->tail = &e->next;
    dir->mtime_ns = dir->ctime_ns = memfs_now();
}

/* Under the lock: take *link's entry out of dir. */
static struct mem_dirent *dir_remove(struct mem_node *dir, struct mem_dirent **link)
{
    struct mem_dirent *e = *link;
    *link = e->next;
    if (dir->tail == &e->next) dir->tail = link;
    dir->mtime_ns = dir->ctime_ns = memfs_now();
    return e;
}

/* Name a new node in dir: a file, a directory, or a symlink to target. */
static int add_node(struct mem_node *dir, const char *name, size_t len, uint32_t mode, const char *target,
                    struct mem_node **out)
{
    if (!is_dir(dir)) return -ENOTDIR;
    struct mem_node *n = node_new(mode);
    struct mem_dirent *e = dirent_new(name, len);
    size_t tlen = target ? strlen(target) : 0;
    char *t = target ? allocate(memfs.heap, tlen + 1) : NULL;
    if (!n || !e || (target && !t)) {
        node_discard(n);
        if (e) dirent_free(e);
        if (t) deallocate(memfs.heap, t, tlen + 1);
        return -ENOMEM;
    }
    if (t) {
        memcpy(t, target, tlen + 1);
        n->target = t;
        n->size = tlen;
    }
    uint64_t irq = spin_lock_irqsave(&memfs.lock);
    int r = 0;
    if (!dir->nlink) r = -ENOENT;
    else if (find(dir, name, len)) r = -EEXIST;
    else if (memfs.files >= memfs.max_pages) r = -ENOSPC;   /* tmpfs's inode limit is of this order */
    if (r == 0) {
        n->ino = memfs.next_ino++;
        memfs.files++;
        n->live = true;
        n->nlink = is_dir(n) ? 2 : 1;
        if (is_dir(n)) {
            n->parent = dir;
            dir->nlink++;
        }
        e->node = n;
        dir_add(dir, e);
        if (out) *out = n;
    }
    spin_unlock_irqrestore(&memfs.lock, irq);
    if (r < 0) {
        if (t) deallocate(memfs.heap, t, tlen + 1);
        n->target = NULL;
        node_discard(n);
        dirent_free(e);
    }
    return r;
}

int memfs_create(struct mem_node *dir, const char *name, size_t len, uint32_t mode, struct mem_node **out)
{
    return add_node(dir, name, len, S_IFREG | (mode & 07777), NULL, out);
}

int memfs_mksock(struct mem_node *dir, const char *name, size_t len, uint32_t mode)
{
    return add_node(dir, name, len, 0140000 | (mode & 07777), NULL, NULL);
}

int memfs_mkdir(struct mem_node *dir, const char *name, size_t len, uint32_t mode)
{
    return add_node(dir, name, len, S_IFDIR | (mode & 07777), NULL, NULL);
}

int memfs_symlink(struct mem_node *dir, const char *name, size_t len, const char *target)
{
    return add_node(dir, name, len, S_IFLNK | 0777, target, NULL);
}

long memfs_readlink(struct mem_node *n, char *buf, size_t len)
{
    uint64_t irq = spin_lock_irqsave(&memfs.lock);
    long r = -EINVAL;
    if (!n->live) r = -ENOENT;
    else if ((n->mode & S_IFMT) == S_IFLNK) {
        size_t k = MIN((size_t)n->size, len);
        memcpy(buf, n->target, k);
        r = (long)k;
    }
    spin_unlock_irqrestore(&memfs.lock, irq);
    return r;
}

/* Under the lock: n lost a name (a directory: its only one). */
static void unnamed(struct mem_node *n, struct mem_node *dir)
{
    if (is_dir(n)) {
        n->nlink = 0;
        dir->nlink--;
    } else {
        n->nlink--;
    }
    n->ctime_ns = memfs_now();
    memfs_maybe_free(n);
}

static int remove_name(struct mem_node *dir, const char *name, size_t len, bool want_dir)
{
    if (!is_dir(dir)) return -ENOTDIR;
    uint64_t irq = spin_lock_irqsave(&memfs.lock);
    struct mem_dirent **link = find(dir, name, len);
    int r = 0;
    if (!link) r = -ENOENT;
    else if (want_dir && !is_dir((*link)->node)) r = -ENOTDIR;
    else if (!want_dir && is_dir((*link)->node)) r = -EISDIR;
    else if (want_dir && (*link)->node->entries) r = -ENOTEMPTY;
    struct mem_dirent *e = NULL;
    if (r == 0) {
        e = dir_remove(dir, link);
        unnamed(e->node, dir);
    }
    spin_unlock_irqrestore(&memfs.lock, irq);
    if (e) dirent_free(e);
    return r;
}

int memfs_unlink(struct mem_node *dir, const char *name, size_t len) { return remove_name(dir, name, len, false); }
int memfs_rmdir(struct mem_node *dir, const char *name, size_t len) { return remove_name(dir, name, len, true); }

int memfs_link(struct mem_node *src, struct mem_node *dir, const char *name, size_t len)
{
    if (!is_dir(dir)) return -ENOTDIR;
    struct mem_dirent *e = dirent_new(name, len);
    if (!e) return -ENOMEM;
    uint64_t irq = spin_lock_irqsave(&memfs.lock);
    int r = 0;
    /* Linux's order: the new name first, then what the source is. */
    if (!dir->nlink) r = -ENOENT;
    else if (find(dir, name, len)) r = -EEXIST;
    else if (is_dir(src)) r = -EPERM;
    else if (!src->nlink) r = -ENOENT;   /* unlinked, or never named (memfd) */
    if (r == 0) {
        src->nlink++;
        src->ctime_ns = memfs_now();
        e->node = src;
        dir_add(dir, e);
    }
    spin_unlock_irqrestore(&memfs.lock, irq);
    if (r < 0) dirent_free(e);
    return r;
}

/* Whether directory d is a or lies below it. */
static bool within(struct mem_node *d, struct mem_node *a)
{
    for (; d; d = d->parent)
        if (d == a) return true;
    return false;
}

/* Under the lock: a directory changes parent. */
static void reparent(struct mem_node *n, struct mem_node *from, struct mem_node *to)
{
    if (!is_dir(n) || from == to) return;
    from->nlink--;
    to->nlink++;
    n->parent = to;
}

static int rename_locked(struct mem_node *odir, const char *oname, size_t olen, struct mem_node *ndir,
                         const char *nname, size_t nlen, unsigned flags, struct mem_dirent **spare,
                         struct mem_dirent **gone)
{
    if (!odir->nlink || !ndir->nlink) return -ENOENT;
    struct mem_dirent **olink = find(odir, oname, olen), **nlink = find(ndir, nname, nlen);
    if (!olink) return -ENOENT;
    struct mem_node *src = (*olink)->node, *dst = nlink ? (*nlink)->node : NULL;
    /* Linux's order of checks (do_renameat2, then vfs_rename). */
    if (dst && (flags & MEMFS_RENAME_NOREPLACE)) return -EEXIST;
    if ((flags & MEMFS_RENAME_EXCHANGE) && !dst) return -ENOENT;
    if (is_dir(src) && within(ndir, src)) return -EINVAL;   /* the source holds the target */
    if (dst && is_dir(dst) && within(odir, dst))           /* the target holds the source */
        return (flags & MEMFS_RENAME_EXCHANGE) ? -EINVAL : -ENOTEMPTY;
    if (flags & MEMFS_RENAME_EXCHANGE) {
        (*olink)->node = dst;
        (*nlink)->node = src;
        reparent(src, odir, ndir);
        reparent(dst, ndir, odir);
        src->ctime_ns = dst->ctime_ns = memfs_now();
        return 0;
    }
    if (dst == src) return 0;   /* two names of one file: nothing happens */
    if (dst) {
        if (is_dir(src) && !is_dir(dst)) return -ENOTDIR;
        if (!is_dir(src) && is_dir(dst)) return -EISDIR;
        if (is_dir(dst) && dst->entries) return -ENOTEMPTY;
        (*nlink)->node = src;
        ndir->mtime_ns = ndir->ctime_ns = memfs_now();
        unnamed(dst, ndir);
    } else {
        struct mem_dirent *e = *spare;
        *spare = NULL;
        e->node = src;
        dir_add(ndir, e);
    }
    /* The old entry may have moved in the list: find it again. */
    olink = find(odir, oname, olen);
    *gone = dir_remove(odir, olink);
    reparent(src, odir, ndir);
    src->ctime_ns = memfs_now();
    return 0;
}

int memfs_rename(struct mem_node *odir, const char *oname, size_t olen, struct mem_node *ndir, const char *nname,
                 size_t nlen, unsigned flags)
{
    if (!is_dir(odir) || !is_dir(ndir)) return -ENOTDIR;
    struct mem_dirent *spare = dirent_new(nname, nlen), *gone = NULL;
    if (!spare) return -ENOMEM;
    uint64_t irq = spin_lock_irqsave(&memfs.lock);
    int r = rename_locked(odir, oname, olen, ndir, nname, nlen, flags, &spare, &gone);
    spin_unlock_irqrestore(&memfs.lock, irq);
    if (spare) dirent_free(spare);
    if (gone) dirent_free(gone);
    return r;
}

int memfs_setattr(struct mem_node *n, uint32_t mask, uint32_t mode, uint32_t uid, uint32_t gid, uint64_t atime_ns,
                  uint64_t mtime_ns)
{
    uint64_t irq = spin_lock_irqsave(&memfs.lock);
    if (mask & TFS_SET_MODE) n->mode = (n->mode & S_IFMT) | (mode & 07777);
    if (mask & TFS_SET_UID) n->uid = uid;
    if (mask & TFS_SET_GID) n->gid = gid;
    if (mask & TFS_SET_ATIME) n->atime_ns = atime_ns;
    if (mask & TFS_SET_MTIME) n->mtime_ns = mtime_ns;
    n->ctime_ns = memfs_now();
    spin_unlock_irqrestore(&memfs.lock, irq);
    return 0;
}

void memfs_usage(struct memfs_usage *u)
{
    memfs_init();
    u->max_pages = memfs.max_pages;
    u->used_pages = __atomic_load_n(&memfs.used_pages, __ATOMIC_ACQUIRE);
    u->files = memfs.files;
}
