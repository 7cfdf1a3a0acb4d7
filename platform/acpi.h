/* ACPI's table directory: the RSDP, then the XSDT (ACPI 2+) or RSDT, then a
 * table by its signature. One walk for everything that reads ACPI (the CPU
 * list in cpus_find.c, the power-off in acpi_power.c). Every table is checked
 * (signature, length, checksum) and read only within its stated length, so
 * damaged firmware tables mean "not found", never a fault. */
#pragma once
#include "../klib/types.h"

#define ACPI_HEADER_LEN 36

/* Where the boot loader said the RSDP is (0: search low memory). Set once by
 * kmain before anything looks for a table. */
void acpi_set_rsdp_hint(uint64_t rsdp_pa);

/* The whole table with signature sig (e.g. "APIC", "FACP"), mapped, checked;
 * NULL if there is none or it is damaged. */
const uint8_t *acpi_find_table(const char sig[4]);

/* The table at physical address pa if it is whole and has signature sig
 * (for tables other tables point at, such as the FADT's DSDT). */
const uint8_t *acpi_table_at(uint64_t pa, const char sig[4]);

static inline uint32_t acpi_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t acpi_le64(const uint8_t *p) { return acpi_le32(p) | (uint64_t)acpi_le32(p + 4) << 32; }
