/* Threads: clone and clone3 as pthread_create calls them (glibc and musl
 * pass the same flags), and nothing else: a second process (fork, vfork,
 * clone without CLONE_VM) stays -ENOSYS, as before threads existed. */
#include "syscalls.h"
#include "../kernel/process.h"
#include "../kernel/sched.h"
#include "../kernel/trap.h"
#include "../kernel/usercopy.h"
#include "../kernel/mm.h"
#include "../kernel/console.h"
#include "../kernel/fpu.h"
#include "../klib/string.h"

#define CLONE_VM 0x00000100ul
#define CLONE_FS 0x00000200ul
#define CLONE_FILES 0x00000400ul
#define CLONE_SIGHAND 0x00000800ul
#define CLONE_PIDFD 0x00001000ul
#define CLONE_PTRACE 0x00002000ul
#define CLONE_VFORK 0x00004000ul
#define CLONE_PARENT 0x00008000ul
#define CLONE_THREAD 0x00010000ul
#define CLONE_SYSVSEM 0x00040000ul
#define CLONE_SETTLS 0x00080000ul
#define CLONE_PARENT_SETTID 0x00100000ul
#define CLONE_CHILD_CLEARTID 0x00200000ul
#define CLONE_DETACHED 0x00400000ul
#define CLONE_CHILD_SETTID 0x01000000ul
#define CLONE_NEWNS 0x00020000ul
#define CLONE_NEWUSER 0x10000000ul
#define CLONE_NEWPID 0x20000000ul
#define CLONE_NEWTIME 0x00000080ul
#define CLONE_CLEAR_SIGHAND 0x100000000ul
#define CLONE_INTO_CGROUP 0x200000000ul
#define CSIGNAL 0xfful

/* What makes a thread of this process: all of these, always together. */
#define THREAD_FLAGS (CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD)
/* What may come with them. */
#define THREAD_OPTIONAL_FLAGS (CLONE_SYSVSEM | CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID | \
                               CLONE_CHILD_SETTID | CLONE_DETACHED)

struct clone_request {
    uint64_t flags, stack, parent_tid, child_tid, tls;
};

static long refuse(long err, const char *why)
{
    if (kernel.trace) kprintf("[trace] clone: %s: %s\n", why, err == -EINVAL ? "EINVAL, as Linux" : "not implemented");
    return err;
}

/* The combinations Linux refuses before it looks at anything else
 * (copy_process), whatever Pith could make of the rest. */
static long linux_refuses(uint64_t flags)
{
    if ((flags & (CLONE_NEWNS | CLONE_FS)) == (CLONE_NEWNS | CLONE_FS))
        return refuse(-EINVAL, "CLONE_NEWNS with CLONE_FS");
    if ((flags & (CLONE_NEWUSER | CLONE_FS)) == (CLONE_NEWUSER | CLONE_FS))
        return refuse(-EINVAL, "CLONE_NEWUSER with CLONE_FS");
    if ((flags & CLONE_THREAD) && !(flags & CLONE_SIGHAND))
        return refuse(-EINVAL, "CLONE_THREAD without CLONE_SIGHAND");
    if ((flags & CLONE_SIGHAND) && !(flags & CLONE_VM))
        return refuse(-EINVAL, "CLONE_SIGHAND without CLONE_VM");
    if ((flags & CLONE_THREAD) && (flags & (CLONE_NEWUSER | CLONE_NEWPID)))
        return refuse(-EINVAL, "CLONE_THREAD into a new user or pid namespace");
    return 0;
}

