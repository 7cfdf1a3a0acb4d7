/* Finding \_S5 in AML bytes (klib/acpi_s5.h). Encodings from the ACPI
 * specification's AML grammar: PackageOp 0x12, PkgLength, NumElements, then
 * each element; the integer constants are ZeroOp 0x00, OneOp 0x01, OnesOp
 * 0xff and BytePrefix 0x0a / WordPrefix 0x0b / DWordPrefix 0x0c /
 * QWordPrefix 0x0e followed by a little-endian value. */
#include "acpi_s5.h"

#define AML_PACKAGE_OP 0x12

/* An integer constant at *pos, not beyond end; advances *pos. */
static bool integer(const uint8_t *p, size_t *pos, size_t end, uint64_t *value)
{
    if (*pos >= end) return false;
    uint8_t op = p[(*pos)++];
    size_t width;
    switch (op) {
    case 0x00: *value = 0; return true;
    case 0x01: *value = 1; return true;
    case 0xff: *value = ~0ull; return true;
    case 0x0a: width = 1; break;
    case 0x0b: width = 2; break;
    case 0x0c: width = 4; break;
    case 0x0e: width = 8; break;
    default: return false;
    }
    if (end - *pos < width) return false;
    *value = 0;
    for (size_t i = 0; i < width; i++) *value |= (uint64_t)p[*pos + i] << (8 * i);
    *pos += width;
    return true;
}

/* The Package starting at p[pos] (its PackageOp), within len bytes. */
static bool package(const uint8_t *p, size_t pos, size_t len, struct acpi_s5 *out)
{
    if (pos >= len || p[pos] != AML_PACKAGE_OP) return false;
    size_t start = ++pos;   /* PkgLength counts from its own first byte */
    if (pos >= len) return false;
    uint8_t lead = p[pos++];
    size_t follow = lead >> 6, pkglen = follow ? lead & 0x0f : lead & 0x3f;
    if (len - pos < follow) return false;
    for (size_t i = 0; i < follow; i++) pkglen |= (size_t)p[pos++] << (4 + 8 * i);
    if (pkglen < follow + 2 || pkglen > len - start) return false;
    size_t end = start + pkglen;
    uint8_t count = p[pos++];
    uint64_t a, b;
    if (count < 1 || !integer(p, &pos, end, &a)) return false;
    if (count >= 2) {
        if (!integer(p, &pos, end, &b)) return false;
    } else {
        /* One element: old firmware packs both values into it, b in bits 8..15. */
        b = a >> 8;
    }
    out->slp_typa = (uint8_t)(a & 7);
    out->slp_typb = (uint8_t)(b & 7);
    return true;
}

bool acpi_s5_find(const uint8_t *aml, size_t len, struct acpi_s5 *out)
{
    for (size_t i = 0; i + 4 < len; i++) {
        if (aml[i] != '_' || aml[i + 1] != 'S' || aml[i + 2] != '5' || aml[i + 3] != '_') continue;
        /* A declaration (NameOp, then the name) rather than a use of it. */
        if (package(aml, i + 4, len, out)) return true;
    }
    return false;
}
