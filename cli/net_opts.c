/* The settings are checked twice on the host: each value on its own when it
 * is read (so a bad one is named with its option or its place in pith.json),
 * then the whole text with the kernel's parser (net/net_config.c), which
 * also knows the rules between settings (a gateway inside the ip's subnet). */
#define _GNU_SOURCE
#include "net_opts.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "args.h"
#include "guest_etc.h"
#include "json.h"
#include "manifest.h"

static const char *const run_names[] = { "-p", "--net", "--ip", "--netmask", "--gateway", "--dns", "--hostname" };

const char *const *net_opts_option_names(bool run, size_t *count)
{
    /* Without -p and --net for `pith build`: the list's tail. */
    *count = run ? sizeof run_names / sizeof run_names[0] : sizeof run_names / sizeof run_names[0] - 2;
    return run ? run_names : run_names + 2;
}

static int parse_port(const char *s, size_t len, int *out)
{
    if (len == 0 || len > 5 || s[0] == '0')
        return -1;
    int v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    if (v < 1 || v > 65535)
        return -1;
    *out = v;
    return 0;
}

/* [ADDR:]HOSTPORT[:GUESTPORT][/tcp|/udp] */
static int parse_port_spec(const char *spec, struct port_forward *p, char *err, size_t errlen)
{
    memset(p, 0, sizeof *p);
    snprintf(p->spec, sizeof p->spec, "%s", spec);
    char buf[128];
    if (strlen(spec) >= sizeof buf)
        goto bad;
    strcpy(buf, spec);
    char *slash = strchr(buf, '/');
    if (slash) {
        if (strcmp(slash, "/udp") == 0)
            p->udp = true;
        else if (strcmp(slash, "/tcp") != 0)
            goto bad;
        *slash = '\0';
    }
    char *part[4];
    int n = 0;
    for (char *s = buf;; s++) {
        part[n++] = s;
        s = strchr(s, ':');
        if (!s)
            break;
        if (n == 3)
            goto bad;
        *s = '\0';
    }
    const char *addr = n == 3 ? part[0] : "127.0.0.1";
    const char *host = n == 3 ? part[1] : part[0];
    const char *guest = n == 1 ? part[0] : part[n - 1];
    struct in_addr a;
    if (n == 3 && inet_pton(AF_INET, addr, &a) != 1) {
        snprintf(err, errlen, "-p %s: '%s' is not an IPv4 address to listen on", spec, addr);
        return -1;
    }
    if (parse_port(host, strlen(host), &p->host) != 0 || parse_port(guest, strlen(guest), &p->guest) != 0) {
        snprintf(err, errlen, "-p %s: a port is a number 1..65535", spec);
        return -1;
    }
    snprintf(p->addr, sizeof p->addr, "%s", addr);
    return 0;
bad:
    snprintf(err, errlen, "-p: expected [ADDR:]HOSTPORT[:GUESTPORT][/udp], not '%s'", spec);
    return -1;
}

static int add_port(struct net_opts *n, const char *spec, char *err, size_t errlen)
{
    struct port_forward p;
    if (parse_port_spec(spec, &p, err, errlen) != 0)
        return -1;
    for (int i = 0; i < n->nports; i++) {
        const struct port_forward *q = &n->ports[i];
        if (q->host == p.host && q->udp == p.udp &&
            (!strcmp(q->addr, p.addr) || !strcmp(q->addr, "0.0.0.0") || !strcmp(p.addr, "0.0.0.0"))) {
            snprintf(err, errlen, "-p %s: host port %d/%s is forwarded twice (also by -p %s)", spec, p.host,
                     p.udp ? "udp" : "tcp", q->spec);
            return -1;
        }
    }
    if (n->nports == NET_MAX_PORTS) {
        snprintf(err, errlen, "-p %s: at most %d forwarded ports", spec, NET_MAX_PORTS);
        return -1;
    }
    n->ports[n->nports++] = p;
    return 0;
}

