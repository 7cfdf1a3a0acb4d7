/* The synthetic trees under /dev, /proc and /sys: lookup of a name in a
 * directory, stat, readlink and open (fs/walk.c walks paths through them). The trees themselves live in pseudo_dev.c,
 * pseudo_proc*.c and pseudo_sys.c; this file only walks them. */
#include "pseudo_internal.h"
#include "tfs.h"
#include "../kernel/clock.h"
#include "../kernel/spinlock.h"
#include "../klib/errno.h"
#include "../klib/format.h"
#include "../klib/string.h"

/* Device numbers as stat shows them: devtmpfs, proc and sysfs are separate
 * filesystems on Linux, and programs compare st_dev to notice mount points. */
#define DEV_DEVTMPFS 0x05
#define DEV_PROC 0x16
#define DEV_SYSFS 0x15

/* ---- text builder ------------------------------------------------------ */

static bool text_grow(struct pseudo_text *t, size_t need)
{
    if (t->failed) return false;
    size_t cap = t->cap ? t->cap : 1024;
    while (cap < need) cap *= 2;
    if (cap == t->cap) return true;
    char *nb = allocate(t->heap, cap);
    if (!nb) {
        t->failed = true;
        return false;
    }
    if (t->buf) {
        memcpy(nb, t->buf, t->len);
        deallocate(t->heap, t->buf, t->cap);
    }
    t->buf = nb;
    t->cap = cap;
    return true;
}

void text_append(struct pseudo_text *t, const char *s, size_t n)
{
    if (!text_grow(t, t->len + n)) return;
    memcpy(t->buf + t->len, s, n);
    t->len += n;
}

void text_printf(struct pseudo_text *t, const char *fmt, ...)
{
    if (t->failed) return;
    va_list ap, again;
    va_start(ap, fmt);
    va_copy(again, ap);
    size_t room = t->cap - t->len;
    int n = format_vsn(t->buf ? t->buf + t->len : NULL, t->buf ? room : 0, fmt, ap);
    if (n >= 0 && (size_t)n >= room && text_grow(t, t->len + (size_t)n + 1))
        n = format_vsn(t->buf + t->len, t->cap - t->len, fmt, again);
    if (n >= 0 && !t->failed) t->len += (size_t)n;
    va_end(again);
    va_end(ap);
}

/* ---- the tree ---------------------------------------------------------- */

static uint64_t next_ino = 2;

static void init_subtree(struct pseudo_node *n, struct pseudo_node *parent, uint64_t dev)
{
    n->parent = parent;
    n->dev = dev;
    n->ino = next_ino++;
    if (n->kind == PSEUDO_DIR && n->children)
        for (struct pseudo_node *const *c = n->children; *c; c++) init_subtree(*c, n, dev);
}

static void tree_init(void)
{
    static struct spinlock lock;
    static bool done;
    if (__atomic_load_n(&done, __ATOMIC_ACQUIRE)) return;
    uint64_t irq = spin_lock_irqsave(&lock);
    if (!done) {
        init_subtree(&pseudo_dev_root, NULL, DEV_DEVTMPFS);
        init_subtree(&pseudo_proc_root, NULL, DEV_PROC);
        init_subtree(&pseudo_sys_root, NULL, DEV_SYSFS);
        __atomic_store_n(&done, true, __ATOMIC_RELEASE);
    }
    spin_unlock_irqrestore(&lock, irq);
}

void pseudo_adopt(struct pseudo_node *dir, struct pseudo_node *child, uint64_t id)
{
    child->name = child->own_name;
    child->parent = dir;
    child->dev = dir->dev;
    /* Above every fixed node's number, and distinct per directory. */
    child->ino = ((dir->ino + 1) << 20) + id;
}

/* The entry after *cookie in dir: fixed children first, then generated ones. */
static int next_entry(struct pseudo_node *dir, uint64_t *cookie, struct pseudo_node **out)
{
    uint64_t fixed = 0;
    if (dir->children)
        while (dir->children[fixed]) fixed++;
    if (*cookie < fixed) {
        *out = dir->children[(*cookie)++];
        return 1;
    }
    if (!dir->next_child) return 0;
    uint64_t c = *cookie - fixed;
    int r = dir->next_child(dir, &c, out);
    if (r == 1) *cookie = c + fixed;
    return r;
}

static int find_child(struct pseudo_node *dir, const char *name, size_t len, struct pseudo_node **out)
{
    uint64_t cookie = 0;
    struct pseudo_node *c;
    while (next_entry(dir, &cookie, &c) == 1) {
        if (strlen(c->name) == len && memcmp(c->name, name, len) == 0) {
            *out = c;
            return 0;
        }
    }
    return -ENOENT;
}

