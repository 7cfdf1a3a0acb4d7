/* The boot CPU's local APIC: enable it, keep the legacy PICs quiet, and
 * provide EOI and a calibrated one-shot timer. Works in whichever mode the
 * firmware left it (xAPIC MMIO, or x2APIC MSRs if already switched on). */
#include "apic.h"
#include "../kernel/interrupt.h"
#include "../kernel/clock.h"
#include "../kernel/console.h"
#include "devlog.h"
#include "../kernel/io.h"
#include "../kernel/mm.h"

#define IA32_APIC_BASE 0x1b
#define APIC_BASE_X2APIC (1ull << 10)
#define APIC_BASE_ENABLE (1ull << 11)
#define APIC_BASE_ADDR_MASK 0x000ffffffffff000ull
#define X2APIC_MSR_BASE 0x800

#define REG_ID 0x20
#define REG_TPR 0x80
#define REG_EOI 0xb0
#define REG_SVR 0xf0
#define REG_LVT_TIMER 0x320
#define REG_LVT_LINT0 0x350
#define REG_LVT_LINT1 0x360
#define REG_LVT_ERROR 0x370
#define REG_TIMER_INITIAL 0x380
#define REG_TIMER_CURRENT 0x390
#define REG_TIMER_DIVIDE 0x3e0

#define SVR_ENABLE (1u << 8)
#define LVT_MASKED (1u << 16)
#define LVT_DELIVERY_NMI (4u << 8)
#define TIMER_DIVIDE_16 0x3

/* 1 ms: the timer only wakes sleepers, who check the clock again, so a
 * fraction of a percent is plenty; every millisecond here is boot time. */
#define CALIBRATION_NS 1000000ull
/* QEMU's APIC runs at 1 GHz; used only if the clock was not calibrated. */
#define FALLBACK_TIMER_HZ (1000000000ull / 16)

static volatile uint8_t *lapic_mmio;
static bool x2apic;
static bool ready;
static uint64_t timer_hz;
static uint64_t timer_mult; /* ticks per ns in 32.32 fixed point */

static uint32_t lapic_read(uint32_t reg)
{
    if (x2apic) return (uint32_t)rdmsr(X2APIC_MSR_BASE + (reg >> 4));
    return mmio_read32(lapic_mmio + reg);
}

static void lapic_write(uint32_t reg, uint32_t v)
{
    if (x2apic) wrmsr(X2APIC_MSR_BASE + (reg >> 4), v);
    else mmio_write32(lapic_mmio + reg, v);
}

/* The timer's input clock when the hypervisor names it: leaf 0x40000010's
 * EBX is the APIC bus in kHz (the VMware convention QEMU and KVM follow).
 * 0 when unknown (TCG, bare metal): then it is measured. */
static uint64_t bus_hz_from_hypervisor(void)
{
    uint32_t r[4];
    cpuid(1, 0, r);
    if (!(r[2] & (1u << 31))) return 0;
    cpuid(0x40000000, 0, r);
    if (r[0] < 0x40000010) return 0;
    cpuid(0x40000010, 0, r);
    return (uint64_t)r[1] * 1000;
}

static void calibrate_timer(void)
{
    lapic_write(REG_TIMER_DIVIDE, TIMER_DIVIDE_16);
    lapic_write(REG_LVT_TIMER, LVT_MASKED | LAPIC_TIMER_VECTOR);
    uint64_t bus_hz = bus_hz_from_hypervisor();
    if (bus_hz) {
        timer_hz = bus_hz / 16;
    } else if (clock_tsc_khz() == 0) {
        timer_hz = FALLBACK_TIMER_HZ;
        kprintf("lapic: clock not calibrated, assuming timer at %llu Hz\n", (unsigned long long)timer_hz);
    } else {
        lapic_write(REG_TIMER_INITIAL, 0xffffffffu);
        uint64_t t0 = clock_monotonic_ns();
        uint32_t c0 = lapic_read(REG_TIMER_CURRENT);
        clock_delay_ns(CALIBRATION_NS);
        uint32_t c1 = lapic_read(REG_TIMER_CURRENT);
        uint64_t t1 = clock_monotonic_ns();
        lapic_write(REG_TIMER_INITIAL, 0);
        uint64_t elapsed = t1 > t0 ? t1 - t0 : 1;
        timer_hz = (uint64_t)(c0 - c1) * 1000000000ull / elapsed;
        if (timer_hz == 0) timer_hz = FALLBACK_TIMER_HZ;
    }
    /* Any real timer is far below 2^32 Hz, so the shift cannot overflow. */
    if (timer_hz >= (1ull << 32)) timer_hz = (1ull << 32) - 1;
    timer_mult = (timer_hz << 32) / 1000000000ull;
}

void lapic_init(void)
{
    pic_disable();

    uint64_t base = rdmsr(IA32_APIC_BASE);
    if (!(base & APIC_BASE_ENABLE)) {
        base |= APIC_BASE_ENABLE;
        wrmsr(IA32_APIC_BASE, base);
    }
    x2apic = (base & APIC_BASE_X2APIC) != 0;
    if (!x2apic) lapic_mmio = mmio_map(base & APIC_BASE_ADDR_MASK, PAGE_SIZE);

    lapic_write(REG_TPR, 0);
    /* The PIC behind LINT0 is masked; keep LINT1 as the NMI line. Errors are
     * masked because nothing would handle their vector. */
    lapic_write(REG_LVT_LINT0, LVT_MASKED);
    lapic_write(REG_LVT_LINT1, LVT_DELIVERY_NMI);
    lapic_write(REG_LVT_ERROR, LVT_MASKED | LAPIC_ERROR_VECTOR);
    lapic_write(REG_SVR, SVR_ENABLE | LAPIC_SPURIOUS_VECTOR);
    lapic_write(REG_EOI, 0);
    ready = true;

    calibrate_timer();
    dev_info("lapic: id %u, %s, timer %llu Hz\n", lapic_id(), x2apic ? "x2APIC" : "xAPIC",
            (unsigned long long)timer_hz);
}

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

uint64_t lapic_timer_hz(void) { return timer_hz; }

void lapic_timer_oneshot(uint64_t ns)
{
    if (!ready) return;
    unsigned __int128 ticks = ((unsigned __int128)ns * timer_mult) >> 32;
    uint32_t count = ticks > 0xffffffffu ? 0xffffffffu : (ticks == 0 ? 1 : (uint32_t)ticks);
    /* One-shot mode is LVT timer mode 0; writing the initial count arms it. */
    lapic_write(REG_LVT_TIMER, LAPIC_TIMER_VECTOR);
    lapic_write(REG_TIMER_INITIAL, count);
}
