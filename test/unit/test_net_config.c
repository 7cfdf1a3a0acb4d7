/* net/net_config.c: the settings text the host checks and the kernel reads
 * at boot. Good forms land in the struct; every bad one is refused with a
 * one-line reason that names its line. */
#include "../../net/net_config.h"
#include "check.h"

#include <string.h>

static struct net_config cfg;
static char err[256];

static int parse(const char *text) { return net_config_parse(text, &cfg, err, sizeof err); }

static int addr_is(const struct net_addr *a, int family, const uint8_t *bytes, size_t n)
{
    return a->family == family && memcmp(a->bytes, bytes, n) == 0;
}

/* text must be refused, with a message starting with want (e.g. "line 2:")
 * and holding frag. */
static void bad(const char *text, const char *want, const char *frag, int line)
{
    int rc = parse(text);
    CHECK(rc == -22, "line %d: '%s' accepted (rc %d)", line, text, rc);
    CHECK(strncmp(err, want, strlen(want)) == 0 && strstr(err, frag) && !strchr(err, '\n'),
          "line %d: '%s': message '%s', want '%s...%s'", line, text, err, want, frag);
}
#define BAD(text, want, frag) bad(text, want, frag, __LINE__)

int main(void)
{
    /* Nothing at all: DHCPv4 and nothing else. */
    CHECK(parse(NULL) == 0 && cfg.dhcp4 && !cfg.ip4.family && !cfg.ndns && !cfg.hostname[0], "NULL: %s", err);
    CHECK(parse("") == 0 && cfg.dhcp4, "empty: %s", err);
    CHECK(parse("# only a comment\n\n   \n") == 0 && cfg.dhcp4, "comments: %s", err);
    CHECK(parse("dhcp\n") == 0 && cfg.dhcp4, "dhcp: %s", err);

    /* Everything static, in any order, with comments, tabs and CRLF. */
    int rc = parse("hostname web-1.example\r\n"
                   "dns 10.0.2.3   # QEMU's\n"
                   "\tgateway 10.0.2.2\n"
                   "ip 10.0.2.15/24\n"
                   "ip6 fd00::15/64\n"
                   "gateway6 fe80::1\n"
                   "dns 2001:db8::53");
    CHECK(rc == 0, "full config: %s", err);
    CHECK(!cfg.dhcp4, "static ip turns DHCP off");
    CHECK(addr_is(&cfg.ip4, 4, (const uint8_t[]){ 10, 0, 2, 15 }, 4) && cfg.prefix4 == 24, "ip");
    CHECK(addr_is(&cfg.gateway4, 4, (const uint8_t[]){ 10, 0, 2, 2 }, 4), "gateway");
    CHECK(addr_is(&cfg.ip6, 6, (const uint8_t[]){ 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x15 }, 16) &&
              cfg.prefix6 == 64, "ip6");
    CHECK(addr_is(&cfg.gateway6, 6, (const uint8_t[]){ 0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 }, 16),
          "gateway6");
    CHECK(cfg.ndns == 2 && addr_is(&cfg.dns[0], 4, (const uint8_t[]){ 10, 0, 2, 3 }, 4) &&
              addr_is(&cfg.dns[1], 6, (const uint8_t[]){ 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x53 }, 16),
          "dns");
    CHECK(strcmp(cfg.hostname, "web-1.example") == 0, "hostname '%s'", cfg.hostname);

    /* IPv6 spellings. */
    CHECK(parse("ip6 2001:db8:0:0:1:0:0:1/128") == 0 && cfg.prefix6 == 128, "full form: %s", err);
    CHECK(parse("ip6 ::ffff:10.0.2.15/96") == 0 && cfg.ip6.bytes[10] == 0xff && cfg.ip6.bytes[15] == 15,
          "v4 tail: %s", err);
    CHECK(parse("dns ::1") == 0 && cfg.dns[0].family == 6 && cfg.dns[0].bytes[15] == 1, "::1: %s", err);
    CHECK(parse("ip6 fd00:1::/48") == 0 && cfg.ip6.bytes[3] == 1, "trailing ::: %s", err);
    CHECK(parse("dns 8.8.8.8\ndns 1.1.1.1\ndns 9.9.9.9\ndns ::1") == 0 && cfg.ndns == 4, "four dns: %s", err);
    CHECK(parse("ip 192.168.1.10/32") == 0 && cfg.prefix4 == 32, "/32: %s", err);

    /* Bad input: one line each, naming the line and the culprit. */
    BAD("ipp 10.0.2.15/24", "line 1: unknown setting", "'ipp'");
    BAD("# c\nip 10.0.2.15", "line 2: want ADDR/PREFIX", "'10.0.2.15'");
    BAD("ip 10.0.2.300/24", "line 1: not an IPv4 address", "'10.0.2.300'");
    BAD("ip 10.0.2/24", "line 1: not an IPv4 address", "'10.0.2'");
    BAD("ip 010.0.2.15/24", "line 1: not an IPv4 address", "010.0.2.15");
    BAD("ip 10.0.2.15/33", "line 1: bad prefix length", "'10.0.2.15/33'");
    BAD("ip 10.0.2.15/0", "line 1: bad prefix length", "/0");
    BAD("ip 10.0.2.15/", "line 1: bad prefix length", "");
    BAD("ip 10.0.2.15/24x", "line 1: bad prefix length", "/24x");
    BAD("ip fd00::1/64", "line 1: not an IPv4 address", "fd00::1");
    BAD("ip 0.0.0.0/8", "line 1: not a usable host address", "0.0.0.0");
    BAD("ip 224.0.0.1/4", "line 1: not a usable host address", "224.0.0.1");
    BAD("ip 127.0.0.2/8", "line 1: not a usable host address", "127.0.0.2");
    BAD("ip", "line 1: missing value after", "'ip'");
    BAD("ip 10.0.2.15/24 extra", "line 1: unexpected", "'extra'");
    BAD("dhcp now", "line 1: unexpected", "'now'");
    BAD("ip 10.0.2.15/24\nip 10.0.2.16/24", "line 2: a second ip", "10.0.2.16");
    BAD("dhcp\nip 10.0.2.15/24", "line 2: dhcp and a static ip", "");
    BAD("ip 10.0.2.15/24\ndhcp", "line 2: dhcp and a static ip", "");
    BAD("ip6 fd00::1", "line 1: want ADDR/PREFIX", "fd00::1");
    BAD("ip6 fd00:::1/64", "line 1: not an IPv6 address", "fd00:::1");
    BAD("ip6 fd00::1::2/64", "line 1: not an IPv6 address", "fd00::1::2");
    BAD("ip6 1:2:3:4:5:6:7:8:9/64", "line 1: not an IPv6 address", "1:2:3:4:5:6:7:8:9");
    BAD("ip6 1:2:3:4:5:6:7/64", "line 1: not an IPv6 address", "1:2:3:4:5:6:7");
    BAD("ip6 :1::/64", "line 1: not an IPv6 address", ":1::");
    BAD("ip6 fd00:12345::1/64", "line 1: not an IPv6 address", "12345");
    BAD("ip6 fd00::1/129", "line 1: bad prefix length (want 1..128)", "/129");
    BAD("ip6 ::/64", "line 1: not a usable host address", "'::/64'");
    BAD("ip6 ff02::1/64", "line 1: not a usable host address", "ff02::1");
    BAD("gateway 10.0.2.2", "line 1: gateway needs a static ip", "");
    BAD("ip 10.0.2.15/24\n\ngateway 10.0.3.2", "line 3: gateway is outside the ip's subnet", "");
    BAD("gateway 10.0.2.15\nip 10.0.2.15/24", "line 1: gateway is the guest's own address", "");
    BAD("ip 10.0.2.15/24\ngateway fe80::1", "line 2: not an IPv4 address (gateway6 takes IPv6)", "fe80::1");
    BAD("gateway6 10.0.2.2", "line 1: not an IPv6 address", "10.0.2.2");
    BAD("dns 10.0.2", "line 1: not an IPv4 or IPv6 address", "'10.0.2'");
    BAD("dns 1.1.1.1\ndns 1.1.1.2\ndns 1.1.1.3\ndns 1.1.1.4\ndns 1.1.1.5", "line 5: too many dns servers", "1.1.1.5");
    BAD("hostname -web", "line 1: not a host name", "'-web'");
    BAD("hostname web_1", "line 1: not a host name", "web_1");
    BAD("hostname a..b", "line 1: not a host name", "a..b");
    BAD("hostname a\nhostname b", "line 2: a second hostname", "'b'");
    BAD("hostname aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "line 1: not a host name", "aaaa");
    /* An error leaves a message that fits the buffer and ends the line. */
    char small[16];
    CHECK(net_config_parse("bogus", &cfg, small, sizeof small) == -22 && strlen(small) == sizeof small - 1,
          "truncated message '%s'", small);
    return check_report("test_net_config");
}
