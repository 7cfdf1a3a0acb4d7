/* Volumes and --size on the host side: `pith volume create` (cli/volume.c),
 * reading a volume's uuid, --size/--mount parsing (cli/args.c) and the QEMU
 * command line that attaches volumes (cli/qemu.c). */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "cli/args.h"
#include "cli/qemu.h"
#include "cli/volume.h"

static int parse(enum pith_command cmd, struct pith_args *a, char *err, const char *const *words)
{
    static char *argv[32];
    int argc = 0;
    for (; words[argc]; argc++)
        argv[argc] = (char *)words[argc];
    argv[argc] = NULL;
    return args_parse(cmd, argc, argv, a, err, 256);
}

static int has_arg(const struct qemu_command *c, const char *s)
{
    for (int i = 0; i < c->argc; i++)
        if (strcmp(c->argv[i], s) == 0)
            return 1;
    return 0;
}

static void test_create(const char *dir)
{
    char v1[512], v2[512], err[512];
    snprintf(v1, sizeof v1, "%s/v1", dir);
    snprintf(v2, sizeof v2, "%s/v2", dir);
    CHECK(volume_create(v1, 8 << 20, err, sizeof err) == 0, "create: %s", err);
    CHECK(volume_create(v2, 8 << 20, err, sizeof err) == 0, "create: %s", err);
    struct stat st;
    CHECK(stat(v1, &st) == 0 && st.st_size == 8 << 20, "volume size");
    uint8_t u1[16], u2[16], zero[16] = { 0 };
    CHECK(volume_read_uuid(v1, u1, err, sizeof err) == 0, "uuid: %s", err);
    CHECK(volume_read_uuid(v2, u2, err, sizeof err) == 0, "uuid: %s", err);
    CHECK(memcmp(u1, u2, 16) != 0 && memcmp(u1, zero, 16) != 0, "two volumes, two random uuids");
    CHECK(volume_create(v1, 8 << 20, err, sizeof err) != 0 && strstr(err, "already exists"), "overwrite refused: %s", err);
    CHECK(stat(v1, &st) == 0 && st.st_size == 8 << 20, "the existing volume is untouched");
    char small[512];
    snprintf(small, sizeof small, "%s/small", dir);
    CHECK(volume_create(small, 1 << 20, err, sizeof err) != 0 && access(small, F_OK) != 0, "too small refused");
    CHECK(volume_read_uuid("/nonexistent/vol", u1, err, sizeof err) != 0 && strstr(err, "/nonexistent/vol"), "missing");
    CHECK(volume_read_uuid("/proc/self/exe", u1, err, sizeof err) != 0 && strstr(err, "not a volume"),
          "not a volume: %s", err);
    /* Nothing but the two volumes and the refused names: no temp files left. */
    int n = 0;
    char cmd[600];
    snprintf(cmd, sizeof cmd, "ls -A %s | wc -l", dir);
    FILE *p = popen(cmd, "r");
    if (p) {
        if (fscanf(p, "%d", &n) != 1) n = -1;
        pclose(p);
    }
    CHECK(n == 2, "%d files in the directory, expected 2", n);
    unlink(v1);
    unlink(v2);
}

static void test_args(void)
{
    struct pith_args a;
    char err[256];
    const char *const ok[] = { "run", "--size", "64M", "--mount", "v.img:/data", "--mount=/x/w:1:/srv/w", "prog", NULL };
    CHECK(parse(CMD_RUN, &a, err, ok) == 0, "parse: %s", err);
    CHECK(a.min_size == 64ull << 20, "--size 64M");
    CHECK(a.mountc == 2 && strcmp(a.mounts[0].volume, "v.img") == 0 && strcmp(a.mounts[0].path, "/data") == 0,
          "first mount");
    CHECK(a.mountc == 2 && strcmp(a.mounts[1].volume, "/x/w:1") == 0 && strcmp(a.mounts[1].path, "/srv/w") == 0,
          "split at the last :/");
    args_free(&a);
    const char *const build[] = { "build", "-o", "x.img", "--size=1G", "prog", NULL };
    CHECK(parse(CMD_BUILD, &a, err, build) == 0 && a.min_size == 1ull << 30, "build --size: %s", err);
    args_free(&a);
    const char *const bad_size[] = { "run", "--size", "12Q", "prog", NULL };
    CHECK(parse(CMD_RUN, &a, err, bad_size) != 0 && strstr(err, "--size"), "bad size: %s", err);
    args_free(&a);
    const char *const bad_mount[] = { "run", "--mount", "vol", "prog", NULL };
    CHECK(parse(CMD_RUN, &a, err, bad_mount) != 0 && strstr(err, "VOLUME:/PATH"), "bad mount: %s", err);
    args_free(&a);
    const char *const build_mount[] = { "build", "-o", "x", "--mount", "v:/d", "prog", NULL };
    CHECK(parse(CMD_BUILD, &a, err, build_mount) == 0 && a.mountc == 1, "build records --mount: %s", err);
    args_free(&a);
    const char *const image_size[] = { "run", "--image", "x.img", "--size", "8M", NULL };
    CHECK(parse(CMD_RUN, &a, err, image_size) != 0 && strstr(err, "--size"), "--image refuses --size: %s", err);
    args_free(&a);
    const char *const image_mount[] = { "run", "--image", "x.img", "--mount", "v:/d", NULL };
    CHECK(parse(CMD_RUN, &a, err, image_mount) == 0 && a.mountc == 1, "--image takes --mount: %s", err);
    args_free(&a);
}