static long new_thread(const struct clone_request *r)
{
    long refused = linux_refuses(r->flags);
    if (refused) return refused;
    if (!(r->flags & CLONE_THREAD)) return refuse(-ENOSYS, "a second process (no CLONE_THREAD)");
    if ((r->flags & THREAD_FLAGS) != THREAD_FLAGS || (r->flags & ~(THREAD_FLAGS | THREAD_OPTIONAL_FLAGS | CSIGNAL)))
        return refuse(-ENOSYS, "a thread with flags other than pthread_create's");
    if ((r->flags & CLONE_SETTLS) && r->tls >= USER_TOP) return -EINVAL;   /* would fault on the way out */

    struct thread *self = current_thread();
    struct process *p = self->proc;
    uint64_t irq = spin_lock_irqsave(&p->threads_lock);
    int tid = p->next_tid++;
    spin_unlock_irqrestore(&p->threads_lock, irq);
    struct thread *t = thread_create(p, tid);
    if (!t) return -EAGAIN;     /* Linux's answer when it cannot make a task */

    /* The child starts where the parent returns, with 0 for clone's value,
     * on its own stack, with the parent's FPU registers, mask and TLS. */
    struct trap_frame *f = thread_user_frame(t);
    *f = *thread_user_frame(self);
    f->rax = 0;
    if (r->stack) f->rsp = r->stack;
    fpu_copy_live(t->fpu);     /* every component, AVX's too, as Linux's fpu_clone */
    t->sigmask = self->sigmask;
    thread_comm(p, self->tid, t->comm);   /* a new thread starts with its creator's name, as on Linux */
    t->fs_base = (r->flags & CLONE_SETTLS) ? r->tls : self->fs_base;
    if (r->flags & CLONE_CHILD_CLEARTID) t->clear_child_tid = r->child_tid;
    /* Linux ignores a bad pointer here too: the thread exists either way. */
    uint32_t tid32 = (uint32_t)tid;
    if (r->flags & CLONE_CHILD_SETTID) (void)copy_to_user(r->child_tid, &tid32, sizeof tid32);
    if (r->flags & CLONE_PARENT_SETTID) (void)copy_to_user(r->parent_tid, &tid32, sizeof tid32);
    sched_prepare_new(t);
    process_add_thread(p, t);
    sched_start(t);
    return tid;
}

long sys_clone(uint64_t flags, uint64_t stack, uint64_t parent_tid, uint64_t child_tid, uint64_t tls)
{
    /* Linux reads clone's flags as 32 bits (lower_32_bits). */
    struct clone_request r = { flags & 0xfffffffful, stack, parent_tid, child_tid, tls };
    return new_thread(&r);
}

/* Linux's struct clone_args, up to cgroup (CLONE_ARGS_SIZE_VER2). */
struct clone_args_k {
    uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size, cgroup;
};
#define CLONE_ARGS_SIZE_VER0 64

long sys_clone3(uint64_t uargs, uint64_t size)
{
    struct clone_args_k a;
    memset(&a, 0, sizeof a);
    if (size < CLONE_ARGS_SIZE_VER0) return -EINVAL;
    if (size > PAGE_SIZE) return -E2BIG;
    if (copy_from_user(&a, uargs, MIN(size, sizeof a)) < 0) return -EFAULT;
    /* A newer caller's extra fields must be zero: it asked for nothing we know. */
    for (uint64_t off = sizeof a; off < size; off++) {
        uint8_t b;
        if (copy_from_user(&b, uargs + off, 1) < 0) return -EFAULT;
        if (b) return -E2BIG;
    }
    /* Linux's checks, in its order (copy_clone_args_from_user, clone3_args_valid). */
    if (a.set_tid_size > 32 || (!a.set_tid && a.set_tid_size) || (a.set_tid && !a.set_tid_size)) return -EINVAL;
    if (a.exit_signal > SIG_MAX) return -EINVAL;
    if (a.flags & ~(0xfffffffful | CLONE_CLEAR_SIGHAND | CLONE_INTO_CGROUP)) return -EINVAL;
    /* CLONE_DETACHED and the signal bits are clone's, not clone3's (the signal goes in exit_signal). */
    if (a.flags & (CLONE_DETACHED | (CSIGNAL & ~CLONE_NEWTIME))) return -EINVAL;
    if ((a.flags & (CLONE_SIGHAND | CLONE_CLEAR_SIGHAND)) == (CLONE_SIGHAND | CLONE_CLEAR_SIGHAND)) return -EINVAL;
    if ((a.flags & (CLONE_THREAD | CLONE_PARENT)) && a.exit_signal) return -EINVAL;
    if (!a.stack != !a.stack_size) return -EINVAL;
    if (a.set_tid) return refuse(-ENOSYS, "set_tid (choosing the new thread's id)");
    if (a.flags & (CLONE_NEWTIME | CLONE_CLEAR_SIGHAND | CLONE_INTO_CGROUP))
        return refuse(-ENOSYS, "a thread with flags other than pthread_create's");
    struct clone_request r = { a.flags, a.stack ? a.stack + a.stack_size : 0, a.parent_tid, a.child_tid, a.tls };
    return new_thread(&r);
}

long sys_exit(int status) { thread_exit(status); }
