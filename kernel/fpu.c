/* The program's FPU/SSE/AVX state: which components the kernel enables,
 * each thread's save area, and the instructions that switch it (fpu.h).
 *
 * XCR0 holds what Linux enables for programs, limited to what this kernel
 * handles: x87, SSE, AVX and AVX-512 (opmask, ZMM_Hi256, Hi16_ZMM). MPX is
 * gone from Linux; PKRU would need the protection-key syscalls; AMX needs
 * arch_prctl permission and a growing area. The areas use XSAVE's standard
 * form (what signal frames carry too), so XSAVEOPT saves and XRSTOR
 * restores; the compacted XSAVEC/XSAVES forms would only save room. */
#include "fpu.h"
#include "io.h"
#include "panic.h"
#include "../klib/heap.h"
#include "../klib/string.h"

#define CR4_OSXSAVE (1ul << 18)
#define XSAVE_LEGACY_SIZE 512
#define XSAVE_HEADER_SIZE 64
#define FCW_DEFAULT 0x37f       /* every x87 exception masked, 64-bit precision */
#define MXCSR_DEFAULT 0x1f80    /* every SSE exception masked, round to nearest */

static const uint64_t WANTED = XFEATURE_X87 | XFEATURE_SSE | XFEATURE_AVX | XFEATURE_AVX512;

static struct {
    bool xsave, xsaveopt;
    uint64_t xcr0;
    uint32_t size;
    uint32_t component_end[8];  /* where each enabled component ends (standard form) */
} fpu = { .xcr0 = XFEATURE_X87 | XFEATURE_SSE, .size = XSAVE_LEGACY_SIZE };

/* The state a program starts with: FCW and MXCSR at their defaults, and in
 * the XSAVE header no component in use, so XRSTOR initialises the rest. */
static uint8_t clean_area[FPU_AREA_MAX] __attribute__((aligned(64)));

static void fill_clean(uint8_t *area)
{
    uint16_t fcw = FCW_DEFAULT;
    uint32_t mxcsr = MXCSR_DEFAULT;
    memset(area, 0, fpu.size);
    memcpy(area, &fcw, sizeof fcw);
    memcpy(area + 24, &mxcsr, sizeof mxcsr);
}

void fpu_detect(void)
{
    uint32_t r[4];
    cpuid(0, 0, r);
    if (r[0] >= 0xd) {
        cpuid(1, 0, r);
        bool has_xsave = r[2] >> 26 & 1;
        cpuid(0xd, 0, r);
        uint64_t xcr0 = (((uint64_t)r[3] << 32) | r[0]) & WANTED;
        /* XSETBV refuses AVX-512 in part or without AVX. */
        if (!(xcr0 & XFEATURE_AVX) || (xcr0 & XFEATURE_AVX512) != XFEATURE_AVX512) xcr0 &= ~XFEATURE_AVX512;
        uint32_t size = XSAVE_LEGACY_SIZE + XSAVE_HEADER_SIZE;
        for (uint32_t i = 2; i < 8; i++) {
            if (!(xcr0 >> i & 1)) continue;
            cpuid(0xd, i, r);   /* EAX: the component's size, EBX: its offset */
            fpu.component_end[i] = r[1] + r[0];
            size = MAX(size, r[1] + r[0]);
        }
        /* Larger than the architectural layout promises: keep to FXSAVE
         * rather than trust the numbers. */
        if (has_xsave && (xcr0 & 3) == 3 && size <= FPU_AREA_MAX) {
            fpu.xsave = true;
            fpu.xcr0 = xcr0;
            fpu.size = size;
            cpuid(0xd, 1, r);
            fpu.xsaveopt = r[0] & 1;
        }
    }
    fill_clean(clean_area);
}

void fpu_enable_this_cpu(void)
{
    if (!fpu.xsave) return;
    uint64_t cr4;
    __asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
    __asm__ volatile("mov %0, %%cr4" : : "r"(cr4 | CR4_OSXSAVE));
    __asm__ volatile("xsetbv" : : "c"(0), "a"((uint32_t)fpu.xcr0), "d"((uint32_t)(fpu.xcr0 >> 32)));
    uint32_t r[4];
    cpuid(0xd, 0, r);   /* EBX: the area XSAVE now writes, all CPUs alike */
    if (r[1] > fpu.size) panic("XSAVE area of %u bytes, expected %u", r[1], fpu.size);
}

