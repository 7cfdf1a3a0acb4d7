#include "process.h"
#include "hardening.h"
#include "stack_guard.h"
#include "kernel.h"
#include "percpu.h"
#include "trap.h"
#include "segments.h"
#include "cpu.h"
#include "mm.h"
#include "panic.h"
#include "console.h"
#include "clock.h"
#include "../klib/string.h"
#include "../fs/tfs.h"
#include "usercopy.h"
#include "sched.h"
#include "fpu.h"
#include "../syscalls/futex.h"

/* Path lookups keep a few PATH_MAX buffers on the stack. */
#define KERNEL_STACK_PAGES 16

struct process *process_create(struct heap *h, struct tfs *fs, uint64_t page_root)
{
    struct process *p = allocate_zero(h, sizeof *p);
    if (!p) return NULL;
    p->heap = h;
    /* The top of the mmap area moves with the randomized stack (see loader). */
    vm_init(&p->vm, h, page_root, 0x7f0000000000ul);
    p->fs = fs;
    p->cwd_path[0] = '/';
    p->umask = 022;
    p->start_ns = clock_monotonic_ns();
    rlimits_init(p);
    return p;
}

struct thread *thread_create(struct process *p, int tid)
{
    struct thread *t = allocate_zero(p->heap, sizeof *t);
    if (!t) return NULL;
    t->proc = p;
    t->tid = tid;
    t->cpu = this_cpu();
    /* Linux's rule: a new thread inherits its creator's affinity. */
    struct thread *creator = this_cpu()->current;
    t->affinity = creator && creator->proc ? creator->affinity : SCHED_ALL_CPUS;
    t->state = THREAD_BLOCKED;
    t->refs = 1;    /* its life; the scheduler drops it once it is off its stack */
    t->io_buffer = allocate(p->heap, THREAD_IO_BUFFER);
    t->fpu = fpu_area_alloc(p->heap);     /* clean, as after execve; clone copies its creator's */
    uint64_t stack = kstack_alloc(KERNEL_STACK_PAGES);
    if (!t->io_buffer || !t->fpu || !stack) {
        if (stack) kstack_free(stack, KERNEL_STACK_PAGES);
        thread_destroy(t);
        return NULL;
    }
    t->kstack_base = stack;
    t->kstack_top = t->kstack_base + KERNEL_STACK_PAGES * PAGE_SIZE;
    stack_guard_thread_init(t);
    return t;
}

void thread_destroy(struct thread *t)
{
    struct heap *h = t->proc->heap;
    if (t->kstack_base) kstack_free(t->kstack_base, KERNEL_STACK_PAGES);
    fpu_area_free(h, t->fpu);
    deallocate(h, t->io_buffer, THREAD_IO_BUFFER);
    deallocate(h, t, sizeof *t);
}

struct trap_frame *thread_user_frame(struct thread *t)
{
    return (struct trap_frame *)(t->kstack_top - sizeof(struct trap_frame));
}

void process_add_thread(struct process *p, struct thread *t)
{
    uint64_t flags = spin_lock_irqsave(&p->threads_lock);
    t->proc_next = p->threads;
    p->threads = t;
    p->live_threads++;
    spin_unlock_irqrestore(&p->threads_lock, flags);
}

void process_for_each_thread(struct process *p, void (*fn)(struct thread *, void *), void *arg)
{
    uint64_t flags = spin_lock_irqsave(&p->threads_lock);
    for (struct thread *t = p->threads; t; t = t->proc_next) fn(t, arg);
    spin_unlock_irqrestore(&p->threads_lock, flags);
}

struct thread *process_thread_get(struct process *p, int tid)
{
    struct thread *found = NULL;
    uint64_t flags = spin_lock_irqsave(&p->threads_lock);
    for (struct thread *t = p->threads; t && !found; t = t->proc_next)
        if (t->tid == tid) found = t;
    if (found) __atomic_add_fetch(&found->refs, 1, __ATOMIC_RELAXED);
    spin_unlock_irqrestore(&p->threads_lock, flags);
    return found;
}

void thread_put(struct thread *t)
{
    if (t && __atomic_sub_fetch(&t->refs, 1, __ATOMIC_ACQ_REL) == 0) thread_destroy(t);
}

bool process_has_thread(struct process *p, int tid)
{
    bool found = false;
    uint64_t flags = spin_lock_irqsave(&p->threads_lock);
    for (struct thread *t = p->threads; t && !found; t = t->proc_next) found = t->tid == tid;
    spin_unlock_irqrestore(&p->threads_lock, flags);
    return found;
}

