/* cli/net_opts.c: -p and the address options as pith parses them, what the
 * image and QEMU get (the settings text, -netdev, the NIC per machine), the
 * host-port check, pith.json's keys, and the text landing in an image's boot
 * config through the image writer and back through the host's TFS reader. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli/args.h"
#include "cli/file_blockdev.h"
#include "cli/host_heap.h"
#include "cli/image.h"
#include "cli/manifest.h"
#include "cli/qemu.h"
#include "cli/net_tap_queues.h"
#include "fs/mbr.h"
#include "fs/tfs.h"

#include "check.h"

static char err[512];

static int parse(enum pith_command cmd, struct pith_args *a, const char *const *words)
{
    static char *argv[40];
    int argc = 0;
    for (; words[argc]; argc++)
        argv[argc] = (char *)words[argc];
    argv[argc] = NULL;
    err[0] = 0;
    return args_parse(cmd, argc, argv, a, err, sizeof err);
}

static const char *netdev_of(struct pith_args *a)
{
    static char buf[2048];
    int r = net_opts_netdev(&a->net, buf, sizeof buf);
    return r > 0 ? buf : r == 0 ? "(none)" : "(too long)";
}

#define RUN(...) ((const char *const[]){ "run", __VA_ARGS__, NULL })

static void good(void)
{
    struct pith_args a;
    CHECK(parse(CMD_RUN, &a, RUN("/p")) == 0 && !a.net.text[0] && !strcmp(netdev_of(&a), "(none)"),
          "no network option: no NIC (%s)", err);
    args_free(&a);

    CHECK(parse(CMD_RUN, &a, RUN("-p", "8080", "/p")) == 0, "-p 8080: %s", err);
    CHECK(!strcmp(netdev_of(&a), "user,id=net0,hostfwd=tcp:127.0.0.1:8080-:8080"), "-p 8080: %s", netdev_of(&a));
    CHECK(!a.net.text[0], "ports put nothing in the image");
    args_free(&a);

    CHECK(parse(CMD_RUN, &a, RUN("-p", "8080:80", "-p", "0.0.0.0:5353:53/udp", "-p", "9000/tcp", "/p", "-p", "x")) == 0,
          "several -p: %s", err);
    CHECK(!strcmp(netdev_of(&a), "user,id=net0,hostfwd=tcp:127.0.0.1:8080-:80,hostfwd=udp:0.0.0.0:5353-:53,"
                                 "hostfwd=tcp:127.0.0.1:9000-:9000"),
          "several -p: %s", netdev_of(&a));
    CHECK(a.prog_argc == 2, "-p after PROG is the program's");
    args_free(&a);

    CHECK(parse(CMD_RUN, &a, RUN("--ip", "192.168.7.20", "--netmask", "255.255.255.0", "--gateway=192.168.7.1",
                                 "--dns", "1.1.1.1", "--dns", "2001:db8::53", "--hostname", "web", "-p", "8080:80", "/p")) == 0,
          "addresses: %s", err);
    CHECK(!strcmp(a.net.text, "ip 192.168.7.20/24\ngateway 192.168.7.1\ndns 1.1.1.1\ndns 2001:db8::53\nhostname web\n"),
          "text: %s", a.net.text);
    CHECK(!strcmp(netdev_of(&a), "user,id=net0,net=192.168.7.0/24,host=192.168.7.1,hostname=web,"
                                 "hostfwd=tcp:127.0.0.1:8080-192.168.7.20:80"),
          "QEMU's network follows the static address: %s", netdev_of(&a));
    args_free(&a);

    CHECK(parse(CMD_RUN, &a, RUN("--ip", "fd00::5/64", "--gateway", "fd00::1", "/p")) == 0 &&
              !strcmp(a.net.text, "ip6 fd00::5/64\ngateway6 fd00::1\n") && !strcmp(netdev_of(&a), "user,id=net0"),
          "IPv6: %s / %s", err, a.net.text);
    args_free(&a);

    CHECK(parse(CMD_RUN, &a, RUN("--net", "tap:pith0", "--ip", "10.9.0.2/24", "/p")) == 0 &&
              !strcmp(netdev_of(&a), "tap,id=net0,ifname=pith0,script=no,downscript=no"),
          "tap: %s %s", err, netdev_of(&a));
    args_free(&a);

    CHECK(parse(CMD_RUN, &a, RUN("--net", "user", "/p")) == 0 && !strcmp(netdev_of(&a), "user,id=net0"),
          "--net user alone: a NIC, DHCP: %s", err);
    args_free(&a);
    CHECK(parse(CMD_RUN, &a, RUN("--net", "none", "--dns", "1.1.1.1", "/p")) == 0 && !strcmp(netdev_of(&a), "(none)"),
          "--net none: no NIC: %s", err);
    args_free(&a);

    /* The image's settings, for pith run --image. */
    CHECK(parse(CMD_RUN, &a, RUN("--image", "x.img", "-p", "8080")) == 0, "--image with -p: %s", err);
    net_opts_from_image(&a.net, "ip 10.0.2.20/24\ngateway 10.0.2.2\n");
    CHECK(!strcmp(netdev_of(&a), "user,id=net0,net=10.0.2.0/24,host=10.0.2.2,hostfwd=tcp:127.0.0.1:8080-10.0.2.20:8080"),
          "--image: %s", netdev_of(&a));
    args_free(&a);
    CHECK(parse(CMD_RUN, &a, RUN("--image", "x.img")) == 0, "--image: %s", err);
    net_opts_from_image(&a.net, "dhcp\n");
    CHECK(!strcmp(netdev_of(&a), "user,id=net0"), "an image with settings gets a NIC: %s", netdev_of(&a));
    args_free(&a);

    const char *const build[] = { "build", "-o", "x.img", "--ip", "10.0.2.15/24", "/p", NULL };
    CHECK(parse(CMD_BUILD, &a, build) == 0 && !strcmp(a.net.text, "ip 10.0.2.15/24\n"), "build --ip: %s", err);
    args_free(&a);
}

