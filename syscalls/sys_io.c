/* Reading and writing open files. Data moves through a kernel bounce
 * buffer so file implementations only ever see kernel memory. */
#include "syscalls.h"
#include "../kernel/process.h"
#include "../kernel/usercopy.h"
#include "../kernel/sched.h"
#include "../kernel/signal.h"
#include "../fs/tfs.h"
#include "../fs/vfs.h"
#include "../fs/pipe.h"
#include "../fs/locks.h"
#include "../fs/memfs.h"
#include "../net/socket.h"
#include "../klib/string.h"

#define SEEK_SET 0
#define SEEK_CUR 1
#define SEEK_END 2
#define SEEK_DATA 3
#define SEEK_HOLE 4
#define F_DUPFD 0
#define F_GETFD 1
#define F_SETFD 2
#define F_GETFL 3
#define F_SETFL 4
#define F_DUPFD_CLOEXEC 1030
#define F_GETLK 5
#define F_SETLK 6
#define F_SETLKW 7
#define F_OFD_GETLK 36
#define F_OFD_SETLK 37
#define F_OFD_SETLKW 38
#define FD_CLOEXEC 1

struct iovec_k {
    uint64_t base, len;
};

static struct fdtable *fds(void) { return &current_process()->fds; }

/* Move up to n bytes between user memory at buf and the file at off,
 * through this thread's I/O buffer. Short counts stop the loop, as on Linux. */
static long do_rw(struct file *f, uint64_t buf, uint64_t n, uint64_t off, bool write)
{
    uint32_t forbidden = write ? O_RDONLY : O_WRONLY;
    if ((f->flags & O_ACCMODE) == forbidden || (f->flags & O_PATH)) return -EBADF;
    if (write ? !f->ops->write : !f->ops->read) return -EINVAL;
    char *tmp = current_thread()->io_buffer;
    uint64_t done = 0;
    while (done < n) {
        if (done) sched_preempt_point();
        size_t chunk = MIN(n - done, (uint64_t)THREAD_IO_BUFFER);
        if (write && copy_from_user(tmp, buf + done, chunk) < 0) return done ? (long)done : -EFAULT;
        /* a buffer outside the user half: refused before the file gives up
         * its bytes (a pipe's would be lost), as Linux's access_ok does */
        if (!write && !user_range_ok(buf + done, chunk)) return done ? (long)done : -EFAULT;
        int64_t r = write ? f->ops->write(f, tmp, chunk, off + done) : f->ops->read(f, tmp, chunk, off + done);
        if (r < 0) return done ? (long)done : r;
        if (!write && r && copy_to_user(buf + done, tmp, (size_t)r) < 0) return done ? (long)done : -EFAULT;
        done += (uint64_t)r;
        if ((size_t)r < chunk) break;
    }
    return (long)done;
}

/* O_APPEND writes land at the end of the file, wherever the position is. */
static uint64_t write_position(struct file *f)
{
    struct linux_stat st;
    if ((f->flags & O_APPEND) && f->ops->seekable && f->ops->stat(f, &st) == 0) return (uint64_t)st.st_size;
    return f->pos;
}

/* The one read/write path: a vector of user buffers at an explicit offset,
 * or (off < 0) at the file position, which then advances. */
static long transfer(struct file *f, const struct iovec_k *v, int cnt, int64_t off, bool write)
{
    bool at_pos = off < 0;
    if (!at_pos && !f->ops->seekable) return -ESPIPE;
    /* A socket takes the whole vector as one message (datagram boundaries). */
    if (file_is_socket(f)) return socket_file_transfer(f, (const struct sock_iov *)v, cnt, write);
    uint64_t pos = at_pos ? (write ? write_position(f) : f->pos) : (uint64_t)off;
    long total = 0;
    for (int i = 0; i < cnt; i++) {
        if (!v[i].len) continue;
        if ((int64_t)v[i].len < 0 || total + (int64_t)v[i].len < total) return total ? total : -EINVAL;
        long r = do_rw(f, v[i].base, v[i].len, pos, write);
        if (r < 0) {
            if (!total) total = r;
            break;
        }
        total += r;
        pos += (uint64_t)r;
        if ((uint64_t)r < v[i].len) break;
    }
    if (at_pos && total > 0 && f->ops->seekable) f->pos = pos;
    return total;
}