static int parse_mode(struct net_opts *n, const char *v, char *err, size_t errlen)
{
    if (strcmp(v, "user") == 0) {
        n->mode = NET_USER;
    } else if (strcmp(v, "none") == 0) {
        n->mode = NET_NONE;
    } else if (strncmp(v, "tap:", 4) == 0) {
        const char *name = v + 4;
        /* IFNAMSIZ, and what QEMU's comma-separated options can carry. */
        if (!*name || strlen(name) >= sizeof n->tap || strpbrk(name, ",/ \t=:")) {
            snprintf(err, errlen, "--net tap:NAME: '%s' is not an interface name (1..15 characters)", name);
            return -1;
        }
        n->mode = NET_TAP;
        snprintf(n->tap, sizeof n->tap, "%s", name);
    } else {
        snprintf(err, errlen, "--net: expected user, none or tap:NAME, not '%s'", v);
        return -1;
    }
    return 0;
}

/* One setting checked on its own with the kernel's parser ("ip 10.0.2.15/24").
 * what names it in the message ("--ip"). */
static int check_setting(const char *keyword, const char *value, const char *what, char *err, size_t errlen)
{
    char line[128], why[300];
    if (!*value || strlen(value) >= 72 || strpbrk(value, " \t\n#")) {
        snprintf(err, errlen, "%s: '%s' is not a valid value", what, value);
        return -1;
    }
    snprintf(line, sizeof line, "%s %s", keyword, value);
    if (net_config_check_line(line, why, sizeof why) == 0)
        return 0;
    const char *reason = strncmp(why, "line 1: ", 8) == 0 ? why + 8 : why;
    snprintf(err, errlen, "%s: %s", what, reason);
    return -1;
}

static bool is_ipv6(const char *s) { return strchr(s, ':') != NULL; }

/* --ip takes ADDR/PREFIX, or ADDR alone when --netmask comes too: the
 * prefix is checked once both are known (net_opts_finish). */
static int check_ip(const char *v, const char *what, char *err, size_t errlen)
{
    if (strchr(v, '/'))
        return check_setting(is_ipv6(v) ? "ip6" : "ip", v, what, err, errlen);
    char with[96];
    snprintf(with, sizeof with, "%.72s/%d", v, is_ipv6(v) ? 64 : 24);
    return check_setting(is_ipv6(v) ? "ip6" : "ip", with, what, err, errlen);
}

/* A dotted IPv4 netmask: contiguous ones. Returns the prefix or -1. */
static int mask_prefix(const char *v)
{
    struct in_addr a;
    if (inet_pton(AF_INET, v, &a) != 1)
        return -1;
    uint32_t m = ntohl(a.s_addr);
    if (m == 0 || (~m & (~m + 1)) != 0)
        return -1;
    int p = 0;
    while (m & 0x80000000u) {
        p++;
        m <<= 1;
    }
    return p;
}

static int set_value(struct net_value *nv, const char *v, bool from_config, char *err, size_t errlen, const char *what)
{
    if (strlen(v) >= sizeof nv->text) {
        snprintf(err, errlen, "%s: '%s' is too long", what, v);
        return -1;
    }
    snprintf(nv->text, sizeof nv->text, "%s", v);
    nv->from_config = from_config;
    return 0;
}

/* The checks one value gets wherever it comes from. key: the setting's
 * name ("ip"); what: how the message names it. */
static int check_value(const char *key, const char *v, const char *what, char *err, size_t errlen)
{
    if (!strcmp(key, "ip"))
        return check_ip(v, what, err, errlen);
    if (!strcmp(key, "netmask")) {
        if (mask_prefix(v) < 0) {
            snprintf(err, errlen, "%s: '%s' is not an IPv4 netmask such as 255.255.255.0", what, v);
            return -1;
        }
        return 0;
    }
    if (!strcmp(key, "gateway"))
        return check_setting(is_ipv6(v) ? "gateway6" : "gateway", v, what, err, errlen);
    if (!strcmp(key, "dns"))
        return check_setting("dns", v, what, err, errlen);
    return check_setting("hostname", v, what, err, errlen);
}

