/* Soft-off through ACPI (sleep state S5), the way a machine without QEMU's
 * isa-debug-exit device powers off: the FADT names the PM1 control ports,
 * the DSDT's \_S5 package the values to write. */
#pragma once
#include "../klib/types.h"

/* Read the tables now, while mapping memory is still safe; bad or missing
 * tables only mean acpi_power_off() will say why it cannot. Once, at boot,
 * after acpi_set_rsdp_hint. */
void acpi_power_prepare(void);

/* Power off. Returns only when that did not happen, with the reason. */
const char *acpi_power_off(void);
