/* ACPI S5 power-off (platform/acpi_power.h). Everything is looked up at boot:
 * at exit (possibly from a panic, interrupts off, locks held) only port
 * writes remain. FADT field offsets are those of the ACPI specification. */
#include "acpi_power.h"
#include "acpi.h"
#include "../kernel/io.h"
#include "../klib/acpi_s5.h"

#define FADT_DSDT 40
#define FADT_SMI_CMD 48
#define FADT_ACPI_ENABLE 52
#define FADT_PM1A_CNT 64
#define FADT_PM1B_CNT 68
#define FADT_FLAGS 112
#define FADT_X_DSDT 140
#define FADT_X_PM1A_CNT 172
#define FADT_X_PM1B_CNT 184
#define FADT_HW_REDUCED (1u << 20)
#define GAS_LEN 12
#define GAS_SYSTEM_IO 1

#define PM1_SCI_EN (1u << 0)
#define PM1_SLP_TYP_SHIFT 10
#define PM1_SLP_EN (1u << 13)

static struct {
    const char *missing;      /* why there is no power-off; NULL once ready */
    uint16_t pm1a, pm1b;      /* PM1 control ports (pm1b 0: none) */
    uint16_t smi_cmd;         /* where to ask for ACPI mode, 0: not needed */
    uint8_t acpi_enable;
    struct acpi_s5 s5;
} power = { .missing = "ACPI was not looked at" };

/* A PM1 control block: the 64-bit GAS when it names an I/O port, else the
 * ACPI 1.0 field. Memory-mapped blocks are not supported (0). */
static uint16_t pm1_port(const uint8_t *fadt, uint32_t len, uint32_t old_off, uint32_t gas_off)
{
    if (len >= gas_off + GAS_LEN) {
        const uint8_t *gas = fadt + gas_off;
        uint64_t addr = acpi_le64(gas + 4);
        if (addr && gas[0] == GAS_SYSTEM_IO) return addr <= 0xffff ? (uint16_t)addr : 0;
        if (addr) return 0;
    }
    uint32_t port = len >= old_off + 4 ? acpi_le32(fadt + old_off) : 0;
    return port <= 0xffff ? (uint16_t)port : 0;
}

void acpi_power_prepare(void)
{
    const uint8_t *fadt = acpi_find_table("FACP");
    if (!fadt) {
        power.missing = "no usable ACPI FADT";
        return;
    }
    uint32_t len = acpi_le32(fadt + 4);
    if (len < FADT_PM1B_CNT + 4) {
        power.missing = "ACPI FADT too short";
        return;
    }
    if (len >= FADT_FLAGS + 4 && (acpi_le32(fadt + FADT_FLAGS) & FADT_HW_REDUCED)) {
        power.missing = "hardware-reduced ACPI (sleep registers) is not supported";
        return;
    }
    uint64_t dsdt_pa = len >= FADT_X_DSDT + 8 ? acpi_le64(fadt + FADT_X_DSDT) : 0;
    if (!dsdt_pa) dsdt_pa = acpi_le32(fadt + FADT_DSDT);
    const uint8_t *dsdt = acpi_table_at(dsdt_pa, "DSDT");
    if (!dsdt) {
        power.missing = "no usable ACPI DSDT";
        return;
    }
    if (!acpi_s5_find(dsdt + ACPI_HEADER_LEN, acpi_le32(dsdt + 4) - ACPI_HEADER_LEN, &power.s5)) {
        power.missing = "no \\_S5 package in the DSDT";
        return;
    }
    power.pm1a = pm1_port(fadt, len, FADT_PM1A_CNT, FADT_X_PM1A_CNT);
    power.pm1b = pm1_port(fadt, len, FADT_PM1B_CNT, FADT_X_PM1B_CNT);
    if (!power.pm1a) {
        power.missing = "no PM1a control port in the FADT";
        return;
    }
    power.smi_cmd = (uint16_t)acpi_le32(fadt + FADT_SMI_CMD);
    power.acpi_enable = fadt[FADT_ACPI_ENABLE];
    power.missing = NULL;
}

/* SLP_TYP and SLP_EN; the register's other bits stay as they are. */
static void sleep(uint16_t port, uint8_t type)
{
    uint16_t v = inw(port) & ~(uint16_t)(7u << PM1_SLP_TYP_SHIFT | PM1_SLP_EN);
    outw(port, (uint16_t)(v | (uint16_t)type << PM1_SLP_TYP_SHIFT | PM1_SLP_EN));
}

const char *acpi_power_off(void)
{
    if (power.missing) return power.missing;
    /* Firmware may leave the machine in legacy mode; ask for ACPI mode and
     * wait a little (QEMU powers off without it, some firmware never says). */
    if (!(inw(power.pm1a) & PM1_SCI_EN) && power.smi_cmd && power.acpi_enable) {
        outb(power.smi_cmd, power.acpi_enable);
        uint64_t start = rdtsc();
        while (!(inw(power.pm1a) & PM1_SCI_EN) && rdtsc() - start < (1ull << 27)) cpu_relax();
    }
    sleep(power.pm1a, power.s5.slp_typa);
    if (power.pm1b) sleep(power.pm1b, power.s5.slp_typb);
    /* The write takes effect at once on QEMU; real chipsets may take a moment. */
    uint64_t start = rdtsc();
    while (rdtsc() - start < (1ull << 31)) cpu_relax();
    return "the ACPI S5 request did not power the machine off";
}
