/* The RSDP -> XSDT/RSDT -> table walk (platform/acpi.h). */
#include "acpi.h"
#include "../kernel/mm.h"
#include "../klib/string.h"

#define LOW_MEMORY_END 0x100000ul
#define MAX_TABLE_LEN (1u << 20)
#define RSDP_V1_LEN 20
#define RSDP_V2_LEN 36

static uint64_t rsdp_hint;

void acpi_set_rsdp_hint(uint64_t rsdp_pa) { rsdp_hint = rsdp_pa; }

/* A firmware table at any physical address. Low memory is in the direct
 * map; ACPI tables near the top of RAM may lie in ranges the memory map
 * does not call RAM (so not in the direct map): those get a window. */
static const uint8_t *map_phys(uint64_t pa, size_t len)
{
    if (pa + len <= LOW_MEMORY_END) return phys_to_virt(pa);
    return mmio_map(pa, len);
}

static bool checksum_ok(const uint8_t *p, size_t len)
{
    uint8_t sum = 0;
    for (size_t i = 0; i < len; i++) sum += p[i];
    return sum == 0;
}

static bool rsdp_ok(const uint8_t *p) { return memcmp(p, "RSD PTR ", 8) == 0 && checksum_ok(p, RSDP_V1_LEN); }

static const uint8_t *find_rsdp(void)
{
    /* UEFI hands over an RSDP anywhere in memory (OVMF's is near the top of
     * RAM); the BIOS paths' lies in the first MiB. */
    if (rsdp_hint && rsdp_hint < (1ull << 52)) {
        const uint8_t *p = map_phys(rsdp_hint, RSDP_V2_LEN);
        if (p && rsdp_ok(p)) return p;
    }
    /* The first KiB of the EBDA, then the BIOS area, on 16-byte boundaries. */
    uint64_t ebda = (uint64_t)*(const uint16_t *)phys_to_virt(0x40e) << 4;
    uint64_t ranges[2][2] = { { ebda, ebda + 1024 }, { 0xe0000, 0x100000 } };
    for (int r = 0; r < 2; r++) {
        if (ranges[r][0] < 0x80000 || ranges[r][1] > LOW_MEMORY_END) continue;
        for (uint64_t a = ranges[r][0]; a + RSDP_V1_LEN <= ranges[r][1]; a += 16)
            if (rsdp_ok(phys_to_virt(a))) return phys_to_virt(a);
    }
    return NULL;
}

const uint8_t *acpi_table_at(uint64_t pa, const char sig[4])
{
    if (!pa || pa >= (1ull << 52)) return NULL;
    const uint8_t *h = map_phys(pa, ACPI_HEADER_LEN);
    if (!h) return NULL;
    uint32_t len = acpi_le32(h + 4);
    if ((sig && memcmp(h, sig, 4) != 0) || len < ACPI_HEADER_LEN || len > MAX_TABLE_LEN) return NULL;
    const uint8_t *t = map_phys(pa, len);
    return t && checksum_ok(t, len) ? t : NULL;
}

const uint8_t *acpi_find_table(const char sig[4])
{
    const uint8_t *rsdp = find_rsdp();
    if (!rsdp) return NULL;
    /* ACPI 2+: the XSDT's 64-bit entries; else the RSDT's 32-bit ones. */
    bool x = rsdp[15] >= 2 && acpi_le64(rsdp + 24) != 0;
    const uint8_t *sdt = x ? acpi_table_at(acpi_le64(rsdp + 24), "XSDT") : acpi_table_at(acpi_le32(rsdp + 16), "RSDT");
    if (!sdt) return NULL;
    size_t width = x ? 8 : 4;
    uint32_t len = acpi_le32(sdt + 4);
    for (uint32_t o = ACPI_HEADER_LEN; o + width <= len; o += width) {
        uint64_t pa = x ? acpi_le64(sdt + o) : acpi_le32(sdt + o);
        if (!pa || pa >= (1ull << 52)) continue;
        const uint8_t *h = map_phys(pa, ACPI_HEADER_LEN);
        if (h && memcmp(h, sig, 4) == 0) return acpi_table_at(pa, sig);
    }
    return NULL;
}
