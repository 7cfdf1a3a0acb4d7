/* memfs files as open files: read and write copy to and from the file's
 * pages, a mapping borrows the pages themselves (lend_page), directories
 * list their entries. An open file holds its node, so a file unlinked while
 * open (shm_unlink, sem_unlink) lives until its last close or unmap. */
#include "memfs_internal.h"
#include "tfs.h"
#include "../kernel/process.h"
#include "../kernel/mm.h"
#include "../klib/errno.h"
#include "../klib/string.h"

static struct mem_node *node_of(struct file *f) { return f->node; }

/* Zeros mappings show for holes in [from, to) give way to the pages just made. */
static void holes_made(struct mem_node *n, uint64_t from, uint64_t to)
{
    struct process *p = current_process();
    if (p && from < to) vm_file_holes_filled(&p->vm, n, from, to);
}

static int64_t mf_read(struct file *f, void *buf, size_t len, uint64_t off)
{
    struct mem_node *n = node_of(f);
    uint64_t irq = spin_lock_irqsave(&memfs.lock);
    size_t done = 0;
    if (off < n->size) {
        len = (size_t)MIN((uint64_t)len, n->size - off);
        while (done < len) {
            uint64_t pos = off + done, in = pos % PAGE_SIZE;
            size_t chunk = (size_t)MIN((uint64_t)(len - done), PAGE_SIZE - in);
            uint64_t pa = memfs_page_at(n, pos / PAGE_SIZE);
            if (pa) memcpy((char *)buf + done, (char *)phys_to_virt(pa) + in, chunk);
            else memset((char *)buf + done, 0, chunk);
            done += chunk;
        }
    }
    spin_unlock_irqrestore(&memfs.lock, irq);
    return (int64_t)done;
}

static int64_t mf_write(struct file *f, const void *buf, size_t len, uint64_t off)
{
    struct mem_node *n = node_of(f);
    if (off >= MEMFS_MAX_SIZE) return len ? -EFBIG : 0;
    len = (size_t)MIN((uint64_t)len, MEMFS_MAX_SIZE - off);
    uint64_t irq = spin_lock_irqsave(&memfs.lock);
    size_t done = 0;
    int r = 0;
    uint64_t made_from = UINT64_MAX, made_to = 0;
    while (done < len) {
        uint64_t pos = off + done, in = pos % PAGE_SIZE, pa;
        size_t chunk = (size_t)MIN((uint64_t)(len - done), PAGE_SIZE - in);
        bool made = false;
        if ((r = memfs_page_make(n, pos / PAGE_SIZE, &irq, &pa, &made)) < 0) break;
        if (made) {
            made_from = MIN(made_from, pos - in);
            made_to = pos - in + PAGE_SIZE;
        }
        memcpy((char *)phys_to_virt(pa) + in, (const char *)buf + done, chunk);
        done += chunk;
    }
    if (done) {
        n->size = MAX(n->size, off + done);
        n->mtime_ns = n->ctime_ns = memfs_now();
    }
    spin_unlock_irqrestore(&memfs.lock, irq);
    if (made_from < made_to) holes_made(n, made_from, made_to);
    return done ? (int64_t)done : r;
}

int memfs_truncate(struct mem_node *n, uint64_t size)
{
    if ((n->mode & S_IFMT) != S_IFREG) return -EINVAL;
    if (size > MEMFS_MAX_SIZE) return -EFBIG;
    uint64_t irq = spin_lock_irqsave(&memfs.lock);
    if (size < n->size) {
        memfs_pages_drop(n, ALIGN_UP(size, PAGE_SIZE) / PAGE_SIZE);
        /* The rest of the last page must read as zeros if the file grows again. */
        uint64_t pa = size % PAGE_SIZE ? memfs_page_at(n, size / PAGE_SIZE) : 0;
        if (pa) memset((char *)phys_to_virt(pa) + size % PAGE_SIZE, 0, PAGE_SIZE - size % PAGE_SIZE);
    }
    if (size != n->size) n->mtime_ns = n->ctime_ns = memfs_now();
    n->size = size;
    spin_unlock_irqrestore(&memfs.lock, irq);
    struct process *p = current_process();
    if (p) vm_file_truncated(&p->vm, n, size);
    return 0;
}

