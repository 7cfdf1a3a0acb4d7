/* `pith run`/`pith build` networking: -p, --net, --ip, --netmask, --gateway,
 * --dns, --hostname, the same keys in pith.json, and what they become: the
 * network settings text stored in the image's boot config (net/net_config.h,
 * read by the kernel), the QEMU -netdev of a run, and the host-port check
 * before QEMU starts. docs/cli.md, "Networking".
 *
 * Addresses are image settings (`pith build` stores them); ports and the
 * kind of network are run-time settings (`pith run`, also with --image). */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "../net/net_config.h"

struct manifest;
struct json_value;

enum net_mode { NET_DEFAULT, NET_USER, NET_NONE, NET_TAP };

#define NET_MAX_PORTS 32

struct port_forward {
    char addr[16];      /* host address to bind, dotted IPv4 (default 127.0.0.1) */
    int host, guest;    /* ports */
    bool udp;
    char spec[64];      /* as given, for messages */
};

/* One address-like setting and where it came from (for messages). */
struct net_value {
    char text[72];      /* "" = not set */
    bool from_config;
};

struct net_opts {
    enum net_mode mode;
    bool mode_set;               /* --net given on the command line */
    char tap[16];                /* NET_TAP: the host interface (IFNAMSIZ) */
    struct port_forward ports[NET_MAX_PORTS];
    int nports;
    bool ports_set;              /* -p on the command line: the config's "ports" are not used */
    struct net_value ip, netmask, gateway, hostname;
    struct net_value dns[NET_CONFIG_MAX_DNS];
    int ndns;
    bool dns_set;                /* --dns on the command line: the config's "dns" are not used */
    /* Filled by net_opts_finish (or from an image's boot config): */
    char text[1024];             /* the settings text; "" = none */
    struct net_config parsed;    /* text, parsed */
};

/* argv[*i] is one of our options: consume it (and its value) and return 1;
 * 0 if it is not ours; -1 with err on a bad value. run: the command is `pith
 * run` (-p and --net are run-time options). */
int net_opts_parse_option(struct net_opts *n, bool run, int argc, char **argv, int *i, char *err, size_t errlen);
/* The options above, as typed, for "did you mean" (sets *count). */
const char *const *net_opts_option_names(bool run, size_t *count);

/* A pith.json key: 0 if it is not ours, 1 when taken, -1 with why (and *at:
 * the JSON value at fault). The command line wins (see struct fields). */
int net_opts_config_key(struct net_opts *n, bool run, const char *key, const struct json_value *v,
                        char *why, size_t whylen, const struct json_value **at);
#define NET_OPTS_CONFIG_KEYS "ports, net, ip, netmask, gateway, dns, hostname"

/* After the command line and the config are read: check the settings
 * together and build the text. image: `pith run --image` (the addresses
 * come from the image, not from options). 0, or -1 with err. */
int net_opts_finish(struct net_opts *n, bool image, char *err, size_t errlen);

/* `pith run --image`: take the settings the image was built with. */
void net_opts_from_image(struct net_opts *n, const char *text);

/* Into the manifest: the settings text, and /etc/resolv.conf, /etc/hostname
 * and /etc/hosts when --dns or --hostname say what they hold (unless -f/-d
 * supply them). Call before guest_etc_add. 0, or a `pith:` line printed and
 * the exit status 2. */
int net_opts_fill_manifest(const struct net_opts *n, struct manifest *m, const char *workdir);

/* The QEMU -netdev value for this run ("user,id=net0,hostfwd=..."), or 0
 * when the guest gets no network card. -1 if it does not fit. */
int net_opts_netdev(const struct net_opts *n, char *out, size_t outlen);

/* Before QEMU starts: every forwarded host port must be free. 0, or a
 * `pith: -p SPEC: ...` line printed and the exit status 2. */
int net_opts_check_ports(const struct net_opts *n);
