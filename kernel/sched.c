/* The scheduler (kernel/sched.h). A switch happens only here, with the run
 * queue lock held and interrupts off; the thread switched to releases the
 * lock (sched_finish_switch), so a wake can never slip between a thread's
 * "am I woken?" test and its leaving the CPU, and no other CPU can take a
 * thread off a run queue before its registers are saved.
 *
 * Many CPUs: a thread belongs to one CPU's queue at a time (thread.cpu,
 * changed only under both queues' locks, or by the one CPU handing off a
 * MIGRATING thread nobody else touches). A wake queues the thread on its
 * CPU and interrupts that CPU (smp_kick) when it is another; when the
 * queue's CPU is busy, an idle CPU is kicked too, and takes the thread
 * (steal). A CPU's idle loop steals before it halts, and advertises itself
 * in kernel.idle_cpus while halted.
 *
 * What belongs to a thread and not the CPU is swapped on every switch: the
 * callee-saved registers and RFLAGS (context_switch), the kernel stack the
 * CPU enters on from ring 3 (TSS rsp0, cpu->kernel_rsp), the FS base (the
 * program's TLS), the user-copy fixup of a thread blocked mid-copy, and the
 * program's FPU/SSE/AVX registers. The FPU is switched eagerly: the kernel
 * is built without SSE, so the registers hold exactly the outgoing thread's
 * state, and one save/restore pair per switch (XSAVEOPT/XRSTOR, or
 * FXSAVE/FXRSTOR without XSAVE: kernel/fpu.c) is cheaper to reason about
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
#include "smp.h"
#include "fpu.h"
#include "stack_guard.h"
#include "../klib/string.h"

#define IDLE_STACK_PAGES 4

void context_switch(uint64_t *save_rsp, uint64_t next_rsp);
void thread_first_entry(void);
void sched_finish_first_switch(void);

static struct run_queue *this_run_queue(void) { return &this_cpu()->run_queue; }
static struct cpu *queue_cpu(struct run_queue *rq) { return container_of(rq, struct cpu, run_queue); }
static uint64_t cpu_bit(const struct cpu *c) { return 1ull << c->id; }

uint64_t sched_online_mask(void)
{
    uint32_t n = __atomic_load_n(&kernel.ncpus, __ATOMIC_ACQUIRE);
    return n >= 64 ? ~0ull : (1ull << n) - 1;
}

static bool allowed_on(const struct thread *t, const struct cpu *c)
{
    return (__atomic_load_n(&t->affinity, __ATOMIC_RELAXED) & cpu_bit(c)) != 0;
}

static void enqueue(struct run_queue *rq, struct thread *t)
{
    t->state = THREAD_RUNNABLE;
    t->run_next = NULL;
    if (rq->last) rq->last->run_next = t;
    else rq->first = t;
    rq->last = t;
    __atomic_store_n(&rq->queued, rq->queued + 1, __ATOMIC_RELAXED);
}

static struct thread *dequeue(struct run_queue *rq)
{
    struct thread *t = rq->first;
    if (!t) return NULL;
    rq->first = t->run_next;
    if (!rq->first) rq->last = NULL;
    t->run_next = NULL;
    __atomic_store_n(&rq->queued, rq->queued - 1, __ATOMIC_RELAXED);
    return t;
}

/* Take t (queued on rq) off the list wherever it is. */
static void unlink_queued(struct run_queue *rq, struct thread *t)
{
    struct thread **link = &rq->first, *before = NULL;
    while (*link && *link != t) {
        before = *link;
        link = &(*link)->run_next;
    }
    if (!*link) return;
    *link = t->run_next;
    if (rq->last == t) rq->last = before;
    t->run_next = NULL;
    __atomic_store_n(&rq->queued, rq->queued - 1, __ATOMIC_RELAXED);
}

/* Two run queues, the lower-numbered CPU's first (the one order). */
static void lock_two(struct run_queue *a, struct run_queue *b)
{
    if (a == b) {
        spin_lock(&a->lock);
    } else if (queue_cpu(a)->id < queue_cpu(b)->id) {
        spin_lock(&a->lock);
        spin_lock(&b->lock);
    } else {
        spin_lock(&b->lock);
        spin_lock(&a->lock);
    }
}

