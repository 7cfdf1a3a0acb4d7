/* /proc/cpuinfo from CPUID, one block per CPU, in Linux's field order and
 * with Linux's names for the feature flags. All CPUs are alike, so the
 * boot CPU's answers stand for every block. */
#include "pseudo_internal.h"
#include "../kernel/kernel.h"
#include "../kernel/io.h"
#include "../kernel/clock.h"
#include "../klib/string.h"

enum { R_EAX, R_EBX, R_ECX, R_EDX };

/* Where a flag lives: leaf (subleaf 0), register, bit. Listed in the order
 * Linux prints them (its feature words: 1.edx, 0x80000001.edx, 1.ecx,
 * 0x80000001.ecx, 0xd.1.eax, 7.ebx, 7.ecx, 7.edx). */
struct flag {
    uint32_t leaf;
    uint8_t reg, bit;
    uint8_t needs;      /* OS state the flag depends on, see NEEDS_* */
    const char *name;
};

#define NEEDS_AVX 1     /* hidden unless the OS saves YMM state (XCR0) */
#define NEEDS_AVX512 2  /* ... and the AVX-512 state */
#define NEEDS_XSAVE 3   /* hidden unless XSAVE is enabled */

#define SUB1 0x100000u  /* marks leaf 0xd subleaf 1 */