static void bad(enum pith_command cmd, const char *const *words, const char *want, int line)
{
    struct pith_args a;
    int rc = parse(cmd, &a, words);
    CHECK(rc != 0 && strstr(err, want) && !strchr(err, '\n'), "line %d: rc %d, '%s', want '%s'", line, rc, err, want);
    args_free(&a);
}
#define BAD(want, ...) bad(CMD_RUN, RUN(__VA_ARGS__), want, __LINE__)

static void bad_input(void)
{
    BAD("-p: expected [ADDR:]HOSTPORT[:GUESTPORT][/udp], not 'http/x'", "-p", "http/x", "/p");
    BAD("-p 80x: a port is a number 1..65535", "-p", "80x", "/p");
    BAD("-p 70000: a port is a number 1..65535", "-p", "70000", "/p");
    BAD("-p 0: a port is a number", "-p", "0", "/p");
    BAD("-p 8080:: a port is a number", "-p", "8080:", "/p");
    BAD("-p: expected", "-p", "1:2:3:4", "/p");
    BAD("-p: expected", "-p", "8080/sctp", "/p");
    BAD("-p localhost:80:80: 'localhost' is not an IPv4 address", "-p", "localhost:80:80", "/p");
    BAD("-p 8080:81: host port 8080/tcp is forwarded twice (also by -p 8080)", "-p", "8080", "-p", "8080:81", "/p");
    BAD("option -p needs a value", "-p");
    BAD("--net: expected user, none or tap:NAME, not 'bridge'", "--net", "bridge", "/p");
    BAD("--net tap:NAME: 'averyveryverylongname' is not an interface name", "--net", "tap:averyveryverylongname", "/p");
    BAD("-p 8080: forwarding needs a network (--net user), not --net none", "--net", "none", "-p", "8080", "/p");
    BAD("-p 8080: ports are forwarded through user networking", "--net", "tap:t0", "-p", "8080", "/p");
    BAD("--ip: not an IPv4 address: '10.0.2.300'", "--ip", "10.0.2.300/24", "/p");
    BAD("--ip: bad prefix length (want 1..32) in '10.0.2.15/40'", "--ip", "10.0.2.15/40", "/p");
    BAD("--ip: want ADDR/PREFIX (e.g. 10.0.2.15/24), or --netmask MASK", "--ip", "10.0.2.15", "/p");
    BAD("--ip: not an IPv6 address: 'fd00:::1'", "--ip", "fd00:::1/64", "/p");
    BAD("--netmask: '255.0.255.0' is not an IPv4 netmask", "--ip", "10.0.2.15", "--netmask", "255.0.255.0", "/p");
    BAD("--netmask: a netmask needs --ip ADDR", "--netmask", "255.255.255.0", "/p");
    BAD("--ip: --netmask goes with an IPv4 --ip ADDR without /PREFIX", "--ip", "10.0.2.15/24", "--netmask", "255.255.255.0", "/p");
    BAD("--gateway: gateway is outside the ip's subnet", "--ip", "10.0.2.15/24", "--gateway", "10.0.3.1", "/p");
    BAD("--gateway: gateway needs a static ip", "--gateway", "10.0.2.2", "/p");
    BAD("--gateway: not an IPv4 address", "--gateway", "10.0.2", "/p");
    BAD("--dns: not an IPv4 or IPv6 address: 'dns.google'", "--dns", "dns.google", "/p");
    BAD("--dns: at most 4 servers", "--dns", "1.1.1.1", "--dns", "1.1.1.2", "--dns", "1.1.1.3", "--dns", "1.1.1.4",
        "--dns", "1.1.1.5", "/p");
    BAD("--hostname: not a host name", "--hostname", "web_1", "/p");
    BAD("--image: addresses, dns and hostname are image settings", "--image", "x.img", "--ip", "10.0.2.15/24");
    /* -p and --net are pith run's: pith build does not take them. */
    bad(CMD_BUILD, (const char *const[]){ "build", "-o", "x", "-p", "8080", "/p", NULL }, "unknown option '-p'", __LINE__);
}

