#pragma once
#include "../klib/types.h"

struct thread;
struct cpu;

/* The boot CPU's guard, random: the first thing kmain does once %gs names
 * the boot CPU (cpu_early_init), so only kmain's own frame (unprotected)
 * predates it. */
void stack_guard_init(void);
/* A new random guard value (never 0; a zero low byte, as glibc's). */
uint64_t stack_guard_new(void);
/* t (a new thread, or a CPU's idle thread) gets a guard of its own. */
void stack_guard_thread_init(struct thread *t);
/* t takes over the frames already on this CPU's stack (the boot stack
 * becoming the program's first thread, a started CPU entering its idle
 * thread without a switch): it keeps the guard they were built with. */
void stack_guard_adopt(struct thread *t);
/* The context switch (kernel/sched.c, switch_threads), just before the
 * stacks change: next's guard goes into c's slot. */
void stack_guard_switch(struct cpu *c, const struct thread *next);
