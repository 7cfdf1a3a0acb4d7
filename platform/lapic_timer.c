/* The local APIC timer, which the timer service (kernel/timer.c) arms for
 * its earliest deadline. Two ways to run it:
 *
 * - TSC-deadline mode (CPUID.01H:ECX[24]): the timer fires when the TSC
 *   reaches the value in IA32_TSC_DEADLINE. One MSR write arms it, in the
 *   clock's own units, so nothing has to be calibrated at boot.
 * - one-shot mode otherwise: it counts down the APIC bus clock / 16, whose
 *   rate the hypervisor states (leaf 0x40000010) or we measure.
 *
 * Linux names the two "lapic-deadline" and "lapic"; so do we, in
 * /sys/devices/system/clockevents/clockevent0/current_device. */
#include "apic.h"
#include "../kernel/interrupt.h"
#include "../kernel/clock.h"
#include "../kernel/console.h"
#include "devlog.h"
#include "../kernel/io.h"

#define REG_LVT_TIMER 0x320
#define REG_TIMER_INITIAL 0x380
#define REG_TIMER_CURRENT 0x390
#define REG_TIMER_DIVIDE 0x3e0

#define LVT_MASKED (1u << 16)
#define LVT_TIMER_ONESHOT (0u << 17)
#define LVT_TIMER_TSC_DEADLINE (2u << 17)
#define TIMER_DIVIDE_16 0x3

#define CPUID_1_ECX_TSC_DEADLINE (1u << 24)
#define IA32_TSC_DEADLINE 0x6e0
/* How often to retry the read-back that proves deadline mode is live. */
#define DEADLINE_PROBE_TRIES 100

/* 1 ms: the timer only wakes sleepers, who check the clock again, so a
 * fraction of a percent is plenty; every millisecond here is boot time. */
#define CALIBRATION_NS 1000000ull
/* QEMU's APIC runs at 1 GHz; used only if the clock was not calibrated. */
#define FALLBACK_TIMER_HZ (1000000000ull / 16)
/* The longest interval armed at once (the timer service re-arms when it
 * fires before the deadline). KVM turns a deadline into nanoseconds as
 * ticks * 10^6 / kHz in 64 bits, so one far beyond an hour could wrap there. */
#define MAX_ARM_NS (3600ull * 1000000000ull)

enum timer_mode { TIMER_NONE, TIMER_ONESHOT, TIMER_TSC_DEADLINE };

static enum timer_mode mode;
static uint64_t timer_hz;
static uint64_t ticks_per_ns_mult; /* 32.32 fixed point */

static void set_rate(uint64_t hz)
{
    timer_hz = hz;
    /* In two parts, since a TSC may run above 2^32 Hz (hz << 32 would
     * overflow) and the kernel has no 128-bit division. */
    ticks_per_ns_mult = ((hz / 1000000000ull) << 32) + ((hz % 1000000000ull) << 32) / 1000000000ull;
}

/* ---- TSC-deadline mode ---- */

static bool tsc_deadline_start(void)
{
    uint32_t r[4];
    cpuid(1, 0, r);
    uint64_t tsc_hz = clock_tsc_khz() * 1000;
    if (!(r[2] & CPUID_1_ECX_TSC_DEADLINE) || tsc_hz == 0) return false;

    lapic_write(REG_LVT_TIMER, LVT_TIMER_TSC_DEADLINE | LAPIC_TIMER_VECTOR);
    /* WRMSR to IA32_TSC_DEADLINE does not serialize: the SDM wants the
     * memory-mapped LVT write ordered before it (MFENCE does it), or the
     * APIC may still be in one-shot mode and drop the deadline. */
    mb();
    /* In deadline mode the MSR reads back an armed deadline; in any other
     * mode it reads 0. Retrying until it sticks is the SDM's own way to wait
     * for the LVT write, and it also catches an APIC that advertises the mode
     * without implementing it (QEMU's TCG APIC with the CPUID bit forced on:
     * the write is dropped, the timer would never fire, sleeps would hang).
     * One second ahead: interrupts are still off, and it is disarmed below. */
    bool live = false;
    for (int i = 0; i < DEADLINE_PROBE_TRIES && !live; i++) {
        wrmsr(IA32_TSC_DEADLINE, rdtsc() + tsc_hz);
        live = rdmsr(IA32_TSC_DEADLINE) != 0;
    }
    wrmsr(IA32_TSC_DEADLINE, 0); /* 0 disarms */
    if (!live) {
        lapic_write(REG_LVT_TIMER, LVT_MASKED | LAPIC_TIMER_VECTOR);
        dev_info("lapic: CPUID offers the TSC-deadline timer but it does not arm; using one-shot mode\n");
        return false;
    }
    set_rate(tsc_hz);
    return true;
}