static void unlock_two(struct run_queue *a, struct run_queue *b)
{
    spin_unlock(&a->lock);
    if (a != b) spin_unlock(&b->lock);
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
 * queue is not empty and a thread other than idle has the CPU. This CPU's
 * own queue only (the slice is on its timer queue), with its lock held
 * (then timer_queue.lock, its leaf). */
static void arm_slice(struct run_queue *rq)
{
    if (rq->slice_armed || !rq->first || this_cpu()->current == rq->idle) return;
    rq->slice_armed = true;
    timer_add(&rq->slice, clock_monotonic_ns() + SCHED_SLICE_NS, slice_ended);
}

/* Where a thread that may run anywhere it is allowed should go: an idle CPU
 * (another one first), else `prefer` if allowed, else the first allowed. */
static struct cpu *pick_cpu(const struct thread *t, struct cpu *prefer)
{
    uint64_t allowed = __atomic_load_n(&t->affinity, __ATOMIC_RELAXED) & sched_online_mask();
    if (!allowed) allowed = sched_online_mask();
    uint64_t idle = __atomic_load_n(&kernel.idle_cpus, __ATOMIC_ACQUIRE) & allowed;
    if (idle & ~cpu_bit(prefer)) return kernel.cpus[__builtin_ctzll(idle & ~cpu_bit(prefer))];
    if (allowed & cpu_bit(prefer)) return prefer;
    return kernel.cpus[__builtin_ctzll(allowed)];
}

/* t was just queued on rq (whose lock is held): make sure some CPU runs it
 * soon. rq's own CPU, if idle or if it is another CPU, which then arms its
 * slice; and, when rq's CPU is busy, one idle CPU t may run on, to take it. */
static void after_enqueue(struct run_queue *rq, struct thread *t)
{
    struct cpu *c = queue_cpu(rq);
    bool busy = c->current != rq->idle;
    if (c == this_cpu()) {
        if (busy) arm_slice(rq);
        else rq->need_switch = true;
    } else {
        smp_kick(c);
    }
    if (!busy) return;
    /* Pairs with the idle loop's publish-then-look (kernel.idle_cpus). */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    uint64_t idle = __atomic_load_n(&kernel.idle_cpus, __ATOMIC_ACQUIRE) & t->affinity & ~cpu_bit(c);
    if (idle) smp_kick(kernel.cpus[__builtin_ctzll(idle)]);
}

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
    stack_guard_switch(c, next);
    context_switch(&prev->saved_rsp, next->saved_rsp);
}

/* Pick the next thread and switch to it; prev (the current thread) has
 * its new state set already, RUNNING meaning "still wants the CPU" (on this
 * CPU if its affinity allows, else it is handed to one that does). With
 * rq->lock held and interrupts off; returns in prev once something switches
 * back to it, still with the lock held (by whoever did). */
static void switch_away(struct run_queue *rq, struct thread *prev)
{
    struct cpu *c = this_cpu();
    if (prev->state == THREAD_RUNNING && prev != rq->idle) {
        if (allowed_on(prev, c)) {
            enqueue(rq, prev);
        } else {
            prev->state = THREAD_MIGRATING;
            rq->migrating = prev;
        }
    }
    struct thread *next = dequeue(rq);
    if (!next) next = rq->idle;
    rq->need_switch = false;
    next->state = THREAD_RUNNING;
    if (next == prev) return;
    if (prev->state == THREAD_DEAD) rq->dead = prev;
    switch_threads(c, prev, next);
    /* Back in prev, switched to by another thread. */
}

/* A MIGRATING thread, off its old CPU's stack: queue it where its affinity
 * allows. Nobody else touches a MIGRATING thread, so its cpu may change
 * under the new queue's lock alone. */
static void hand_off(struct thread *t)
{
    struct cpu *target = pick_cpu(t, this_cpu());
    struct run_queue *rq = &target->run_queue;
    uint64_t flags = spin_lock_irqsave(&rq->lock);
    t->cpu = target;
    enqueue(rq, t);
    after_enqueue(rq, t);
    spin_unlock_irqrestore(&rq->lock, flags);
}

