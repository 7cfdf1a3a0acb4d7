/* UEFI memory map -> PVH memory map (boot/uefi/memmap.h). */
#include "memmap.h"

uint32_t efi_memory_type_to_e820(uint32_t efi_type)
{
    switch (efi_type) {
    /* Ours (the loader, the kernel, the start info) and the firmware's boot-time
     * memory are free once ExitBootServices returned; the kernel keeps what
     * it still needs (its image, this map) by reading it before allocating. */
    case EFI_LOADER_CODE:
    case EFI_LOADER_DATA:
    case EFI_BOOT_SERVICES_CODE:
    case EFI_BOOT_SERVICES_DATA:
    case EFI_CONVENTIONAL_MEMORY:
        return E820_RAM;
    case EFI_ACPI_RECLAIM_MEMORY:
        return E820_ACPI;
    case EFI_ACPI_MEMORY_NVS:
        return E820_NVS;
    case EFI_UNUSABLE_MEMORY:
        return E820_UNUSABLE;
    default:   /* runtime services, MMIO, persistent memory, unknown types */
        return E820_RESERVED;
    }
}

uint32_t efi_memmap_to_pvh(const void *map, uint64_t map_size, uint64_t desc_size, struct pvh_memmap_entry *out,
                           uint32_t max)
{
    if (desc_size < sizeof(struct efi_memory_descriptor)) return 0;
    uint32_t n = 0;
    for (uint64_t off = 0; off + desc_size <= map_size; off += desc_size) {
        const struct efi_memory_descriptor *d = (const void *)((const uint8_t *)map + off);
        if (!d->number_of_pages || d->number_of_pages > (UINT64_MAX - d->physical_start) / EFI_PAGE_SIZE) continue;
        struct pvh_memmap_entry e = { d->physical_start, d->number_of_pages * EFI_PAGE_SIZE,
                                      efi_memory_type_to_e820(d->type), 0 };
        /* Insertion by address: maps are short and usually sorted already. */
        uint32_t i = n < max ? n++ : max;
        if (i == max) break;
        while (i > 0 && out[i - 1].addr > e.addr) {
            out[i] = out[i - 1];
            i--;
        }
        out[i] = e;
    }
    uint32_t m = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (m && out[m - 1].type == out[i].type && out[m - 1].addr + out[m - 1].size == out[i].addr)
            out[m - 1].size += out[i].size;
        else
            out[m++] = out[i];
    }
    return m;
}
