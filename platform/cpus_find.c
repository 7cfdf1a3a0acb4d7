/* Reading the firmware's CPU lists (platform/cpus_find.h). Tables are
 * checked (signature, length, checksum) and read only within their stated
 * length, so a damaged table means "not found" and the next source is
 * tried, never a fault. */
#include "cpus_find.h"
#include "fw_cfg.h"
#include "devlog.h"
#include "acpi.h"
#include "../klib/string.h"

static void add(struct cpu_list *out, uint32_t apic_id)
{
    for (int i = 0; i < out->count; i++)
        if (out->apic_id[i] == apic_id) return;
    if (out->count < MAX_CPUS) out->apic_id[out->count++] = apic_id;
}

/* ---- ACPI ---- */

#define MADT_ENTRIES_OFFSET 44
#define MADT_LOCAL_APIC 0
#define MADT_LOCAL_X2APIC 9
#define MADT_ENABLED 1u

static bool from_madt(const uint8_t *madt, struct cpu_list *out)
{
    uint32_t len = acpi_le32(madt + 4);
    for (uint32_t o = MADT_ENTRIES_OFFSET; o + 2 <= len;) {
        uint8_t type = madt[o], elen = madt[o + 1];
        if (elen < 2 || o + elen > len) break;
        if (type == MADT_LOCAL_APIC && elen >= 8 && (acpi_le32(madt + o + 4) & MADT_ENABLED))
            add(out, madt[o + 3]);
        else if (type == MADT_LOCAL_X2APIC && elen >= 16 && (acpi_le32(madt + o + 8) & MADT_ENABLED))
            add(out, acpi_le32(madt + o + 4));
        o += elen;
    }
    return out->count > 0;
}

static bool from_acpi(struct cpu_list *out)
{
    const uint8_t *madt = acpi_find_table("APIC");
    return madt && from_madt(madt, out);
}

static bool from_fw_cfg(struct cpu_list *out)
{
    uint16_t n = 0;
    if (fw_cfg_read_item(FW_CFG_NB_CPUS, &n, sizeof n) < 0 || n == 0) return false;
    for (uint32_t i = 0; i < n && i < MAX_CPUS; i++) add(out, i);
    return true;
}

void cpus_find(struct cpu_list *out)
{
    *out = (struct cpu_list){ .source = "none" };
    if (from_acpi(out)) out->source = "acpi";
    else if ((out->count = 0, from_fw_cfg(out))) out->source = "fw_cfg";
    else out->count = 0;
    dev_info("cpus: %d from %s\n", out->count, out->source);
}
