/* Per-CPU state, reached through %gs in kernel mode. The assembly entry
 * paths use the fixed offsets below; keep them in sync with the struct. */
#pragma once

#define CPU_SELF 0
#define CPU_KERNEL_RSP 8
#define CPU_USER_RSP 16
#define CPU_USERCOPY_FIXUP 24

#ifndef __ASSEMBLER__
#include "../klib/types.h"
#include "timer.h"
#include "sched.h"

struct thread;

struct cpu {
    struct cpu *self;
    uint64_t kernel_rsp;        /* top of the running thread's kernel stack */
    uint64_t user_rsp;          /* scratch for the syscall entry */
    uint64_t usercopy_fixup;    /* where a faulting user copy resumes, or 0 */
    struct thread *current;
    uint32_t id;
    uint32_t apic_id;
    /* The stack protector's guard for the thread running here: GCC reads
     * %gs:STACK_CANARY_OFFSET (mk/kernel.mk) in every protected function;
     * the switch puts the next thread's there (kernel/stack_guard.c). */
    uint64_t stack_canary;
    struct tss *tss;
    uint64_t *gdt;
    struct timer_queue timers;  /* this CPU's deadlines (kernel/timer.c) */
    struct run_queue run_queue; /* this CPU's threads (kernel/sched.c) */
    bool online;                /* set once, when it entered its idle loop */
    volatile uint32_t tlb_flush_pending;    /* a shootdown waits for this CPU (kernel/tlb.c) */
    struct timer account_tick;  /* samples user/system time while a thread runs (kernel/cputime.c) */
    bool account_tick_armed;
};

_Static_assert(__builtin_offsetof(struct cpu, id) == SPIN_CPU_ID_OFFSET, "spinlock.h reads the CPU id here");
_Static_assert(__builtin_offsetof(struct cpu, stack_canary) == STACK_CANARY_OFFSET,
               "GCC reads the stack guard at %gs:STACK_CANARY_OFFSET (mk/kernel.mk)");

static inline struct cpu *this_cpu(void)
{
    struct cpu *c;
    __asm__ volatile("movq %%gs:0, %0" : "=r"(c));
    return c;
}

void percpu_init_boot(struct cpu *c);
#endif
