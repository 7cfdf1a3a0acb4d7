/* Files and directories of a TFS volume as open files. An open file holds
 * a reference on its node, so an unlinked file lives until its last close. */
#include "vfs.h"
#include "tfs.h"
#include "tfs_format.h"
#include "../kernel/mm.h"
#include "../klib/errno.h"

void stat_from_tfs(struct tfs_node *n, struct linux_stat *st)
{
    struct tfs_stat ts;
    tfs_stat(n, &ts);
    *st = (struct linux_stat){
        .st_dev = 0x801, .st_ino = ts.ino, .st_nlink = ts.nlink, .st_mode = ts.mode,
        .st_uid = ts.uid, .st_gid = ts.gid, .st_size = (int64_t)ts.size, .st_blksize = 4096,
        .st_blocks = (int64_t)ts.blocks,
        .st_atime = ts.atime_ns / 1000000000, .st_atime_nsec = ts.atime_ns % 1000000000,
        .st_mtime = ts.mtime_ns / 1000000000, .st_mtime_nsec = ts.mtime_ns % 1000000000,
        .st_ctime = ts.ctime_ns / 1000000000, .st_ctime_nsec = ts.ctime_ns % 1000000000,
    };
}

static int64_t tfs_file_read(struct file *f, void *buf, size_t n, uint64_t off)
{
    return tfs_read(f->fs, f->node, off, buf, n);
}

static int64_t tfs_file_write(struct file *f, const void *buf, size_t n, uint64_t off)
{
    int64_t r = tfs_write(f->fs, f->node, off, buf, n);
    /* O_SYNC / O_DSYNC: the write is durable when it returns. */
    if (r > 0 && (f->flags & (O_SYNC | O_DSYNC))) {
        int s = tfs_fsync(f->fs, f->node, !(f->flags & O_SYNC & ~O_DSYNC));
        if (s < 0) return s;
    }
    return r;
}

static int tfs_file_stat(struct file *f, struct linux_stat *st)
{
    stat_from_tfs(f->node, st);
    return 0;
}

static int tfs_file_readdir(struct file *f, uint64_t *cookie, struct tfs_dirent *out)
{
    return tfs_readdir(f->fs, f->node, cookie, out);
}

static int64_t tfs_file_ioctl(struct file *f, uint64_t cmd, uint64_t arg)
{
    return -ENOTTY;
}

static int tfs_file_lend_page(struct file *f, uint64_t offset, bool fill, uint64_t *pa)
{
    _Static_assert(TFS_BLOCK_SIZE == PAGE_SIZE, "a TFS block is one page");
    void *page;
    int r = tfs_lend_page(f->fs, f->node, offset / PAGE_SIZE, fill, &page);
    if (r < 0) return r;
    if ((uintptr_t)page & (PAGE_SIZE - 1) || !page_ref(virt_to_phys(page))) return -ENODATA;
    *pa = virt_to_phys(page);
    return 0;
}

static int tfs_file_page_written(struct file *f, uint64_t offset)
{
    return tfs_page_written(f->fs, f->node, offset / PAGE_SIZE);
}

static bool tfs_file_page_cached(struct file *f, uint64_t offset)
{
    return tfs_page_cached(f->fs, f->node, offset / PAGE_SIZE);
}

static void tfs_file_release(struct file *f)
{
    tfs_node_put(f->fs, f->node);
}

static const struct file_ops tfs_file_ops = {
    .read = tfs_file_read,
    .write = tfs_file_write,
    .stat = tfs_file_stat,
    .readdir = tfs_file_readdir,
    .ioctl = tfs_file_ioctl,
    .release = tfs_file_release,
    .lend_page = tfs_file_lend_page,
    .page_written = tfs_file_page_written,
    .page_cached = tfs_file_page_cached,
    .seekable = true,
};

struct file *tfs_file_open(struct heap *h, struct tfs *fs, struct tfs_node *node, uint32_t flags)
{
    struct file *f = file_new(h, &tfs_file_ops, flags);
    if (!f) return NULL;
    f->fs = fs;
    f->node = node;
    tfs_node_get(node);
    return f;
}

bool file_is_tfs(const struct file *f) { return f->ops == &tfs_file_ops; }
