/* CPU-time clock ids as Linux decodes them: CLOCK_PROCESS_CPUTIME_ID (2),
 * CLOCK_THREAD_CPUTIME_ID (3), and the negative ids glibc and musl build
 * from a pid (clock_getcpuclockid) or tid (pthread_getcpuclockid):
 * ~id >> 3 is the pid/tid (0 = the caller), bit 2 says thread, bits 0-1
 * which time (0 user+system, 1 user, 2 scheduler time; 3 is a posix
 * dynamic clock on an fd, which Pith has none of). */
#pragma once
#include "../klib/types.h"

#define CLOCK_PROCESS_CPUTIME_ID 2
#define CLOCK_THREAD_CPUTIME_ID 3

static inline bool clock_is_cpu(int clk)
{
    return clk < 0 || clk == CLOCK_PROCESS_CPUTIME_ID || clk == CLOCK_THREAD_CPUTIME_ID;
}

/* The clock's reading in ns; -EINVAL when it names no thread or process of
 * ours (or a thread of ours as a process, except the caller for gettime). */
long cpu_clock_read(int clk, bool gettime, uint64_t *ns);
/* What a timer on clk watches: *tid the thread (0: the process) and
 * *which the time (as above); -EINVAL as for cpu_clock_read. */
long cpu_clock_target(int clk, int *tid, int *which);
