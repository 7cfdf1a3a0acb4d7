/* Time. The monotonic clock is the TSC scaled to nanoseconds (or kvmclock when
 * the hypervisor publishes one); the TSC rate comes from CPUID when the CPU or
 * hypervisor states it, else from timing the PIT. The wall clock is the CMOS
 * RTC read once at boot plus monotonic time since. No floating point: rates
 * are 32.32 fixed-point multipliers. */
#include "clock.h"
#include "io.h"
#include "mm.h"
#include "console.h"
#include "../platform/devlog.h"
#include "cpu.h"
#include "../syscalls/vdso/vdso_data.h"

#define PIT_HZ 1193182ull
#define PIT_WINDOW_TICKS 2386u /* ~2 ms: the median of three is steady enough, and boot time counts */
#define PIT_WINDOWS 3

#define MSR_KVM_SYSTEM_TIME 0x12
#define PVCLOCK_TSC_STABLE 0x01
#define MSR_KVM_SYSTEM_TIME_NEW 0x4b564d01
#define MSR_KVM_WALL_CLOCK 0x11
#define MSR_KVM_WALL_CLOCK_NEW 0x4b564d00
#define KVM_FEATURE_CLOCKSOURCE (1u << 0)
#define KVM_FEATURE_CLOCKSOURCE2 (1u << 3)

/* Layout fixed by the KVM ABI (pvclock_vcpu_time_info). */
struct pvclock_time {
    uint32_t version;
    uint32_t pad0;
    uint64_t tsc_timestamp;
    uint64_t system_time;
    uint32_t tsc_to_system_mul;
    int8_t tsc_shift;
    uint8_t flags;
    uint8_t pad[2];
} PACKED;

/* Layout fixed by the KVM ABI (pvclock_wall_clock): the wall time at which
 * kvmclock's system_time was 0. */
struct pvclock_wall_clock {
    uint32_t version;
    uint32_t sec;
    uint32_t nsec;
} PACKED;

static struct pvclock_time kvm_time __attribute__((aligned(64)));
static struct pvclock_wall_clock kvm_wall __attribute__((aligned(16)));
static uint32_t kvm_wall_msr;
static bool use_kvmclock;
static uint64_t kvm_base_ns;

static uint64_t tsc_khz;
static uint64_t tsc_base;
static uint64_t ns_per_tick_mult; /* 32.32 fixed point */

static uint64_t rtc_unix_ns;   /* wall clock at rtc_mono_ns */
static uint64_t rtc_mono_ns;

/* ---- kvmclock ---- */

static bool hypervisor_is_kvm(uint32_t *max_leaf)
{
    uint32_t r[4];
    cpuid(1, 0, r);
    if (!(r[2] & (1u << 31))) return false;
    cpuid(0x40000000, 0, r);
    *max_leaf = r[0];
    return r[1] == 0x4b4d564b && r[2] == 0x564b4d56 && r[3] == 0x0000004d; /* "KVMKVMKVM\0\0\0" */
}

static uint64_t kvmclock_read(void)
{
    volatile struct pvclock_time *t = &kvm_time;
    uint32_t version;
    uint64_t tsc, stamp, system;
    uint32_t mul;
    int8_t shift;
    do {
        version = t->version;
        barrier();
        tsc = rdtsc();
        stamp = t->tsc_timestamp;
        system = t->system_time;
        mul = t->tsc_to_system_mul;
        shift = t->tsc_shift;
        barrier();
    } while ((version & 1) || version != t->version); /* odd = host mid-update */
    uint64_t delta = tsc - stamp;
    delta = shift < 0 ? delta >> -shift : delta << shift;
    return system + (uint64_t)(((unsigned __int128)delta * mul) >> 32);
}

