/* The stack protector's guard: every function GCC protects
 * (-fstack-protector-strong, mk/kernel.mk) puts a copy of it between its
 * arrays and its return address and compares on the way out; a mismatch
 * calls __stack_chk_fail (kernel/panic.c), which panics.
 *
 * One global word (-mstack-protector-guard=global) rather than Linux's
 * per-CPU %gs slot: %gs is the program's until swapgs on the way in and
 * names no struct cpu before cpu_early_init, and a thread resumed on
 * another CPU would compare its frames against that CPU's value; a global
 * needs none of this and works at any address the kernel is linked or
 * moved to. It is a new value every boot. */
#include "stack_guard.h"
#include "cpu.h"

uint64_t __stack_chk_guard;

/* Not protected itself: the guard changes under it. Its caller (kmain)
 * must not be either, for the same reason. */
__attribute__((no_stack_protector, noinline)) void stack_guard_init(void)
{
    /* RDRAND where the CPU has it; else the TSC through a mixing function
     * (cpu_random64). */
    cpu_detect_features();
    uint64_t g = cpu_random64();
    /* A zero low byte, as glibc's: a string copy that overruns its buffer
     * stops at the guard instead of reproducing it, and printing past a
     * buffer does not leak it whole. 56 random bits remain. */
    g &= ~0xfful;
    if (!g) g = 0x5a17c0de00ul;
    __stack_chk_guard = g;
}