static long transfer_fd(int fd, const struct iovec_k *v, int cnt, int64_t off, bool write)
{
    struct file *f = fd_get(fds(), fd);
    if (!f) return -EBADF;
    /* Linux checks the buffer's range even for 0 bytes: a kernel address is EFAULT */
    if (cnt == 1 && !v->len && !user_range_ok(v->base, 0)) { file_put(f); return -EFAULT; }
    long r = transfer(f, v, cnt, off, write);
    file_put(f);
    return r;
}

#define IOV_MAX 1024

static long transfer_user_iov(int fd, uint64_t uiov, int cnt, int64_t off, bool write)
{
    if (cnt < 0 || cnt > IOV_MAX) return -EINVAL;
    struct iovec_k v[IOV_MAX / 4];
    if ((size_t)cnt > ARRAY_SIZE(v)) {
        /* Rare: go one entry at a time to keep the kernel stack small. */
        long total = 0;
        for (int i = 0; i < cnt; i++) {
            struct iovec_k one;
            if (copy_from_user(&one, uiov + i * sizeof one, sizeof one) < 0) return total ? total : -EFAULT;
            long r = transfer_fd(fd, &one, 1, off < 0 ? -1 : off + total, write);
            if (r < 0) return total ? total : r;
            total += r;
            if ((uint64_t)r < one.len) break;
        }
        return total;
    }
    if (copy_from_user(v, uiov, (size_t)cnt * sizeof v[0]) < 0) return -EFAULT;
    return transfer_fd(fd, v, cnt, off, write);
}

long sys_read(int fd, uint64_t buf, uint64_t n)
{
    struct iovec_k v = { buf, n };
    return transfer_fd(fd, &v, 1, -1, false);
}

long sys_write(int fd, uint64_t buf, uint64_t n)
{
    struct iovec_k v = { buf, n };
    return transfer_fd(fd, &v, 1, -1, true);
}

long sys_pread64(int fd, uint64_t buf, uint64_t n, int64_t off)
{
    if (off < 0) return -EINVAL;
    struct iovec_k v = { buf, n };
    return transfer_fd(fd, &v, 1, off, false);
}

long sys_pwrite64(int fd, uint64_t buf, uint64_t n, int64_t off)
{
    if (off < 0) return -EINVAL;
    struct iovec_k v = { buf, n };
    return transfer_fd(fd, &v, 1, off, true);
}

long sys_readv(int fd, uint64_t iov, int cnt) { return transfer_user_iov(fd, iov, cnt, -1, false); }
long sys_writev(int fd, uint64_t iov, int cnt) { return transfer_user_iov(fd, iov, cnt, -1, true); }

long sys_preadv(int fd, uint64_t iov, int cnt, int64_t off)
{
    return off < 0 ? -EINVAL : transfer_user_iov(fd, iov, cnt, off, false);
}

long sys_pwritev(int fd, uint64_t iov, int cnt, int64_t off)
{
    return off < 0 ? -EINVAL : transfer_user_iov(fd, iov, cnt, off, true);
}

#define RWF_SUPPORTED 0x1f   /* HIPRI DSYNC SYNC NOWAIT APPEND */

/* preadv2/pwritev2: offset -1 means the file position. */
long sys_preadv2(int fd, uint64_t iov, int cnt, int64_t off, int flags)
{
    if (flags & ~RWF_SUPPORTED) return -EOPNOTSUPP;
    if (off < -1) return -EINVAL;
    return transfer_user_iov(fd, iov, cnt, off, false);
}

