#include "process.h"
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
    uint64_t stack = kstack_alloc(KERNEL_STACK_PAGES);
    if (!stack) {
        deallocate(p->heap, t, sizeof *t);
        return NULL;
    }
    t->io_buffer = allocate(p->heap, THREAD_IO_BUFFER);
    if (!t->io_buffer) {
        kstack_free(stack, KERNEL_STACK_PAGES);
        deallocate(p->heap, t, sizeof *t);
        return NULL;
    }
    t->proc = p;
    t->tid = tid;
    t->kstack_base = stack;
    t->kstack_top = t->kstack_base + KERNEL_STACK_PAGES * PAGE_SIZE;
    return t;
}

struct thread *current_thread(void) { return this_cpu()->current; }

void thread_enter_user(struct thread *t, uint64_t rip, uint64_t rsp)
{
    struct cpu *c = this_cpu();
    c->current = t;
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
