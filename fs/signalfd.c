/* signalfd: pending signals read as records instead of running handlers.
 * The file keeps only its mask; what is pending is the reading thread's
 * and its process's (kernel/signal.c), taken with signal_dequeue exactly
 * as sigtimedwait takes it. Every send wakes the process's signal_arrived
 * queue, where blocked readers wait and pollers and epoll listen. */
#include "signalfd.h"
#include "anon_ino.h"
#include "../kernel/process.h"
#include "../kernel/signal.h"
#include "../kernel/wait.h"
#include "../klib/errno.h"
#include "../klib/string.h"

struct signalfd {
    uint64_t mask;      /* read and written atomically: no lock needed */
};

/* Linux's struct signalfd_siginfo. */
struct signalfd_siginfo {
    uint32_t ssi_signo;
    int32_t ssi_errno, ssi_code;
    uint32_t ssi_pid, ssi_uid;
    int32_t ssi_fd;
    uint32_t ssi_tid, ssi_band, ssi_overrun, ssi_trapno;
    int32_t ssi_status, ssi_int;
    uint64_t ssi_ptr, ssi_utime, ssi_stime, ssi_addr;
    uint16_t ssi_addr_lsb, pad2;
    int32_t ssi_syscall;
    uint64_t ssi_call_addr;
    uint32_t ssi_arch;
    uint8_t pad[28];
};
_Static_assert(sizeof(struct signalfd_siginfo) == 128, "signalfd_siginfo is Linux's");

#define SI_TIMER (-2)
#define SI_SIGIO (-5)

static uint64_t mask_of(struct file *f)
{
    return __atomic_load_n(&((struct signalfd *)f->priv)->mask, __ATOMIC_ACQUIRE);
}

/* Which siginfo fields are meaningful follows Linux's siginfo layouts. */
static void fill_record(struct signalfd_siginfo *r, const struct ksiginfo *in)
{
    memset(r, 0, sizeof *r);
    r->ssi_signo = (uint32_t)in->signo;
    r->ssi_errno = in->err;
    r->ssi_code = in->code;
    uint32_t lo2 = (uint32_t)in->w2, hi2 = (uint32_t)(in->w2 >> 32);
    int sig = in->signo, code = in->code;
    bool fault = (sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE || sig == SIGTRAP);
    if (code > SI_USER && code < SI_KERNEL && fault) {
        r->ssi_addr = in->w2;
    } else if (code > SI_USER && code < SI_KERNEL && sig == SIGCHLD) {
        r->ssi_pid = lo2;
        r->ssi_uid = hi2;
        r->ssi_status = (int32_t)in->w3;
        r->ssi_utime = in->w4;
        r->ssi_stime = in->w5;
    } else if ((code > SI_USER && code < SI_KERNEL) || code == SI_SIGIO) {
        r->ssi_band = lo2;      /* si_band is a long: its low half */
        r->ssi_fd = (int32_t)in->w3;
    } else if (code == SI_TIMER) {
        r->ssi_tid = lo2;
        r->ssi_overrun = hi2;
        r->ssi_ptr = in->w3;
        r->ssi_int = (int32_t)in->w3;
    } else if (code < 0) {
        r->ssi_pid = lo2;
        r->ssi_uid = hi2;
        r->ssi_ptr = in->w3;
        r->ssi_int = (int32_t)in->w3;
    } else {
        r->ssi_pid = lo2;       /* kill() and the kernel: who sent it */
        r->ssi_uid = hi2;
    }
}

static bool some_pending(void *arg)
{
    return signal_pending_in(*(uint64_t *)arg);
}

/* Records for as many whole ones as fit; a read that finds none waits
 * (unless O_NONBLOCK) for a signal in the mask, as on Linux. */
static int64_t signalfd_read(struct file *f, void *buf, size_t n, uint64_t off)
{
    (void)off;
    size_t want = n / sizeof(struct signalfd_siginfo);
    if (!want) return -EINVAL;
    struct thread *t = current_thread();
    struct process *p = t->proc;
    size_t got = 0;
    while (got < want) {
        uint64_t mask = mask_of(f);
        struct ksiginfo info;
        int sig = signal_dequeue(t, mask, &info);
        if (sig) {
            struct signalfd_siginfo rec;
            fill_record(&rec, &info);
            memcpy((char *)buf + got * sizeof rec, &rec, sizeof rec);
            got++;
            continue;
        }
        if (got) break;
        if (f->flags & O_NONBLOCK) return -EAGAIN;
        int r = wait_until(&p->signal_arrived, some_pending, &mask, WAIT_FOREVER);
        if (r) return r;    /* a signal: EINTR or a restart (kernel/signal.c) */
    }
    return (int64_t)(got * sizeof(struct signalfd_siginfo));
}

static int64_t signalfd_write(struct file *f, const void *buf, size_t n, uint64_t off) { return -EINVAL; }

static uint32_t signalfd_poll(struct file *f, struct poll_table *pt)
{
    poll_wait(pt, &current_process()->signal_arrived);
    return signal_pending_in(mask_of(f)) ? POLLIN : 0;
}

static int signalfd_stat(struct file *f, struct linux_stat *st)
{
    /* Linux's anonymous inode: no file type bits, owner read/write. */
    *st = (struct linux_stat){ .st_mode = 0600, .st_nlink = 1, .st_blksize = 4096, .st_ino = anon_ino(f->priv),
                               .st_dev = 0xd };
    return 0;
}

static int64_t signalfd_ioctl(struct file *f, uint64_t cmd, uint64_t arg) { return -ENOTTY; }

static void signalfd_release(struct file *f)
{
    deallocate(f->heap, f->priv, sizeof(struct signalfd));
}

static const struct file_ops signalfd_ops = {
    .read = signalfd_read,
    .write = signalfd_write,
    .stat = signalfd_stat,
    .ioctl = signalfd_ioctl,
    .release = signalfd_release,
    .poll = signalfd_poll,
};

bool file_is_signalfd(const struct file *f) { return f->ops == &signalfd_ops; }

struct file *signalfd_create(struct heap *h, uint64_t mask, int flags)
{
    struct signalfd *s = allocate_zero(h, sizeof *s);
    if (!s) return NULL;
    s->mask = mask;
    struct file *f = file_new(h, &signalfd_ops, O_RDWR | (flags & O_NONBLOCK));
    if (!f) {
        deallocate(h, s, sizeof *s);
        return NULL;
    }
    f->priv = s;
    f->priv_len = sizeof *s;
    return f;
}

void signalfd_set_mask(struct file *f, uint64_t mask)
{
    __atomic_store_n(&((struct signalfd *)f->priv)->mask, mask, __ATOMIC_RELEASE);
    wake_all(&current_process()->signal_arrived);
}