static const struct flag flags[] = {
    { 1, R_EDX, 0, 0, "fpu" }, { 1, R_EDX, 1, 0, "vme" }, { 1, R_EDX, 2, 0, "de" },
    { 1, R_EDX, 3, 0, "pse" }, { 1, R_EDX, 4, 0, "tsc" }, { 1, R_EDX, 5, 0, "msr" },
    { 1, R_EDX, 6, 0, "pae" }, { 1, R_EDX, 7, 0, "mce" }, { 1, R_EDX, 8, 0, "cx8" },
    { 1, R_EDX, 9, 0, "apic" }, { 1, R_EDX, 11, 0, "sep" }, { 1, R_EDX, 12, 0, "mtrr" },
    { 1, R_EDX, 13, 0, "pge" }, { 1, R_EDX, 14, 0, "mca" }, { 1, R_EDX, 15, 0, "cmov" },
    { 1, R_EDX, 16, 0, "pat" }, { 1, R_EDX, 17, 0, "pse36" }, { 1, R_EDX, 18, 0, "pn" },
    { 1, R_EDX, 19, 0, "clflush" }, { 1, R_EDX, 21, 0, "dts" }, { 1, R_EDX, 22, 0, "acpi" },
    { 1, R_EDX, 23, 0, "mmx" }, { 1, R_EDX, 24, 0, "fxsr" }, { 1, R_EDX, 25, 0, "sse" },
    { 1, R_EDX, 26, 0, "sse2" }, { 1, R_EDX, 27, 0, "ss" }, { 1, R_EDX, 28, 0, "ht" },
    { 1, R_EDX, 29, 0, "tm" }, { 1, R_EDX, 31, 0, "pbe" },
    { 0x80000001, R_EDX, 11, 0, "syscall" }, { 0x80000001, R_EDX, 20, 0, "nx" },
    { 0x80000001, R_EDX, 22, 0, "mmxext" }, { 0x80000001, R_EDX, 25, 0, "fxsr_opt" },
    { 0x80000001, R_EDX, 26, 0, "pdpe1gb" }, { 0x80000001, R_EDX, 27, 0, "rdtscp" },
    { 0x80000001, R_EDX, 29, 0, "lm" }, { 0x80000001, R_EDX, 30, 0, "3dnowext" },
    { 0x80000001, R_EDX, 31, 0, "3dnow" },
    { 0x80000007, R_EDX, 8, 0, "constant_tsc" },
    { 1, R_ECX, 0, 0, "pni" }, { 1, R_ECX, 1, 0, "pclmulqdq" }, { 1, R_ECX, 2, 0, "dtes64" },
    { 1, R_ECX, 3, 0, "monitor" }, { 1, R_ECX, 4, 0, "ds_cpl" }, { 1, R_ECX, 5, 0, "vmx" },
    { 1, R_ECX, 6, 0, "smx" }, { 1, R_ECX, 7, 0, "est" }, { 1, R_ECX, 8, 0, "tm2" },
    { 1, R_ECX, 9, 0, "ssse3" }, { 1, R_ECX, 11, 0, "sdbg" }, { 1, R_ECX, 12, NEEDS_AVX, "fma" },
    { 1, R_ECX, 13, 0, "cx16" }, { 1, R_ECX, 14, 0, "xtpr" }, { 1, R_ECX, 15, 0, "pdcm" },
    { 1, R_ECX, 17, 0, "pcid" }, { 1, R_ECX, 18, 0, "dca" }, { 1, R_ECX, 19, 0, "sse4_1" },
    { 1, R_ECX, 20, 0, "sse4_2" }, { 1, R_ECX, 21, 0, "x2apic" }, { 1, R_ECX, 22, 0, "movbe" },
    { 1, R_ECX, 23, 0, "popcnt" }, { 1, R_ECX, 24, 0, "tsc_deadline_timer" }, { 1, R_ECX, 25, 0, "aes" },
    { 1, R_ECX, 26, NEEDS_XSAVE, "xsave" }, { 1, R_ECX, 28, NEEDS_AVX, "avx" },
    { 1, R_ECX, 29, NEEDS_AVX, "f16c" }, { 1, R_ECX, 30, 0, "rdrand" }, { 1, R_ECX, 31, 0, "hypervisor" },
    { 0x80000001, R_ECX, 0, 0, "lahf_lm" }, { 0x80000001, R_ECX, 1, 0, "cmp_legacy" },
    { 0x80000001, R_ECX, 2, 0, "svm" }, { 0x80000001, R_ECX, 3, 0, "extapic" },
    { 0x80000001, R_ECX, 4, 0, "cr8_legacy" }, { 0x80000001, R_ECX, 5, 0, "abm" },
    { 0x80000001, R_ECX, 6, 0, "sse4a" }, { 0x80000001, R_ECX, 7, 0, "misalignsse" },
    { 0x80000001, R_ECX, 8, 0, "3dnowprefetch" }, { 0x80000001, R_ECX, 9, 0, "osvw" },
    { 0x80000001, R_ECX, 10, 0, "ibs" }, { 0x80000001, R_ECX, 11, NEEDS_AVX, "xop" },
    { 0x80000001, R_ECX, 12, 0, "skinit" }, { 0x80000001, R_ECX, 13, 0, "wdt" },
    { 0x80000001, R_ECX, 15, 0, "lwp" }, { 0x80000001, R_ECX, 16, NEEDS_AVX, "fma4" },
    { 0x80000001, R_ECX, 17, 0, "tce" }, { 0x80000001, R_ECX, 21, 0, "tbm" },
    { 0x80000001, R_ECX, 22, 0, "topoext" }, { 0x80000001, R_ECX, 23, 0, "perfctr_core" },
    { 0xd | SUB1, R_EAX, 0, NEEDS_XSAVE, "xsaveopt" }, { 0xd | SUB1, R_EAX, 1, NEEDS_XSAVE, "xsavec" },
    { 0xd | SUB1, R_EAX, 2, NEEDS_XSAVE, "xgetbv1" }, { 0xd | SUB1, R_EAX, 3, NEEDS_XSAVE, "xsaves" },
    { 7, R_EBX, 0, 0, "fsgsbase" }, { 7, R_EBX, 1, 0, "tsc_adjust" }, { 7, R_EBX, 3, 0, "bmi1" },
    { 7, R_EBX, 4, 0, "hle" }, { 7, R_EBX, 5, NEEDS_AVX, "avx2" }, { 7, R_EBX, 7, 0, "smep" },
    { 7, R_EBX, 8, 0, "bmi2" }, { 7, R_EBX, 9, 0, "erms" }, { 7, R_EBX, 10, 0, "invpcid" },
    { 7, R_EBX, 11, 0, "rtm" }, { 7, R_EBX, 14, 0, "mpx" }, { 7, R_EBX, 16, NEEDS_AVX512, "avx512f" },
    { 7, R_EBX, 17, NEEDS_AVX512, "avx512dq" }, { 7, R_EBX, 18, 0, "rdseed" }, { 7, R_EBX, 19, 0, "adx" },
    { 7, R_EBX, 20, 0, "smap" }, { 7, R_EBX, 21, NEEDS_AVX512, "avx512ifma" },
    { 7, R_EBX, 23, 0, "clflushopt" }, { 7, R_EBX, 24, 0, "clwb" },
    { 7, R_EBX, 28, NEEDS_AVX512, "avx512cd" }, { 7, R_EBX, 29, 0, "sha_ni" },
    { 7, R_EBX, 30, NEEDS_AVX512, "avx512bw" }, { 7, R_EBX, 31, NEEDS_AVX512, "avx512vl" },
    { 7, R_ECX, 1, NEEDS_AVX512, "avx512vbmi" }, { 7, R_ECX, 2, 0, "umip" }, { 7, R_ECX, 3, 0, "pku" },
    { 7, R_ECX, 4, 0, "ospke" }, { 7, R_ECX, 5, 0, "waitpkg" }, { 7, R_ECX, 6, NEEDS_AVX512, "avx512_vbmi2" },
    { 7, R_ECX, 8, 0, "gfni" }, { 7, R_ECX, 9, NEEDS_AVX, "vaes" }, { 7, R_ECX, 10, NEEDS_AVX, "vpclmulqdq" },
    { 7, R_ECX, 11, NEEDS_AVX512, "avx512_vnni" }, { 7, R_ECX, 12, NEEDS_AVX512, "avx512_bitalg" },
    { 7, R_ECX, 14, NEEDS_AVX512, "avx512_vpopcntdq" }, { 7, R_ECX, 16, 0, "la57" },
    { 7, R_ECX, 22, 0, "rdpid" }, { 7, R_ECX, 25, 0, "cldemote" }, { 7, R_ECX, 27, 0, "movdiri" },
    { 7, R_ECX, 28, 0, "movdir64b" },
    { 7, R_EDX, 4, 0, "fsrm" }, { 7, R_EDX, 8, NEEDS_AVX512, "avx512_vp2intersect" },
    { 7, R_EDX, 10, 0, "md_clear" }, { 7, R_EDX, 14, 0, "serialize" }, { 7, R_EDX, 16, 0, "tsxldtrk" },
    { 7, R_EDX, 23, NEEDS_AVX512, "avx512_fp16" }, { 7, R_EDX, 29, 0, "arch_capabilities" },
};

