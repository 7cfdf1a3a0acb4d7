/* The console as a file: fds 0, 1 and 2 at start. Output goes to COM1.
 * Input comes from COM1 (see console_read). It answers terminal ioctls
 * the way a pipe would (ENOTTY), so programs do not switch to tty modes. */
#include "vfs.h"
#include "../kernel/console.h"
#include "../klib/errno.h"

#define S_IFCHR 0020000

static int64_t console_file_read(struct file *f, void *buf, size_t n, uint64_t off)
{
    return (int64_t)console_read(buf, n);
}

static int64_t console_file_write(struct file *f, const void *buf, size_t n, uint64_t off)
{
    console_write(buf, n);
    return (int64_t)n;
}

static int console_stat(struct file *f, struct linux_stat *st)
{
    *st = (struct linux_stat){ .st_mode = S_IFCHR | 0620, .st_nlink = 1, .st_blksize = 1024,
                               .st_rdev = (5u << 8) | 1, .st_ino = 3, .st_dev = 5 };
    return 0;
}

static int64_t console_ioctl(struct file *f, uint64_t cmd, uint64_t arg)
{
    return -ENOTTY;
}

/* Always writable; readable once input is buffered or at its end (then
 * read returns 0 at once, as /dev/null's, which is what pith's stdin is
 * when the host gives none). */
static uint32_t console_poll(struct file *f, struct poll_table *pt)
{
    uint32_t mask = POLLOUT | POLLWRNORM;
    if (console_input_poll(pt)) mask |= POLLIN | POLLRDNORM;
    return mask;
}

static const struct file_ops console_ops = {
    .poll = console_poll,
    .read = console_file_read,
    .write = console_file_write,
    .stat = console_stat,
    .ioctl = console_ioctl,
};

struct file *console_file_open(struct heap *h, uint32_t flags)
{
    return file_new(h, &console_ops, flags);
}
