/* signalfd, signalfd4: the file is fs/signalfd.c. */
#include "syscalls.h"
#include "../fs/signalfd.h"
#include "../kernel/process.h"
#include "../kernel/signal.h"
#include "../kernel/usercopy.h"

long sys_signalfd4(int fd, uint64_t umask, uint64_t size, int flags)
{
    if (size != 8) return -EINVAL;
    uint64_t mask;
    if (copy_from_user(&mask, umask, sizeof mask) < 0) return -EFAULT;
    if (flags & ~(SFD_NONBLOCK | SFD_CLOEXEC)) return -EINVAL;
    mask &= ~(SIG_BIT(SIGKILL) | SIG_BIT(SIGSTOP));    /* never read, as on Linux */
    struct process *p = current_process();
    if (fd != -1) {
        struct file *f = fd_get(&p->fds, fd);
        if (!f) return -EBADF;
        bool ok = file_is_signalfd(f);
        if (ok) signalfd_set_mask(f, mask);
        file_put(f);
        return ok ? fd : -EINVAL;
    }
    struct file *f = signalfd_create(p->heap, mask, flags);
    if (!f) return -ENOMEM;
    f->path = "anon_inode:[signalfd]";
    int r = fd_install(&p->fds, f, 0, (flags & SFD_CLOEXEC) != 0);
    file_put(f);
    return r;
}

long sys_signalfd(int fd, uint64_t umask, uint64_t size)
{
    return sys_signalfd4(fd, umask, size, 0);
}
