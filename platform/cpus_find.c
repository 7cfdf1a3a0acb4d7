/* Reading the firmware's CPU lists (platform/cpus_find.h). Tables are
 * checked (signature, length, checksum) and read only within their stated
 * length, so a damaged table means "not found" and the next source is
 * tried, never a fault. */
#include "cpus_find.h"
#include "fw_cfg.h"
#include "devlog.h"
#include "../kernel/mm.h"
#include "../klib/string.h"

#define LOW_MEMORY_END 0x100000ul
#define MAX_TABLE_LEN (1u << 20)

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

static uint32_t le32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }
static uint64_t le64(const uint8_t *p) { return le32(p) | (uint64_t)le32(p + 4) << 32; }

static void add(struct cpu_list *out, uint32_t apic_id)
{
    for (int i = 0; i < out->count; i++)
        if (out->apic_id[i] == apic_id) return;
    if (out->count < MAX_CPUS) out->apic_id[out->count++] = apic_id;
}

/* ---- ACPI ---- */

#define SDT_HEADER_LEN 36
#define MADT_ENTRIES_OFFSET 44
#define MADT_LOCAL_APIC 0
#define MADT_LOCAL_X2APIC 9
#define MADT_ENABLED 1u

static const uint8_t *find_rsdp(uint64_t hint)
{
    if (hint && hint + 36 <= LOW_MEMORY_END) {
        const uint8_t *p = phys_to_virt(hint);
        if (memcmp(p, "RSD PTR ", 8) == 0 && checksum_ok(p, 20)) return p;
    }
    /* The first KiB of the EBDA, then the BIOS area, on 16-byte boundaries. */
    uint64_t ebda = (uint64_t)*(const uint16_t *)phys_to_virt(0x40e) << 4;
    uint64_t ranges[2][2] = { { ebda, ebda + 1024 }, { 0xe0000, 0x100000 } };
    for (int r = 0; r < 2; r++) {
        if (ranges[r][0] < 0x80000 || ranges[r][1] > LOW_MEMORY_END) continue;
        for (uint64_t a = ranges[r][0]; a + 20 <= ranges[r][1]; a += 16) {
            const uint8_t *p = phys_to_virt(a);
            if (memcmp(p, "RSD PTR ", 8) == 0 && checksum_ok(p, 20)) return p;
        }
    }
    return NULL;
}

/* The table at pa if it is whole and has signature sig. */
static const uint8_t *acpi_table(uint64_t pa, const char *sig)
{
    if (!pa) return NULL;
    const uint8_t *h = map_phys(pa, SDT_HEADER_LEN);
    uint32_t len = le32(h + 4);
    if ((sig && memcmp(h, sig, 4) != 0) || len < SDT_HEADER_LEN || len > MAX_TABLE_LEN) return NULL;
    const uint8_t *t = map_phys(pa, len);
    return checksum_ok(t, len) ? t : NULL;
}

static bool from_madt(const uint8_t *madt, struct cpu_list *out)
{
    uint32_t len = le32(madt + 4);
    for (uint32_t o = MADT_ENTRIES_OFFSET; o + 2 <= len;) {
        uint8_t type = madt[o], elen = madt[o + 1];
        if (elen < 2 || o + elen > len) break;
        if (type == MADT_LOCAL_APIC && elen >= 8 && (le32(madt + o + 4) & MADT_ENABLED))
            add(out, madt[o + 3]);
        else if (type == MADT_LOCAL_X2APIC && elen >= 16 && (le32(madt + o + 8) & MADT_ENABLED))
            add(out, le32(madt + o + 4));
        o += elen;
    }
    return out->count > 0;
}

static bool from_acpi(uint64_t hint, struct cpu_list *out)
{
    const uint8_t *rsdp = find_rsdp(hint);
    if (!rsdp) return false;
    /* ACPI 2+: the XSDT's 64-bit entries; else the RSDT's 32-bit ones. */
    bool x = rsdp[15] >= 2 && le64(rsdp + 24) != 0;
    const uint8_t *sdt = x ? acpi_table(le64(rsdp + 24), "XSDT") : acpi_table(le32(rsdp + 16), "RSDT");
    if (!sdt) return false;
    size_t width = x ? 8 : 4;
    uint32_t len = le32(sdt + 4);
    for (uint32_t o = SDT_HEADER_LEN; o + width <= len; o += width) {
        uint64_t pa = x ? le64(sdt + o) : le32(sdt + o);
        const uint8_t *h = pa ? map_phys(pa, SDT_HEADER_LEN) : NULL;
        if (!h || memcmp(h, "APIC", 4) != 0) continue;
        const uint8_t *madt = acpi_table(pa, "APIC");
        return madt && from_madt(madt, out);
    }
    return false;
}

static bool from_fw_cfg(struct cpu_list *out)
{
    uint16_t n = 0;
    if (fw_cfg_read_item(FW_CFG_NB_CPUS, &n, sizeof n) < 0 || n == 0) return false;
    for (uint32_t i = 0; i < n && i < MAX_CPUS; i++) add(out, i);
    return true;
}

void cpus_find(uint64_t rsdp_pa, struct cpu_list *out)
{
    *out = (struct cpu_list){ .source = "none" };
    if (from_acpi(rsdp_pa, out)) out->source = "acpi";
    else if ((out->count = 0, from_fw_cfg(out))) out->source = "fw_cfg";
    else out->count = 0;
    dev_info("cpus: %d from %s\n", out->count, out->source);
}