static int has_arg(const struct qemu_command *cmd, const char *want)
{
    for (int i = 0; i < cmd->argc; i++)
        if (strcmp(cmd->argv[i], want) == 0)
            return 1;
    return 0;
}

static void qemu_line(void)
{
    static struct qemu_command cmd;
    struct qemu_options o = { .qemu_binary = "qemu", .memory = "64M", .cpus = 1, .image_path = "/i",
                              .kernel_path = "/k", .control_path = "/c", .console_fd = 5,
                              .machine = MACHINE_MICROVM, .netdev = "user,id=net0,hostfwd=tcp:127.0.0.1:8080-:8080" };
    CHECK(qemu_build_command(&o, &cmd, err, sizeof err) == 0 && has_arg(&cmd, "-netdev") &&
              has_arg(&cmd, "user,id=net0,hostfwd=tcp:127.0.0.1:8080-:8080") && has_arg(&cmd, "virtio-net-device,netdev=net0"),
          "microvm: a virtio-mmio NIC");
    o.machine = MACHINE_Q35;
    CHECK(qemu_build_command(&o, &cmd, err, sizeof err) == 0 &&
              has_arg(&cmd, "virtio-net-pci,netdev=net0,disable-legacy=on,romfile="),
          "q35: a virtio-net-pci NIC");
    /* A tap with a queue pair per CPU (cli/net_tap_queues.h): q35 only. */
    o.netdev = "tap,id=net0,ifname=t0,script=no,downscript=no";
    o.cpus = 4;
    o.net_queues = 4;
    CHECK(qemu_build_command(&o, &cmd, err, sizeof err) == 0 &&
              has_arg(&cmd, "tap,id=net0,ifname=t0,script=no,downscript=no,queues=4") &&
              has_arg(&cmd, "virtio-net-pci,netdev=net0,disable-legacy=on,romfile=,mq=on,vectors=10"),
          "q35, tap, 4 queues: mq with 2N+2 vectors");
    o.machine = MACHINE_MICROVM;
    CHECK(qemu_build_command(&o, &cmd, err, sizeof err) == 0 &&
              has_arg(&cmd, "tap,id=net0,ifname=t0,script=no,downscript=no") && has_arg(&cmd, "virtio-net-device,netdev=net0"),
          "microvm: one queue (one interrupt line)");
    CHECK(net_tap_queues_for(-1, 4) == 4 && net_tap_queues_for(0x1102, 4) == 4 && net_tap_queues_for(0x1102, 64) == 8 &&
              net_tap_queues_for(0x1002, 4) == 1 && net_tap_queues_for(-1, 1) == 1,
          "queues: a new or multi_queue tap takes one per CPU (at most 8), a single-queue tap one");
    o.netdev = NULL;
    CHECK(qemu_build_command(&o, &cmd, err, sizeof err) == 0 && !has_arg(&cmd, "-netdev"), "no netdev, no NIC");
}

