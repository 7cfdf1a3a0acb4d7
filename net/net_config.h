#ifndef PITH_NET_CONFIG_H
#define PITH_NET_CONFIG_H
/* The guest's network settings, as the user gave them (pith.json, the
 * manifest, `pith run --ip/--gateway/--netmask/--dns`). The host tool checks
 * them with the same parser the kernel uses, then stores the text in the
 * image's boot config; the kernel parses it again at boot. One definition of
 * the format for both sides: net/net_config.c (shared with the host library).
 *
 * Text form, one setting per line ('#' starts a comment):
 *   dhcp                     DHCPv4 (the default when no "ip" line is given)
 *   ip ADDR/PREFIX           a static IPv4 address, e.g. 10.0.2.15/24
 *   gateway ADDR             IPv4 default route
 *   ip6 ADDR/PREFIX          a static IPv6 address (link-local is always on)
 *   gateway6 ADDR            IPv6 default route
 *   dns ADDR                 a resolver, IPv4 or IPv6 (up to NET_CONFIG_MAX_DNS)
 *   hostname NAME
 */
#include "../klib/types.h"

#define NET_CONFIG_MAX_DNS 4
#define NET_CONFIG_HOSTNAME_MAX 64

struct net_addr {
    uint8_t family;          /* 0: unset, 4 or 6 */
    uint8_t bytes[16];       /* network order; IPv4 uses the first 4 */
};

struct net_config {
    bool dhcp4;              /* true unless a static IPv4 address was given */
    struct net_addr ip4;     uint8_t prefix4;
    struct net_addr gateway4;
    struct net_addr ip6;     uint8_t prefix6;
    struct net_addr gateway6;
    int ndns;
    struct net_addr dns[NET_CONFIG_MAX_DNS];
    char hostname[NET_CONFIG_HOSTNAME_MAX + 1];
};

/* Parse `text` (may be NULL or empty: DHCPv4, nothing else) into *out.
 * 0 on success; otherwise -EINVAL with a one-line reason naming the bad
 * line written to err (errlen bytes, NUL-terminated). */
int net_config_parse(const char *text, struct net_config *out, char *err, size_t errlen);

/* One line on its own (a blank or comment line passes): what
 * net_config_parse would say about it, leaving out the rules between lines
 * (a second ip, a gateway that needs an ip in its subnet). The message
 * calls it "line 1". For the host tool, which gets the settings one at a
 * time and wants to point at the bad one. */
int net_config_check_line(const char *line, char *err, size_t errlen);

#endif
