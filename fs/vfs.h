/* Open files as the program sees them: a file descriptor table of struct
 * file, each with its ops. TFS files, directories and the console are the
 * first kinds; pipes, sockets and /proc files join later through the same
 * ops table. Buffers passed to ops are kernel memory. */
#pragma once
#include "../klib/types.h"
#include "../klib/heap.h"
#include "../kernel/spinlock.h"
#include "../kernel/poll.h"

/* open(2) flags, Linux x86_64 values. */
#define O_ACCMODE 3
#define O_RDONLY 0
#define O_WRONLY 1
#define O_RDWR 2
#define O_CREAT 0100
#define O_EXCL 0200
#define O_TRUNC 01000
#define O_APPEND 02000
#define O_NONBLOCK 04000
#define O_DIRECTORY 0200000
#define O_NOFOLLOW 0400000
#define O_CLOEXEC 02000000
#define O_PATH 010000000
#define O_DSYNC 010000
#define O_SYNC 04010000
#define O_TMPFILE 020200000
#define O_NOCTTY 0400
#define O_LARGEFILE 0100000
#define O_NOATIME 01000000
#define O_DIRECT 040000

struct file;
struct tfs;
struct tfs_node;
struct tfs_dirent;
struct epoll_item;

/* Linux's struct stat on x86_64. */
struct linux_stat {
    uint64_t st_dev, st_ino, st_nlink;
    uint32_t st_mode, st_uid, st_gid, pad0;
    uint64_t st_rdev;
    int64_t st_size, st_blksize, st_blocks;
    uint64_t st_atime, st_atime_nsec, st_mtime, st_mtime_nsec, st_ctime, st_ctime_nsec;
    int64_t reserved[3];
};

struct file_ops {
    int64_t (*read)(struct file *f, void *buf, size_t n, uint64_t off);
    int64_t (*write)(struct file *f, const void *buf, size_t n, uint64_t off);
    int (*stat)(struct file *f, struct linux_stat *st);
    /* Directories: next entry after *cookie; 1 = got one, 0 = end. */
    int (*readdir)(struct file *f, uint64_t *cookie, struct tfs_dirent *out);
    int64_t (*ioctl)(struct file *f, uint64_t cmd, uint64_t arg);
    void (*release)(struct file *f);
    /* The page of the file at `offset` (page aligned) from the page cache,
     * for a mapping to share: *pa is the physical page, with a reference the
     * caller drops with page_free. -ENODATA: nothing to share there (a hole,
     * past the end), read a copy instead; `fill` (a shared mapping about to
     * write) fills a hole first. NULL for kinds of file that never share. */
    int (*lend_page)(struct file *f, uint64_t offset, bool fill, uint64_t *pa);
    /* A shared mapping wrote to a page it got from lend_page. */
    int (*page_written)(struct file *f, uint64_t offset);
    /* Whether the page at `offset` is in the page cache (mincore). */
    bool (*page_cached)(struct file *f, uint64_t offset);
    /* The POLL* bits that hold now, as Linux reports them for this kind of
     * file; with pt, also poll_wait(pt, q) for every queue the file's
     * producers wake when that may change (its notification list). NULL:
     * always readable and writable, as Linux's regular files, and epoll
     * refuses it (EPERM). */
    uint32_t (*poll)(struct file *f, struct poll_table *pt);
    bool seekable;
};

struct file {
    const struct file_ops *ops;
    struct heap *heap;
    uint32_t refs;
    uint32_t flags;         /* O_* given to open (access mode, O_APPEND, ...) */
    uint64_t pos;
    struct tfs *fs;
    /* The object the file is open on, which locks and mappings key on: a
     * struct tfs_node for TFS files, a struct mem_node for memfs; NULL for
     * the console, pipes and other objects without one. */
    void *node;
    const char *path;       /* interned absolute path as opened, for /proc/self/fd and maps */
    /* Per-kind state a file kind owns (e.g. a /proc file's text), freed by its release. */
    void *priv;
    size_t priv_len;
    struct epoll_item *epoll_items;   /* the epolls watching it (fs/epoll.c) */
};

#define FD_MAX 1024

struct fdtable {
    struct spinlock lock;
    struct file *files[FD_MAX];
    uint8_t cloexec[FD_MAX];
    /* RLIMIT_NOFILE's soft limit (at most FD_MAX): no fd at or above it is handed out. */
    int nofile;
};

/* Install f at the lowest free fd >= min; returns the fd or -EMFILE. Takes a reference. */
int fd_install(struct fdtable *t, struct file *f, int min, bool cloexec);
/* The file at fd with a new reference (drop it with file_put), or NULL. */
struct file *fd_get(struct fdtable *t, int fd);
int fd_close(struct fdtable *t, int fd);
/* Install f at exactly fd (dup2/dup3), taking a reference; whatever fd held
 * is closed as fd_close would close it. Returns fd or -EBADF. */
int fd_replace(struct fdtable *t, int fd, struct file *f, bool cloexec);
void file_put(struct file *f);
static inline void file_get(struct file *f) { __atomic_add_fetch(&f->refs, 1, __ATOMIC_ACQ_REL); }
struct file *file_new(struct heap *h, const struct file_ops *ops, uint32_t flags);

#define POLL_ALWAYS_READY (POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM)
static inline uint32_t file_poll(struct file *f, struct poll_table *pt)
{
    return f->ops->poll ? f->ops->poll(f, pt) : POLL_ALWAYS_READY;
}

struct file *console_file_open(struct heap *h, uint32_t flags);
/* A TFS node as an open file (regular file, directory or symlink with O_PATH). */
struct file *tfs_file_open(struct heap *h, struct tfs *fs, struct tfs_node *node, uint32_t flags);
void stat_from_tfs(struct tfs_node *n, struct linux_stat *st);
bool file_is_tfs(const struct file *f);
