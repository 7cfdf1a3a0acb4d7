/* The boot blobs linked into build/pith by cli/embedded.S. */
#pragma once

extern const char pith_stage1_start[], pith_stage1_end[];
extern const char pith_stage2_start[], pith_stage2_end[];
extern const char pith_kernel_start[], pith_kernel_end[];
extern const char pith_esp_start[], pith_esp_end[];
extern const char pith_probe_start[], pith_probe_end[];