long sys_pwritev2(int fd, uint64_t iov, int cnt, int64_t off, int flags)
{
    if (flags & ~RWF_SUPPORTED) return -EOPNOTSUPP;
    if (off < -1) return -EINVAL;
    long r = transfer_user_iov(fd, iov, cnt, off, true);
    if (r > 0 && (flags & 0x6)) {   /* RWF_DSYNC | RWF_SYNC */
        long s = sys_fdatasync(fd);
        if (s < 0) return s;
    }
    return r;
}

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
        if ((whence == SEEK_DATA || whence == SEEK_HOLE) && file_is_tfs(f)) {
            int64_t to = whence == SEEK_DATA ? tfs_seek_data(f->fs, f->node, (uint64_t)MAX(off, 0))
                                             : tfs_seek_hole(f->fs, f->node, (uint64_t)MAX(off, 0));
            if (off < 0) to = -ENXIO;
            if (to >= 0) f->pos = (uint64_t)to;
            file_put(f);
            return to;
        }
        if ((whence == SEEK_DATA || whence == SEEK_HOLE) && memfs_file_node(f)) {
            /* Linux's answer for a file whose holes it does not track: all
             * of it is data, with one hole at its end. */
            int64_t size = f->ops->stat(f, &st) == 0 ? st.st_size : 0;
            int64_t to = off < 0 || off >= size ? -ENXIO : whence == SEEK_DATA ? off : size;
            if (to >= 0) f->pos = (uint64_t)to;
            file_put(f);
            return to;
        }
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
    if (newfd < 0 || newfd >= MIN(fds()->nofile, FD_MAX)) return -EBADF;   /* Linux: the limit, not the table */
    struct fdtable *t = fds();
    struct file *f = fd_get(t, fd);
    if (!f) return -EBADF;
    long r = fd_replace(t, newfd, f, (flags & O_CLOEXEC) != 0);
    file_put(f);
    return r;
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

struct flock_k {
    int16_t type, whence;
    int64_t start, len;
    int32_t pid, pad;
};

#define F_RDLCK 0
#define F_WRLCK 1
#define F_UNLCK 2

static long record_lock(struct file *f, int cmd, uint64_t uarg)
{
    struct flock_k fl;
    if (copy_from_user(&fl, uarg, sizeof fl) < 0) return -EFAULT;
    bool ofd = cmd >= F_OFD_GETLK;
    if (ofd && fl.pid) return -EINVAL;
    if (fl.type != F_RDLCK && fl.type != F_WRLCK && fl.type != F_UNLCK) return -EINVAL;
    if (cmd != F_GETLK && cmd != F_OFD_GETLK) {
        if (fl.type == F_RDLCK && (f->flags & O_ACCMODE) == O_WRONLY) return -EBADF;
        if (fl.type == F_WRLCK && (f->flags & O_ACCMODE) == O_RDONLY) return -EBADF;
    }
    int64_t base;
    struct linux_stat st;
    switch (fl.whence) {
    case SEEK_SET: base = 0; break;
    case SEEK_CUR: base = (int64_t)f->pos; break;
    case SEEK_END: base = f->ops->stat(f, &st) == 0 ? st.st_size : 0; break;
    default: return -EINVAL;
    }
    int64_t start = base + fl.start, len = fl.len;
    if (len < 0) {
        start += len;
        len = -len;
    }
    if (start < 0) return -EINVAL;
    uint64_t s = (uint64_t)start, e = len ? (uint64_t)(start + len) : UINT64_MAX;
    enum file_lock_kind kind = fl.type == F_UNLCK ? FILE_LOCK_NONE : fl.type == F_RDLCK ? FILE_LOCK_SHARED : FILE_LOCK_EXCLUSIVE;
    if (!f->node) return cmd == F_GETLK || cmd == F_OFD_GETLK ? -EINVAL : 0;
    if (cmd == F_GETLK || cmd == F_OFD_GETLK) {
        if (kind == FILE_LOCK_NONE) return -EINVAL;
        bool holder_ofd = false;
        enum file_lock_kind k = file_lock_test(f, ofd, kind, &s, &e, &holder_ofd);
        if (k == FILE_LOCK_NONE) {
            fl.type = F_UNLCK;
        } else {
            fl.type = k == FILE_LOCK_SHARED ? F_RDLCK : F_WRLCK;
            fl.whence = SEEK_SET;
            fl.start = (int64_t)s;
            fl.len = e == UINT64_MAX ? 0 : (int64_t)(e - s);
            fl.pid = holder_ofd ? -1 : PROCESS_PID;
        }
        return copy_to_user(uarg, &fl, sizeof fl) < 0 ? -EFAULT : 0;
    }
    return file_lock_range(f, ofd, kind, s, e, cmd == F_SETLKW || cmd == F_OFD_SETLKW);
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
        r = (long)arg >= MIN(t->nofile, FD_MAX) ? -EINVAL : fd_install(t, f, (int)arg, cmd == F_DUPFD_CLOEXEC);
        break;
    case F_GETFD: r = t->cloexec[fd] ? FD_CLOEXEC : 0; break;
    case F_SETFD: t->cloexec[fd] = arg & FD_CLOEXEC; r = 0; break;
    case F_GETFL: r = f->flags & ~O_CLOEXEC; break;
    case F_SETFL:
        /* Only these flags may change after open, as on Linux. */
        f->flags = (f->flags & ~(O_APPEND | O_NONBLOCK)) | (arg & (O_APPEND | O_NONBLOCK));
        r = 0;
        break;
    case F_GETLK:
    case F_SETLK:
    case F_SETLKW:
    case F_OFD_GETLK:
    case F_OFD_SETLK:
    case F_OFD_SETLKW:
        r = record_lock(f, cmd, arg);
        break;
    default: r = -EINVAL;
    }
    file_put(f);
    return r;
}