int pseudo_lookup(struct pseudo_node *dir, const char *name, size_t len, struct pseudo_node **out)
{
    if (dir->kind != PSEUDO_DIR) return -ENOTDIR;
    return find_child(dir, name, len, out);
}

struct pseudo_node *pseudo_parent(struct pseudo_node *n) { return n->parent; }

struct pseudo_node *pseudo_mount_root(const char *abs)
{
    static const struct { const char *path; struct pseudo_node *root; } mounts[] = {
        { "/dev", &pseudo_dev_root }, { "/proc", &pseudo_proc_root }, { "/sys", &pseudo_sys_root },
    };
    for (size_t i = 0; i < ARRAY_SIZE(mounts); i++) {
        if (strcmp(abs, mounts[i].path) == 0) {
            tree_init();
            return mounts[i].root;
        }
    }
    return NULL;
}

/* ---- attributes -------------------------------------------------------- */

uint32_t pseudo_mode(struct pseudo_node *n)
{
    switch (n->kind) {
    case PSEUDO_DIR: return S_IFDIR | (n->perm ? n->perm : 0555);
    case PSEUDO_LINK: return S_IFLNK | 0777;
    case PSEUDO_CHR: return S_IFCHR | (n->perm ? n->perm : 0666);
    default: return S_IFREG | (n->perm ? n->perm : (n->write ? 0644 : 0444));
    }
}

void pseudo_stat(struct pseudo_node *n, struct linux_stat *st)
{
    /* Like proc and sysfs, every node looks as old as the machine. */
    uint64_t boot_ns = clock_realtime_ns() - clock_monotonic_ns();
    int64_t size = 0;
    if (n->kind == PSEUDO_LINK) {
        char scratch[PSEUDO_SCRATCH];
        const char *t = n->target(n, scratch);
        size = t ? (int64_t)strlen(t) : 0;
    } else if (n->kind == PSEUDO_FILE && n->dev == DEV_SYSFS) {
        size = 4096;    /* sysfs reports a page; proc reports 0 */
    }
    *st = (struct linux_stat){
        .st_dev = n->dev, .st_ino = n->ino, .st_nlink = n->kind == PSEUDO_DIR ? 2 : 1,
        .st_mode = pseudo_mode(n), .st_rdev = n->rdev, .st_size = size,
        .st_blksize = n->dev == DEV_PROC ? 1024 : 4096,
        .st_atime = boot_ns / 1000000000, .st_atime_nsec = boot_ns % 1000000000,
        .st_mtime = boot_ns / 1000000000, .st_mtime_nsec = boot_ns % 1000000000,
        .st_ctime = boot_ns / 1000000000, .st_ctime_nsec = boot_ns % 1000000000,
    };
}

int pseudo_readlink(struct pseudo_node *n, char *buf, size_t len)
{
    if (n->kind != PSEUDO_LINK) return -EINVAL;
    char scratch[PSEUDO_SCRATCH];
    const char *t = n->target(n, scratch);
    if (!t) return -ENOENT;
    size_t l = MIN(strlen(t), len);
    memcpy(buf, t, l);
    return (int)l;
}

/* ---- open files -------------------------------------------------------- */

static struct pseudo_open *opened(struct file *f) { return f->priv; }

int pseudo_file_stat(struct file *f, struct linux_stat *st)
{
    struct pseudo_open *o = opened(f);
    pseudo_stat(o->node, st);
    /* An open file knows its text: give its real length so programs that
     * size a buffer from fstat read all of it. */
    if (o->node->kind == PSEUDO_FILE) st->st_size = (int64_t)o->len;
    return 0;
}

int64_t pseudo_no_ioctl(struct file *f, uint64_t cmd, uint64_t arg) { return -ENOTTY; }

static void pseudo_release(struct file *f) { deallocate(f->heap, f->priv, f->priv_len); }

static int64_t text_read(struct file *f, void *buf, size_t n, uint64_t off)
{
    struct pseudo_open *o = opened(f);
    if (off >= o->len) return 0;
    size_t k = MIN(n, o->len - (size_t)off);
    memcpy(buf, o->data + off, k);
    return (int64_t)k;
}

static int64_t text_write(struct file *f, const void *buf, size_t n, uint64_t off)
{
    struct pseudo_node *node = opened(f)->node;
    return node->write ? node->write(node, buf, n) : -EINVAL;
}

static int64_t live_read(struct file *f, void *buf, size_t n, uint64_t off)
{
    struct pseudo_node *node = opened(f)->node;
    return node->read_at(node, buf, n, off);
}

static int64_t no_read(struct file *f, void *buf, size_t n, uint64_t off) { return -EISDIR; }
static int64_t bad_read(struct file *f, void *buf, size_t n, uint64_t off) { return -EBADF; }
static int64_t no_write(struct file *f, const void *buf, size_t n, uint64_t off) { return -EBADF; }