void process_comm(struct process *p, char out[16])
{
    const char *s = p->name;
    if (!s[0]) {
        s = p->exe_path;
        for (const char *c = p->exe_path; *c; c++)
            if (*c == '/') s = c + 1;
    }
    size_t n = strnlen(s, 15);
    memcpy(out, s, n);
    out[n] = 0;
}

static struct thread *find_thread(struct process *p, int tid)
{
    for (struct thread *t = p->threads; t; t = t->proc_next)
        if (t->tid == tid) return t;
    return NULL;
}

bool thread_comm(struct process *p, int tid, char out[16])
{
    uint64_t flags = spin_lock_irqsave(&p->threads_lock);
    struct thread *t = find_thread(p, tid);
    bool own = t && tid != PROCESS_PID && t->comm[0];
    if (own) memcpy(out, t->comm, 16);
    spin_unlock_irqrestore(&p->threads_lock, flags);
    if (t && !own) process_comm(p, out);
    return t != NULL;
}

bool thread_set_comm(struct process *p, int tid, const char *name, size_t len)
{
    char comm[16] = { 0 };
    memcpy(comm, name, MIN(len, sizeof comm - 1));
    uint64_t flags = spin_lock_irqsave(&p->threads_lock);
    struct thread *t = find_thread(p, tid);
    if (t) memcpy(tid == PROCESS_PID ? p->name : t->comm, comm, sizeof comm);
    spin_unlock_irqrestore(&p->threads_lock, flags);
    return t != NULL;
}

/* The other threads never learn of the exit except through the futex word
 * (pthread_join waits on it), so clear it and wake them before leaving;
 * locks the thread still holds on its robust list go to their waiters
 * first, marked as their owner's death. */
void thread_exit(int status)
{
    struct thread *t = current_thread();
    struct process *p = t->proc;
    futex_thread_exit(t);
    if (t->clear_child_tid) {
        uint32_t zero = 0;
        if (copy_to_user(t->clear_child_tid, &zero, sizeof zero) == 0)
            futex_wake_address(process_vm(p), t->clear_child_tid, 1);
    }
    uint64_t flags = spin_lock_irqsave(&p->threads_lock);
    for (struct thread **pp = &p->threads; *pp; pp = &(*pp)->proc_next) {
        if (*pp == t) {
            *pp = t->proc_next;
            break;
        }
    }
    cputime_thread_exited(p, t);
    bool last = --p->live_threads == 0;
    if (p->main_thread == t) p->main_thread = NULL;
    spin_unlock_irqrestore(&p->threads_lock, flags);
    signal_thread_exit(t);
    if (last) process_exit(status);
    sched_exit_current();
}

struct thread *current_thread(void) { return this_cpu()->current; }

void thread_enter_user(struct thread *t, uint64_t rip, uint64_t rsp)
{
    struct cpu *c = this_cpu();
    c->current = t;
    cputime_start(t);
    c->kernel_rsp = t->kstack_top;
    tss_set_kernel_stack(c, t->kstack_top);
    cpu_set_fs_base(t->fs_base);
    struct trap_frame *f = (struct trap_frame *)(t->kstack_top - sizeof *f);
    memset(f, 0, sizeof *f);
    f->rip = rip;
    f->rsp = rsp;
    f->cs = USER_CS;
    f->ss = USER_DS;
    f->rflags = 0x202;  /* IF */
    return_to_user(f);
}

/* A program that ends is like a machine shut down cleanly: what it wrote
 * reaches the disk, fsync'd or not. */
int sync_all_filesystems(void)
{
    if (kernel.process) vm_writeback(&kernel.process->vm, 0, USER_TOP, false);
    mounts_sync(&kernel.mounts);
    int r = kernel.root_fs ? tfs_sync(kernel.root_fs) : 0;
    if (r < 0) kprintf("pith: writing the filesystem back failed (error %d)\n", -r);
    return r;
}

static NORETURN void shut_down(int code)
{
    sync_all_filesystems();
    machine_exit(code);
}

void process_exit(int status)
{
    if (kernel.process) hardening_audit_at_exit(&kernel.process->vm);
    shut_down(status & 0xff);
}

void process_exit_signal(int sig)
{
    /* What a shell reports for a program killed by a signal. */
    shut_down(128 + sig);
}

const char *name_intern(const char *s)
{
    uint64_t irq = spin_lock_irqsave(&kernel.names_lock);
    const char *r = intern(&kernel.names, s);
    spin_unlock_irqrestore(&kernel.names_lock, irq);
    return r;
}
