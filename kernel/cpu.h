#pragma once
#include "../klib/types.h"

struct cpu_features {
    bool smep, smap, rdrand, rdseed, hypervisor;
    bool rdtscp;    /* and TSC_AUX holds this CPU's number (the vDSO's getcpu reads it) */
};
extern struct cpu_features cpu_features;

void cpu_init_boot(void);
void cpu_set_fs_base(uint64_t v);
uint64_t cpu_get_fs_base(void);
uint64_t cpu_random64(void);
