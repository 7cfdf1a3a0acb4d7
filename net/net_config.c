/* The parser for net_config.h's text form. Freestanding (no libc), because
 * the kernel parses the same text at boot that the host tool checked when it
 * wrote the image: one reading of the format on both sides. */
#include "net_config.h"

#include "../klib/errno.h"
#include "../klib/format.h"
#include "../klib/string.h"

#define LINE_MAX_TOKENS 3

struct token {
    const char *s;
    size_t len;
};

static bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

static bool token_is(const struct token *t, const char *word)
{
    size_t n = strlen(word);
    return t->len == n && memcmp(t->s, word, n) == 0;
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Dotted quad, four decimal parts 0..255, no leading zeros (Linux's
 * inet_pton refuses "010" too: octal or decimal would be a guess). */
static bool parse_ipv4(const char *s, size_t len, uint8_t out[4])
{
    size_t i = 0;
    for (int part = 0; part < 4; part++) {
        if (part > 0) {
            if (i >= len || s[i] != '.') return false;
            i++;
        }
        size_t start = i;
        unsigned v = 0;
        while (i < len && s[i] >= '0' && s[i] <= '9' && i - start < 3) v = v * 10 + (unsigned)(s[i++] - '0');
        if (i == start || v > 255 || (i - start > 1 && s[start] == '0')) return false;
        out[part] = (uint8_t)v;
    }
    return i == len;
}

/* RFC 4291 text: eight groups of up to four hex digits, one "::" for a run
 * of zero groups, optionally a dotted quad as the last 32 bits. */
static bool parse_ipv6(const char *s, size_t len, uint8_t out[16])
{
    uint16_t groups[8];
    int n = 0, gap = -1;
    size_t i = 0;
    if (len >= 2 && s[0] == ':' && s[1] == ':') {
        gap = 0;
        i = 2;
    } else if (len >= 1 && s[0] == ':') {
        return false;
    }
    while (i < len) {
        if (n == 8) return false;
        size_t start = i;
        unsigned v = 0;
        int d;
        while (i < len && (d = hex_digit(s[i])) >= 0 && i - start < 4) {
            v = v * 16 + (unsigned)d;
            i++;
        }
        if (i < len && s[i] == '.') {   /* the IPv4 tail */
            uint8_t q[4];
            if (n > 6 || !parse_ipv4(s + start, len - start, q)) return false;
            groups[n++] = (uint16_t)(q[0] << 8 | q[1]);
            groups[n++] = (uint16_t)(q[2] << 8 | q[3]);
            i = len;
            break;
        }
        if (i == start) return false;
        groups[n++] = (uint16_t)v;
        if (i == len) break;
        if (s[i] != ':') return false;
        i++;
        if (i < len && s[i] == ':') {
            if (gap >= 0) return false;
            gap = n;
            i++;
        } else if (i == len) {
            return false;   /* a trailing single ':' */
        }
    }
    if (gap < 0 ? n != 8 : n > 7) return false;
    int zeros = 8 - n;
    for (int g = 0, k = 0; g < 8; g++) {
        uint16_t v = 0;
        if (gap >= 0 && g >= gap && g < gap + zeros) v = 0;
        else v = groups[k++];
        out[2 * g] = (uint8_t)(v >> 8);
        out[2 * g + 1] = (uint8_t)v;
    }
    return true;
}

static bool parse_addr(const struct token *t, struct net_addr *out)
{
    *out = (struct net_addr){ 0 };
    if (parse_ipv4(t->s, t->len, out->bytes)) {
        out->family = 4;
        return true;
    }
    if (parse_ipv6(t->s, t->len, out->bytes)) {
        out->family = 6;
        return true;
    }
    return false;
}

static bool parse_prefix(const char *s, size_t len, unsigned max, uint8_t *out)
{
    if (len == 0 || len > 3 || (len > 1 && s[0] == '0')) return false;
    unsigned v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') return false;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    if (v < 1 || v > max) return false;
    *out = (uint8_t)v;
    return true;
}

static bool ipv4_usable_host(const uint8_t b[4])
{
    return b[0] != 0 && b[0] != 127 && b[0] < 224;
}

static bool same_subnet4(const uint8_t a[4], const uint8_t b[4], unsigned prefix)
{
    uint32_t x = (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3];
    uint32_t y = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
    uint32_t mask = prefix >= 32 ? 0xffffffffu : ~(0xffffffffu >> prefix);
    return (x & mask) == (y & mask);
}

static bool ipv6_is_multicast_or_unspecified(const uint8_t b[16])
{
    if (b[0] == 0xff) return true;
    for (int i = 0; i < 16; i++)
        if (b[i]) return false;
    return true;
}

/* RFC 1123 host name: labels of letters, digits and '-', not starting or
 * ending with '-', separated by single dots. */
static bool valid_hostname(const struct token *t)
{
    if (t->len == 0 || t->len > NET_CONFIG_HOSTNAME_MAX) return false;
    size_t label = 0;
    for (size_t i = 0; i < t->len; i++) {
        char c = t->s[i];
        if (c == '.') {
            if (label == 0 || t->s[i - 1] == '-') return false;
            label = 0;
            continue;
        }
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
        if (!ok || (label == 0 && c == '-') || ++label > 63) return false;
    }
    return label > 0 && t->s[t->len - 1] != '-';
}

struct parse {
    struct net_config *cfg;
    char *err;
    size_t errlen;
    int line;
    bool seen_ip4, seen_ip6, seen_gw4, seen_gw6, seen_dhcp, seen_host;
    int gw4_line;
};

static int fail(struct parse *p, const char *what, const struct token *t)
{
    if (p->err && p->errlen) {
        if (t)
            format_sn(p->err, p->errlen, "line %d: %s '%.*s'", p->line, what, (int)MIN(t->len, (size_t)80), t->s);
        else
            format_sn(p->err, p->errlen, "line %d: %s", p->line, what);
    }
    return -EINVAL;
}

/* "ADDR/PREFIX" of the given family into addr and prefix. */
static int parse_cidr(struct parse *p, const struct token *t, int family, struct net_addr *addr, uint8_t *prefix)
{
    size_t slash = 0;
    while (slash < t->len && t->s[slash] != '/') slash++;
    struct token a = { t->s, slash };
    if (slash == t->len)
        return fail(p, family == 4 ? "want ADDR/PREFIX (e.g. 10.0.2.15/24), not" : "want ADDR/PREFIX (e.g. fd00::2/64), not", t);
    if (!parse_addr(&a, addr) || addr->family != family)
        return fail(p, family == 4 ? "not an IPv4 address:" : "not an IPv6 address:", &a);
    if (!parse_prefix(t->s + slash + 1, t->len - slash - 1, family == 4 ? 32 : 128, prefix))
        return fail(p, family == 4 ? "bad prefix length (want 1..32) in" : "bad prefix length (want 1..128) in", t);
    return 0;
}

static int one_line(struct parse *p, const struct token *tok, int n)
{
    struct net_config *c = p->cfg;
    const struct token *key = &tok[0], *arg = n > 1 ? &tok[1] : NULL;
    bool takes_arg = !token_is(key, "dhcp");
    if (!token_is(key, "dhcp") && !token_is(key, "ip") && !token_is(key, "gateway") && !token_is(key, "ip6") &&
        !token_is(key, "gateway6") && !token_is(key, "dns") && !token_is(key, "hostname"))
        return fail(p, "unknown setting (known: dhcp, ip, gateway, ip6, gateway6, dns, hostname):", key);
    if (takes_arg && !arg) return fail(p, "missing value after", key);
    if (n > (takes_arg ? 2 : 1)) return fail(p, "unexpected", &tok[takes_arg ? 2 : 1]);

    if (token_is(key, "dhcp")) {
        if (p->seen_ip4) return fail(p, "dhcp and a static ip exclude each other", NULL);
        p->seen_dhcp = true;
    } else if (token_is(key, "ip")) {
        if (p->seen_ip4) return fail(p, "a second ip", arg);
        if (p->seen_dhcp) return fail(p, "dhcp and a static ip exclude each other", NULL);
        int rc = parse_cidr(p, arg, 4, &c->ip4, &c->prefix4);
        if (rc) return rc;
        if (!ipv4_usable_host(c->ip4.bytes)) return fail(p, "not a usable host address:", arg);
        p->seen_ip4 = true;
        c->dhcp4 = false;
    } else if (token_is(key, "ip6")) {
        if (p->seen_ip6) return fail(p, "a second ip6", arg);
        int rc = parse_cidr(p, arg, 6, &c->ip6, &c->prefix6);
        if (rc) return rc;
        if (ipv6_is_multicast_or_unspecified(c->ip6.bytes)) return fail(p, "not a usable host address:", arg);
        p->seen_ip6 = true;
    } else if (token_is(key, "gateway")) {
        if (p->seen_gw4) return fail(p, "a second gateway", arg);
        if (!parse_addr(arg, &c->gateway4) || c->gateway4.family != 4)
            return fail(p, "not an IPv4 address (gateway6 takes IPv6):", arg);
        if (!ipv4_usable_host(c->gateway4.bytes)) return fail(p, "not a usable gateway address:", arg);
        p->seen_gw4 = true;
        p->gw4_line = p->line;
    } else if (token_is(key, "gateway6")) {
        if (p->seen_gw6) return fail(p, "a second gateway6", arg);
        if (!parse_addr(arg, &c->gateway6) || c->gateway6.family != 6) return fail(p, "not an IPv6 address:", arg);
        if (ipv6_is_multicast_or_unspecified(c->gateway6.bytes)) return fail(p, "not a usable gateway address:", arg);
        p->seen_gw6 = true;
    } else if (token_is(key, "dns")) {
        if (c->ndns == NET_CONFIG_MAX_DNS) return fail(p, "too many dns servers (at most 4):", arg);
        if (!parse_addr(arg, &c->dns[c->ndns])) return fail(p, "not an IPv4 or IPv6 address:", arg);
        c->ndns++;
    } else {   /* hostname */
        if (p->seen_host) return fail(p, "a second hostname", arg);
        if (!valid_hostname(arg))
            return fail(p, "not a host name (letters, digits, '-' and '.', at most 64 bytes):", arg);
        memcpy(c->hostname, arg->s, arg->len);
        c->hostname[arg->len] = 0;
        p->seen_host = true;
    }
    return 0;
}

/* Split one line (up to end) into tokens; '#' starts a comment. Returns the
 * count, at most LINE_MAX_TOKENS (more are reported by one_line as
 * "unexpected"). */
static int tokenize(const char *s, const char *end, struct token *tok)
{
    int n = 0;
    for (const char *q = s; q < end;) {
        if (is_blank(*q)) {
            q++;
            continue;
        }
        if (*q == '#') break;
        const char *start = q;
        while (q < end && !is_blank(*q) && *q != '#') q++;
        if (n == LINE_MAX_TOKENS) break;
        tok[n++] = (struct token){ start, (size_t)(q - start) };
    }
    return n;
}

int net_config_parse(const char *text, struct net_config *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    out->dhcp4 = true;
    if (err && errlen) err[0] = 0;
    struct parse p = { .cfg = out, .err = err, .errlen = errlen };
    const char *s = text ? text : "";
    while (*s) {
        p.line++;
        const char *end = s;
        while (*end && *end != '\n') end++;
        struct token tok[LINE_MAX_TOKENS];
        int n = tokenize(s, end, tok);
        if (n > 0) {
            int rc = one_line(&p, tok, n);
            if (rc) return rc;
        }
        s = *end ? end + 1 : end;
    }
    /* Checked at the end: the lines may come in any order. */
    if (p.seen_gw4) {
        p.line = p.gw4_line;
        if (!p.seen_ip4) return fail(&p, "gateway needs a static ip (with DHCP the server gives the route)", NULL);
        if (!same_subnet4(out->ip4.bytes, out->gateway4.bytes, out->prefix4))
            return fail(&p, "gateway is outside the ip's subnet", NULL);
        if (!memcmp(out->ip4.bytes, out->gateway4.bytes, 4)) return fail(&p, "gateway is the guest's own address", NULL);
    }
    return 0;
}

int net_config_check_line(const char *line, char *err, size_t errlen)
{
    struct net_config scratch;
    memset(&scratch, 0, sizeof scratch);
    if (err && errlen) err[0] = 0;
    struct parse p = { .cfg = &scratch, .err = err, .errlen = errlen, .line = 1 };
    const char *end = line;
    while (*end && *end != '\n') end++;
    if (*end) return fail(&p, "one setting per line", NULL);
    struct token tok[LINE_MAX_TOKENS];
    int n = tokenize(line, end, tok);
    return n ? one_line(&p, tok, n) : 0;
}