static bool kvmclock_start(void)
{
    uint32_t max_leaf, r[4];
    if (!hypervisor_is_kvm(&max_leaf) || max_leaf < 0x40000001) return false;
    cpuid(0x40000001, 0, r);
    uint32_t msr;
    if (r[0] & KVM_FEATURE_CLOCKSOURCE2) {
        msr = MSR_KVM_SYSTEM_TIME_NEW;
        kvm_wall_msr = MSR_KVM_WALL_CLOCK_NEW;
    } else if (r[0] & KVM_FEATURE_CLOCKSOURCE) {
        msr = MSR_KVM_SYSTEM_TIME;
        kvm_wall_msr = MSR_KVM_WALL_CLOCK;
    } else {
        return false;
    }
    wrmsr(msr, virt_to_phys(&kvm_time) | 1);
    while (kvm_time.version == 0 || (kvm_time.version & 1)) cpu_relax();
    uint32_t mul = kvm_time.tsc_to_system_mul;
    if (mul == 0) return false;
    /* Every CPU reads the boot CPU's record (one page, also the vDSO's):
     * right only when the host says all vCPUs' TSCs agree, as Linux's vDSO
     * also requires. Otherwise the TSC itself is the clock. */
    if (!(kvm_time.flags & PVCLOCK_TSC_STABLE)) {
        wrmsr(msr, 0);
        return false;
    }
    /* ns = (ticks << shift) * mul / 2^32, so kHz = 1e6 * 2^32 / mul / 2^shift. */
    uint64_t khz = (1000000ull << 32) / mul;
    int8_t shift = kvm_time.tsc_shift;
    tsc_khz = shift < 0 ? khz << -shift : khz >> shift;
    use_kvmclock = true;
    kvm_base_ns = kvmclock_read();
    return true;
}

/* Wall-clock nanoseconds at monotonic time 0, from the host (the write asks
 * KVM to fill kvm_wall in once); 0 if the host gave nothing usable. */
static uint64_t kvmclock_wall_at_boot_ns(void)
{
    if (!use_kvmclock || !kvm_wall_msr) return 0;
    wrmsr(kvm_wall_msr, virt_to_phys(&kvm_wall));
    volatile struct pvclock_wall_clock *w = &kvm_wall;
    uint32_t version, sec, nsec;
    int tries = 0;
    do {
        version = w->version;
        barrier();
        sec = w->sec;
        nsec = w->nsec;
        barrier();
    } while (((version & 1) || version != w->version) && ++tries < 1000);
    if (sec == 0 || nsec >= 1000000000u) return 0;
    /* sec/nsec is when system_time was 0; monotonic 0 is kvm_base_ns later. */
    return (uint64_t)sec * 1000000000ull + nsec + kvm_base_ns;
}

/* ---- TSC rate ---- */

static uint64_t tsc_khz_from_cpuid(void)
{
    uint32_t r[4];
    cpuid(0, 0, r);
    uint32_t max_leaf = r[0];
    bool intel = r[1] == 0x756e6547 && r[3] == 0x49656e69 && r[2] == 0x6c65746e; /* GenuineIntel */
    if (max_leaf >= 0x15) {
        cpuid(0x15, 0, r); /* eax/ebx = TSC/crystal ratio, ecx = crystal Hz */
        if (r[0] && r[1] && r[2]) return (uint64_t)r[2] * r[1] / r[0] / 1000;
    }
    cpuid(1, 0, r);
    if (r[2] & (1u << 31)) {
        cpuid(0x40000000, 0, r);
        if (r[0] >= 0x40000010) {
            cpuid(0x40000010, 0, r); /* eax = TSC kHz (VMware convention, QEMU too) */
            if (r[0]) return r[0];
        }
    }
    if (intel && max_leaf >= 0x16) {
        cpuid(0x16, 0, r); /* eax = base MHz, which is the TSC rate on Intel */
        if (r[0]) return (uint64_t)r[0] * 1000;
    }
    return 0;
}

/* Channel 2 is timed through port 0x61 (its gate and OUT2), which belongs
 * to the PC speaker logic. QEMU's microvm has no such port (it reads 0xff,
 * OUT2 always "high"); the PIT itself is there. */
static bool port61_present(void) { return inb(0x61) != 0xff; }

/* TSC ticks during one PIT channel-2 countdown, or 0 if it never finished. */
static uint64_t pit_window_ticks(void)
{
    uint8_t saved = inb(0x61);
    outb(0x61, (saved & ~0x02) | 0x01); /* speaker off, gate on */
    outb(0x43, 0xb0);                   /* channel 2, lo/hi byte, mode 0 */
    outb(0x42, PIT_WINDOW_TICKS & 0xff);
    outb(0x42, PIT_WINDOW_TICKS >> 8);
    uint64_t start = rdtsc();
    uint64_t spins = 0;
    while (!(inb(0x61) & 0x20)) /* OUT2 rises at terminal count */
        if (++spins > 100000000ull) {
            outb(0x61, saved);
            return 0;
        }
    uint64_t ticks = rdtsc() - start;
    outb(0x61, saved);
    return ticks;
}

/* Channel 0's current count (latched, so both bytes belong together). */
static uint16_t pit0_count(void)
{
    outb(0x43, 0x00);
    uint8_t lo = inb(0x40);
    return (uint16_t)(lo | inb(0x40) << 8);
}