static struct net_value *scalar(struct net_opts *n, const char *key)
{
    if (!strcmp(key, "ip")) return &n->ip;
    if (!strcmp(key, "netmask")) return &n->netmask;
    if (!strcmp(key, "gateway")) return &n->gateway;
    if (!strcmp(key, "hostname")) return &n->hostname;
    return NULL;
}

int net_opts_parse_option(struct net_opts *n, bool run, int argc, char **argv, int *i, char *err, size_t errlen)
{
    const char *v;
    int r;
    if (run && (r = args_take_value(argc, argv, i, "-p", &v, err, errlen)) != 0) {
        if (r < 0 || add_port(n, v, err, errlen) != 0)
            return -1;
        n->ports_set = true;
        return 1;
    }
    if (run && (r = args_take_value(argc, argv, i, "--net", &v, err, errlen)) != 0) {
        if (r < 0 || parse_mode(n, v, err, errlen) != 0)
            return -1;
        n->mode_set = true;
        return 1;
    }
    if ((r = args_take_value(argc, argv, i, "--dns", &v, err, errlen)) != 0) {
        if (r < 0 || check_value("dns", v, "--dns", err, errlen) != 0)
            return -1;
        if (n->ndns == NET_CONFIG_MAX_DNS) {
            snprintf(err, errlen, "--dns: at most %d servers", NET_CONFIG_MAX_DNS);
            return -1;
        }
        set_value(&n->dns[n->ndns++], v, false, err, errlen, "--dns");
        n->dns_set = true;
        return 1;
    }
    static const char *const keys[] = { "ip", "netmask", "gateway", "hostname" };
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        char name[16];
        snprintf(name, sizeof name, "--%s", keys[k]);
        if ((r = args_take_value(argc, argv, i, name, &v, err, errlen)) != 0) {
            if (r < 0 || check_value(keys[k], v, name, err, errlen) != 0)
                return -1;
            return set_value(scalar(n, keys[k]), v, false, err, errlen, name) == 0 ? 1 : -1;
        }
    }
    return 0;
}

static int want_string(const struct json_value *v, const char *key, char *why, size_t whylen)
{
    if (v->type == JSON_STRING)
        return 0;
    snprintf(why, whylen, "\"%s\" must be a string", key);
    return -1;
}

int net_opts_config_key(struct net_opts *n, bool run, const char *key, const struct json_value *v,
                        char *why, size_t whylen, const struct json_value **at)
{
    char what[32];
    snprintf(what, sizeof what, "\"%s\"", key);
    *at = v;
    if (!strcmp(key, "ports") || !strcmp(key, "dns")) {
        bool ports = key[0] == 'p';
        if (v->type != JSON_ARRAY) {
            snprintf(why, whylen, "\"%s\" must be an array of strings", key);
            return -1;
        }
        struct net_opts scratch;   /* checked whole first, used only if the command line gave none */
        memset(&scratch, 0, sizeof scratch);
        for (size_t i = 0; i < v->n; i++) {
            const struct json_value *item = &v->items[i];
            *at = item;
            if (want_string(item, key, why, whylen) != 0)
                return -1;
            if (ports && add_port(&scratch, item->text, why, whylen) != 0)
                return -1;
            if (!ports) {
                if (check_value("dns", item->text, "\"dns\"", why, whylen) != 0)
                    return -1;
                if (scratch.ndns == NET_CONFIG_MAX_DNS) {
                    snprintf(why, whylen, "\"dns\": at most %d servers", NET_CONFIG_MAX_DNS);
                    return -1;
                }
                set_value(&scratch.dns[scratch.ndns++], item->text, true, why, whylen, what);
            }
        }
        if (ports && run && !n->ports_set) {
            memcpy(n->ports, scratch.ports, sizeof n->ports);
            n->nports = scratch.nports;
        }
        if (!ports && !n->dns_set) {
            memcpy(n->dns, scratch.dns, sizeof n->dns);
            n->ndns = scratch.ndns;
        }
        return 1;
    }
    if (!strcmp(key, "net")) {
        struct net_opts scratch;
        memset(&scratch, 0, sizeof scratch);
        if (want_string(v, key, why, whylen) != 0 || parse_mode(&scratch, v->text, why, whylen) != 0)
            return -1;
        if (run && !n->mode_set) {
            n->mode = scratch.mode;
            memcpy(n->tap, scratch.tap, sizeof n->tap);
        }
        return 1;
    }
    struct net_value *nv = scalar(n, key);
    if (!nv)
        return 0;
    if (want_string(v, key, why, whylen) != 0 || check_value(key, v->text, what, why, whylen) != 0)
        return -1;
    if (!nv->text[0] && set_value(nv, v->text, true, why, whylen, what) != 0)
        return -1;
    return 1;
}

