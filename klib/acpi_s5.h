/* The \_S5 object of an ACPI DSDT: the SLP_TYPa/SLP_TYPb values that put
 * the machine into soft-off. Pure (no I/O), shared by the kernel's power-off
 * (platform/acpi_power.c) and its host unit test (test/unit/test_acpi_s5.c).
 *
 * Not an AML interpreter: a bounded scan for the name `_S5_` followed by a
 * Package whose first elements are integer constants, which is how every
 * firmware we know declares it (`Name (_S5, Package () { 5, 5, 0, 0 })`).
 * Every read stays inside [aml, aml + len): truncated or garbage bytes give
 * false, never a read past the end. */
#pragma once
#include "types.h"

struct acpi_s5 {
    uint8_t slp_typa, slp_typb;   /* 3-bit values for PM1a_CNT / PM1b_CNT */
};

/* aml: the DSDT's (or an SSDT's) bytes after its 36-byte header. */
bool acpi_s5_find(const uint8_t *aml, size_t len, struct acpi_s5 *out);