/* The second half of every switch, in the thread switched to: release the
 * run queue, then free the thread that died to get here (it was running on
 * its own stack until the switch), or hand on the one that is leaving. */
static void sched_finish_switch(uint64_t flags)
{
    struct run_queue *rq = this_run_queue();
    struct thread *dead = rq->dead, *leaving = rq->migrating;
    rq->dead = NULL;
    rq->migrating = NULL;
    arm_slice(rq);
    spin_unlock(&rq->lock);
    if (leaving) hand_off(leaving);
    irq_restore(flags);
    if (dead) thread_put(dead);    /* freed now unless a sender still holds it */
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

/* Lock the run queue t belongs to (t->cpu may change until we hold it). */
static struct run_queue *lock_queue_of(struct thread *t, uint64_t *flags)
{
    for (;;) {
        struct cpu *c = __atomic_load_n(&t->cpu, __ATOMIC_ACQUIRE);
        struct run_queue *rq = &c->run_queue;
        *flags = spin_lock_irqsave(&rq->lock);
        if (__atomic_load_n(&t->cpu, __ATOMIC_RELAXED) == c) return rq;
        spin_unlock_irqrestore(&rq->lock, *flags);
    }
}

void sched_wake(struct thread *t)
{
    if (!t) return;
    uint64_t flags;
    struct run_queue *rq = lock_queue_of(t, &flags);
    if (t->state != THREAD_BLOCKED) {
        spin_unlock_irqrestore(&rq->lock, flags);
        return;
    }
    if (!allowed_on(t, queue_cpu(rq))) {
        /* Its affinity changed while it slept: wake it where it may run. */
        struct run_queue *to = &pick_cpu(t, queue_cpu(rq))->run_queue;
        spin_unlock(&rq->lock);
        lock_two(rq, to);
        if (t->state == THREAD_BLOCKED && t->cpu == queue_cpu(rq)) t->cpu = queue_cpu(to);
        unlock_two(rq, to);
        irq_restore(flags);
        sched_wake(t);
        return;
    }
    enqueue(rq, t);
    after_enqueue(rq, t);
    spin_unlock_irqrestore(&rq->lock, flags);
}

void sched_kick_running(struct thread *t)
{
    /* Unlocked reads: a thread that just stopped running passes the
     * return-to-user point (or sleeps and is woken) anyway. */
    struct cpu *c = __atomic_load_n(&t->cpu, __ATOMIC_ACQUIRE);
    if (__atomic_load_n(&t->state, __ATOMIC_ACQUIRE) == THREAD_RUNNING && c != this_cpu()) smp_kick(c);
}

void sched_ipi(void)
{
    struct run_queue *rq = this_run_queue();
    spin_lock(&rq->lock);   /* an interrupt handler: interrupts are off */
    if (this_cpu()->current == rq->idle) rq->need_switch = true;
    else arm_slice(rq);
    spin_unlock(&rq->lock);
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

void sched_set_affinity(struct thread *t, uint64_t mask)
{
    __atomic_store_n(&t->affinity, mask, __ATOMIC_RELEASE);
    if (t == this_cpu()->current) {
        if (!allowed_on(t, this_cpu())) sched_yield();   /* switch_away hands it on */
        return;
    }
    uint64_t flags;
    struct run_queue *rq = lock_queue_of(t, &flags);
    struct cpu *c = queue_cpu(rq);
    if (allowed_on(t, c)) {
        spin_unlock_irqrestore(&rq->lock, flags);
        return;
    }
    if (t->state == THREAD_RUNNABLE) {
        unlink_queued(rq, t);
        t->state = THREAD_MIGRATING;
        spin_unlock(&rq->lock);
        hand_off(t);
        irq_restore(flags);
        return;
    }
    if (t->state == THREAD_RUNNING) {
        /* It leaves at its next switch; make that soon. */
        rq->need_switch = true;
        smp_kick(c);
    }
    /* BLOCKED: its wake puts it where it may run. */
    spin_unlock_irqrestore(&rq->lock, flags);
}

/* An idle CPU takes a thread queued on a busy one (that may run here).
 * Interrupts off, no run queue lock held. */
static bool steal(void)
{
    struct cpu *me = this_cpu();
    struct run_queue *mine = &me->run_queue;
    uint32_t n = __atomic_load_n(&kernel.ncpus, __ATOMIC_ACQUIRE);
    for (uint32_t k = 1; k < n; k++) {
        struct cpu *v = kernel.cpus[(me->id + k) % n];
        struct run_queue *theirs = &v->run_queue;
        if (!__atomic_load_n(&theirs->queued, __ATOMIC_RELAXED)) continue;
        lock_two(mine, theirs);
        struct thread *t = theirs->first;
        while (t && !allowed_on(t, me)) t = t->run_next;
        if (t) {
            unlink_queued(theirs, t);
            t->cpu = me;
            enqueue(mine, t);
        }
        unlock_two(mine, theirs);
        if (t) return true;
    }
    return false;
}

/* The only place a CPU halts: nothing is runnable here or to be taken from
 * elsewhere. The queue is checked with interrupts off and "sti; hlt" lets an
 * interrupt in only once the CPU halts, so a wake from an interrupt handler
 * or another CPU's kick ends the halt. The CPU says it is idle before its
 * last look at the other queues: a CPU queueing work either sees it idle
 * (and kicks it) or queued before that look. A thread queued elsewhere that
 * may not run here (affinity) does not keep it awake. */
static void idle_loop(void *unused)
{
    (void)unused;
    struct run_queue *rq = this_run_queue();
    uint64_t bit = cpu_bit(this_cpu());
    for (;;) {
        uint64_t flags = spin_lock_irqsave(&rq->lock);
        if (rq->first) {
            switch_away(rq, rq->idle);
            sched_finish_switch(flags);
            continue;
        }
        spin_unlock(&rq->lock);
        if (steal()) {
            irq_restore(flags);
            continue;
        }
        __atomic_fetch_or(&kernel.idle_cpus, bit, __ATOMIC_SEQ_CST);
        /* Look once more now that we are seen idle; never spin here: with
         * interrupts off this CPU would answer no IPI (a TLB shootdown
         * waits for every CPU), so either there is work or we halt. */
        if (!__atomic_load_n(&rq->queued, __ATOMIC_SEQ_CST) && !steal())
            __asm__ volatile("sti; hlt; cli" ::: "memory");
        __atomic_fetch_and(&kernel.idle_cpus, ~bit, __ATOMIC_SEQ_CST);
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
    /* A new thread is BLOCKED until started, and nobody wakes it before:
     * its CPU may be chosen without a lock. */
    t->cpu = pick_cpu(t, this_cpu());
    sched_wake(t);
}

void sched_init_cpu(void)
{
    struct run_queue *rq = this_run_queue();
    *rq = (struct run_queue){ 0 };
    struct thread *idle = allocate_zero(kernel.heap, sizeof *idle);
    uint64_t stack = kstack_alloc(IDLE_STACK_PAGES);
    if (!idle || !stack) panic("out of memory for the idle thread");
    idle->cpu = this_cpu();
    idle->affinity = cpu_bit(this_cpu());
    idle->state = THREAD_RUNNABLE;
    idle->kstack_base = stack;
    idle->kstack_top = stack + IDLE_STACK_PAGES * PAGE_SIZE;
    prepare_stack(idle, idle_loop, NULL);
    rq->idle = idle;
}

void sched_enter_idle(void)
{
    struct cpu *c = this_cpu();
    struct run_queue *rq = &c->run_queue;
    irq_save();
    spin_lock(&rq->lock);   /* released by the idle thread's first switch */
    struct thread *idle = rq->idle;
    idle->state = THREAD_RUNNING;
    c->current = idle;
    c->kernel_rsp = idle->kstack_top;
    tss_set_kernel_stack(c, idle->kstack_top);
    uint64_t scratch;
    context_switch(&scratch, idle->saved_rsp);
    panic("the boot stack of CPU %u was switched back to", c->id);
}
