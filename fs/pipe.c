/* Pipes. A reader of an empty pipe with live writers waits on the pipe's
 * queue until a writer adds data or the last one goes; a writer of a full
 * pipe until a reader makes room or the last one goes. (With one thread
 * that wait is the deadlock Linux would give too.) */
#include "pipe.h"
#include "anon_ino.h"
#include "../kernel/wait.h"
#include "../kernel/process.h"
#include "../kernel/signal.h"
#include "../klib/errno.h"
#include "../klib/string.h"

#define PIPE_SIZE 65536
#define S_IFIFO 0010000

struct pipe {
    struct heap *heap;
    struct spinlock lock;
    char *buf;
    size_t head, len;
    uint32_t readers, writers;
    uint64_t ino;
    struct wait_queue readable;     /* readers waiting for data or EOF */
    struct wait_queue writable;     /* writers waiting for room or EPIPE */
};

static struct pipe *pipe_of(struct file *f) { return f->priv; }

static bool can_read(void *arg)
{
    struct pipe *p = arg;
    uint64_t irq = spin_lock_irqsave(&p->lock);
    bool ready = p->len || !p->writers;
    spin_unlock_irqrestore(&p->lock, irq);
    return ready;
}

static bool can_write(void *arg)
{
    struct pipe *p = arg;
    uint64_t irq = spin_lock_irqsave(&p->lock);
    bool ready = p->len < PIPE_SIZE || !p->readers;
    spin_unlock_irqrestore(&p->lock, irq);
    return ready;
}

static int64_t pipe_read(struct file *f, void *out, size_t n, uint64_t off)
{
    struct pipe *p = pipe_of(f);
    for (;;) {
        uint64_t irq = spin_lock_irqsave(&p->lock);
        if (p->len) {
            size_t got = 0;
            while (got < n && p->len) {
                size_t chunk = MIN(n - got, MIN(p->len, PIPE_SIZE - p->head));
                memcpy((char *)out + got, p->buf + p->head, chunk);
                p->head = (p->head + chunk) % PIPE_SIZE;
                p->len -= chunk;
                got += chunk;
            }
            spin_unlock_irqrestore(&p->lock, irq);
            wake_all(&p->writable);
            return (int64_t)got;
        }
        bool eof = p->writers == 0;
        spin_unlock_irqrestore(&p->lock, irq);
        if (eof) return 0;
        if (f->flags & O_NONBLOCK) return -EAGAIN;
        int r = wait_until(&p->readable, can_read, p, WAIT_FOREVER);
        if (r) return r;    /* a signal: EINTR or a restart (kernel/signal.c) */
    }
}

static int64_t pipe_write(struct file *f, const void *in, size_t n, uint64_t off)
{
    struct pipe *p = pipe_of(f);
    size_t put = 0;
    while (put < n) {
        uint64_t irq = spin_lock_irqsave(&p->lock);
        if (!p->readers) {
            spin_unlock_irqrestore(&p->lock, irq);
            if (put) return (int64_t)put;
            /* Linux's pair: the writer gets SIGPIPE (default: death), and
             * EPIPE if it handles or ignores it. */
            signal_send_thread(current_thread(), &(struct ksiginfo){ .signo = SIGPIPE, .code = SI_USER, .w2 = PROCESS_PID });
            return -EPIPE;
        }
        size_t before = put;
        while (put < n && p->len < PIPE_SIZE) {
            size_t tail = (p->head + p->len) % PIPE_SIZE;
            size_t chunk = MIN(n - put, MIN(PIPE_SIZE - p->len, PIPE_SIZE - tail));
            memcpy(p->buf + tail, (const char *)in + put, chunk);
            p->len += chunk;
            put += chunk;
        }
        spin_unlock_irqrestore(&p->lock, irq);
        if (put > before) wake_all(&p->readable);
        if (put < n) {
            if (f->flags & O_NONBLOCK) return put ? (int64_t)put : -EAGAIN;
            int r = wait_until(&p->writable, can_write, p, WAIT_FOREVER);
            if (r) return put ? (int64_t)put : r;
        }
    }
    return (int64_t)put;
}

static int pipe_stat(struct file *f, struct linux_stat *st)
{
    struct pipe *p = pipe_of(f);
    *st = (struct linux_stat){ .st_mode = S_IFIFO | 0600, .st_nlink = 1, .st_blksize = 4096, .st_ino = p->ino,
                               .st_dev = 0xc };
    return 0;
}

static int64_t pipe_ioctl(struct file *f, uint64_t cmd, uint64_t arg) { return -ENOTTY; }

static void pipe_release(struct file *f)
{
    struct pipe *p = pipe_of(f);
    uint64_t irq = spin_lock_irqsave(&p->lock);
    if ((f->flags & O_ACCMODE) == O_RDONLY) p->readers--;
    else p->writers--;
    bool last = !p->readers && !p->writers;
    /* The last writer gone is EOF for readers, the last reader EPIPE for
     * writers. Woken under the pipe's lock: once it drops, the other end's
     * release may free p. (Waiters hold their own end open, so none waits
     * on a pipe being freed.) */
    if (!p->writers) wake_all(&p->readable);
    if (!p->readers) wake_all(&p->writable);
    spin_unlock_irqrestore(&p->lock, irq);
    if (last) {
        deallocate(p->heap, p->buf, PIPE_SIZE);
        deallocate(p->heap, p, sizeof *p);
    }
}

/* Linux's pipe_poll: each end reports its own direction; the other end
 * gone is HUP for a reader (after the data) and ERR for a writer. The
 * queues are the ones blocked readers and writers already wait on. */
static uint32_t pipe_poll(struct file *f, struct poll_table *pt)
{
    struct pipe *p = pipe_of(f);
    bool reader = (f->flags & O_ACCMODE) == O_RDONLY;
    poll_wait(pt, reader ? &p->readable : &p->writable);
    uint64_t irq = spin_lock_irqsave(&p->lock);
    uint32_t mask = 0;
    if (reader) {
        if (p->len) mask |= POLLIN | POLLRDNORM;
        if (!p->writers) mask |= POLLHUP;
    } else {
        if (p->len < PIPE_SIZE) mask |= POLLOUT | POLLWRNORM;
        if (!p->readers) mask |= POLLERR;
    }
    spin_unlock_irqrestore(&p->lock, irq);
    return mask;
}

static const struct file_ops pipe_ops = {
    .poll = pipe_poll,
    .read = pipe_read,
    .write = pipe_write,
    .stat = pipe_stat,
    .ioctl = pipe_ioctl,
    .release = pipe_release,
};

int pipe_create(struct heap *h, struct file **read_end, struct file **write_end, uint32_t flags)
{
    struct pipe *p = allocate_zero(h, sizeof *p);
    if (!p) return -ENOMEM;
    p->heap = h;
    p->buf = allocate(h, PIPE_SIZE);
    p->ino = anon_ino(p);
    struct file *r = p->buf ? file_new(h, &pipe_ops, O_RDONLY | (flags & O_NONBLOCK)) : NULL;
    struct file *w = r ? file_new(h, &pipe_ops, O_WRONLY | (flags & O_NONBLOCK)) : NULL;
    if (!w) {
        if (r) deallocate(h, r, sizeof *r);
        if (p->buf) deallocate(h, p->buf, PIPE_SIZE);
        deallocate(h, p, sizeof *p);
        return -ENOMEM;
    }
    r->priv = w->priv = p;
    p->readers = p->writers = 1;
    *read_end = r;
    *write_end = w;
    return 0;
}
