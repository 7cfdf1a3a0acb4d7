/* The stack protector's guard: every function GCC protects
 * (-fstack-protector-strong, mk/kernel.mk) puts a copy of it between its
 * arrays and its return address and compares on the way out; a mismatch
 * calls __stack_chk_fail (kernel/panic.c), which panics.
 *
 * One guard per thread, as Linux gives each task its own canary. GCC reads
 * it at %gs:STACK_CANARY_OFFSET (-mstack-protector-guard=tls, reg gs), the
 * stack_canary of this CPU's struct cpu (kernel/percpu.h), which always
 * holds the running thread's: the switch stores the next thread's there
 * before the stacks change. A protected function's frame is built and
 * checked on one thread's stack, and that thread's guard is in the slot
 * whenever its stack runs, so a frame never sees another value, even when
 * the thread is switched out mid-function and resumed on another CPU.
 * A guard learnt by leaking one thread's stack is no use against another.
 *
 * What this needs (docs/boot.md, "The stack guard"): the kernel runs with
 * its own GS base before any protected function (swapgs first thing on
 * every way in from ring 3, kernel/trap_entry.S; cpu_early_init and
 * cpu_early_init_ap before anything else in kmain and ap_entry, neither of
 * which is protected), and every CPU's slot holds a guard before then:
 * stack_guard_init for the boot CPU, cpu_alloc for the others. */
#include "stack_guard.h"
#include "cpu.h"
#include "percpu.h"
#include "process.h"

uint64_t stack_guard_new(void)
{
    uint64_t g = cpu_random64();
    /* A zero low byte, as glibc's: a string copy that overruns its buffer
     * stops at the guard instead of reproducing it, and printing past a
     * buffer does not leak it whole. 56 random bits remain. */
    g &= ~0xfful;
    if (!g) g = 0x5a17c0de00ul;
    return g;
}

/* Not protected itself: the guard changes under it. Its caller (kmain)
 * must not be either, for the same reason. */
__attribute__((no_stack_protector, noinline)) void stack_guard_init(void)
{
    /* RDRAND, else RDSEED, else the TSC mixed (cpu_random64). */
    cpu_detect_features();
    this_cpu()->stack_canary = stack_guard_new();
}

void stack_guard_thread_init(struct thread *t) { t->stack_canary = stack_guard_new(); }

void stack_guard_adopt(struct thread *t) { t->stack_canary = this_cpu()->stack_canary; }

/* Not protected: the slot changes under it. Its caller may be: it compares
 * only after context_switch returns, when a switch back to its thread has
 * put that thread's guard back in the slot. */
__attribute__((no_stack_protector)) void stack_guard_switch(struct cpu *c, const struct thread *next)
{
    c->stack_canary = next->stack_canary;
}