static int dir_readdir(struct file *f, uint64_t *cookie, struct tfs_dirent *out)
{
    struct pseudo_node *dir = opened(f)->node, *n;
    if (dir->kind != PSEUDO_DIR) return -ENOTDIR;
    if (*cookie < 2) {
        n = *cookie == 0 ? dir : dir->parent;
        out->ino = n ? n->ino : 1;
        out->mode = S_IFDIR | 0555;
        memcpy(out->name, *cookie == 0 ? "." : "..", *cookie == 0 ? 2 : 3);
        (*cookie)++;
        return 1;
    }
    uint64_t c = *cookie - 2;
    int r = next_entry(dir, &c, &n);
    if (r != 1) return r;
    *cookie = c + 2;
    out->ino = n->ino;
    out->mode = pseudo_mode(n);
    size_t l = MIN(strlen(n->name), sizeof out->name - 1);
    memcpy(out->name, n->name, l);
    out->name[l] = 0;
    return 1;
}

static const struct file_ops text_ops = {
    .read = text_read, .write = text_write, .stat = pseudo_file_stat,
    .ioctl = pseudo_no_ioctl, .release = pseudo_release, .seekable = true,
};

static const struct file_ops live_ops = {
    .read = live_read, .write = no_write, .stat = pseudo_file_stat,
    .ioctl = pseudo_no_ioctl, .release = pseudo_release, .seekable = true,
};

static const struct file_ops dir_ops = {
    .read = no_read, .write = no_write, .stat = pseudo_file_stat, .readdir = dir_readdir,
    .ioctl = pseudo_no_ioctl, .release = pseudo_release, .seekable = true,
};

/* O_PATH handles: only fstat and use as a directory fd. */
static const struct file_ops path_ops = {
    .read = bad_read, .write = no_write, .stat = pseudo_file_stat, .ioctl = pseudo_no_ioctl, .release = pseudo_release,
};

struct pseudo_node *pseudo_file_node(struct file *f)
{
    bool ours = f->ops == &dir_ops || f->ops == &path_ops || f->ops == &text_ops || f->ops == &live_ops;
    return ours ? opened(f)->node : NULL;
}

static struct file *open_with(struct heap *h, const struct file_ops *ops, uint32_t flags,
                              struct pseudo_open *o, size_t size, int *err)
{
    struct file *f = file_new(h, ops, flags);
    if (!f) {
        deallocate(h, o, size);
        *err = -ENOMEM;
        return NULL;
    }
    f->priv = o;
    f->priv_len = size;
    return f;
}

static struct file *open_plain(struct heap *h, const struct file_ops *ops, struct pseudo_node *n,
                               uint32_t flags, int *err)
{
    struct pseudo_open *o = allocate(h, sizeof *o);
    if (!o) {
        *err = -ENOMEM;
        return NULL;
    }
    *o = (struct pseudo_open){ .node = n };
    return open_with(h, ops, flags, o, sizeof *o, err);
}

/* Make the text now, so reads see one consistent snapshot however they are split. */
static struct file *open_text(struct heap *h, struct pseudo_node *n, uint32_t flags, int *err)
{
    struct pseudo_text t = { .heap = h };
    text_grow(&t, 1024);
    t.len = sizeof(struct pseudo_open);     /* the header shares the buffer */
    n->generate(n, &t);
    if (t.failed) {
        deallocate(h, t.buf, t.cap);
        *err = -ENOMEM;
        return NULL;
    }
    struct pseudo_open *o = (struct pseudo_open *)t.buf;
    o->node = n;
    o->len = t.len - sizeof *o;
    return open_with(h, &text_ops, flags, o, t.cap, err);
}

struct file *pseudo_open(struct heap *h, struct pseudo_node *n, uint32_t flags, int *err)
{
    bool writing = (flags & O_ACCMODE) != O_RDONLY;
    if (flags & O_PATH) return open_plain(h, &path_ops, n, flags, err);
    if ((flags & O_DIRECTORY) && n->kind != PSEUDO_DIR) {
        *err = -ENOTDIR;
        return NULL;
    }
    switch (n->kind) {
    case PSEUDO_DIR:
        if (writing) {
            *err = -EISDIR;
            return NULL;
        }
        return open_plain(h, &dir_ops, n, flags, err);
    case PSEUDO_LINK:
        *err = -ELOOP;
        return NULL;
    case PSEUDO_CHR:
        if (n->open_dev) {
            struct file *f = n->open_dev(h, flags);
            if (!f) *err = -ENOMEM;
            return f;
        }
        return open_plain(h, n->dev_ops, n, flags, err);
    default:
        if (writing && !n->write) {
            *err = -EACCES;
            return NULL;
        }
        if (n->read_at) return open_plain(h, &live_ops, n, flags, err);
        return open_text(h, n, flags, err);
    }
}
