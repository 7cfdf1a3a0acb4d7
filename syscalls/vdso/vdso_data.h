/* The clock page: written by the kernel (kernel/clock.c), read by the vDSO
 * (vdso.c) through the read-only [vvar] mapping one page below it. Shared by
 * both builds, so only fixed-size types and no kernel headers. */
#pragma once
#include <stdint.h>

struct vdso_data {
    /* Odd while the kernel rewrites the fields below: readers retry. */
    uint32_t seq;
    /* Non-zero when the clock cannot be read from user mode (kvmclock keeps
     * its parameters in kernel memory): the vDSO makes the system call. */
    uint32_t use_syscall;
    /* monotonic ns = mono_base_ns + ((rdtsc - tsc_base) * mult) >> shift */
    uint64_t tsc_base;
    uint64_t mono_base_ns;
    uint64_t mult;
    uint32_t shift;
    /* Non-zero when the kernel put the CPU number in TSC_AUX (RDTSCP). */
    uint32_t has_tsc_aux;
    /* realtime ns = monotonic ns + real_offset_ns (modulo 2^64, as the kernel computes it) */
    uint64_t real_offset_ns;
};