/* Copy up to n bytes between two open files through the kernel: the engine
 * of sendfile and copy_file_range. Offsets < 0 mean "the file position". */
static long copy_between(struct file *in, int64_t in_off, struct file *out, int64_t out_off, uint64_t n)
{
    if ((in->flags & O_ACCMODE) == O_WRONLY || (out->flags & O_ACCMODE) == O_RDONLY) return -EBADF;
    if (!in->ops->read || !out->ops->write) return -EINVAL;
    struct thread *self = current_thread();
    char *tmp = self->io_buffer;
    const size_t tmp_size = THREAD_IO_BUFFER;
    uint64_t done = 0;
    uint64_t ip = in_off < 0 ? in->pos : (uint64_t)in_off;
    uint64_t op = out_off < 0 ? write_position(out) : (uint64_t)out_off;
    /* As Linux: at most MAX_RW_COUNT in one call, and a signal ends the copy
     * with what is done (2^64 bytes of /dev/zero would never end) */
    n = MIN(n, MAX_RW_COUNT);
    while (done < n) {
        if (done && signal_pending_current()) break;
        if (done) sched_preempt_point();
        int64_t r = in->ops->read(in, tmp, MIN(n - done, tmp_size), ip);
        if (r <= 0) {
            if (r < 0 && !done) return r;
            break;
        }
        int64_t w = out->ops->write(out, tmp, (size_t)r, op);
        if (w < 0) {
            if (!done) return w;
            break;
        }
        done += (uint64_t)w;
        ip += (uint64_t)w;
        op += (uint64_t)w;
        if (w < r) break;
    }
    if (in_off < 0 && in->ops->seekable) in->pos = ip;
    if (out_off < 0 && out->ops->seekable) out->pos = op;
    return (long)done;
}

long sys_sendfile(int out_fd, int in_fd, uint64_t uoff, uint64_t count)
{
    struct file *in = fd_get(fds(), in_fd), *out = fd_get(fds(), out_fd);
    long r = -EBADF;
    int64_t off = -1;
    if (!in || !out) goto done;
    if (uoff) {
        if (copy_from_user(&off, uoff, sizeof off) < 0) { r = -EFAULT; goto done; }
        if (off < 0) { r = -EINVAL; goto done; }
        if (!in->ops->seekable) { r = -ESPIPE; goto done; }
    }
    r = copy_between(in, off, out, -1, count);
    if (r > 0 && uoff) {
        off += r;
        if (copy_to_user(uoff, &off, sizeof off) < 0) r = -EFAULT;
    }
done:
    if (in) file_put(in);
    if (out) file_put(out);
    return r;
}

