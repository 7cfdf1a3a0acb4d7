/* Reading and writing open files. Data moves through a kernel bounce
 * buffer so file implementations only ever see kernel memory. */
#include "syscalls.h"
#include "../kernel/process.h"
#include "../kernel/usercopy.h"
#include "../fs/tfs.h"
#include "../klib/string.h"

#define BOUNCE 4096
#define SEEK_SET 0
#define SEEK_CUR 1
#define SEEK_END 2
#define F_DUPFD 0
#define F_GETFD 1
#define F_SETFD 2
#define F_GETFL 3
#define F_SETFL 4
#define F_DUPFD_CLOEXEC 1030
#define FD_CLOEXEC 1

struct iovec_k {
    uint64_t base, len;
};

static struct fdtable *fds(void) { return &current_process()->fds; }

/* Read up to n bytes at *pos (or at off when pos is NULL) into user memory. */
static long do_read(struct file *f, uint64_t buf, uint64_t n, uint64_t off)
{
    if ((f->flags & O_ACCMODE) == O_WRONLY || (f->flags & O_PATH)) return -EBADF;
    if (!f->ops->read) return -EINVAL;
    char tmp[BOUNCE];
    uint64_t done = 0;
    while (done < n) {
        size_t chunk = MIN(n - done, sizeof tmp);
        int64_t r = f->ops->read(f, tmp, chunk, off + done);
        if (r < 0) return done ? (long)done : r;
        if (r && copy_to_user(buf + done, tmp, (size_t)r) < 0) return done ? (long)done : -EFAULT;
        done += (uint64_t)r;
        if ((size_t)r < chunk) break;
    }
    return (long)done;
}

static long do_write(struct file *f, uint64_t buf, uint64_t n, uint64_t off)
{
    if ((f->flags & O_ACCMODE) == O_RDONLY || (f->flags & O_PATH)) return -EBADF;
    if (!f->ops->write) return -EINVAL;
    char tmp[BOUNCE];
    uint64_t done = 0;
    while (done < n) {
        size_t chunk = MIN(n - done, sizeof tmp);
        if (copy_from_user(tmp, buf + done, chunk) < 0) return done ? (long)done : -EFAULT;
        int64_t r = f->ops->write(f, tmp, chunk, off + done);
        if (r < 0) return done ? (long)done : r;
        done += (uint64_t)r;
        if ((size_t)r < chunk) break;
    }
    return (long)done;
}

long sys_read(int fd, uint64_t buf, uint64_t n)
{
    struct file *f = fd_get(fds(), fd);
    if (!f) return -EBADF;
    long r = do_read(f, buf, n, f->pos);
    if (r > 0 && f->ops->seekable) f->pos += (uint64_t)r;
    file_put(f);
    return r;
}

long sys_write(int fd, uint64_t buf, uint64_t n)
{
    struct file *f = fd_get(fds(), fd);
    if (!f) return -EBADF;
    long r = do_write(f, buf, n, f->pos);
    if (r > 0 && f->ops->seekable) f->pos += (uint64_t)r;
    file_put(f);
    return r;
}

long sys_pread64(int fd, uint64_t buf, uint64_t n, int64_t off)
{
    if (off < 0) return -EINVAL;
    struct file *f = fd_get(fds(), fd);
    if (!f) return -EBADF;
    long r = f->ops->seekable ? do_read(f, buf, n, (uint64_t)off) : -ESPIPE;
    file_put(f);
    return r;
}

long sys_pwrite64(int fd, uint64_t buf, uint64_t n, int64_t off)
{
    if (off < 0) return -EINVAL;
    struct file *f = fd_get(fds(), fd);
    if (!f) return -EBADF;
    long r = f->ops->seekable ? do_write(f, buf, n, (uint64_t)off) : -ESPIPE;
    file_put(f);
    return r;
}

static long do_vector(int fd, uint64_t iov, int cnt, bool write)
{
    if (cnt < 0 || cnt > 1024) return -EINVAL;
    struct file *f = fd_get(fds(), fd);
    if (!f) return -EBADF;
    long total = 0;
    for (int i = 0; i < cnt; i++) {
        struct iovec_k v;
        if (copy_from_user(&v, iov + i * sizeof v, sizeof v) < 0) {
            total = total ? total : -EFAULT;
            break;
        }
        if (!v.len) continue;
        long r = write ? do_write(f, v.base, v.len, f->pos) : do_read(f, v.base, v.len, f->pos);
        if (r < 0) {
            total = total ? total : r;
            break;
        }
        total += r;
        if (f->ops->seekable) f->pos += (uint64_t)r;
        if ((uint64_t)r < v.len) break;
    }
    file_put(f);
    return total;
}

long sys_readv(int fd, uint64_t iov, int cnt) { return do_vector(fd, iov, cnt, false); }
long sys_writev(int fd, uint64_t iov, int cnt) { return do_vector(fd, iov, cnt, true); }

