/* The virtio_mmio.device= command-line parser (platform/virtio_mmio_cmdline.c):
 * what QEMU 7.2's microvm writes, Linux's other accepted spellings, and bad
 * words, which must give a reason and never stop the scan. The parser is a
 * kernel file outside the host library, so it is compiled in here. */
#include "../../platform/virtio_mmio_cmdline.c"
#include <stdio.h>
#include <string.h>

#include "check.h"

#define MAX_WORDS 16

struct scan {
    int n;
    struct virtio_mmio_word w[MAX_WORDS];
};

static struct scan scan_len(const char *cmdline, size_t len)
{
    struct scan s = {0};
    size_t pos = 0;
    while (s.n < MAX_WORDS && virtio_mmio_cmdline_next(cmdline, len, &pos, &s.w[s.n])) s.n++;
    return s;
}

static struct scan scan(const char *cmdline) { return scan_len(cmdline, strlen(cmdline)); }

static void check_entry(const struct virtio_mmio_word *w, uint64_t base, uint64_t size, uint32_t irq, int line)
{
    CHECK(w->error == NULL, "line %d: unexpected error %s for %.*s", line, w->error, (int)w->len, w->text);
    CHECK(w->entry.base == base && w->entry.size == size && w->entry.irq == irq,
          "line %d: got %#llx size %#llx irq %u", line, (unsigned long long)w->entry.base,
          (unsigned long long)w->entry.size, w->entry.irq);
}

static void check_bad(const char *cmdline, const char *why)
{
    struct scan s = scan(cmdline);
    CHECK(s.n == 1, "%s: %d words", cmdline, s.n);
    CHECK(s.n == 1 && s.w[0].error && strstr(s.w[0].error, why), "%s: error %s, want %s", cmdline,
          s.n ? s.w[0].error : "-", why);
}

int main(void)
{
    /* Exactly what QEMU 7.2 microvm (acpi=off) passes for a root disk and two
     * volumes: a leading space, the first -device at the highest transport. */
    struct scan s = scan(" virtio_mmio.device=512@0xfeb00e00:12 virtio_mmio.device=512@0xfeb00c00:11"
                         " virtio_mmio.device=512@0xfeb00a00:10");
    CHECK(s.n == 3, "three entries, got %d", s.n);
    check_entry(&s.w[0], 0xfeb00e00, 512, 12, __LINE__);
    check_entry(&s.w[1], 0xfeb00c00, 512, 11, __LINE__);
    check_entry(&s.w[2], 0xfeb00a00, 512, 10, __LINE__);
    CHECK(s.w[0].len == strlen("virtio_mmio.device=512@0xfeb00e00:12") && s.w[0].text[0] == 'v', "word text");

    /* Other parameters around them are skipped; an empty line has none. */
    s = scan("console=ttyS0 root=/dev/vda virtio_mmio.device=4K@0xd0000000:5:3\tquiet\n");
    CHECK(s.n == 1, "one entry among others, got %d", s.n);
    check_entry(&s.w[0], 0xd0000000, 4096, 5, __LINE__);
    CHECK(scan("").n == 0 && scan("   ").n == 0 && scan("virtio_mmio.devices=1").n == 0, "no entries");
    CHECK(scan("xvirtio_mmio.device=512@0x1000:1").n == 0, "the name must start a word");

    /* Linux's spellings: '-' for '_', size suffixes, decimal base. */
    s = scan("virtio-mmio.device=1M@4096:40 virtio_mmio.device=0x200@0x1000:0 virtio_mmio.device=1g@0x100000000:7");
    CHECK(s.n == 3, "three spellings, got %d", s.n);
    check_entry(&s.w[0], 4096, 1 << 20, 40, __LINE__);
    check_entry(&s.w[1], 0x1000, 0x200, 0, __LINE__);
    check_entry(&s.w[2], 0x100000000ull, 1ull << 30, 7, __LINE__);

    /* A NUL ends the line even if the length says more. */
    const char with_nul[] = "virtio_mmio.device=512@0x1000:1\0virtio_mmio.device=512@0x2000:2";
    CHECK(scan_len(with_nul, sizeof with_nul - 1).n == 1, "stops at NUL");

    /* Bad words: one reason each. */
    check_bad("virtio_mmio.device=", "size");
    check_bad("virtio_mmio.device=abc@0x1000:1", "size is not a number");
    check_bad("virtio_mmio.device=512", "expected SIZE@BASE:IRQ");
    check_bad("virtio_mmio.device=512@", "base address");
    check_bad("virtio_mmio.device=512@0x:1", "base address");
    check_bad("virtio_mmio.device=512@0x1000", "expected SIZE@BASE:IRQ");
    check_bad("virtio_mmio.device=512@0x1000:", "irq");
    check_bad("virtio_mmio.device=512@0x1000:0x5", "unexpected characters");
    check_bad("virtio_mmio.device=512@0x1000:5x", "unexpected characters");
    check_bad("virtio_mmio.device=512@0x1000:5:", "device id");
    check_bad("virtio_mmio.device=512@0x1000:4294967296", "irq out of range");
    check_bad("virtio_mmio.device=16@0x1000:5", "smaller than");
    check_bad("virtio_mmio.device=512@0:5", "is 0");
    check_bad("virtio_mmio.device=512@0x1002:5", "aligned");
    check_bad("virtio_mmio.device=0x1000@0xfffffffffffff000:5", "wraps");
    check_bad("virtio_mmio.device=512@0x10000000000000000:5", "base address is not a number");
    check_bad("virtio_mmio.device=99999999999999999999@0x1000:5", "size is not a number");
    check_bad("virtio_mmio.device=0x40000000000G@0x1000:5", "size is not a number");

    /* A bad word does not hide the good ones after it. */
    s = scan("virtio_mmio.device=junk virtio_mmio.device=512@0xfeb00000:5");
    CHECK(s.n == 2 && s.w[0].error && !s.w[1].error, "scan continues after a bad word");
    if (s.n == 2) check_entry(&s.w[1], 0xfeb00000, 512, 5, __LINE__);

    return check_report("test_virtio_mmio_cmdline");
}
