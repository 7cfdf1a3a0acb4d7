/* The \_S5 scanner (klib/acpi_s5.c) the kernel's ACPI power-off relies on:
 * the AML QEMU's and typical firmware's DSDTs hold, and bytes cut short or
 * damaged, which must give "not found" and never a read past the end (each
 * case is copied into a buffer of exactly its length, so a sanitizer or
 * valgrind run catches any overrun). */
#include "../../klib/acpi_s5.h"
#include <stdlib.h>
#include <string.h>

#include "check.h"

static bool find(const uint8_t *bytes, size_t len, struct acpi_s5 *out)
{
    uint8_t *copy = malloc(len ? len : 1);
    memcpy(copy, bytes, len);
    bool r = acpi_s5_find(copy, len, out);
    free(copy);
    return r;
}

/* Name (_S5, Package (0x04) { Zero, Zero, Zero, Zero }): QEMU's q35 and pc. */
static const uint8_t qemu[] = { 0x10, 0x05, 0x5c, 0x00, 0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x04, 0x00, 0x00, 0x00, 0x00 };
/* Name (\_S5, Package () { 0x07, 0x07, Zero, Zero }) after a method that
 * only uses the name, and with a two-byte PkgLength. */
static const uint8_t firmware[] = { 0x14, 0x08, 'X', '_', 'S', '5', '_', 0x70, 0x00, 0x60,
                                    0x08, 0x5c, '_', 'S', '5', '_', 0x12, 0x48, 0x00, 0x04,
                                    0x0a, 0x07, 0x0b, 0x05, 0x00, 0x00, 0x00 };
/* One element holding both values (old firmware): a = 5, b = 6. */
static const uint8_t packed[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x05, 0x01, 0x0b, 0x05, 0x06 };

int main(void)
{
    struct acpi_s5 s5;
    CHECK(find(qemu, sizeof qemu, &s5) && s5.slp_typa == 0 && s5.slp_typb == 0, "qemu: %d %d", s5.slp_typa, s5.slp_typb);
    s5 = (struct acpi_s5){ 9, 9 };
    CHECK(find(firmware, sizeof firmware, &s5) && s5.slp_typa == 7 && s5.slp_typb == 5,
          "firmware: %d %d", s5.slp_typa, s5.slp_typb);
    CHECK(find(packed, sizeof packed, &s5) && s5.slp_typa == 5 && s5.slp_typb == 6, "packed: %d %d", s5.slp_typa,
          s5.slp_typb);

    /* Every truncation that cuts into the package is refused. */
    for (size_t len = 0; len < sizeof qemu; len++) CHECK(!find(qemu, len, &s5), "qemu cut to %zu found", len);
    for (size_t len = 0; len < 25; len++) CHECK(!find(firmware, len, &s5), "firmware cut to %zu found", len);
    for (size_t len = 0; len < sizeof packed; len++) CHECK(!find(packed, len, &s5), "packed cut to %zu found", len);

    /* A PkgLength reaching past the table, a non-integer element, no package. */
    uint8_t bad[sizeof qemu];
    memcpy(bad, qemu, sizeof bad);
    bad[10] = 0x3f;
    CHECK(!find(bad, sizeof bad, &s5), "package longer than the table");
    memcpy(bad, qemu, sizeof bad);
    bad[12] = 0x0d;   /* a string, not an integer */
    CHECK(!find(bad, sizeof bad, &s5), "string element");
    memcpy(bad, qemu, sizeof bad);
    bad[9] = 0x13;
    CHECK(!find(bad, sizeof bad, &s5), "not a package");
    bad[9] = 0x12;
    bad[11] = 0;      /* no elements */
    CHECK(!find(bad, sizeof bad, &s5), "empty package");
    memcpy(bad, qemu, sizeof bad);
    bad[10] = 0xc0 | 0x01;   /* claims three more length bytes at the very end */
    CHECK(!find(bad, 12, &s5), "length bytes past the end");

    /* Garbage: random bytes with _S5_ planted; must only ever return. */
    uint32_t x = 12345;
    uint8_t junk[64];
    for (int round = 0; round < 20000; round++) {
        for (size_t i = 0; i < sizeof junk; i++) junk[i] = (uint8_t)((x = x * 1103515245 + 12345) >> 16);
        size_t at = (x >> 8) % (sizeof junk - 4);
        memcpy(junk + at, "_S5_", 4);
        if (at + 4 < sizeof junk && (x & 1)) junk[at + 4] = 0x12;
        find(junk, (x >> 4) % (sizeof junk + 1), &s5);
    }
    return check_report("test_acpi_s5");
}
