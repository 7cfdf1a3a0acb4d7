/* The loopback interface as programs find it: getifaddrs (netlink's
 * RTM_GETLINK and RTM_GETADDR dumps), if_nametoindex/if_indextoname, and
 * the SIOCGIF* ioctls; then netlink bad input and sendfile from a file to
 * a socket. Only "lo" is printed, so the same static binary prints the
 * same lines on Linux whatever other interfaces the host has. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>
#include "checks.h"

/* Netlink's structures, spelled out: musl ships no <linux/...> headers. */
struct nl_hdr {
    uint32_t len;
    uint16_t type, flags;
    uint32_t seq, pid;
};
struct nl_addr {
    sa_family_t family;
    unsigned short pad;
    uint32_t pid, groups;
};
struct nl_ifinfo {
    unsigned char family, pad;
    unsigned short type;
    int index;
    unsigned flags, change;
};
#define NETLINK_ROUTE 0
#define RTM_GETLINK 18
#define RTM_GETRULE 34
#define NLM_F_REQUEST 1
#define NLM_F_ACK 4
#define NL_DATA(h) ((void *)((char *)(h) + 16))

/* `netif all`: every interface, for the network tests (not compared with the host's). */
static void show_all(void)
{
    struct ifaddrs *list;
    CHECK(getifaddrs(&list) == 0);
    for (struct ifaddrs *i = list; i; i = i->ifa_next) {
        if (!i->ifa_addr) continue;
        char text[64] = "", mask[64] = "";
        int fam = i->ifa_addr->sa_family;
        if (fam == AF_INET) {
            inet_ntop(AF_INET, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, text, sizeof text);
            inet_ntop(AF_INET, &((struct sockaddr_in *)i->ifa_netmask)->sin_addr, mask, sizeof mask);
        } else if (fam == AF_INET6) {
            inet_ntop(AF_INET6, &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr, text, sizeof text);
        } else {
            strcpy(text, "link");
        }
        printf("ifaddr %s family %d flags 0x%x %s %s index %u\n", i->ifa_name, fam, i->ifa_flags, text, mask,
               if_nametoindex(i->ifa_name));
    }
    freeifaddrs(list);
    int s = socket(AF_UNIX, SOCK_DGRAM, 0);
    struct ifreq reqs[16];
    struct ifconf c = { .ifc_len = sizeof reqs, .ifc_req = reqs };
    CHECK(ioctl(s, SIOCGIFCONF, &c) == 0);
    for (int k = 0; k < c.ifc_len / (int)sizeof(struct ifreq); k++) {
        char text[32];
        inet_ntop(AF_INET, &((struct sockaddr_in *)&reqs[k].ifr_addr)->sin_addr, text, sizeof text);
        struct ifreq r = { 0 };
        strcpy(r.ifr_name, reqs[k].ifr_name);
        CHECK(ioctl(s, SIOCGIFMTU, &r) == 0);
        int mtu = r.ifr_mtu;
        CHECK(ioctl(s, SIOCGIFHWADDR, &r) == 0);
        unsigned char *m = (unsigned char *)r.ifr_hwaddr.sa_data;
        printf("ifconf %s %s mtu %d hw %02x:%02x:%02x:%02x:%02x:%02x\n", reqs[k].ifr_name, text, mtu, m[0], m[1], m[2],
               m[3], m[4], m[5]);
    }
    close(s);
}

static void show_getifaddrs(void)
{
    struct ifaddrs *list;
    CHECK(getifaddrs(&list) == 0);
    int v4 = 0, v6 = 0;
    for (struct ifaddrs *i = list; i; i = i->ifa_next) {
        if (strcmp(i->ifa_name, "lo") || !i->ifa_addr) continue;
        char text[64] = "";
        char mask[64] = "";
        int fam = i->ifa_addr->sa_family;
        if (fam == AF_INET) {
            inet_ntop(AF_INET, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, text, sizeof text);
            inet_ntop(AF_INET, &((struct sockaddr_in *)i->ifa_netmask)->sin_addr, mask, sizeof mask);
            v4++;
        } else if (fam == AF_INET6) {
            inet_ntop(AF_INET6, &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr, text, sizeof text);
            inet_ntop(AF_INET6, &((struct sockaddr_in6 *)i->ifa_netmask)->sin6_addr, mask, sizeof mask);
            v6++;
        } else if (fam == AF_PACKET) {
            strcpy(text, "link");
        }
        printf("getifaddrs: lo family %d flags 0x%x addr %s mask %s\n", fam, i->ifa_flags, text, mask);
    }
    freeifaddrs(list);
    printf("getifaddrs: lo has %d IPv4 and %d IPv6 addresses\n", v4, v6);
}