/* Without port 0x61: TSC ticks per PIT_WINDOW_TICKS PIT ticks, from watching
 * channel 0 count down (its gate is always on), or 0 if it does not count.
 * Scaled by the PIT ticks that really passed, since polling overshoots. */
static uint64_t pit0_window_ticks(void)
{
    outb(0x43, 0x30); /* channel 0, lo/hi byte, mode 0: one pass, no reload */
    outb(0x40, 0xff);
    outb(0x40, 0xff);
    uint16_t first = pit0_count();
    uint64_t start = rdtsc();
    uint16_t passed = 0;
    /* Each poll is three port accesses (~1 us or more under emulation); a
     * PIT that has not moved after many of them is not there (microvm,pit=off). */
    for (uint32_t spins = 0; passed < PIT_WINDOW_TICKS; spins++) {
        if (spins > 1000000 || (spins > 20000 && passed == 0)) break;
        passed = (uint16_t)(first - pit0_count());
    }
    uint64_t ticks = rdtsc() - start;
    /* Mode 0 with no count written stops the counter: no IRQ 0 later. */
    outb(0x43, 0x30);
    if (passed < PIT_WINDOW_TICKS) return 0;
    return ticks * PIT_WINDOW_TICKS / passed;
}

static uint64_t tsc_khz_from_pit(void)
{
    uint64_t w[PIT_WINDOWS];
    bool channel2 = port61_present();
    for (int i = 0; i < PIT_WINDOWS; i++) {
        w[i] = channel2 ? pit_window_ticks() : pit0_window_ticks();
        if (w[i] == 0) return 0; /* it did not count once: it will not */
    }
    /* Median: an emulator can stall any single window. */
    for (int i = 1; i < PIT_WINDOWS; i++)
        for (int j = i; j > 0 && w[j - 1] > w[j]; j--) {
            uint64_t t = w[j];
            w[j] = w[j - 1];
            w[j - 1] = t;
        }
    uint64_t ticks = w[PIT_WINDOWS / 2];
    return ticks * PIT_HZ / ((uint64_t)PIT_WINDOW_TICKS * 1000);
}

/* ---- CMOS RTC ---- */

static uint8_t cmos_read(uint8_t reg)
{
    outb(0x70, reg);
    return inb(0x71);
}

struct rtc_fields {
    uint8_t sec, min, hour, day, month, year, century;
};

/* No RTC behind ports 0x70/0x71 (QEMU's microvm leaves it out under KVM):
 * every register reads 0xff. */
static bool rtc_present(void) { return cmos_read(0x0a) != 0xff; }

static void rtc_read_raw(struct rtc_fields *f)
{
    /* An update takes under 2 ms; the bound only stops a broken RTC hanging
     * the boot (the fields then fail the range checks or the compare). */
    for (int spins = 0; (cmos_read(0x0a) & 0x80) && spins < 1000000; spins++) cpu_relax();
    f->sec = cmos_read(0x00);
    f->min = cmos_read(0x02);
    f->hour = cmos_read(0x04);
    f->day = cmos_read(0x07);
    f->month = cmos_read(0x08);
    f->year = cmos_read(0x09);
    f->century = cmos_read(0x32);
}

static uint8_t from_bcd(uint8_t v) { return (v & 0x0f) + (v >> 4) * 10; }

