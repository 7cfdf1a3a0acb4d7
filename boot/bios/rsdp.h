#pragma once
#include <stdint.h>
/* Physical address of the ACPI RSDP found where the BIOS leaves it, or 0. */
uint32_t rsdp_find(void);
