#include "vfs.h"
#include "locks.h"
#include "epoll.h"
#include "../klib/errno.h"

struct file *file_new(struct heap *h, const struct file_ops *ops, uint32_t flags)
{
    struct file *f = allocate_zero(h, sizeof *f);
    if (!f) return NULL;
    f->ops = ops;
    f->heap = h;
    f->refs = 1;
    f->flags = flags;
    return f;
}

void file_put(struct file *f)
{
    if (__atomic_sub_fetch(&f->refs, 1, __ATOMIC_ACQ_REL) == 0) {
        if (f->epoll_items) epoll_file_closing(f);
        if (f->node) file_locks_release(f);
        if (f->ops->release) f->ops->release(f);
        deallocate(f->heap, f, sizeof *f);
    }
}

int fd_install(struct fdtable *t, struct file *f, int min, bool cloexec)
{
    uint64_t irq = spin_lock_irqsave(&t->lock);
    for (int fd = MAX(min, 0); fd < MIN(t->nofile, FD_MAX); fd++) {
        if (!t->files[fd]) {
            __atomic_add_fetch(&f->refs, 1, __ATOMIC_ACQ_REL);
            t->files[fd] = f;
            t->cloexec[fd] = cloexec;
            spin_unlock_irqrestore(&t->lock, irq);
            return fd;
        }
    }
    spin_unlock_irqrestore(&t->lock, irq);
    return -EMFILE;
}

struct file *fd_get(struct fdtable *t, int fd)
{
    if (fd < 0 || fd >= FD_MAX) return NULL;
    uint64_t irq = spin_lock_irqsave(&t->lock);
    struct file *f = t->files[fd];
    if (f) __atomic_add_fetch(&f->refs, 1, __ATOMIC_ACQ_REL);
    spin_unlock_irqrestore(&t->lock, irq);
    return f;
}

/* What closing a descriptor does to the file it named, however it was closed
 * (close, close_range, dup2/dup3 over it): the process's POSIX record locks
 * on that file go with any descriptor, not only the one that took them. */
static void fd_release(struct file *f)
{
    if (f->node) file_locks_close(f);
    file_put(f);
}

int fd_close(struct fdtable *t, int fd)
{
    if (fd < 0 || fd >= FD_MAX) return -EBADF;
    uint64_t irq = spin_lock_irqsave(&t->lock);
    struct file *f = t->files[fd];
    t->files[fd] = NULL;
    spin_unlock_irqrestore(&t->lock, irq);
    if (!f) return -EBADF;
    fd_release(f);
    return 0;
}

int fd_replace(struct fdtable *t, int fd, struct file *f, bool cloexec)
{
    if (fd < 0 || fd >= FD_MAX) return -EBADF;
    file_get(f);
    uint64_t irq = spin_lock_irqsave(&t->lock);
    struct file *old = t->files[fd];
    t->files[fd] = f;
    t->cloexec[fd] = cloexec;
    spin_unlock_irqrestore(&t->lock, irq);
    if (old) fd_release(old);
    return fd;
}