static bool is_leap(uint64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

/* Seconds since 1970-01-01 UTC, or 0 if the RTC holds nonsense. */
static uint64_t rtc_unix_seconds(void)
{
    struct rtc_fields a, b;
    /* Reading twice and comparing guards against an update between fields. */
    rtc_read_raw(&a);
    for (int tries = 0; tries < 10; tries++) {
        rtc_read_raw(&b);
        if (__builtin_memcmp(&a, &b, sizeof a) == 0) break;
        a = b;
    }
    uint8_t status_b = cmos_read(0x0b);
    bool binary = status_b & 0x04, hours24 = status_b & 0x02;
    bool pm = a.hour & 0x80;
    a.hour &= 0x7f;
    if (!binary) {
        a.sec = from_bcd(a.sec);
        a.min = from_bcd(a.min);
        a.hour = from_bcd(a.hour);
        a.day = from_bcd(a.day);
        a.month = from_bcd(a.month);
        a.year = from_bcd(a.year);
        a.century = from_bcd(a.century);
    }
    if (!hours24) a.hour = (a.hour % 12) + (pm ? 12 : 0);
    uint64_t year = (a.century >= 19 && a.century <= 21 ? a.century : 20) * 100u + a.year;
    if (a.month < 1 || a.month > 12 || a.day < 1 || a.day > 31 || a.hour > 23 || a.min > 59 || a.sec > 60 ||
        year < 1970)
        return 0;

    static const uint16_t days_before_month[12] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
    uint64_t days = 0;
    for (uint64_t y = 1970; y < year; y++) days += is_leap(y) ? 366 : 365;
    days += days_before_month[a.month - 1] + (a.month > 2 && is_leap(year)) + (a.day - 1);
    return ((days * 24 + a.hour) * 60 + a.min) * 60 + a.sec;
}

/* ---- public ---- */

void clock_init(void)
{
    const char *source;
    if (kvmclock_start()) {
        source = "kvmclock";
    } else if ((tsc_khz = tsc_khz_from_cpuid()) != 0) {
        source = "cpuid";
    } else {
        tsc_khz = tsc_khz_from_pit();
        source = "pit";
        if (tsc_khz == 0) {
            tsc_khz = 1000000; /* the PIT never ticked; assume 1 GHz rather than stop */
            source = "guess";
            kprintf("clock: the PIT did not count; assuming a 1 GHz TSC\n");
        }
    }
    ns_per_tick_mult = (1000000ull << 32) / tsc_khz;
    tsc_base = rdtsc();

    const char *wall = "rtc";
    if (rtc_present()) {
        uint64_t secs = rtc_unix_seconds();
        rtc_mono_ns = clock_monotonic_ns();
        rtc_unix_ns = secs * 1000000000ull;
    } else if ((rtc_unix_ns = kvmclock_wall_at_boot_ns()) != 0) {
        rtc_mono_ns = 0;
        wall = "kvmclock";
    } else {
        rtc_mono_ns = clock_monotonic_ns();
        wall = "none";
        kprintf("clock: no CMOS RTC; the wall clock starts at 1970\n");
    }
    dev_info("clock: tsc %llu kHz (%s), wall clock %llu s (%s)\n", (unsigned long long)tsc_khz, source,
             (unsigned long long)(rtc_unix_ns / 1000000000ull), wall);
}

uint64_t clock_monotonic_ns(void)
{
    if (use_kvmclock) return kvmclock_read() - kvm_base_ns;
    if (!tsc_khz) return 0;
    return (uint64_t)(((unsigned __int128)(rdtsc() - tsc_base) * ns_per_tick_mult) >> 32);
}

uint64_t clock_realtime_ns(void)
{
    return rtc_unix_ns + (clock_monotonic_ns() - rtc_mono_ns);
}

uint64_t clock_tsc_khz(void) { return tsc_khz; }

const char *clock_source_name(void) { return use_kvmclock ? "kvm-clock" : "tsc"; }

/* Under kvmclock the TSC rate is known too (kvmclock states it), so the TSC
 * could serve as well, as Linux lists it on KVM. */
const char *clock_sources_available(void) { return use_kvmclock ? "kvm-clock tsc" : "tsc"; }

/* ---- the vDSO's clock page ---- */

static struct vdso_data *vdso_clock;
static uint64_t vdso_clock_pa;

/* Publish the current clock parameters. The seqcount makes a reader in the
 * program retry if it raced with this; call again whenever the realtime base
 * changes (today it is set once, at boot). */
static void vdso_publish(void)
{
    volatile struct vdso_data *d = vdso_clock;
    d->seq++;
    barrier();
    /* kvmclock's parameters live in kernel memory the program cannot read. */
    d->use_syscall = use_kvmclock || !tsc_khz;
    d->tsc_base = tsc_base;
    d->mono_base_ns = 0;
    d->mult = ns_per_tick_mult;
    d->shift = 32;
    d->has_tsc_aux = cpu_features.rdtscp;
    d->real_offset_ns = rtc_unix_ns - rtc_mono_ns;
    barrier();
    d->seq++;
}

uint64_t clock_vdso_page(void)
{
    if (!vdso_clock_pa) {
        uint64_t pa = page_alloc();
        if (!pa) return 0;
        vdso_clock = phys_to_virt(pa);
        vdso_clock_pa = pa;
        vdso_publish();
    }
    return vdso_clock_pa;
}

void clock_delay_ns(uint64_t ns)
{
    if (!tsc_khz) {
        /* Before calibration: each port 0x80 write takes roughly 1 us. */
        for (uint64_t i = 0; i < ns / 1000 + 1; i++) outb(0x80, 0);
        return;
    }
    uint64_t start = clock_monotonic_ns();
    while (clock_monotonic_ns() - start < ns) cpu_relax();
}