#define FALLOC_KEEP_SIZE 1u
#define FALLOC_PUNCH_HOLE 2u

/* Zero bytes [from, to) of page idx if it exists (under the lock). */
static void zero_part(struct mem_node *n, uint64_t idx, uint64_t from, uint64_t to)
{
    uint64_t pa = memfs_page_at(n, idx);
    if (pa && from < to) memset((char *)phys_to_virt(pa) + from, 0, to - from);
}

static int punch(struct mem_node *n, uint64_t off, uint64_t end)
{
    uint64_t irq = spin_lock_irqsave(&memfs.lock);
    uint64_t first = ALIGN_UP(off, PAGE_SIZE) / PAGE_SIZE, last = end / PAGE_SIZE;
    if (off / PAGE_SIZE == (end - 1) / PAGE_SIZE && (off % PAGE_SIZE || end % PAGE_SIZE)) {
        zero_part(n, off / PAGE_SIZE, off % PAGE_SIZE, end - ALIGN_DOWN(off, PAGE_SIZE));   /* inside one page */
    } else {
        if (off % PAGE_SIZE) zero_part(n, off / PAGE_SIZE, off % PAGE_SIZE, PAGE_SIZE);
        if (end % PAGE_SIZE) zero_part(n, end / PAGE_SIZE, 0, end % PAGE_SIZE);
        if (first < last) memfs_pages_drop_range(n, first, last);
    }
    n->mtime_ns = n->ctime_ns = memfs_now();
    spin_unlock_irqrestore(&memfs.lock, irq);
    struct process *p = current_process();
    if (p) vm_file_punched(&p->vm, n, off, end);
    return 0;
}

int memfs_fallocate(struct mem_node *n, uint32_t mode, uint64_t off, uint64_t len)
{
    if ((n->mode & S_IFMT) != S_IFREG) return -ENODEV;
    if (mode & ~(FALLOC_KEEP_SIZE | FALLOC_PUNCH_HOLE)) return -EOPNOTSUPP;
    if (off > MEMFS_MAX_SIZE || len > MEMFS_MAX_SIZE - off) return -EFBIG;
    uint64_t end = off + len;
    if (mode & FALLOC_PUNCH_HOLE) return (mode & FALLOC_KEEP_SIZE) ? punch(n, off, end) : -EOPNOTSUPP;
    uint64_t irq = spin_lock_irqsave(&memfs.lock);
    int r = 0;
    uint64_t made_from = UINT64_MAX, made_to = 0;
    for (uint64_t idx = off / PAGE_SIZE; idx < ALIGN_UP(end, PAGE_SIZE) / PAGE_SIZE; idx++) {
        uint64_t pa;
        bool made = false;
        if ((r = memfs_page_make(n, idx, &irq, &pa, &made)) < 0) break;
        if (made) {
            made_from = MIN(made_from, idx * PAGE_SIZE);
            made_to = (idx + 1) * PAGE_SIZE;
        }
    }
    if (r == 0 && !(mode & FALLOC_KEEP_SIZE) && end > n->size) {
        n->size = end;
        n->mtime_ns = n->ctime_ns = memfs_now();
    }
    spin_unlock_irqrestore(&memfs.lock, irq);
    if (made_from < made_to) holes_made(n, made_from, made_to);
    return r;
}

static int mf_stat(struct file *f, struct linux_stat *st)
{
    memfs_stat(node_of(f), st);
    return 0;
}

static int mf_readdir(struct file *f, uint64_t *cookie, struct tfs_dirent *out)
{
    struct mem_node *dir = node_of(f);
    if ((dir->mode & S_IFMT) != S_IFDIR) return -ENOTDIR;
    uint64_t irq = spin_lock_irqsave(&memfs.lock);
    int r = 1;
    if (*cookie < 2) {
        struct mem_node *n = *cookie == 0 || !dir->parent ? dir : dir->parent;
        out->ino = n->ino;
        out->mode = S_IFDIR;
        memcpy(out->name, *cookie == 0 ? "." : "..", *cookie == 0 ? 2 : 3);
        (*cookie)++;
    } else {
        /* Cookies are entry serials (+ 2): an entry removed meanwhile does
         * not make the listing skip or repeat the others. */
        struct mem_dirent *e = dir->entries;
        while (e && e->serial + 2 < *cookie) e = e->next;
        if (!e) {
            r = 0;
        } else {
            out->ino = e->node->ino;
            out->mode = e->node->mode;
            memcpy(out->name, e->name, e->len + 1);
            *cookie = e->serial + 3;
        }
    }
    spin_unlock_irqrestore(&memfs.lock, irq);
    return r;
}

