/* KASLR's first step: boot/pvh/entry.S calls kaslr_boot() in 64-bit mode
 * while only the boot identity map exists, before any code runs at a kernel
 * address. It picks the slide, adds it to every field of the image that
 * holds a kernel address (the table mk/kreloc.c made at build time), and
 * maps the image at its slid address in the boot page tables. From then on
 * the kernel runs as if linked there: paging_init and every _kernel_*
 * symbol see the slid addresses.
 *
 * This file runs at its physical address (the .boot segment, 1 MiB +): it
 * is built position-independent and may call nothing in the kernel
 * (mk/kaslr.mk checks both). docs/boot.md, docs/memory.md. */
#include "kaslr_layout.h"
#include "../../platform/fw_cfg_dir.h"

#define PTE_PRESENT_WRITE 0x3ull
#define PAGE 4096ull
#define PAGE_TABLE_SPAN (2ull << 20)

/* What the host asked for, in the fw_cfg file opt/pith/kaslr: nothing
 * (random slide), "off" (slide 0: pith run --no-kaslr), "report" (random,
 * and the kernel prints where it went: the tests) or "slide=0xHEX" (this
 * slide: pith run --gdb, which chose it so gdb's symbols can follow). */
#define SWITCH_FILE "opt/pith/kaslr"
#define SLIDE_PREFIX "slide="
enum { KASLR_RANDOM, KASLR_OFF, KASLR_REPORT, KASLR_HOST_SLIDE };
/* Why a host setting was not followed (the kernel names it: kernel/kaslr.c). */
enum { HOST_FOLLOWED, HOST_NOT_UNDERSTOOD, HOST_UNALIGNED, HOST_TOO_FAR };
#define HOST_TEXT_MAX 40

/* Filled by this code, read by the kernel (kernel/kaslr.c); boot/pvh/entry.S
 * lays it out. */
struct kaslr_result {
    uint64_t slide;
    uint64_t report;
    uint64_t slots;   /* how many slides there were to choose from */
    uint64_t refused; /* HOST_*: the host's setting was not followed */
    char host_text[HOST_TEXT_MAX]; /* that setting, printable, NUL-terminated */
};

static uint64_t kernel_pd[2][512] __attribute__((aligned(4096)));
static uint64_t kernel_pt[KASLR_BOOT_PTS][512] __attribute__((aligned(4096)));

static bool same(const char *a, size_t n, const char *b)
{
    size_t i = 0;
    for (; i < n && b[i] && a[i] == b[i]; i++) continue;
    return i == n && !b[i];
}

/* 1 to 16 hex digits, "0x" optional, nothing else. */
static bool parse_hex(const char *s, size_t n, uint64_t *value)
{
    size_t i = n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') ? 2 : 0;
    if (i == n || n - i > 16) return false;
    uint64_t v = 0;
    for (; i < n; i++) {
        char c = s[i];
        uint64_t digit;
        if (c >= '0' && c <= '9') digit = (uint64_t)(c - '0');
        else if (c >= 'a' && c <= 'f') digit = (uint64_t)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') digit = (uint64_t)(c - 'A' + 10);
        else return false;
        v = v << 4 | digit;
    }
    *value = v;
    return true;
}

/* Keep the host's text for the kernel's message, bytes it could not print
 * as '?'. */
static void keep_text(struct kaslr_result *result, const char *text, size_t n)
{
    size_t i = 0;
    for (; i < n && i < HOST_TEXT_MAX - 1; i++) result->host_text[i] = text[i] >= 0x20 && text[i] < 0x7f ? text[i] : '?';
    result->host_text[i] = 0;
}

/* The switch is read whether or not opt/pith/ignore-fw_cfg is there: only
 * pith puts it, for debugging, and --gdb --cloud-like needs it too. Text
 * this code does not understand leaves KASLR on (and is named later). */
static int switch_setting(uint64_t *host_slide, struct kaslr_result *result)
{
    char text[HOST_TEXT_MAX];
    if (!fw_cfg_signature_found()) return KASLR_RANDOM;
    int64_t n = fw_cfg_find_file(SWITCH_FILE, text, sizeof text);
    if (n == FW_CFG_NOT_FOUND) return KASLR_RANDOM;
    size_t len = n > (int64_t)sizeof text ? sizeof text : (size_t)n;
    while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == 0)) len--;
    keep_text(result, text, len);
    size_t prefix = sizeof SLIDE_PREFIX - 1;
    if (n > (int64_t)sizeof text) {
        result->refused = HOST_NOT_UNDERSTOOD;
    } else if (same(text, len, "off")) {
        return KASLR_OFF;
    } else if (same(text, len, "report")) {
        return KASLR_REPORT;
    } else if (len > prefix && same(text, prefix, SLIDE_PREFIX) && parse_hex(text + prefix, len - prefix, host_slide)) {
        return KASLR_HOST_SLIDE;
    } else {
        result->refused = HOST_NOT_UNDERSTOOD;
    }
    return KASLR_RANDOM;
}