bool fpu_uses_xsave(void) { return fpu.xsave; }
uint64_t fpu_xfeatures(void) { return fpu.xcr0; }
uint32_t fpu_area_size(void) { return fpu.size; }

uint32_t fpu_extent(uint64_t mask)
{
    uint32_t end = XSAVE_LEGACY_SIZE + XSAVE_HEADER_SIZE;
    for (uint32_t i = 2; i < 8; i++)
        if (mask >> i & 1) end = MAX(end, fpu.component_end[i]);
    return end;
}

uint32_t fpu_mxcsr_mask(void)
{
    static uint32_t mask;
    if (!mask) {
        uint8_t area[XSAVE_LEGACY_SIZE] __attribute__((aligned(16)));
        __asm__ volatile("fxsave64 (%0)" : : "r"(area) : "memory");
        uint32_t m;
        memcpy(&m, area + 28, sizeof m);
        mask = m ? m : 0xffbf;  /* 0: a CPU from before the field, Intel's default */
    }
    return mask;
}

uint8_t *fpu_area_alloc(struct heap *h)
{
    /* The heap's blocks of 64 bytes and more are aligned to their size
     * class; checked all the same, XSAVE faults on anything less. */
    uint8_t *area = allocate(h, fpu.size);
    if (area && ((uint64_t)area & 63)) {
        deallocate(h, area, fpu.size);
        return NULL;
    }
    if (area) fill_clean(area);
    return area;
}

void fpu_area_free(struct heap *h, uint8_t *area) { deallocate(h, area, fpu.size); }

void fpu_save(uint8_t *area)
{
    uint32_t lo = (uint32_t)fpu.xcr0, hi = (uint32_t)(fpu.xcr0 >> 32);
    if (!fpu.xsave) __asm__ volatile("fxsave64 (%0)" : : "r"(area) : "memory");
    else if (fpu.xsaveopt) __asm__ volatile("xsaveopt64 (%0)" : : "r"(area), "a"(lo), "d"(hi) : "memory");
    else __asm__ volatile("xsave64 (%0)" : : "r"(area), "a"(lo), "d"(hi) : "memory");
}

void fpu_restore(const uint8_t *area)
{
    uint32_t lo = (uint32_t)fpu.xcr0, hi = (uint32_t)(fpu.xcr0 >> 32);
    if (!fpu.xsave) __asm__ volatile("fxrstor64 (%0)" : : "r"(area) : "memory");
    else __asm__ volatile("xrstor64 (%0)" : : "r"(area), "a"(lo), "d"(hi) : "memory");
}

void fpu_copy_live(uint8_t *area)
{
    /* Plain XSAVE: every enabled component written, whatever XSAVEOPT's
     * tracking says about this address. The header's other bytes are the
     * fresh area's zeros. */
    uint32_t lo = (uint32_t)fpu.xcr0, hi = (uint32_t)(fpu.xcr0 >> 32);
    if (!fpu.xsave) __asm__ volatile("fxsave64 (%0)" : : "r"(area) : "memory");
    else __asm__ volatile("xsave64 (%0)" : : "r"(area), "a"(lo), "d"(hi) : "memory");
}

void fpu_reset(void) { fpu_restore(clean_area); }

void fpu_legacy_image(const uint8_t *area, uint8_t *out)
{
    memcpy(out, area, XSAVE_LEGACY_SIZE);
    if (!fpu.xsave) return;
    uint64_t in_use;
    memcpy(&in_use, area + XSAVE_LEGACY_SIZE, sizeof in_use);
    /* XSAVEOPT does not write a component in its initial state, whose
     * bytes may be stale: put its initial values there. MXCSR is always
     * written. */
    if (!(in_use & XFEATURE_X87)) {
        uint16_t fcw = FCW_DEFAULT;
        memset(out, 0, 24);
        memcpy(out, &fcw, sizeof fcw);
        memset(out + 32, 0, 128);
    }
    if (!(in_use & XFEATURE_SSE)) memset(out + 160, 0, 256);
}
