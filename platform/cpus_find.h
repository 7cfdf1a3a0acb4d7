/* Which CPUs the machine has: their local APIC ids, from the firmware's
 * tables. Tried in order: ACPI's MADT (q35 and clouds: SeaBIOS builds ACPI
 * tables even when QEMU's are off), then QEMU's fw_cfg CPU count (microvm
 * with ACPI off, whose qboot writes no MultiProcessor table; ids 0..n-1,
 * QEMU's default numbering). */
#pragma once
#include "../klib/types.h"

#define MAX_CPUS 64

struct cpu_list {
    uint32_t apic_id[MAX_CPUS];
    int count;
    const char *source;     /* "acpi", "fw_cfg", or "none" */
};

/* ACPI is found through platform/acpi.h (kmain gives it the boot loader's RSDP). */
void cpus_find(struct cpu_list *out);