static void tsc_deadline_arm(uint64_t ns)
{
    uint64_t ticks = (uint64_t)(((unsigned __int128)ns * ticks_per_ns_mult) >> 32);
    uint64_t deadline = rdtsc() + ticks;
    /* A deadline already past fires at once, which is what ns == 0 wants;
     * only 0 itself would disarm instead. */
    wrmsr(IA32_TSC_DEADLINE, deadline ? deadline : 1);
}

/* ---- one-shot mode ---- */

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

static uint64_t oneshot_measure_hz(void)
{
    lapic_write(REG_TIMER_INITIAL, 0xffffffffu);
    uint64_t t0 = clock_monotonic_ns();
    uint32_t c0 = lapic_read(REG_TIMER_CURRENT);
    clock_delay_ns(CALIBRATION_NS);
    uint32_t c1 = lapic_read(REG_TIMER_CURRENT);
    uint64_t t1 = clock_monotonic_ns();
    lapic_write(REG_TIMER_INITIAL, 0);
    uint64_t elapsed = t1 > t0 ? t1 - t0 : 1;
    return (uint64_t)(c0 - c1) * 1000000000ull / elapsed;
}

static void oneshot_start(void)
{
    lapic_write(REG_TIMER_DIVIDE, TIMER_DIVIDE_16);
    lapic_write(REG_LVT_TIMER, LVT_MASKED | LAPIC_TIMER_VECTOR);
    uint64_t hz = bus_hz_from_hypervisor() / 16;
    if (hz == 0 && clock_tsc_khz() != 0) hz = oneshot_measure_hz();
    if (hz == 0) {
        hz = FALLBACK_TIMER_HZ;
        kprintf("lapic: timer rate unknown, assuming %llu Hz\n", (unsigned long long)hz);
    }
    set_rate(hz);
    /* Unmasked from now on: with the initial count 0 it stays quiet, and
     * writing a count is all that arming takes. */
    lapic_write(REG_LVT_TIMER, LVT_TIMER_ONESHOT | LAPIC_TIMER_VECTOR);
}

static void oneshot_arm(uint64_t ns)
{
    unsigned __int128 ticks = ((unsigned __int128)ns * ticks_per_ns_mult) >> 32;
    /* 0 would stop the timer instead of firing it. */
    uint32_t count = ticks > 0xffffffffu ? 0xffffffffu : (ticks == 0 ? 1 : (uint32_t)ticks);
    lapic_write(REG_TIMER_INITIAL, count);
}

/* ---- public ---- */

void lapic_timer_init(void)
{
    if (tsc_deadline_start()) mode = TIMER_TSC_DEADLINE;
    else {
        oneshot_start();
        mode = TIMER_ONESHOT;
    }
    dev_info("lapic: timer %s, %llu Hz\n", lapic_timer_device_name(), (unsigned long long)timer_hz);
}

void lapic_timer_init_ap(void)
{
    if (mode == TIMER_TSC_DEADLINE) {
        lapic_write(REG_LVT_TIMER, LVT_TIMER_TSC_DEADLINE | LAPIC_TIMER_VECTOR);
        mb();
        wrmsr(IA32_TSC_DEADLINE, 0);
    } else if (mode == TIMER_ONESHOT) {
        lapic_write(REG_TIMER_DIVIDE, TIMER_DIVIDE_16);
        lapic_write(REG_TIMER_INITIAL, 0);
        lapic_write(REG_LVT_TIMER, LVT_TIMER_ONESHOT | LAPIC_TIMER_VECTOR);
    }
}

uint64_t lapic_timer_hz(void) { return timer_hz; }

const char *lapic_timer_device_name(void)
{
    switch (mode) {
    case TIMER_TSC_DEADLINE: return "lapic-deadline";
    case TIMER_ONESHOT: return "lapic";
    default: return "";
    }
}

void lapic_timer_oneshot(uint64_t ns)
{
    if (ns > MAX_ARM_NS) ns = MAX_ARM_NS;
    if (mode == TIMER_TSC_DEADLINE) tsc_deadline_arm(ns);
    else if (mode == TIMER_ONESHOT) oneshot_arm(ns);
}

void lapic_timer_stop(void)
{
    if (mode == TIMER_TSC_DEADLINE) wrmsr(IA32_TSC_DEADLINE, 0);
    else if (mode == TIMER_ONESHOT) lapic_write(REG_TIMER_INITIAL, 0);
}
