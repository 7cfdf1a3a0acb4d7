#pragma once
/* Loading the kernel ELF from its partition into memory. */
#include "disk.h"
#include "memmap.h"

/* Load every PT_LOAD of the ELF64 file in `part` at its p_paddr (zeroing
 * the bss tail), checking each lands in RAM above 1 MiB. Returns the 32-bit
 * entry from the Xen PVH note. Any problem stops the boot with a message. */
uint32_t elf_load_kernel(const struct disk_extent *part,
                         const struct pvh_memmap_entry *map, uint32_t map_n);