static void port_check(void)
{
    /* A listener on a free port: -p with that port must be refused before QEMU. */
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET };
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof sa;
    CHECK(s >= 0 && bind(s, (struct sockaddr *)&sa, sizeof sa) == 0 && listen(s, 1) == 0 &&
              getsockname(s, (struct sockaddr *)&sa, &len) == 0,
          "a listener");
    char spec[16];
    snprintf(spec, sizeof spec, "%d", ntohs(sa.sin_port));
    struct pith_args a;
    CHECK(parse(CMD_RUN, &a, RUN("-p", spec, "/p")) == 0, "parse: %s", err);
    fflush(stdout);
    /* The message goes to stderr; only the status is checked here (test/bad checks the line). */
    int saved = dup(2), devnull = open("/dev/null", 1);
    dup2(devnull, 2);
    int rc = net_opts_check_ports(&a.net);
    dup2(saved, 2);
    close(saved);
    close(devnull);
    CHECK(rc == 2, "a taken port is refused (%d)", rc);
    close(s);
    CHECK(net_opts_check_ports(&a.net) == 0, "the same port once free passes");
    args_free(&a);
    /* Two -p that overlap through 0.0.0.0 are refused by the parser already. */
    bad(CMD_RUN, RUN("-p", "0.0.0.0:9999:1", "-p", "9999:2", "/p"), "forwarded twice", __LINE__);
    /* UDP and TCP on one number are different ports. */
    CHECK(parse(CMD_RUN, &a, RUN("-p", spec, "-p", strcat(strcpy((char[24]){ 0 }, spec), "/udp"), "/p")) == 0 &&
              net_opts_check_ports(&a.net) == 0,
          "tcp and udp on one number: %s", err);
    args_free(&a);
}

static void config_file(const char *dir)
{
    char path[256], prog[256];
    snprintf(path, sizeof path, "%s/pith.json", dir);
    snprintf(prog, sizeof prog, "%s/p", dir);
    FILE *f = fopen(path, "w");
    fputs("{\"ports\": [\"8080:80\", \"53/udp\"], \"net\": \"user\", \"ip\": \"10.0.2.30/24\",\n"
          " \"gateway\": \"10.0.2.2\", \"dns\": [\"10.0.2.3\"], \"hostname\": \"cfg\"}\n", f);
    fclose(f);
    struct pith_args a;
    CHECK(parse(CMD_RUN, &a, RUN(prog)) == 0, "config: %s", err);
    CHECK(!strcmp(a.net.text, "ip 10.0.2.30/24\ngateway 10.0.2.2\ndns 10.0.2.3\nhostname cfg\n"), "config text: %s", a.net.text);
    CHECK(!strcmp(netdev_of(&a), "user,id=net0,net=10.0.2.0/24,host=10.0.2.2,hostname=cfg,"
                                 "hostfwd=tcp:127.0.0.1:8080-10.0.2.30:80,hostfwd=udp:127.0.0.1:53-10.0.2.30:53"),
          "config netdev: %s", netdev_of(&a));
    args_free(&a);
    /* The command line wins: its -p and --dns replace the config's lists, --ip its ip. */
    CHECK(parse(CMD_RUN, &a, RUN("-p", "9090", "--dns", "1.1.1.1", "--ip", "10.0.2.31/24", prog)) == 0, "override: %s", err);
    CHECK(!strcmp(a.net.text, "ip 10.0.2.31/24\ngateway 10.0.2.2\ndns 1.1.1.1\nhostname cfg\n"), "override text: %s", a.net.text);
    CHECK(a.net.nports == 1 && a.net.ports[0].host == 9090, "override ports");
    args_free(&a);
    /* Bad values are named with their place in the file. */
    f = fopen(path, "w");
    fputs("{\n  \"ip\": \"10.0.2.300/24\"\n}\n", f);
    fclose(f);
    CHECK(parse(CMD_RUN, &a, RUN(prog)) != 0 && strstr(err, "pith.json:2:9: \"ip\": not an IPv4 address: '10.0.2.300'"),
          "config bad ip: %s", err);
    args_free(&a);
    f = fopen(path, "w");
    fputs("{\"ports\": [\"8080\", 8081]}\n", f);
    fclose(f);
    CHECK(parse(CMD_RUN, &a, RUN(prog)) != 0 && strstr(err, "pith.json:1:20: \"ports\" must be a string"), "config bad port: %s", err);
    args_free(&a);
    f = fopen(path, "w");
    fputs("{\"ip\": \"10.0.2.15/24\", \"gateway\": \"10.9.9.9\"}\n", f);
    fclose(f);
    CHECK(parse(CMD_RUN, &a, RUN(prog)) != 0 && !strcmp(err, "\"gateway\": gateway is outside the ip's subnet"),
          "config cross check: %s", err);
    args_free(&a);
    unlink(path);
}