static void ioctls(void)
{
    int s = socket(AF_UNIX, SOCK_DGRAM, 0);
    struct ifreq r;
    memset(&r, 0, sizeof r);
    strcpy(r.ifr_name, "lo");
    CHECK(ioctl(s, SIOCGIFFLAGS, &r) == 0);
    int flags = r.ifr_flags & 0xffff;
    CHECK(ioctl(s, SIOCGIFMTU, &r) == 0);
    int mtu = r.ifr_mtu;
    CHECK(ioctl(s, SIOCGIFINDEX, &r) == 0);
    int index = r.ifr_ifindex;
    /* The IPv4 address ioctls belong to AF_INET sockets only. */
    FAILS(ioctl(s, SIOCGIFADDR, &r), ENOTTY);
    FAILS(ioctl(s, SIOCGIFNETMASK, &r), ENOTTY);
    CHECK(ioctl(s, SIOCGIFHWADDR, &r) == 0);
    int hwfam = r.ifr_hwaddr.sa_family;
    printf("ioctl: lo flags 0x%x mtu %d index %d hw family %d\n", flags, mtu, index, hwfam);
    /* On an AF_INET socket they answer. */
    int in = socket(AF_INET, SOCK_DGRAM, 0);
    strcpy(r.ifr_name, "lo");
    CHECK(ioctl(in, SIOCGIFADDR, &r) == 0);
    char addr[32];
    inet_ntop(AF_INET, &((struct sockaddr_in *)&r.ifr_addr)->sin_addr, addr, sizeof addr);
    CHECK(ioctl(in, SIOCGIFNETMASK, &r) == 0);
    char mask[32];
    inet_ntop(AF_INET, &((struct sockaddr_in *)&r.ifr_netmask)->sin_addr, mask, sizeof mask);
    printf("ioctl: on AF_INET, lo addr %s mask %s\n", addr, mask);
    close(in);
    r.ifr_ifindex = index;
    memset(r.ifr_name, 0, sizeof r.ifr_name);
    CHECK(ioctl(s, SIOCGIFNAME, &r) == 0);
    printf("ioctl: index %d is '%s'; if_nametoindex %u, if_indextoname '%s'\n", index, r.ifr_name,
           if_nametoindex("lo"), if_indextoname(index, (char[IF_NAMESIZE]){ 0 }));
    strcpy(r.ifr_name, "nosuch0");
    FAILS(ioctl(s, SIOCGIFFLAGS, &r), ENODEV);
    FAILS(ioctl(s, SIOCGIFFLAGS, (void *)16), EFAULT);
    r.ifr_ifindex = 9999;
    FAILS(ioctl(s, SIOCGIFNAME, &r), ENODEV);
    /* SIOCGIFCONF: the size needed, then the entries; lo is one of them. */
    struct ifconf c = { .ifc_len = 0, .ifc_buf = NULL };
    CHECK(ioctl(s, SIOCGIFCONF, &c) == 0 && c.ifc_len > 0 && c.ifc_len % (int)sizeof(struct ifreq) == 0);
    struct ifreq reqs[16];
    c.ifc_len = sizeof reqs;
    c.ifc_req = reqs;
    CHECK(ioctl(s, SIOCGIFCONF, &c) == 0);
    int lo = 0;
    for (int k = 0; k < c.ifc_len / (int)sizeof(struct ifreq); k++)
        if (!strcmp(reqs[k].ifr_name, "lo")) lo++;
    /* No room: nothing written, length 0. */
    c.ifc_len = 10;
    CHECK(ioctl(s, SIOCGIFCONF, &c) == 0);
    printf("ioctl: SIOCGIFCONF lists lo %d time(s); with 10 bytes of room, %d\n", lo, c.ifc_len);
    close(s);
}