/* splitmix64's finaliser: every input bit reaches every output bit. */
static uint64_t mix(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

/* CPUID.1:ECX bit 30 (RDRAND) and CPUID.7.0:EBX bit 18 (RDSEED). */
static void hardware_sources(bool *rdrand, bool *rdseed)
{
    uint32_t a = 0, b, c = 0, d;
    __asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
    uint32_t max_leaf = a;
    a = 1, c = 0;
    __asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
    *rdrand = (c >> 30) & 1;
    *rdseed = false;
    if (max_leaf >= 7) {
        a = 7, c = 0;
        __asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
        *rdseed = (b >> 18) & 1;
    }
}

/* The kernel's order (kernel/cpu_random.c): RDRAND, else RDSEED, each
 * retried as Intel advises; always mixed with the time stamp counter, which
 * on its own (neither instruction: the fallback) still differs from boot
 * to boot by the firmware's and the host's timing. */
static uint64_t entropy(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    uint64_t r = mix((uint64_t)hi << 32 | lo);
    bool rdrand, rdseed;
    hardware_sources(&rdrand, &rdseed);
    bool got = false;
    for (int tries = 0; rdrand && !got && tries < 10; tries++) {
        uint64_t v;
        __asm__ volatile("rdrand %0" : "=r"(v), "=@ccc"(got));
        if (got) r = mix(r ^ v);
    }
    for (int tries = 0; rdseed && !got && tries < 10; tries++) {
        uint64_t v;
        __asm__ volatile("rdseed %0" : "=r"(v), "=@ccc"(got));
        if (got) r = mix(r ^ v);
        else __asm__ volatile("pause");
    }
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return mix(r ^ ((uint64_t)hi << 32 | lo));
}

static void apply_relocations(const struct kreloc_header *h, uint64_t slide)
{
    const uint32_t *at = (const uint32_t *)(h + 1);
    for (uint32_t i = 0; i < h->count64; i++) *(uint64_t *)(uintptr_t)at[i] += slide;
    /* 32-bit fields: adding the low half is enough. A kernel address stays
     * in the top 2 GiB (KASLR_VA_LIMIT); a folded `sym - base` (a physical
     * address the code will take the slide off again) stays below 2 GiB. */
    for (uint32_t i = 0; i < h->count32; i++) *(uint32_t *)(uintptr_t)at[h->count64 + i] += (uint32_t)slide;
}

/* Map physical [start, end) at KASLR_LINK_BASE + slide + physical, with 4
 * KiB pages, through pdpt_high's last two entries (the top 2 GiB). */
static void map_image(uint64_t *pdpt_high, uint64_t start, uint64_t end, uint64_t slide)
{
    uint64_t *pd = &kernel_pd[0][0], *pt = &kernel_pt[0][0];
    for (size_t i = 0; i < 2 * 512; i++) pd[i] = 0;
    for (size_t i = 0; i < KASLR_BOOT_PTS * 512; i++) pt[i] = 0;
    uint64_t first_table = (slide + start) / PAGE_TABLE_SPAN;
    uint64_t last_table = first_table;
    for (uint64_t pa = start & ~(PAGE - 1); pa < end; pa += PAGE) {
        uint64_t off = slide + pa; /* from KASLR_LINK_BASE */
        last_table = off / PAGE_TABLE_SPAN;
        kernel_pt[last_table - first_table][(off / PAGE) % 512] = pa | PTE_PRESENT_WRITE;
    }
    for (uint64_t t = first_table; t <= last_table; t++)
        pd[t] = (uint64_t)(uintptr_t)kernel_pt[t - first_table] | PTE_PRESENT_WRITE;
    pdpt_high[510] = (uint64_t)(uintptr_t)kernel_pd[0] | PTE_PRESENT_WRITE;
    pdpt_high[511] = (uint64_t)(uintptr_t)kernel_pd[1] | PTE_PRESENT_WRITE;
}

/* image_start/end: the physical extent of the part linked at
 * KASLR_LINK_BASE (everything after the boot segment, bss included). */
void kaslr_boot(uint64_t *pdpt_high, const struct kreloc_header *table, uint64_t image_start, uint64_t image_end,
                struct kaslr_result *result)
{
    uint64_t host_slide = 0;
    result->refused = HOST_FOLLOWED;
    int setting = switch_setting(&host_slide, result);
    uint64_t slide = 0, slots = 1;
    /* pass1/pass2 of the build carry an empty table without the magic: they
     * are never booted, but would run unmoved. */
    if (setting != KASLR_OFF && table->magic == KRELOC_MAGIC) {
        /* The slides: every KASLR_ALIGN multiple that keeps the image's end
         * at or below KASLR_VA_LIMIT. cli/kaslr_slide.c picks from the same. */
        uint64_t room = KASLR_VA_LIMIT - KASLR_LINK_BASE - image_end;
        slots = room / KASLR_ALIGN + 1;
        if (setting == KASLR_HOST_SLIDE && host_slide % KASLR_ALIGN) result->refused = HOST_UNALIGNED;
        else if (setting == KASLR_HOST_SLIDE && host_slide > room) result->refused = HOST_TOO_FAR;
        slide = setting == KASLR_HOST_SLIDE && !result->refused ? host_slide : entropy() % slots * KASLR_ALIGN;
        apply_relocations(table, slide);
    }
    map_image(pdpt_high, image_start, image_end, slide);
    result->slide = slide;
    result->report = setting == KASLR_REPORT;
    result->slots = slots;
}