static const char *name_of(const struct net_value *nv, const char *key, char *buf, size_t len)
{
    snprintf(buf, len, nv->from_config ? "\"%s\"" : "--%s", key);
    return buf;
}

/* The text, one line per setting; origin[k] names the option of line k+1
 * (pointing into namebuf). */
static int build_text(struct net_opts *n, const char *origin[16], char namebuf[4][32], char *err, size_t errlen)
{
    char ip[96];
    int lines = 0;
    size_t used = 0;
    n->text[0] = '\0';
#define LINE(who, ...)                                                                              \
    do {                                                                                            \
        int w_ = snprintf(n->text + used, sizeof n->text - used, __VA_ARGS__);                      \
        if (w_ < 0 || (size_t)w_ >= sizeof n->text - used) {                                        \
            snprintf(err, errlen, "network settings too long");                                     \
            return -1;                                                                              \
        }                                                                                           \
        used += (size_t)w_;                                                                         \
        origin[lines++] = (who);                                                                    \
    } while (0)
    if (n->ip.text[0]) {
        const char *who = name_of(&n->ip, "ip", namebuf[0], 32);
        bool v6 = is_ipv6(n->ip.text);
        if (n->netmask.text[0]) {
            if (v6 || strchr(n->ip.text, '/')) {
                snprintf(err, errlen, "%s: --netmask goes with an IPv4 --ip ADDR without /PREFIX", who);
                return -1;
            }
            snprintf(ip, sizeof ip, "%s/%d", n->ip.text, mask_prefix(n->netmask.text));
        } else if (!strchr(n->ip.text, '/')) {
            snprintf(err, errlen, "%s: want ADDR/PREFIX (e.g. %s/%d), or --netmask MASK", who, n->ip.text, v6 ? 64 : 24);
            return -1;
        } else {
            snprintf(ip, sizeof ip, "%s", n->ip.text);
        }
        LINE(who, "%s %s\n", v6 ? "ip6" : "ip", ip);
    } else if (n->netmask.text[0]) {
        snprintf(err, errlen, "%s: a netmask needs --ip ADDR", name_of(&n->netmask, "netmask", namebuf[1], 32));
        return -1;
    }
    if (n->gateway.text[0])
        LINE(name_of(&n->gateway, "gateway", namebuf[2], 32), "%s %s\n",
             is_ipv6(n->gateway.text) ? "gateway6" : "gateway", n->gateway.text);
    for (int i = 0; i < n->ndns; i++)
        LINE(n->dns[i].from_config ? "\"dns\"" : "--dns", "dns %s\n", n->dns[i].text);
    if (n->hostname.text[0])
        LINE(name_of(&n->hostname, "hostname", namebuf[3], 32), "hostname %s\n", n->hostname.text);
#undef LINE
    return lines;
}