struct cpu_ids {
    uint32_t max_leaf, max_ext;
    uint32_t l1[4];
    char vendor[13], brand[49];
    uint64_t xcr0;
    bool xsave_on;
};

static void query(uint32_t leaf, uint32_t r[4], const struct cpu_ids *id)
{
    uint32_t base = leaf & ~SUB1;
    uint32_t max = base >= 0x80000000u ? id->max_ext : id->max_leaf;
    if (base > max) {
        r[0] = r[1] = r[2] = r[3] = 0;
        return;
    }
    cpuid(base, (leaf & SUB1) ? 1 : 0, r);
}

static void identify(struct cpu_ids *id)
{
    uint32_t r[4];
    cpuid(0, 0, r);
    id->max_leaf = r[0];
    memcpy(id->vendor, &r[1], 4);
    memcpy(id->vendor + 4, &r[3], 4);
    memcpy(id->vendor + 8, &r[2], 4);
    id->vendor[12] = 0;
    cpuid(1, 0, id->l1);
    cpuid(0x80000000u, 0, r);
    id->max_ext = r[0] >= 0x80000000u ? r[0] : 0;
    id->brand[0] = 0;
    if (id->max_ext >= 0x80000004u) {
        for (uint32_t i = 0; i < 3; i++) {
            cpuid(0x80000002u + i, 0, r);
            memcpy(id->brand + 16 * i, r, 16);
        }
        id->brand[48] = 0;
    }
    /* XSAVE features count only when the kernel turned XSAVE on (OSXSAVE). */
    id->xsave_on = (id->l1[2] >> 27) & 1;
    id->xcr0 = 0;
    if (id->xsave_on) {
        uint32_t lo, hi;
        __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
        id->xcr0 = ((uint64_t)hi << 32) | lo;
    }
}

static bool os_allows(const struct cpu_ids *id, uint8_t needs)
{
    switch (needs) {
    case NEEDS_XSAVE: return id->xsave_on;
    case NEEDS_AVX: return id->xsave_on && (id->xcr0 & 6) == 6;
    case NEEDS_AVX512: return id->xsave_on && (id->xcr0 & 0xe6) == 0xe6;
    default: return true;
    }
}

