/* The FPU state in a signal frame, in Linux's x86_64 layout (asm/sigcontext.h)
 * so that handlers, libcs and debuggers that parse it find what they expect:
 * the XSAVE area itself (the FXSAVE image first), its software-reserved
 * bytes 464..511 saying that extended state follows (magic1, the sizes, the
 * components), and a second magic word just after the area. Without XSAVE
 * the frame holds the 512-byte FXSAVE image with those bytes zero.
 *
 * rt_sigreturn reads it back as Linux does: a frame whose magic words are
 * missing (a handler that copied only the legacy image) restores x87/SSE
 * from the image and clears the rest; components the frame does not claim
 * go back to their initial state; what XRSTOR or FXRSTOR would fault on
 * (unknown components, a compacted or non-zero header, reserved MXCSR bits,
 * a misaligned image) makes the frame bad, which Linux answers with SIGSEGV. */
#include "fpu.h"
#include "usercopy.h"
#include "../klib/string.h"
#include "../klib/errno.h"

#define FP_XSTATE_MAGIC1 0x46505853u
#define FP_XSTATE_MAGIC2 0x46505845u
#define MAGIC2_SIZE 4
#define LEGACY_SIZE 512
#define HEADER_SIZE 64
#define SW_BYTES_AT 464
#define MXCSR_AT 24
#define MXCSR_DEFAULT 0x1f80

/* struct _fpx_sw_bytes */
struct fpx_sw_bytes {
    uint32_t magic1;
    uint32_t extended_size;     /* the whole fpstate: area + magic2 */
    uint64_t xfeatures;         /* components the area may hold (XCR0) */
    uint32_t xstate_size;       /* the area without magic2 */
    uint32_t padding[7];
};
_Static_assert(sizeof(struct fpx_sw_bytes) == 48, "sw_reserved is Linux's 48 bytes");

uint32_t fpu_sigframe_size(void)
{
    return fpu_uses_xsave() ? fpu_area_size() + MAGIC2_SIZE : LEGACY_SIZE;
}

static uint64_t get64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }
static uint32_t get32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }

int fpu_sigframe_write(uint64_t user_fp)
{
    uint8_t buf[FPU_AREA_MAX + MAGIC2_SIZE] __attribute__((aligned(64)));
    uint32_t size = fpu_area_size();
    memset(buf, 0, size);   /* the header's reserved bytes must read as zero */
    fpu_copy_live(buf);
    struct fpx_sw_bytes sw;
    memset(&sw, 0, sizeof sw);
    if (fpu_uses_xsave()) {
        sw.magic1 = FP_XSTATE_MAGIC1;
        sw.extended_size = size + MAGIC2_SIZE;
        sw.xfeatures = fpu_xfeatures();
        sw.xstate_size = size;
        put32(buf + size, FP_XSTATE_MAGIC2);
        /* x87 and SSE always claimed present (Linux does the same): a
         * handler that edits only the legacy image is heard at sigreturn. */
        put64(buf + LEGACY_SIZE, get64(buf + LEGACY_SIZE) | XFEATURE_X87 | XFEATURE_SSE);
    }
    memcpy(buf + SW_BYTES_AT, &sw, sizeof sw);
    return copy_to_user(user_fp, buf, fpu_sigframe_size()) < 0 ? -EFAULT : 0;
}

/* Does the frame carry extended state (Linux's check_xstate_in_sigframe)?
 * -1: magic2 could not be read. */
static int has_xstate(uint64_t user_fp, const struct fpx_sw_bytes *sw)
{
    if (sw->magic1 != FP_XSTATE_MAGIC1 || sw->xstate_size < LEGACY_SIZE + HEADER_SIZE ||
        sw->xstate_size > fpu_area_size() || sw->xstate_size > sw->extended_size)
        return 0;
    uint32_t magic2;
    if (copy_from_user(&magic2, user_fp + sw->xstate_size, sizeof magic2) < 0) return -1;
    return magic2 == FP_XSTATE_MAGIC2;
}

static bool read_fxsave_only(uint64_t user_fp)
{
    uint8_t fx[LEGACY_SIZE] __attribute__((aligned(16)));
    if (user_fp & 15) return false;     /* FXRSTOR's alignment */
    if (copy_from_user(fx, user_fp, sizeof fx) < 0) return false;
    if (get32(fx + MXCSR_AT) & ~fpu_mxcsr_mask()) return false;
    __asm__ volatile("fxrstor64 (%0)" : : "r"(fx) : "memory");
    return true;
}

bool fpu_sigframe_read(uint64_t user_fp)
{
    if (!fpu_uses_xsave()) return read_fxsave_only(user_fp);

    uint8_t buf[FPU_AREA_MAX] __attribute__((aligned(64)));
    uint32_t size = fpu_area_size();
    uint64_t xcr0 = fpu_xfeatures();
    if (user_fp & 15) return false;
    memset(buf, 0, size);
    if (copy_from_user(buf, user_fp, LEGACY_SIZE) < 0) return false;
    struct fpx_sw_bytes sw;
    memcpy(&sw, buf + SW_BYTES_AT, sizeof sw);
    int x = has_xstate(user_fp, &sw);
    if (x < 0) return false;

    uint64_t restore;   /* what comes from the frame; the rest starts clean */
    if (!x) {
        /* The legacy image alone (Linux's fx_only): x87 and SSE from it. */
        restore = XFEATURE_X87 | XFEATURE_SSE;
        put64(buf + LEGACY_SIZE, restore);
    } else {
        if (user_fp & 63) return false; /* XRSTOR's alignment */
        if (copy_from_user(buf + LEGACY_SIZE, user_fp + LEGACY_SIZE, HEADER_SIZE) < 0) return false;
        uint64_t xstate_bv = get64(buf + LEGACY_SIZE);
        /* XRSTOR faults on a component XCR0 lacks and on any of bytes
         * 8..23 (XCOMP_BV: the standard form) set. */
        if ((xstate_bv & ~xcr0) || get64(buf + LEGACY_SIZE + 8) || get64(buf + LEGACY_SIZE + 16)) return false;
        restore = sw.xfeatures & xcr0;
        xstate_bv &= restore;
        uint32_t end = fpu_extent(xstate_bv);
        if (end > LEGACY_SIZE + HEADER_SIZE &&
            copy_from_user(buf + LEGACY_SIZE + HEADER_SIZE, user_fp + LEGACY_SIZE + HEADER_SIZE,
                           end - LEGACY_SIZE - HEADER_SIZE) < 0)
            return false;
        memset(buf + LEGACY_SIZE + 8, 0, HEADER_SIZE - 8);
        put64(buf + LEGACY_SIZE, xstate_bv);
    }
    /* MXCSR comes from the frame with SSE or AVX, else it is the default. */
    if (restore & (XFEATURE_SSE | XFEATURE_AVX)) {
        if (get32(buf + MXCSR_AT) & ~fpu_mxcsr_mask()) return false;
    } else {
        put32(buf + MXCSR_AT, MXCSR_DEFAULT);
    }
    fpu_restore(buf);
    return true;
}