long sys_lseek(int fd, int64_t off, int whence)
{
    struct file *f = fd_get(fds(), fd);
    if (!f) return -EBADF;
    long r;
    if (!f->ops->seekable) {
        r = -ESPIPE;
    } else {
        int64_t base = 0;
        struct linux_stat st;
        if (whence == SEEK_CUR) base = (int64_t)f->pos;
        else if (whence == SEEK_END) base = f->ops->stat(f, &st) == 0 ? st.st_size : 0;
        else if (whence != SEEK_SET) base = -1;
        if (base < 0) r = -EINVAL;
        else if (base + off < 0) r = -EINVAL;
        else r = (long)(f->pos = (uint64_t)(base + off));
    }
    file_put(f);
    return r;
}

long sys_close(int fd) { return fd_close(fds(), fd); }

long sys_ioctl(int fd, uint64_t cmd, uint64_t arg)
{
    struct file *f = fd_get(fds(), fd);
    if (!f) return -EBADF;
    long r = f->ops->ioctl ? f->ops->ioctl(f, cmd, arg) : -ENOTTY;
    file_put(f);
    return r;
}

long sys_fstat(int fd, uint64_t st)
{
    struct file *f = fd_get(fds(), fd);
    if (!f) return -EBADF;
    struct linux_stat s;
    long r = f->ops->stat(f, &s);
    file_put(f);
    if (r == 0 && copy_to_user(st, &s, sizeof s) < 0) r = -EFAULT;
    return r;
}

long sys_getdents64(int fd, uint64_t buf, uint64_t len)
{
    struct file *f = fd_get(fds(), fd);
    if (!f) return -EBADF;
    if (!f->ops->readdir) {
        file_put(f);
        return -ENOTDIR;
    }
    long written = 0;
    struct tfs_dirent d;
    for (;;) {
        uint64_t cookie = f->pos;
        int r = f->ops->readdir(f, &cookie, &d);
        if (r <= 0) {
            if (r < 0 && !written) written = r;
            break;
        }
        size_t namelen = strlen(d.name);
        size_t reclen = ALIGN_UP(19 + namelen + 1, 8ul);
        if ((uint64_t)written + reclen > len) {
            if (!written) written = -EINVAL;
            break;
        }
        char rec[19 + 256 + 8] = { 0 };
        uint64_t off = cookie;
        uint16_t rl = (uint16_t)reclen;
        uint8_t type = (uint8_t)((d.mode >> 12) & 017);
        memcpy(rec, &d.ino, 8);
        memcpy(rec + 8, &off, 8);
        memcpy(rec + 16, &rl, 2);
        rec[18] = (char)type;
        memcpy(rec + 19, d.name, namelen);
        if (copy_to_user(buf + (uint64_t)written, rec, reclen) < 0) {
            if (!written) written = -EFAULT;
            break;
        }
        written += (long)reclen;
        f->pos = cookie;
    }
    file_put(f);
    return written;
}

long sys_dup(int fd)
{
    struct file *f = fd_get(fds(), fd);
    if (!f) return -EBADF;
    long r = fd_install(fds(), f, 0, false);
    file_put(f);
    return r;
}

long sys_dup3(int fd, int newfd, int flags)
{
    if (flags & ~O_CLOEXEC) return -EINVAL;
    if (fd == newfd) return -EINVAL;
    if (newfd < 0 || newfd >= FD_MAX) return -EBADF;
    struct fdtable *t = fds();
    struct file *f = fd_get(t, fd);
    if (!f) return -EBADF;
    uint64_t irq = spin_lock_irqsave(&t->lock);
    struct file *old = t->files[newfd];
    t->files[newfd] = f;    /* our reference moves into the table */
    t->cloexec[newfd] = (flags & O_CLOEXEC) != 0;
    spin_unlock_irqrestore(&t->lock, irq);
    if (old) file_put(old);
    return newfd;
}

long sys_dup2(int fd, int newfd)
{
    if (fd == newfd) {
        struct file *f = fd_get(fds(), fd);
        if (!f) return -EBADF;
        file_put(f);
        return newfd;
    }
    return sys_dup3(fd, newfd, 0);
}

long sys_fcntl(int fd, int cmd, uint64_t arg)
{
    struct fdtable *t = fds();
    struct file *f = fd_get(t, fd);
    if (!f) return -EBADF;
    long r;
    switch (cmd) {
    case F_DUPFD:
    case F_DUPFD_CLOEXEC:
        r = (long)arg >= FD_MAX ? -EINVAL : fd_install(t, f, (int)arg, cmd == F_DUPFD_CLOEXEC);
        break;
    case F_GETFD: r = t->cloexec[fd] ? FD_CLOEXEC : 0; break;
    case F_SETFD: t->cloexec[fd] = arg & FD_CLOEXEC; r = 0; break;
    case F_GETFL: r = f->flags & ~O_CLOEXEC; break;
    case F_SETFL:
        /* Only these flags may change after open, as on Linux. */
        f->flags = (f->flags & ~(O_APPEND | O_NONBLOCK)) | (arg & (O_APPEND | O_NONBLOCK));
        r = 0;
        break;
    default: r = -EINVAL;
    }
    file_put(f);
    return r;
}
