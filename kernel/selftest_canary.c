/* The self-test stack_canary_threads (kernel/selftest.c runs it, then
 * smashes its own stack): two threads run on this CPU in turn, and each
 * finds its own stack protector guard in the per-CPU slot
 * (kernel/stack_guard.c) while it runs.
 *
 * The two: the boot stack made a kernel thread, as start_program makes it
 * the program's first thread (it adopts the guard its frames were built
 * with), and this CPU's idle thread, which has a guard of its own. The
 * first sleeps; the idle thread runs; a timer callback, which runs on
 * whatever stack is current, records which thread that was and what the
 * slot held. Back in the first thread after the switch, the slot must hold
 * its guard again. The values are never printed. */
#include "selftest.h"
#include "percpu.h"
#include "process.h"
#include "stack_guard.h"
#include "wait.h"
#include "timer.h"
#include "clock.h"
#include "kernel.h"
#include "console.h"
#include "panic.h"
#include "../klib/heap.h"

#define LOOK_EVERY_NS 1000000ul
#define MAX_LOOKS 1000
#define GIVE_UP_NS 10000000000ul

extern char boot_stack_top[];   /* boot/pvh/entry.S */

static struct {
    struct timer timer;
    struct wait_queue done;
    int looks;
    bool seen;
    const struct thread *running;   /* when the callback looked */
    uint64_t slot;
} probe;

/* Interrupt context: until it finds the idle thread running (the first
 * thread may not be asleep yet), look again a millisecond later. */
static void look(struct timer *t)
{
    struct cpu *c = this_cpu();
    if (c->current != c->run_queue.idle && ++probe.looks < MAX_LOOKS) {
        timer_add(t, clock_monotonic_ns() + LOOK_EVERY_NS, look);
        return;
    }
    probe.running = c->current;
    probe.slot = c->stack_canary;
    __atomic_store_n(&probe.seen, true, __ATOMIC_RELEASE);
    wake_all(&probe.done);
}

static bool seen(void *unused)
{
    (void)unused;
    return __atomic_load_n(&probe.seen, __ATOMIC_ACQUIRE);
}

void selftest_stack_canary_threads(void)
{
    struct cpu *c = this_cpu();
    struct thread *idle = c->run_queue.idle;
    struct thread *self = allocate_zero(kernel.heap, sizeof *self);
    if (!self) panic("selftest: out of memory");
    self->cpu = c;
    self->affinity = 1ull << c->id;     /* no other CPU may take it */
    self->state = THREAD_RUNNING;
    self->kstack_top = (uint64_t)boot_stack_top;
    c->current = self;
    stack_guard_adopt(self);

    timer_add(&probe.timer, clock_monotonic_ns() + LOOK_EVERY_NS, look);
    if (wait_until(&probe.done, seen, NULL, clock_monotonic_ns() + GIVE_UP_NS) < 0)
        panic("selftest stack_canary_threads: the timer never reported");
    if (probe.running != idle) panic("selftest stack_canary_threads: the idle thread never ran");
    if (idle->stack_canary == self->stack_canary)
        panic("selftest stack_canary_threads: two threads have the same guard");
    if (probe.slot != idle->stack_canary)
        panic("selftest stack_canary_threads: the slot did not hold the idle thread's guard while it ran");
    if (c->stack_canary != self->stack_canary)
        panic("selftest stack_canary_threads: the slot did not get this thread's guard back");
    kprintf("selftest stack_canary_threads: 2 threads, 2 guards, each in the slot while its thread ran\n");
}
