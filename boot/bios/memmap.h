#pragma once
/* The BIOS E820 memory map, converted to PVH memmap records. */
#include "bios.h"
#include "boot/pvh/start_info.h"

/* Fill out[0..max) from INT 15h E820; returns the count (stops on error). */
uint32_t memmap_collect(struct pvh_memmap_entry *out, uint32_t max);

/* Whether [start, end) lies inside one RAM entry. */
bool memmap_is_ram(const struct pvh_memmap_entry *map, uint32_t n,
                   uint64_t start, uint64_t end);
