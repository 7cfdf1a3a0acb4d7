/* UEFI memory map -> PVH/E820 map (boot/uefi/memmap.c), which the UEFI
 * loader hands the kernel: types, sorting, merging, a descriptor size larger
 * than the structure (firmware may grow it), empty and overflowing ranges.
 * The loader file is not in the host library, so it is compiled in here. */
#include "../../boot/uefi/memmap.c"
#include <string.h>

#include "check.h"

#define DESC 48   /* larger than the 40-byte structure, as firmware may make it */

static uint8_t map[64 * DESC];
static size_t nmap;

static void add(uint32_t type, uint64_t start, uint64_t pages)
{
    struct efi_memory_descriptor d = { .type = type, .physical_start = start, .number_of_pages = pages };
    memset(map + nmap * DESC, 0xa5, DESC);
    memcpy(map + nmap * DESC, &d, sizeof d);
    nmap++;
}

int main(void)
{
    struct pvh_memmap_entry out[64];
    /* Out of order, with neighbours of one kind to merge and one that only touches. */
    add(EFI_CONVENTIONAL_MEMORY, 0x100000, 0x100);     /* 1 MiB .. 2 MiB */
    add(EFI_BOOT_SERVICES_DATA, 0x0, 0x9f);            /* 0 .. 0x9f000 */
    add(EFI_LOADER_DATA, 0x200000, 0x10);              /* merges with the first */
    add(EFI_ACPI_RECLAIM_MEMORY, 0x210000, 0x4);
    add(EFI_ACPI_MEMORY_NVS, 0x214000, 0x1);
    add(EFI_RUNTIME_SERVICES_DATA, 0x215000, 0x2);
    add(EFI_MEMORY_MAPPED_IO, 0xfec00000, 0x1);
    add(EFI_CONVENTIONAL_MEMORY, 0x217000, 0);         /* empty: dropped */
    add(EFI_CONVENTIONAL_MEMORY, 0x300000, 0x100);
    add(EFI_UNUSABLE_MEMORY, 0x400000, 0x1);
    add(99, 0x500000, 0x1);                            /* unknown type: reserved */
    uint32_t n = efi_memmap_to_pvh(map, nmap * DESC, DESC, out, 64);
    CHECK(n == 9, "%u entries", n);
    CHECK(out[0].addr == 0 && out[0].size == 0x9f000 && out[0].type == E820_RAM, "low memory");
    CHECK(out[1].addr == 0x100000 && out[1].size == 0x110000 && out[1].type == E820_RAM, "merged RAM %lx+%lx",
          (unsigned long)out[1].addr, (unsigned long)out[1].size);
    CHECK(out[2].type == E820_ACPI && out[3].type == E820_NVS && out[4].type == E820_RESERVED, "ACPI, NVS, runtime");
    CHECK(out[5].addr == 0x300000 && out[5].type == E820_RAM, "RAM after the hole");
    CHECK(out[6].type == E820_UNUSABLE && out[7].type == E820_RESERVED, "unusable, unknown");
    CHECK(out[8].addr == 0xfec00000 && out[8].type == E820_RESERVED, "MMIO last (sorted)");

    /* Too little room: entries past it are dropped, nothing is written beyond. */
    struct pvh_memmap_entry small[3 + 1];
    memset(small, 0x5a, sizeof small);
    n = efi_memmap_to_pvh(map, nmap * DESC, DESC, small, 3);
    uint8_t guard[sizeof small[3]];
    memset(guard, 0x5a, sizeof guard);
    CHECK(n <= 3 && memcmp(&small[3], guard, sizeof guard) == 0, "room for 3: %u entries, guard intact", n);

    /* A descriptor size smaller than the structure is refused; a partial tail is ignored. */
    CHECK(efi_memmap_to_pvh(map, nmap * DESC, 16, out, 64) == 0, "tiny descriptor size");
    CHECK(efi_memmap_to_pvh(map, DESC + 10, DESC, out, 64) == 1, "partial descriptor at the end");
    /* A range reaching past 2^64 is dropped. */
    nmap = 0;
    add(EFI_CONVENTIONAL_MEMORY, 0xfffffffffffff000ull, 0x10);
    CHECK(efi_memmap_to_pvh(map, DESC, DESC, out, 64) == 0, "wrapping range");
    return check_report("test_efi_memmap");
}