int net_opts_finish(struct net_opts *n, bool image, char *err, size_t errlen)
{
    if (n->nports && n->mode == NET_NONE) {
        snprintf(err, errlen, "-p %s: forwarding needs a network (--net user), not --net none", n->ports[0].spec);
        return -1;
    }
    if (n->nports && n->mode == NET_TAP) {
        snprintf(err, errlen, "-p %s: ports are forwarded through user networking; with --net tap:%s the guest has an address of its own",
                 n->ports[0].spec, n->tap);
        return -1;
    }
    bool any = n->ip.text[0] || n->netmask.text[0] || n->gateway.text[0] || n->hostname.text[0] || n->ndns;
    if (image) {
        if (any) {
            snprintf(err, errlen, "--image: addresses, dns and hostname are image settings (given to 'pith build'); ports and --net are the run's");
            return -1;
        }
        return 0;   /* the image's own text comes with net_opts_from_image */
    }
    const char *origin[16];
    char namebuf[4][32];
    int lines = build_text(n, origin, namebuf, err, errlen);
    if (lines < 0)
        return -1;
    char why[300];
    if (net_config_parse(n->text, &n->parsed, why, sizeof why) != 0) {
        int line = 0, at = 0;
        if (sscanf(why, "line %d: %n", &line, &at) >= 1 && at > 0 && line >= 1 && line <= lines)
            snprintf(err, errlen, "%s: %s", origin[line - 1], why + at);
        else
            snprintf(err, errlen, "network settings: %s", why);
        return -1;
    }
    return 0;
}

void net_opts_from_image(struct net_opts *n, const char *text)
{
    char why[300];
    if (!text || strlen(text) >= sizeof n->text || net_config_parse(text, &n->parsed, why, sizeof why) != 0)
        return;   /* the kernel refuses such an image with its own message */
    snprintf(n->text, sizeof n->text, "%s", text);
}

static int complain(const char *culprit, const char *reason)
{
    fprintf(stderr, "pith: %s: %s\n", culprit, reason);
    return 2;
}

static int add_etc(struct manifest *m, const char *workdir, const char *guest, const char *text)
{
    char why[600];
    if (guest_etc_add_file(m, workdir, guest, text, strlen(text), why, sizeof why) != 0) {
        fprintf(stderr, "pith: %s\n", why);
        return 2;
    }
    return 0;
}

static void format_addr(const struct net_addr *a, char *out, size_t len)
{
    inet_ntop(a->family == 6 ? AF_INET6 : AF_INET, a->bytes, out, (socklen_t)len);
}

int net_opts_fill_manifest(const struct net_opts *n, struct manifest *m, const char *workdir)
{
    if (!n->text[0])
        return 0;
    char why[400];
    if (manifest_set_net(m, n->text, why, sizeof why) != 0)
        return complain("network settings", why);
    const struct net_config *c = &n->parsed;
    int rc = 0;
    if (c->ndns) {
        char resolv[512] = "", addr[64];
        for (int i = 0; i < c->ndns; i++) {
            format_addr(&c->dns[i], addr, sizeof addr);
            snprintf(resolv + strlen(resolv), sizeof resolv - strlen(resolv), "nameserver %s\n", addr);
        }
        rc = add_etc(m, workdir, "/etc/resolv.conf", resolv);
    }
    if (!rc && c->hostname[0]) {
        char hostname[96], hosts[256];
        snprintf(hostname, sizeof hostname, "%s\n", c->hostname);
        snprintf(hosts, sizeof hosts, "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\t%s\n",
                 c->hostname);
        rc = add_etc(m, workdir, "/etc/hostname", hostname);
        if (!rc)
            rc = add_etc(m, workdir, "/etc/hosts", hosts);
    }
    return rc;
}

static bool wants_nic(const struct net_opts *n)
{
    if (n->mode == NET_NONE)
        return false;
    return n->mode != NET_DEFAULT || n->nports > 0 || n->text[0];
}

