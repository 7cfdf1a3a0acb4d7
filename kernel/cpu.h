#pragma once
#include "../klib/types.h"

struct cpu_features {
    bool smep, smap, umip, rdrand, rdseed, hypervisor;
    bool rdtscp;    /* and TSC_AUX holds this CPU's number (the vDSO's getcpu reads it) */
};
extern struct cpu_features cpu_features;

struct cpu;
struct heap;

/* CPUID into cpu_features; cpu_init_boot does it, and the stack guard
 * (kernel/stack_guard.c) earlier, for RDRAND. */
void cpu_detect_features(void);
/* %gs names the boot CPU's struct cpu (its id 0) from here on: first thing
 * in kmain, since spinlocks read it. cpu_early_init_ap: the same on a
 * started CPU. */
void cpu_early_init(void);
void cpu_early_init_ap(struct cpu *c);
/* The boot CPU's tables, %gs, SYSCALL and protections (and the IDT). */
void cpu_init_boot(void);
/* A struct cpu (with room for its GDT and TSS) for the CPU numbered id. */
struct cpu *cpu_alloc(struct heap *h, uint32_t id, uint32_t apic_id);
/* The same for a started CPU, on that CPU. */
void cpu_init_ap(struct cpu *c);
void cpu_set_fs_base(uint64_t v);
uint64_t cpu_get_fs_base(void);
/* The kernel's random numbers (kernel/cpu_random.c): RDRAND, else RDSEED,
 * else the TSC through a mixing function. cpu_random_source names the one
 * this CPU uses ("rdrand", "rdseed", "tsc"); the boot tells the host which
 * (the control line "entropy NAME"). */
uint64_t cpu_random64(void);
const char *cpu_random_source(void);
