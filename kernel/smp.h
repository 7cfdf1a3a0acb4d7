/* More than one CPU: starting them (kernel/smp.c) and keeping their TLBs
 * true to the page tables they share (kernel/tlb.c). */
#pragma once
#include "../klib/types.h"

struct phys_range;
struct cpu;

/* Start every CPU the firmware lists (at most `wanted`, the boot CPU
 * counted), each into its idle loop; kernel.ncpus and kernel.cpus[] then
 * list those online. Leaves the others off, saying why. */
void smp_start_cpus(const struct phys_range *ram, int nram);

/* Interrupt another CPU so it looks at its run queue (kernel/sched.c). */
void smp_kick(struct cpu *c);
