/* /dev: the character devices every program may open (null, zero, full,
 * random, urandom, console), the links into /proc/self/fd, and the mount
 * point of /dev/shm. */
#include "pseudo_internal.h"
#include "../kernel/cpu.h"
#include "../klib/errno.h"
#include "../klib/string.h"

static int64_t read_eof(struct file *f, void *buf, size_t n, uint64_t off) { return 0; }

static int64_t read_zeros(struct file *f, void *buf, size_t n, uint64_t off)
{
    memset(buf, 0, n);
    return (int64_t)n;
}

static int64_t read_random(struct file *f, void *buf, size_t n, uint64_t off)
{
    uint8_t *p = buf;
    for (size_t i = 0; i < n; i += 8) {
        uint64_t r = cpu_random64();
        memcpy(p + i, &r, MIN((size_t)8, n - i));
    }
    return (int64_t)n;
}

static int64_t write_discard(struct file *f, const void *buf, size_t n, uint64_t off) { return (int64_t)n; }
static int64_t write_full(struct file *f, const void *buf, size_t n, uint64_t off) { return -ENOSPC; }

/* pseudo_open put a small header in priv; it goes when the file does. */
static void dev_release(struct file *f) { deallocate(f->heap, f->priv, f->priv_len); }

/* Seeking these devices succeeds on Linux, so they count as seekable.
 * Writes to the random devices would mix entropy in; here they are dropped. */
#define DEVICE_OPS(r, w) { .read = r, .write = w, .stat = pseudo_file_stat, .ioctl = pseudo_no_ioctl, \
                           .release = dev_release, .seekable = true }

static const struct file_ops dev_null_ops = DEVICE_OPS(read_eof, write_discard);
static const struct file_ops dev_zero_ops = DEVICE_OPS(read_zeros, write_discard);
static const struct file_ops dev_full_ops = DEVICE_OPS(read_zeros, write_full);
static const struct file_ops dev_random_ops = DEVICE_OPS(read_random, write_discard);

#define CHR(var, nm, ops, major, minor) \
    static struct pseudo_node var = { .name = nm, .kind = PSEUDO_CHR, .dev_ops = &ops, \
                                      .rdev = ((major) << 8) | (minor) }

CHR(dev_null, "null", dev_null_ops, 1, 3);
CHR(dev_zero, "zero", dev_zero_ops, 1, 5);
CHR(dev_full, "full", dev_full_ops, 1, 7);
CHR(dev_random, "random", dev_random_ops, 1, 8);
CHR(dev_urandom, "urandom", dev_random_ops, 1, 9);

/* The console is owned by fs/file_console.c: opening it gives the same kind
 * of file as fds 0-2. */
static struct pseudo_node dev_console = {
    .name = "console", .kind = PSEUDO_CHR, .perm = 0600, .rdev = (5 << 8) | 1, .open_dev = console_file_open,
};

static const char *link_fd0(struct pseudo_node *n, char *s) { return "/proc/self/fd/0"; }
static const char *link_fd1(struct pseudo_node *n, char *s) { return "/proc/self/fd/1"; }
static const char *link_fd2(struct pseudo_node *n, char *s) { return "/proc/self/fd/2"; }
static const char *link_fd(struct pseudo_node *n, char *s) { return "/proc/self/fd"; }

static struct pseudo_node dev_stdin = { .name = "stdin", .kind = PSEUDO_LINK, .target = link_fd0 };
static struct pseudo_node dev_stdout = { .name = "stdout", .kind = PSEUDO_LINK, .target = link_fd1 };
static struct pseudo_node dev_stderr = { .name = "stderr", .kind = PSEUDO_LINK, .target = link_fd2 };
static struct pseudo_node dev_fd = { .name = "fd", .kind = PSEUDO_LINK, .target = link_fd };

/* Where memfs is mounted (fs/memfs.c): the walker enters memfs here; this
 * directory only gives /dev's listing its name. */
static struct pseudo_node dev_shm = { .name = "shm", .kind = PSEUDO_DIR, .perm = 01777 };

static struct pseudo_node *const dev_children[] = {
    &dev_shm, &dev_null, &dev_zero, &dev_full, &dev_random, &dev_urandom, &dev_console,
    &dev_stdin, &dev_stdout, &dev_stderr, &dev_fd, NULL,
};

struct pseudo_node pseudo_dev_root = { .name = "dev", .kind = PSEUDO_DIR, .perm = 0755, .children = dev_children };