/* The largest cache, in KiB: Intel's deterministic leaf 4, else AMD's L2/L3 leaves. */
static uint32_t cache_kb(const struct cpu_ids *id)
{
    uint32_t r[4], best = 0;
    if (id->max_leaf >= 4 && strcmp(id->vendor, "GenuineIntel") == 0) {
        for (uint32_t i = 0; i < 8; i++) {
            cpuid(4, i, r);
            if ((r[0] & 0x1f) == 0) break;
            uint64_t bytes = (uint64_t)((r[1] >> 22) + 1) * (((r[1] >> 12) & 0x3ff) + 1) *
                             ((r[1] & 0xfff) + 1) * ((uint64_t)r[2] + 1);
            best = MAX(best, (uint32_t)(bytes / 1024));
        }
    }
    if (!best && id->max_ext >= 0x80000006u) {
        cpuid(0x80000006u, 0, r);
        best = MAX(r[2] >> 16, (r[3] >> 18) * 512);
    }
    return best;
}

void pseudo_gen_cpuinfo(struct pseudo_node *n, struct pseudo_text *t)
{
    struct cpu_ids id;
    identify(&id);
    uint32_t eax = id.l1[0];
    uint32_t family = (eax >> 8) & 0xf, model = (eax >> 4) & 0xf, stepping = eax & 0xf;
    if (family == 0xf) family += (eax >> 20) & 0xff;
    if (family >= 6) model += ((eax >> 16) & 0xf) << 4;
    /* Brand strings are often right-aligned with leading spaces. */
    const char *brand = id.brand;
    while (*brand == ' ') brand++;
    uint32_t r[4] = { 0 };
    query(0x80000008u, r, &id);
    uint32_t phys_bits = r[0] & 0xff ? r[0] & 0xff : 36, virt_bits = (r[0] >> 8) & 0xff ? (r[0] >> 8) & 0xff : 48;
    uint32_t clflush = ((id.l1[1] >> 8) & 0xff) * 8;
    uint64_t khz = clock_tsc_khz();
    uint32_t ncpus = kernel.ncpus ? kernel.ncpus : 1, kb = cache_kb(&id);

    /* The flags line once, then copied into every block. */
    struct pseudo_text fl = { .heap = t->heap };
    for (size_t i = 0; i < ARRAY_SIZE(flags); i++) {
        const struct flag *f = &flags[i];
        query(f->leaf, r, &id);
        if (((r[f->reg] >> f->bit) & 1) && os_allows(&id, f->needs)) text_printf(&fl, " %s", f->name);
    }
    if (fl.failed) t->failed = true;

    for (uint32_t cpu = 0; cpu < ncpus; cpu++) {
        text_printf(t, "processor\t: %u\nvendor_id\t: %s\ncpu family\t: %u\nmodel\t\t: %u\n"
                    "model name\t: %s\nstepping\t: %u\nmicrocode\t: 0x1\ncpu MHz\t\t: %lu.%03lu\n",
                    cpu, id.vendor, family, model, *brand ? brand : "Common KVM processor", stepping,
                    khz / 1000, khz % 1000);
        if (kb) text_printf(t, "cache size\t: %u KB\n", kb);
        text_printf(t, "physical id\t: 0\nsiblings\t: %u\ncore id\t\t: %u\ncpu cores\t: %u\n"
                    "apicid\t\t: %u\ninitial apicid\t: %u\nfpu\t\t: yes\nfpu_exception\t: yes\n"
                    "cpuid level\t: %u\nwp\t\t: yes\nflags\t\t:",
                    ncpus, cpu, ncpus, cpu, cpu, id.max_leaf);
        text_append(t, fl.buf, fl.len);
        /* BogoMIPS has always been twice the clock in MHz on x86. */
        uint64_t bogo = khz * 2 / 10;
        text_printf(t, "\nbugs\t\t:\nbogomips\t: %lu.%02lu\nclflush size\t: %u\ncache_alignment\t: %u\n"
                    "address sizes\t: %u bits physical, %u bits virtual\npower management:\n\n",
                    bogo / 100, bogo % 100, clflush ? clflush : 64, clflush ? clflush : 64, phys_bits, virt_bits);
    }
    deallocate(t->heap, fl.buf, fl.cap);
}