static void test_qemu(void)
{
    static struct qemu_command cmd;
    const char *vols[] = { "/v/a,b", "/v/c" };
    char err[256];
    struct qemu_options o = { .qemu_binary = "qemu", .memory = "64M", .cpus = 1, .image_path = "/i",
                              .kernel_path = "/k", .control_path = "/c", .console_fd = 5, .machine = MACHINE_Q35,
                              .volume_paths = vols, .nvolumes = 2, .mounts_file = "/w/mounts" };
    for (int d = DISK_BLK; d <= DISK_SCSI; d++) {
        o.disk = (enum disk_mode)d;
        CHECK(qemu_build_command(&o, &cmd, err, sizeof err) == 0, "build: %s", err);
        CHECK(has_arg(&cmd, "file=/v/a,,b,format=raw,if=none,id=vol0"), "volume 0 drive (commas escaped)");
        CHECK(has_arg(&cmd, "file=/v/c,format=raw,if=none,id=vol1"), "volume 1 drive");
        CHECK(has_arg(&cmd, "name=opt/pith/mounts,file=/w/mounts"), "fw_cfg mount list");
        const char *dev = d == DISK_NVME ? "nvme,serial=pithvol1,drive=vol1"
                        : d == DISK_SCSI ? "scsi-hd,drive=vol1" : "virtio-blk-pci,drive=vol1,disable-legacy=on";
        CHECK(has_arg(&cmd, dev), "disk %d: %s", d, dev);
    }
    /* microvm: virtio-mmio devices, root first, volumes after it in order. */
    o.machine = MACHINE_MICROVM;
    o.disk = DISK_BLK;
    CHECK(qemu_build_command(&o, &cmd, err, sizeof err) == 0, "microvm build: %s", err);
    CHECK(has_arg(&cmd, "microvm,acpi=off") && has_arg(&cmd, "virtio-blk-device,drive=root") &&
          has_arg(&cmd, "virtio-blk-device,drive=vol1") && !has_arg(&cmd, "virtio-blk-pci,drive=vol1,disable-legacy=on"),
          "microvm: virtio-blk-device for the root and the volumes");
    CHECK(has_arg(&cmd, "tcg") && has_arg(&cmd, "max"), "TCG with -cpu max unless told KVM");
    o.kvm = 1;
    CHECK(qemu_build_command(&o, &cmd, err, sizeof err) == 0 && has_arg(&cmd, "kvm") && has_arg(&cmd, "host"),
          "KVM with -cpu host by default");
    o.cpu_model = "host,-arch-capabilities";
    CHECK(qemu_build_command(&o, &cmd, err, sizeof err) == 0 && has_arg(&cmd, "host,-arch-capabilities"),
          "KVM with the probed CPU model");
    o.kvm = 0;
    o.cpu_model = NULL;
    o.machine = MACHINE_Q35;
    o.nvolumes = 0;
    o.mounts_file = NULL;
    CHECK(qemu_build_command(&o, &cmd, err, sizeof err) == 0 && !has_arg(&cmd, "-fw_cfg"), "no volumes, no fw_cfg");
}

int main(void)
{
    char dir[] = "/tmp/test_volumes.XXXXXX";
    if (!mkdtemp(dir)) {
        printf("FAIL: mkdtemp\n");
        return 1;
    }
    test_create(dir);
    rmdir(dir);
    test_args();
    test_qemu();
    return check_report("test_volumes");
}
