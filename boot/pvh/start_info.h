/* The PVH boot protocol's start-of-day structure (Xen's hvm_start_info, v1).
 * QEMU's `-kernel` hands it to us in %ebx; the BIOS stage 2 builds the same
 * structure from the E820 map so the kernel has a single way in. */
#pragma once
#include <stdint.h>

#define PVH_START_MAGIC 0x336ec578u
#define PVH_MEMMAP_RAM 1u

struct pvh_start_info {
    uint32_t magic;
    uint32_t version;
    uint32_t flags;
    uint32_t nr_modules;
    uint64_t modlist_paddr;
    uint64_t cmdline_paddr;
    uint64_t rsdp_paddr;
    uint64_t memmap_paddr;   /* version >= 1 */
    uint32_t memmap_entries;
    uint32_t reserved;
};

struct pvh_memmap_entry {
    uint64_t addr;
    uint64_t size;
    uint32_t type;           /* E820 types: 1 = RAM */
    uint32_t reserved;
};
