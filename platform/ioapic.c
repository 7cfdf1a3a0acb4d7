/* The IOAPIC that QEMU's pc and q35 machines place at 0xfec00000. Every
 * input starts masked; drivers unmask theirs with ioapic_route. */
#include "apic.h"
#include "../kernel/interrupt.h"
#include "../kernel/console.h"
#include "devlog.h"
#include "../kernel/io.h"
#include "../kernel/mm.h"

#define IOAPIC_PHYS 0xfec00000ull
#define IOREGSEL 0x00
#define IOWIN 0x10
#define REG_VERSION 0x01
#define REG_REDIRECT 0x10

#define RED_MASKED (1u << 16)
#define RED_LEVEL (1u << 15)
#define RED_ACTIVE_LOW (1u << 13)

static volatile uint8_t *ioapic_mmio;
static int redirect_count;

static uint32_t ioapic_read(uint32_t reg)
{
    mmio_write32(ioapic_mmio + IOREGSEL, reg);
    return mmio_read32(ioapic_mmio + IOWIN);
}

static void ioapic_write(uint32_t reg, uint32_t v)
{
    mmio_write32(ioapic_mmio + IOREGSEL, reg);
    mmio_write32(ioapic_mmio + IOWIN, v);
}

void ioapic_init(void)
{
    ioapic_mmio = mmio_map(IOAPIC_PHYS, PAGE_SIZE);
    redirect_count = ((ioapic_read(REG_VERSION) >> 16) & 0xff) + 1;
    for (int i = 0; i < redirect_count; i++) {
        ioapic_write(REG_REDIRECT + 2 * i, RED_MASKED);
        ioapic_write(REG_REDIRECT + 2 * i + 1, 0);
    }
    dev_info("ioapic: %d inputs\n", redirect_count);
}

bool ioapic_route(int gsi, int vector, bool level_triggered, bool active_low)
{
    if (!ioapic_mmio || gsi < 0 || gsi >= redirect_count || vector < 32 || vector > 254) {
        dev_info("ioapic: cannot route gsi %d to vector %d\n", gsi, vector);
        return false;
    }
    uint32_t low = (uint32_t)vector | (level_triggered ? RED_LEVEL : 0) | (active_low ? RED_ACTIVE_LOW : 0);
    /* Keep it masked while the destination changes; fixed delivery, physical
     * destination = this CPU's APIC id. */
    ioapic_write(REG_REDIRECT + 2 * gsi, RED_MASKED);
    ioapic_write(REG_REDIRECT + 2 * gsi + 1, lapic_id() << 24);
    ioapic_write(REG_REDIRECT + 2 * gsi, low);
    return true;
}
