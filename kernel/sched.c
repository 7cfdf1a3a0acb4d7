/* The scheduler (kernel/sched.h). A switch happens only here, with the run
 * queue lock held and interrupts off; the thread switched to releases the
 * lock (sched_finish_switch), so a wake can never slip between a thread's
 * "am I woken?" test and its leaving the CPU.
 *
 * What belongs to a thread and not the CPU is swapped on every switch: the
 * callee-saved registers and RFLAGS (context_switch), the kernel stack the
 * CPU enters on from ring 3 (TSS rsp0, cpu->kernel_rsp), the FS base (the
 * program's TLS), the user-copy fixup of a thread blocked mid-copy, and the
 * program's FPU/SSE registers. The FPU is switched eagerly: the kernel is
 * built without SSE, so the registers hold exactly the outgoing thread's
 * state, and one FXSAVE/FXRSTOR pair per switch is cheaper to reason about
 * than trapping on first use. */
#include "sched.h"
#include "process.h"
#include "percpu.h"
#include "cpu.h"
#include "clock.h"
#include "mm.h"
#include "panic.h"
#include "trap.h"
#include "kernel.h"
#include "../klib/string.h"

#define IDLE_STACK_PAGES 4

void context_switch(uint64_t *save_rsp, uint64_t next_rsp);
void thread_first_entry(void);
void sched_finish_first_switch(void);

static struct run_queue *this_run_queue(void) { return &this_cpu()->run_queue; }

static void enqueue(struct run_queue *rq, struct thread *t)
{
    t->state = THREAD_RUNNABLE;
    t->run_next = NULL;
    if (rq->last) rq->last->run_next = t;
    else rq->first = t;
    rq->last = t;
}

static struct thread *dequeue(struct run_queue *rq)
{
    struct thread *t = rq->first;
    if (!t) return NULL;
    rq->first = t->run_next;
    if (!rq->first) rq->last = NULL;
    t->run_next = NULL;
    return t;
}

static void slice_ended(struct timer *tm)
{
    struct run_queue *rq = container_of(tm, struct run_queue, slice);
    spin_lock(&rq->lock);   /* timer callbacks run with interrupts off */
    rq->slice_armed = false;
    if (rq->first) rq->need_switch = true;
    spin_unlock(&rq->lock);
}

/* Tickless unless someone waits for the CPU: the slice runs only while the
 * queue is not empty and a thread other than idle has the CPU. With the
 * run queue lock held (then timer_queue.lock, its leaf). */
static void arm_slice(struct run_queue *rq)
{
    if (rq->slice_armed || !rq->first || this_cpu()->current == rq->idle) return;
    rq->slice_armed = true;
    timer_add(&rq->slice, clock_monotonic_ns() + SCHED_SLICE_NS, slice_ended);
}

static inline void fpu_save(uint8_t *area) { __asm__ volatile("fxsave64 (%0)" : : "r"(area) : "memory"); }
static inline void fpu_restore(const uint8_t *area) { __asm__ volatile("fxrstor64 (%0)" : : "r"(area) : "memory"); }

/* Hand this CPU from prev to next: their state, then the stacks. */
static void switch_threads(struct cpu *c, struct thread *prev, struct thread *next)
{
    if (prev->fpu && prev->state != THREAD_DEAD) fpu_save(prev->fpu);
    if (next->fpu) fpu_restore(next->fpu);
    if (next->proc) cpu_set_fs_base(next->fs_base);
    prev->usercopy_fixup = c->usercopy_fixup;
    c->usercopy_fixup = next->usercopy_fixup;
    c->kernel_rsp = next->kstack_top;
    tss_set_kernel_stack(c, next->kstack_top);
    c->current = next;
    cputime_switch(prev, next);
    context_switch(&prev->saved_rsp, next->saved_rsp);
}

/* Pick the next thread and switch to it; prev (the current thread) has
 * its new state set already, RUNNING meaning "still wants the CPU". With
 * rq->lock held and interrupts off; returns in prev once something switches
 * back to it, still with the lock held (by whoever did). */
static void switch_away(struct run_queue *rq, struct thread *prev)
{
    if (prev->state == THREAD_RUNNING && prev != rq->idle) enqueue(rq, prev);
    struct thread *next = dequeue(rq);
    if (!next) next = rq->idle;
    rq->need_switch = false;
    next->state = THREAD_RUNNING;
    if (next == prev) return;
    if (prev->state == THREAD_DEAD) rq->dead = prev;
    struct cpu *c = this_cpu();
    switch_threads(c, prev, next);
    /* Back in prev, switched to by another thread. */
}

/* The second half of every switch, in the thread switched to: release the
 * run queue, then free the thread that died to get here (it was running on
 * its own stack until the switch). */
