#include "virtio_mmio_cmdline.h"

static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

static bool has_prefix(const char *s, size_t len, const char *prefix, size_t *plen)
{
    size_t n = 0;
    while (prefix[n]) n++;
    if (len < n) return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] != prefix[i]) return false;
    *plen = n;
    return true;
}

static int digit_value(char c, unsigned radix)
{
    int v = -1;
    if (c >= '0' && c <= '9') v = c - '0';
    else if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
    return v >= 0 && (unsigned)v < radix ? v : -1;
}

/* An unsigned number: hex after "0x", otherwise decimal. Returns the
 * characters consumed, 0 when there is no number or it overflows. */
static size_t parse_number(const char *s, size_t len, bool allow_hex, uint64_t *out)
{
    size_t i = 0;
    unsigned radix = 10;
    if (allow_hex && len >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        radix = 16;
        i = 2;
    }
    size_t first = i;
    uint64_t v = 0;
    for (int d; i < len && (d = digit_value(s[i], radix)) >= 0; i++) {
        if (v > (UINT64_MAX - (uint64_t)d) / radix) return 0;
        v = v * radix + (uint64_t)d;
    }
    if (i == first) return 0;
    *out = v;
    return i;
}

/* SIZE may carry a binary suffix, as Linux's memparse accepts (QEMU writes
 * plain 512, but a hand-written command line may say 4K). */
static size_t parse_size(const char *s, size_t len, uint64_t *out)
{
    size_t n = parse_number(s, len, true, out);
    if (n == 0 || n == len) return n;
    unsigned shift = 0;
    switch (s[n]) {
    case 'k': case 'K': shift = 10; break;
    case 'm': case 'M': shift = 20; break;
    case 'g': case 'G': shift = 30; break;
    default: return n;
    }
    if (*out > (UINT64_MAX >> shift)) return 0;
    *out <<= shift;
    return n + 1;
}

/* SIZE@BASE:IRQ[:ID]; returns NULL or why the value is unusable. */
static const char *parse_value(const char *s, size_t len, struct virtio_mmio_entry *e)
{
    uint64_t size, base, irq, id;
    size_t i = parse_size(s, len, &size);
    if (i == 0) return "size is not a number";
    if (i == len || s[i] != '@') return "expected SIZE@BASE:IRQ";
    i++;
    size_t n = parse_number(s + i, len - i, true, &base);
    if (n == 0) return "base address is not a number";
    i += n;
    if (i == len || s[i] != ':') return "expected SIZE@BASE:IRQ";
    i++;
    n = parse_number(s + i, len - i, false, &irq);
    if (n == 0) return "irq is not a decimal number";
    i += n;
    if (i < len && s[i] == ':') {
        /* Linux's optional platform device id; nothing here needs it. */
        i++;
        n = parse_number(s + i, len - i, false, &id);
        if (n == 0) return "device id is not a decimal number";
        i += n;
    }
    if (i != len) return "unexpected characters after the irq";
    if (size < VIRTIO_MMIO_REGS_SIZE) return "size is smaller than the 256-byte register block";
    if (base == 0) return "base address is 0";
    if (base & 3) return "base address is not 4-byte aligned";
    if (base + size < base) return "window wraps around the address space";
    if (irq > UINT32_MAX) return "irq out of range";
    *e = (struct virtio_mmio_entry){base, size, (uint32_t)irq};
    return NULL;
}

bool virtio_mmio_cmdline_next(const char *cmdline, size_t len, size_t *pos, struct virtio_mmio_word *w)
{
    /* A NUL ends the command line even when the caller's length is larger. */
    for (size_t i = 0; i < len; i++)
        if (cmdline[i] == 0) {
            len = i;
            break;
        }
    size_t i = *pos;
    while (i < len) {
        while (i < len && is_space(cmdline[i])) i++;
        size_t start = i;
        while (i < len && !is_space(cmdline[i])) i++;
        const char *word = cmdline + start;
        size_t wlen = i - start, plen;
        /* Linux treats '-' and '_' in parameter names alike. */
        if (!has_prefix(word, wlen, "virtio_mmio.device=", &plen) &&
            !has_prefix(word, wlen, "virtio-mmio.device=", &plen))
            continue;
        *pos = i;
        *w = (struct virtio_mmio_word){.text = word, .len = wlen};
        w->error = parse_value(word + plen, wlen - plen, &w->entry);
        return true;
    }
    *pos = len;
    return false;
}