long sys_copy_file_range(int in_fd, uint64_t uin_off, int out_fd, uint64_t uout_off, uint64_t len, unsigned flags)
{
    if (flags) return -EINVAL;
    struct file *in = fd_get(fds(), in_fd), *out = fd_get(fds(), out_fd);
    long r = -EBADF;
    int64_t ioff = -1, ooff = -1;
    if (!in || !out) goto done;
    r = -EINVAL;
    if (!file_is_tfs(in) || !file_is_tfs(out)) goto done;
    if ((out->flags & O_APPEND)) { r = -EBADF; goto done; }
    if (uin_off && (copy_from_user(&ioff, uin_off, 8) < 0 || ioff < 0)) { r = ioff < 0 ? -EINVAL : -EFAULT; goto done; }
    if (uout_off && (copy_from_user(&ooff, uout_off, 8) < 0 || ooff < 0)) { r = ooff < 0 ? -EINVAL : -EFAULT; goto done; }
    r = copy_between(in, ioff, out, ooff, len);
    if (r > 0) {
        if (uin_off) { ioff += r; copy_to_user(uin_off, &ioff, 8); }
        if (uout_off) { ooff += r; copy_to_user(uout_off, &ooff, 8); }
    }
done:
    if (in) file_put(in);
    if (out) file_put(out);
    return r;
}

#define CLOSE_RANGE_UNSHARE 2
#define CLOSE_RANGE_CLOEXEC 4

long sys_close_range(unsigned first, unsigned last, unsigned flags)
{
    if (flags & ~(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC)) return -EINVAL;
    if (first > last) return -EINVAL;
    struct fdtable *t = fds();
    for (uint64_t fd = first; fd <= last && fd < FD_MAX; fd++) {
        if (flags & CLOSE_RANGE_CLOEXEC) {
            uint64_t irq = spin_lock_irqsave(&t->lock);
            if (t->files[fd]) t->cloexec[fd] = 1;
            spin_unlock_irqrestore(&t->lock, irq);
        } else {
            fd_close(t, (int)fd);
        }
    }
    return 0;
}

long sys_pipe2(uint64_t ufds, int flags)
{
    if (flags & ~(O_CLOEXEC | O_NONBLOCK | 040000 /* O_DIRECT: packet mode */)) return -EINVAL;
    if (flags & 040000) return -EINVAL;   /* packet-mode pipes are not supported */
    struct process *p = current_process();
    struct file *r, *w;
    long e = pipe_create(p->heap, &r, &w, (uint32_t)flags);
    if (e < 0) return e;
    r->path = w->path = NULL;
    int fdv[2];
    fdv[0] = fd_install(&p->fds, r, 0, (flags & O_CLOEXEC) != 0);
    fdv[1] = fdv[0] < 0 ? fdv[0] : fd_install(&p->fds, w, 0, (flags & O_CLOEXEC) != 0);
    file_put(r);
    file_put(w);
    if (fdv[1] < 0) {
        if (fdv[0] >= 0) fd_close(&p->fds, fdv[0]);
        return fdv[1];
    }
    if (copy_to_user(ufds, fdv, sizeof fdv) < 0) {
        fd_close(&p->fds, fdv[0]);
        fd_close(&p->fds, fdv[1]);
        return -EFAULT;
    }
    return 0;
}

long sys_pipe(uint64_t fds) { return sys_pipe2(fds, 0); }

#define LOCK_SH 1
#define LOCK_EX 2
#define LOCK_NB 4
#define LOCK_UN 8

/* flock: whole-file locks owned by open file descriptions. */
long sys_flock(int fd, int op)
{
    struct file *f = fd_get(fds(), fd);
    if (!f) return -EBADF;
    int kind = op & ~LOCK_NB;
    long r;
    if (kind != LOCK_SH && kind != LOCK_EX && kind != LOCK_UN) r = -EINVAL;
    else if (!f->node) r = 0;   /* the console, pipes: nothing else can hold them */
    else r = file_lock_whole(f, kind == LOCK_UN ? FILE_LOCK_NONE : kind == LOCK_SH ? FILE_LOCK_SHARED : FILE_LOCK_EXCLUSIVE,
                             !(op & LOCK_NB));
    file_put(f);
    return r;
}
