/* Time: a monotonic clock from the TSC (calibrated against the PIT, or kvmclock
 * when the hypervisor offers it) and a wall clock read once from the CMOS RTC. */
#pragma once
#include "../klib/types.h"

void clock_init(void);
uint64_t clock_monotonic_ns(void);
uint64_t clock_realtime_ns(void);
uint64_t clock_tsc_khz(void);
/* Where the monotonic clock comes from, named as Linux's clocksources:
 * "kvm-clock" or "tsc"; and every source this boot could use, by spaces. */
const char *clock_source_name(void);
const char *clock_sources_available(void);
void clock_delay_ns(uint64_t ns);
/* The physical address of the clock page the vDSO reads (struct vdso_data,
 * syscalls/vdso/vdso_data.h), allocated and filled on first use; 0 if out of memory. */
uint64_t clock_vdso_page(void);