static void sched_finish_switch(uint64_t flags)
{
    struct run_queue *rq = this_run_queue();
    struct thread *dead = rq->dead;
    rq->dead = NULL;
    arm_slice(rq);
    spin_unlock(&rq->lock);
    irq_restore(flags);
    if (dead) thread_destroy(dead);
}

void sched_finish_first_switch(void)
{
    /* A new thread runs the rest with interrupts off: it is on its way to
     * trap_exit (which iretq's its own RFLAGS) or the idle loop. */
    sched_finish_switch(0);
}

void sched_block_unless(const bool *woken)
{
    struct run_queue *rq = this_run_queue();
    uint64_t flags = spin_lock_irqsave(&rq->lock);
    struct thread *self = this_cpu()->current;
    if (!__atomic_load_n(woken, __ATOMIC_ACQUIRE)) {
        self->state = THREAD_BLOCKED;
        switch_away(rq, self);
    }
    sched_finish_switch(flags);
}

void sched_wake(struct thread *t)
{
    if (!t) return;
    struct run_queue *rq = &t->cpu->run_queue;
    uint64_t flags = spin_lock_irqsave(&rq->lock);
    if (t->state == THREAD_BLOCKED) {
        enqueue(rq, t);
        /* SMP: a thread of another CPU needs that CPU woken (an IPI). */
        if (this_cpu()->current == rq->idle) rq->need_switch = true;
        else arm_slice(rq);
    }
    spin_unlock_irqrestore(&rq->lock, flags);
}

void sched_yield(void)
{
    struct run_queue *rq = this_run_queue();
    uint64_t flags = spin_lock_irqsave(&rq->lock);
    switch_away(rq, this_cpu()->current);
    sched_finish_switch(flags);
}

void sched_preempt_point(void)
{
    struct run_queue *rq = this_run_queue();
    if (__atomic_load_n(&rq->need_switch, __ATOMIC_RELAXED) && this_cpu()->current != rq->idle) sched_yield();
}

void sched_exit_current(void)
{
    struct run_queue *rq = this_run_queue();
    irq_save();
    spin_lock(&rq->lock);
    struct thread *self = this_cpu()->current;
    self->state = THREAD_DEAD;
    switch_away(rq, self);
    panic("a dead thread was switched back to");
}

/* The only place a CPU halts: nothing is runnable. The queue is checked
 * with interrupts off and "sti; hlt" lets an interrupt in only once the CPU
 * halts, so a wake from an interrupt handler ends the halt. */
static void idle_loop(void *unused)
{
    (void)unused;
    struct run_queue *rq = this_run_queue();
    for (;;) {
        uint64_t flags = spin_lock_irqsave(&rq->lock);
        if (rq->first) {
            switch_away(rq, rq->idle);
            sched_finish_switch(flags);
            continue;
        }
        spin_unlock(&rq->lock);
        __asm__ volatile("sti; hlt; cli" ::: "memory");
        irq_restore(flags);
    }
}

/* The words context_switch pops, then its return address. */
struct first_switch_frame {
    uint64_t r15, r14, r13, r12, rbx, rbp, rflags, ret;
};

static void prepare_stack(struct thread *t, void (*fn)(void *), void *arg)
{
    /* Below the trap frame, which a thread leaving to ring 3 exits through. */
    struct first_switch_frame *f = (struct first_switch_frame *)((uint64_t)thread_user_frame(t) - sizeof *f);
    memset(f, 0, sizeof *f);
    f->r12 = (uint64_t)fn;
    f->r13 = (uint64_t)arg;
    f->rflags = 0x2;    /* interrupts off until trap_exit's iretq or the idle loop */
    f->ret = (uint64_t)thread_first_entry;
    t->saved_rsp = (uint64_t)f;
}

void sched_prepare_new(struct thread *t) { prepare_stack(t, NULL, NULL); }

void sched_start(struct thread *t)
{
    sched_wake(t);  /* a new thread is BLOCKED until started */
}

void sched_init_cpu(void)
{
    struct run_queue *rq = this_run_queue();
    *rq = (struct run_queue){ 0 };
    struct thread *idle = allocate_zero(kernel.heap, sizeof *idle);
    uint64_t stack = kstack_alloc(IDLE_STACK_PAGES);
    if (!idle || !stack) panic("out of memory for the idle thread");
    idle->cpu = this_cpu();
    idle->state = THREAD_RUNNABLE;
    idle->kstack_base = stack;
    idle->kstack_top = stack + IDLE_STACK_PAGES * PAGE_SIZE;
    prepare_stack(idle, idle_loop, NULL);
    rq->idle = idle;
}
