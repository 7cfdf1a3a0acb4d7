/* Each CPU's local APIC: enable it (the boot CPU also quiets the legacy
 * PICs), send IPIs, and provide EOI and register access (the timer is
 * platform/lapic_timer.c).
 * Works in whichever mode the firmware left it (xAPIC MMIO, or x2APIC MSRs
 * if already switched on). */
#include "apic.h"
#include "../kernel/interrupt.h"
#include "devlog.h"
#include "../kernel/io.h"
#include "../kernel/mm.h"
#include "../kernel/spinlock.h"

#define IA32_APIC_BASE 0x1b
#define APIC_BASE_X2APIC (1ull << 10)
#define APIC_BASE_ENABLE (1ull << 11)
#define APIC_BASE_ADDR_MASK 0x000ffffffffff000ull
#define X2APIC_MSR_BASE 0x800

#define REG_ID 0x20
#define REG_TPR 0x80
#define REG_EOI 0xb0
#define REG_SVR 0xf0
#define REG_LVT_LINT0 0x350
#define REG_LVT_LINT1 0x360
#define REG_LVT_ERROR 0x370
#define REG_ICR_LOW 0x300
#define REG_ICR_HIGH 0x310

#define ICR_FIXED (0u << 8)
#define ICR_INIT (5u << 8)
#define ICR_STARTUP (6u << 8)
#define ICR_DELIVERY_PENDING (1u << 12)
#define ICR_ASSERT (1u << 14)

#define SVR_ENABLE (1u << 8)
#define LVT_MASKED (1u << 16)
#define LVT_DELIVERY_NMI (4u << 8)

static volatile uint8_t *lapic_mmio;
static bool x2apic;
static bool ready;

uint32_t lapic_read(uint32_t reg)
{
    if (x2apic) return (uint32_t)rdmsr(X2APIC_MSR_BASE + (reg >> 4));
    return mmio_read32(lapic_mmio + reg);
}

void lapic_write(uint32_t reg, uint32_t v)
{
    if (x2apic) wrmsr(X2APIC_MSR_BASE + (reg >> 4), v);
    else mmio_write32(lapic_mmio + reg, v);
}

/* This CPU's APIC on, in the mode the boot CPU found (firmware switches
 * all CPUs to x2APIC or none). */
static void enable_this_apic(void)
{
    uint64_t base = rdmsr(IA32_APIC_BASE);
    if (!(base & APIC_BASE_ENABLE)) {
        base |= APIC_BASE_ENABLE;
        wrmsr(IA32_APIC_BASE, base);
    }
    x2apic = (base & APIC_BASE_X2APIC) != 0;
    if (!x2apic && !lapic_mmio) lapic_mmio = mmio_map(base & APIC_BASE_ADDR_MASK, PAGE_SIZE);

    lapic_write(REG_TPR, 0);
    /* The PIC behind LINT0 is masked; keep LINT1 as the NMI line. Errors are
     * masked because nothing would handle their vector. */
    lapic_write(REG_LVT_LINT0, LVT_MASKED);
    lapic_write(REG_LVT_LINT1, LVT_DELIVERY_NMI);
    lapic_write(REG_LVT_ERROR, LVT_MASKED | LAPIC_ERROR_VECTOR);
    lapic_write(REG_SVR, SVR_ENABLE | LAPIC_SPURIOUS_VECTOR);
    lapic_write(REG_EOI, 0);
}

void lapic_init(void)
{
    pic_disable();
    enable_this_apic();
    ready = true;
    lapic_timer_init();
    dev_info("lapic: id %u, %s\n", lapic_id(), x2apic ? "x2APIC" : "xAPIC");
}

void lapic_init_ap(void)
{
    enable_this_apic();
    lapic_timer_init_ap();
}

/* One interrupt command. Interrupts stay off while it is written: in xAPIC
 * mode it is two register writes, and a handler sending its own IPI in
 * between would send ours to its destination. */
static void send_icr(uint32_t apic_id, uint32_t low)
{
    uint64_t flags = irq_save();
    if (x2apic) {
        wrmsr(X2APIC_MSR_BASE + (REG_ICR_LOW >> 4), (uint64_t)apic_id << 32 | low);
    } else {
        lapic_write(REG_ICR_HIGH, apic_id << 24);
        lapic_write(REG_ICR_LOW, low);
        /* Bounded: QEMU delivers at once; real APICs within microseconds. */
        for (int i = 0; i < 1000000 && (lapic_read(REG_ICR_LOW) & ICR_DELIVERY_PENDING); i++) cpu_relax();
    }
    irq_restore(flags);
}

void lapic_send_ipi(uint32_t apic_id, int vector) { send_icr(apic_id, ICR_FIXED | ICR_ASSERT | (uint32_t)vector); }
void lapic_send_init(uint32_t apic_id) { send_icr(apic_id, ICR_INIT | ICR_ASSERT); }
void lapic_send_startup(uint32_t apic_id, uint32_t page) { send_icr(apic_id, ICR_STARTUP | ICR_ASSERT | (page & 0xff)); }

void lapic_eoi(void)
{
    if (ready) lapic_write(REG_EOI, 0);
}

uint32_t lapic_id(void)
{
    if (!ready) return 0;
    uint32_t id = lapic_read(REG_ID);
    return x2apic ? id : id >> 24;
}