int net_opts_netdev(const struct net_opts *n, char *out, size_t outlen)
{
    if (!wants_nic(n))
        return 0;
    size_t used = 0;
#define PUT(...)                                                                     \
    do {                                                                             \
        int w_ = snprintf(out + used, outlen - used, __VA_ARGS__);                   \
        if (w_ < 0 || (size_t)w_ >= outlen - used)                                   \
            return -1;                                                               \
        used += (size_t)w_;                                                          \
    } while (0)
    if (n->mode == NET_TAP) {
        /* script=no: pith configures nothing on the host; the interface is the user's. */
        PUT("tap,id=net0,ifname=%s,script=no,downscript=no", n->tap);
        return 1;
    }
    PUT("user,id=net0");
    const struct net_config *c = &n->parsed;
    char guest[INET_ADDRSTRLEN] = "";
    if (c->ip4.family == 4) {
        /* QEMU's own network follows the guest's static address: its subnet,
         * and the gateway as QEMU's side of it. */
        uint8_t net[4];
        uint32_t mask = c->prefix4 >= 32 ? 0xffffffffu : ~(0xffffffffu >> c->prefix4);
        for (int i = 0; i < 4; i++)
            net[i] = c->ip4.bytes[i] & (uint8_t)(mask >> (24 - 8 * i));
        PUT(",net=%u.%u.%u.%u/%u", net[0], net[1], net[2], net[3], c->prefix4);
        if (c->gateway4.family == 4)
            PUT(",host=%u.%u.%u.%u", c->gateway4.bytes[0], c->gateway4.bytes[1], c->gateway4.bytes[2],
                c->gateway4.bytes[3]);
        inet_ntop(AF_INET, c->ip4.bytes, guest, sizeof guest);
    }
    if (c->hostname[0])
        PUT(",hostname=%s", c->hostname);
    for (int i = 0; i < n->nports; i++) {
        const struct port_forward *p = &n->ports[i];
        PUT(",hostfwd=%s:%s:%d-%s:%d", p->udp ? "udp" : "tcp", p->addr, p->host, guest, p->guest);
    }
#undef PUT
    return 1;
}

int net_opts_check_ports(const struct net_opts *n)
{
    int fds[NET_MAX_PORTS], nfds = 0, rc = 0;
    /* All held open until the end, so two -p that overlap (0.0.0.0 and
     * 127.0.0.1) also collide here rather than in QEMU. */
    for (int i = 0; i < n->nports && rc == 0; i++) {
        const struct port_forward *p = &n->ports[i];
        int s = socket(AF_INET, (p->udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
        if (s < 0) {
            char culprit[80];
            snprintf(culprit, sizeof culprit, "-p %s", p->spec);
            rc = complain(culprit, strerror(errno));
            break;
        }
        fds[nfds++] = s;
        /* As QEMU's listener does: a connection of an earlier run lingering
         * in TIME_WAIT does not make the port busy, a listener does. */
        int one = 1;
        if (!p->udp)
            setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)p->host) };
        inet_pton(AF_INET, p->addr, &a.sin_addr);
        if (bind(s, (struct sockaddr *)&a, sizeof a) != 0 || (!p->udp && listen(s, 1) != 0)) {
            char culprit[80], reason[200];
            snprintf(culprit, sizeof culprit, "-p %s", p->spec);
            if (errno == EADDRINUSE)
                snprintf(reason, sizeof reason, "host port %s:%d/%s is already in use", p->addr, p->host,
                         p->udp ? "udp" : "tcp");
            else if (errno == EACCES)
                snprintf(reason, sizeof reason, "cannot listen on %s:%d/%s: %s (ports below 1024 need root)", p->addr,
                         p->host, p->udp ? "udp" : "tcp", strerror(errno));
            else
                snprintf(reason, sizeof reason, "cannot listen on %s:%d/%s: %s", p->addr, p->host,
                         p->udp ? "udp" : "tcp", strerror(errno));
            rc = complain(culprit, reason);
        }
    }
    for (int i = 0; i < nfds; i++)
        close(fds[i]);
    return rc;
}
