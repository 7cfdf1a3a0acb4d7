/* UEFI's memory map as the PVH start info's E820-style map (the kernel's
 * one way to learn its RAM). Pure: host unit test test/unit/test_efi_memmap.c. */
#pragma once
#include "efi.h"
#include "../pvh/start_info.h"

#define E820_RAM 1
#define E820_RESERVED 2
#define E820_ACPI 3
#define E820_NVS 4
#define E820_UNUSABLE 5

/* The E820 type of a UEFI memory type once boot services have exited. */
uint32_t efi_memory_type_to_e820(uint32_t efi_type);

/* map_size bytes of descriptors, desc_size apart (the firmware's size, which
 * may exceed the structure), into out (room for max entries), sorted by
 * address, neighbours of one type merged. Returns the entry count; entries
 * past max are dropped (max >= the descriptor count never drops any). */
uint32_t efi_memmap_to_pvh(const void *map, uint64_t map_size, uint64_t desc_size, struct pvh_memmap_entry *out,
                           uint32_t max);