/* pith build's path: the text into the manifest, the image written, the
 * boot config read back by the host's TFS reader (as the kernel reads it). */
static void image_round_trip(const char *dir)
{
    char image[256], prog[256];
    snprintf(image, sizeof image, "%s/net.img", dir);
    snprintf(prog, sizeof prog, "%s/p", dir);
    FILE *f = fopen(prog, "w");
    fputs("not really a program", f);
    fclose(f);
    struct pith_args a;
    CHECK(parse(CMD_RUN, &a, RUN("--ip", "10.0.2.40/24", "--gateway", "10.0.2.2", "--dns", "10.0.2.3", "--hostname", "img", prog)) == 0,
          "parse: %s", err);
    struct manifest *m = manifest_new(host_heap());
    CHECK(manifest_set_program(m, "/p", err, sizeof err) == 0 && manifest_add_file(m, "/p", prog, 0755, err, sizeof err) == 0,
          "manifest: %s", err);
    CHECK(net_opts_fill_manifest(&a.net, m, dir) == 0, "fill");
    static const unsigned char blob[512];
    struct boot_blobs boot = { .stage1 = blob, .stage1_len = 446, .stage2 = blob, .stage2_len = 512,
                               .kernel = blob, .kernel_len = 512 };
    CHECK(image_write(image, &boot, m, err, sizeof err) == 0, "image_write: %s", err);
    manifest_free(m);
    struct file_blockdev fb;
    struct part_blockdev part;
    struct tfs *fs = NULL;
    CHECK(file_blockdev_open(&fb, image, false) == 0 &&
              mbr_open_partition(&fb.dev, MBR_TYPE_TFS, &part, err, sizeof err) == 0 &&
              tfs_mount(host_heap(), &part.dev, &fs, err, sizeof err) == 0,
          "mount: %s", err);
    if (fs) {
        const struct tfs_config *c = tfs_config(fs);
        CHECK(c && c->net && !strcmp(c->net, "ip 10.0.2.40/24\ngateway 10.0.2.2\ndns 10.0.2.3\nhostname img\n"),
              "the boot config holds the text: %s", c && c->net ? c->net : "(null)");
        struct tfs_node *n;
        char buf[64] = "";
        CHECK(tfs_resolve(fs, NULL, "/etc/resolv.conf", true, &n) == 0 && tfs_read(fs, n, 0, buf, sizeof buf - 1) > 0 &&
                  !strcmp(buf, "nameserver 10.0.2.3\n"),
              "resolv.conf from --dns: %s", buf);
        memset(buf, 0, sizeof buf);
        CHECK(tfs_resolve(fs, NULL, "/etc/hostname", true, &n) == 0 && tfs_read(fs, n, 0, buf, sizeof buf - 1) > 0 &&
                  !strcmp(buf, "img\n"),
              "hostname from --hostname: %s", buf);
        tfs_unmount(fs);
    }
    file_blockdev_close(&fb);
    args_free(&a);
    unlink(image);
    unlink(prog);
    char gen[300];
    snprintf(gen, sizeof gen, "%s/guest_etc_resolv.conf", dir);
    unlink(gen);
    snprintf(gen, sizeof gen, "%s/guest_etc_hostname", dir);
    unlink(gen);
    snprintf(gen, sizeof gen, "%s/guest_etc_hosts", dir);
    unlink(gen);
}

int main(void)
{
    char dir[] = "/tmp/test_net_opts.XXXXXX";
    if (!mkdtemp(dir)) {
        printf("FAIL: mkdtemp\n");
        return 1;
    }
    good();
    bad_input();
    qemu_line();
    port_check();
    config_file(dir);
    image_round_trip(dir);
    if (rmdir(dir) != 0)
        printf("FAIL: %s left files behind\n", dir);
    return check_report("test_net_opts");
}