static int64_t mf_ioctl(struct file *f, uint64_t cmd, uint64_t arg) { return -ENOTTY; }

/* The file's own page for a mapping: a hole gets its page only for a
 * shared mapping's write (`fill`); a read maps zeros in its place. */
static int mf_lend_page(struct file *f, uint64_t offset, bool fill, uint64_t *pa)
{
    struct mem_node *n = node_of(f);
    uint64_t irq = spin_lock_irqsave(&memfs.lock);
    int r = 0;
    bool made = false;
    *pa = offset < n->size ? memfs_page_at(n, offset / PAGE_SIZE) : 0;
    if (!*pa && (!fill || offset >= n->size)) r = -ENODATA;
    else if (!*pa) r = memfs_page_make(n, offset / PAGE_SIZE, &irq, pa, &made);
    if (r == 0 && !page_ref(*pa)) r = -ENOMEM;
    spin_unlock_irqrestore(&memfs.lock, irq);
    if (made) holes_made(n, offset, offset + PAGE_SIZE);
    return r;
}

/* A mapping's write went to the file's page itself: nothing to write back. */
static int mf_page_written(struct file *f, uint64_t offset) { return 0; }

static bool mf_page_cached(struct file *f, uint64_t offset)
{
    uint64_t irq = spin_lock_irqsave(&memfs.lock);
    bool in = memfs_page_at(node_of(f), offset / PAGE_SIZE) != 0;
    spin_unlock_irqrestore(&memfs.lock, irq);
    return in;
}

static void mf_release(struct file *f) { memfs_node_put(node_of(f)); }

static int64_t mf_no_read(struct file *f, void *buf, size_t n, uint64_t off) { return -EISDIR; }
static int64_t mf_bad_read(struct file *f, void *buf, size_t n, uint64_t off) { return -EBADF; }
static int64_t mf_bad_write(struct file *f, const void *buf, size_t n, uint64_t off) { return -EBADF; }

static const struct file_ops mf_file_ops = {
    .read = mf_read, .write = mf_write, .stat = mf_stat, .ioctl = mf_ioctl, .release = mf_release,
    .lend_page = mf_lend_page, .page_written = mf_page_written, .page_cached = mf_page_cached, .seekable = true,
};

static const struct file_ops mf_dir_ops = {
    .read = mf_no_read, .write = mf_bad_write, .stat = mf_stat, .readdir = mf_readdir, .ioctl = mf_ioctl,
    .release = mf_release, .seekable = true,
};

/* O_PATH: fstat, and use as a directory fd. */
static const struct file_ops mf_path_ops = {
    .read = mf_bad_read, .write = mf_bad_write, .stat = mf_stat, .ioctl = mf_ioctl, .release = mf_release,
};

struct mem_node *memfs_file_node(struct file *f)
{
    bool ours = f->ops == &mf_file_ops || f->ops == &mf_dir_ops || f->ops == &mf_path_ops;
    return ours ? f->node : NULL;
}

struct file *memfs_open(struct heap *h, struct mem_node *n, uint32_t flags, int *err)
{
    bool dir = (n->mode & S_IFMT) == S_IFDIR;
    const struct file_ops *ops = (flags & O_PATH) ? &mf_path_ops : dir ? &mf_dir_ops : &mf_file_ops;
    if (!memfs_node_get(n)) {
        *err = -ENOENT;   /* removed on another CPU since the walk found it */
        return NULL;
    }
    struct file *f = file_new(h, ops, flags);
    if (!f) {
        memfs_node_put(n);
        *err = -ENOMEM;
        return NULL;
    }
    f->node = n;
    return f;
}

struct file *memfs_open_unnamed(struct heap *h, uint32_t mode, uint32_t flags, int *err)
{
    struct mem_node *n;
    int r = memfs_node_unnamed(S_IFREG | (mode & 07777), &n);
    if (r < 0) {
        *err = r;
        return NULL;
    }
    struct file *f = memfs_open(h, n, flags, err);
    memfs_node_put(n);
    return f;
}
