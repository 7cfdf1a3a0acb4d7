/* eventfd, eventfd2: the counter is fs/eventfd.c. */
#include "syscalls.h"
#include "../fs/eventfd.h"
#include "../kernel/process.h"

long sys_eventfd2(unsigned initval, int flags)
{
    if (flags & ~(EFD_SEMAPHORE | EFD_NONBLOCK | EFD_CLOEXEC)) return -EINVAL;
    struct process *p = current_process();
    struct file *f = eventfd_create(p->heap, initval, flags);
    if (!f) return -ENOMEM;
    f->path = "anon_inode:[eventfd]";
    int fd = fd_install(&p->fds, f, 0, (flags & EFD_CLOEXEC) != 0);
    file_put(f);
    return fd;
}

long sys_eventfd(unsigned initval)
{
    return sys_eventfd2(initval, 0);
}