static void netlink_bad(void)
{
    FAILS(socket(AF_NETLINK, SOCK_STREAM, NETLINK_ROUTE), ESOCKTNOSUPPORT);
    FAILS(socket(AF_NETLINK, SOCK_RAW, 99), EPROTONOSUPPORT);
    int s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    CHECK(s >= 0);
    struct nl_addr a = { .family = AF_NETLINK };
    FAILS(bind(s, (struct sockaddr *)&a, 4), EINVAL);
    struct nl_addr wrong = { .family = AF_INET };
    FAILS(bind(s, (struct sockaddr *)&wrong, sizeof wrong), EINVAL);
    CHECK(bind(s, (struct sockaddr *)&a, sizeof a) == 0);
    socklen_t len = sizeof a;
    CHECK(getsockname(s, (struct sockaddr *)&a, &len) == 0);
    printf("netlink: bound, len %u, port is pid %d\n", (unsigned)len, a.pid == (unsigned)getpid());
    /* An unknown request: an NLMSG_ERROR carrying -EOPNOTSUPP and our sequence number. */
    struct {
        struct nl_hdr h;
        unsigned char family, pad[3];
    } req = { { sizeof req, RTM_GETRULE + 100, NLM_F_REQUEST, 42, 0 }, AF_UNSPEC, { 0 } };
    CHECK(send(s, &req, sizeof req, 0) == sizeof req);
    char buf[4096];
    ssize_t n = recv(s, buf, sizeof buf, 0);
    struct nl_hdr *h = (struct nl_hdr *)buf;
    int *e = NL_DATA(h);
    printf("netlink: unknown request: %d type %d seq %u error %d\n", n > 0, h->type, h->seq, *e);
    /* A link by index. */
    struct {
        struct nl_hdr h;
        struct nl_ifinfo i;
    } one = { { sizeof one, RTM_GETLINK, NLM_F_REQUEST | NLM_F_ACK, 43, 0 }, { .index = 1 } };
    CHECK(send(s, &one, sizeof one, 0) == sizeof one);
    n = recv(s, buf, sizeof buf, 0);
    struct nl_ifinfo *i = NL_DATA(h);
    printf("netlink: link 1: type %d index %d loopback %d\n", h->type, i->index, (i->flags & IFF_LOOPBACK) != 0);
    n = recv(s, buf, sizeof buf, 0);
    printf("netlink: then ack type %d error %d\n", h->type, *(int *)NL_DATA(h));
    one.i.index = 9999;
    CHECK(send(s, &one, sizeof one, 0) == sizeof one);
    n = recv(s, buf, sizeof buf, 0);
    printf("netlink: link 9999: type %d error %d\n", h->type, *(int *)NL_DATA(h));
    FAILS(recv(s, buf, sizeof buf, MSG_DONTWAIT), EAGAIN);
    FAILS(send(s, (void *)16, 32, 0), EFAULT);
    close(s);
}

static void sendfile_to_socket(void)
{
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    int f = open("/proc/self/exe", O_RDONLY);
    off_t off = 1;
    ssize_t n = sendfile(sv[0], f, &off, 3);
    char buf[4] = { 0 };
    CHECK(read(sv[1], buf, sizeof buf) == 3);
    printf("sendfile: %zd bytes '%s', offset now %lld\n", n, buf, (long long)off);
    close(f);
    close(sv[0]);
    close(sv[1]);
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc > 1 && !strcmp(argv[1], "all")) {
        show_all();
        return failures != 0;
    }
    show_getifaddrs();
    ioctls();
    netlink_bad();
    sendfile_to_socket();
    printf("netif: %s\n", failures ? "FAILED" : "all checks passed");
    return failures != 0;
}
