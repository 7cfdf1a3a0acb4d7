/* CPU time accounting (kernel/cputime.h). A thread's clock runs only while
 * it is on a CPU: the switch charges the outgoing thread and stamps the
 * incoming one, so sleeping and waiting cost nothing and the idle thread
 * (no process) is skipped. The user/system split is sampled by a per-CPU
 * tick that runs only while the CPU runs a thread: each charge goes to the
 * side the thread is on then (interrupts taken from ring 3 are user time).
 * Stamping the clock at every system call entry and exit instead cost most
 * of a cheap system call under TCG. Writes run with interrupts off: a
 * CPU-time timer's check reads the clock from the timer interrupt. */
#include "cputime.h"
#include "process.h"
#include "clock.h"
#include "percpu.h"
#include "spinlock.h"

static void write_begin(struct thread_cputime *c)
{
    __atomic_store_n(&c->seq, c->seq + 1, __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_RELEASE);
}

static void write_end(struct thread_cputime *c)
{
    __atomic_store_n(&c->seq, c->seq + 1, __ATOMIC_RELEASE);
}

/* Charge the time since the last stamp to the side the thread is on now. */
static void charge(struct thread_cputime *c, uint64_t now)
{
    uint64_t ran = now > c->since_ns ? now - c->since_ns : 0;
    if (c->in_kernel) c->sys_ns += ran;
    else c->user_ns += ran;
    c->since_ns = now;
}

/* The sampling tick, in the timer interrupt of its CPU: charge the running
 * thread to the side it is on; stop when the CPU has gone idle (the next
 * switch to a thread starts it again). */
static void account_tick(struct timer *tm)
{
    struct cpu *cpu = container_of(tm, struct cpu, account_tick);
    struct thread *t = cpu->current;
    if (!t || !t->proc) {
        cpu->account_tick_armed = false;
        return;
    }
    struct thread_cputime *c = &t->cputime;
    uint64_t now = clock_monotonic_ns();
    write_begin(c);
    if (c->on_cpu) charge(c, now);
    write_end(c);
    timer_add(tm, now + CPUTIME_SAMPLE_NS, account_tick);
}

static void account_tick_begin(uint64_t now)
{
    struct cpu *cpu = this_cpu();
    if (cpu->account_tick_armed) return;
    cpu->account_tick_armed = true;
    timer_add(&cpu->account_tick, now + CPUTIME_SAMPLE_NS, account_tick);
}

/* The check tick, in the timer interrupt of the thread's CPU. */
static void check_tick(struct timer *tm)
{
    struct thread *t = container_of(tm, struct thread, cputime.check);
    t->cputime.check_armed = false;
    if (current_thread() != t) return;      /* switched out meanwhile: stale */
    if (!posix_cpu_timers_check(t->proc, t)) return;
    t->cputime.check_armed = true;
    timer_add(&t->cputime.check, clock_monotonic_ns() + CPUTIME_CHECK_NS, check_tick);
}

/* With interrupts off, on t's CPU. */
static void check_begin(struct thread *t)
{
    if (t->cputime.check_armed || !posix_cpu_timers_armed(t->proc)) return;
    t->cputime.check_armed = true;
    timer_add(&t->cputime.check, clock_monotonic_ns() + CPUTIME_CHECK_NS, check_tick);
}

void cputime_switch(struct thread *prev, struct thread *next)
{
    uint64_t now = clock_monotonic_ns();
    if (prev->proc) {
        struct thread_cputime *c = &prev->cputime;
        write_begin(c);
        if (c->on_cpu) charge(c, now);
        c->on_cpu = false;
        write_end(c);
        /* Added on this CPU, so its callback cannot be running now. */
        if (c->check_armed) timer_cancel(&c->check);
        c->check_armed = false;
    }
    if (next->proc) {
        struct thread_cputime *c = &next->cputime;
        write_begin(c);
        c->since_ns = now;
        c->on_cpu = true;
        write_end(c);
        check_begin(next);
        account_tick_begin(now);
    }
}

void cputime_start(struct thread *t)
{
    uint64_t flags = irq_save();
    struct thread_cputime *c = &t->cputime;
    write_begin(c);
    c->since_ns = clock_monotonic_ns();
    c->on_cpu = true;
    write_end(c);
    account_tick_begin(c->since_ns);
    irq_restore(flags);
}

void cputime_check_start(void)
{
    struct thread *t = current_thread();
    if (!t || !t->proc) return;
    uint64_t flags = irq_save();
    check_begin(t);
    irq_restore(flags);
}

/* Only the flag the samples read: a system call pays no clock read. */
void cputime_enter_kernel(void)
{
    struct thread *t = current_thread();
    if (t) t->cputime.in_kernel = true;
}

void cputime_leave_kernel(void)
{
    struct thread *t = current_thread();
    if (t) t->cputime.in_kernel = false;
}

struct cputime cputime_thread(struct thread *t)
{
    const struct thread_cputime *c = &t->cputime;
    for (;;) {
        uint32_t seq = __atomic_load_n(&c->seq, __ATOMIC_ACQUIRE);
        if (seq & 1) continue;
        struct cputime r = { c->user_ns, c->sys_ns };
        if (c->on_cpu) {
            uint64_t now = clock_monotonic_ns();
            uint64_t ran = now > c->since_ns ? now - c->since_ns : 0;
            if (c->in_kernel) r.sys_ns += ran;
            else r.user_ns += ran;
        }
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        if (__atomic_load_n(&c->seq, __ATOMIC_RELAXED) == seq) return r;
    }
}

void cputime_thread_exited(struct process *p, struct thread *t)
{
    struct cputime c = cputime_thread(t);
    p->exited_cputime.user_ns += c.user_ns;
    p->exited_cputime.sys_ns += c.sys_ns;
}

struct cputime cputime_process(struct process *p)
{
    /* threads_lock guards both the list and exited_cputime: each thread
     * is counted once, live or exited. */
    uint64_t flags = spin_lock_irqsave(&p->threads_lock);
    struct cputime sum = p->exited_cputime;
    for (struct thread *t = p->threads; t; t = t->proc_next) {
        struct cputime c = cputime_thread(t);
        sum.user_ns += c.user_ns;
        sum.sys_ns += c.sys_ns;
    }
    spin_unlock_irqrestore(&p->threads_lock, flags);
    return sum;
}
