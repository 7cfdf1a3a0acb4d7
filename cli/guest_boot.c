/* Booting an image under QEMU for `pith run`: the kernel and control files,
 * the QEMU command line, the run itself, and how it ended turned into pith's
 * exit status (docs/cli.md, "Exit status"); a KVM run that failed before the
 * program started is run again under TCG. */
#define _GNU_SOURCE
#include "guest_boot.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "embedded.h"
#include "firmware.h"
#include "gdb_hint.h"
#include "image_kernel.h"
#include "kaslr_slide.h"
#include "kvm_error.h"
#include "net_tap_queues.h"
#include "pith_exit.h"
#include "../boot/uefi/marker.h"

static int write_embedded_kernel(const char *path)
{
    size_t len = (size_t)(pith_kernel_end - pith_kernel_start);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return pith_complain(path, strerror(errno));
    ssize_t n = write(fd, pith_kernel_start, len);
    int bad = n != (ssize_t)len;
    if (close(fd) != 0 || bad)
        return pith_complain(path, "cannot write the kernel");
    return 0;
}

/* The status the kernel reported: the last "exit N" line of the control file. */
static int read_exit_status(const char *control_path)
{
    FILE *f = fopen(control_path, "r");
    if (!f)
        return -1;
    char line[256];
    int status = -1;
    while (fgets(line, sizeof line, f)) {
        int n;
        char extra;
        if (sscanf(line, "exit %d %c", &n, &extra) == 1 && n >= 0 && n <= 255)
            status = n;
    }
    fclose(f);
    return status;
}

/* A word for a shell command line: as it is when nothing in it is special,
 * else in single quotes. */
static void print_shell_word(FILE *out, const char *s)
{
    if (*s && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-+./:,=@%") == strlen(s)) {
        fputs(s, out);
        return;
    }
    fputc('\'', out);
    for (; *s; s++)
        if (*s == '\'')
            fputs("'\\''", out);
        else
            fputc(*s, out);
    fputc('\'', out);
}

/* The kernel's "core complete|partial PATH" line (kernel/coredump.c): where
 * the program's core file is, and how to get it out of the image. A
 * temporary image is deleted with the core in it, so then the line says how
 * to keep one (docs/cli.md, "Core files"). */
static void report_core(const struct pith_args *a, const char *control_path)
{
    FILE *f = fopen(control_path, "r");
    if (!f)
        return;
    char line[4200], state[16] = "", path[4100] = "";
    while (fgets(line, sizeof line, f)) {
        char s[16], p[4100];
        if (sscanf(line, "core %15s %4099[^\n]", s, p) == 2 && strcmp(s, "none") != 0) {
            strcpy(state, s);
            strcpy(path, p);
        }
    }
    fclose(f);
    if (!path[0])
        return;
    const char *image = a->image ? a->image : a->keep_image;
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    const char *cut = strcmp(state, "complete") ? " (cut short)" : "";
    if (image) {
        fprintf(stderr, "pith: core dumped%s to %s in %s; get it with: pith image cp ", cut, path, image);
        print_shell_word(stderr, image);
        fputc(':', stderr);
        print_shell_word(stderr, path);
        fputs(" ./", stderr);
        print_shell_word(stderr, base);
        fputc('\n', stderr);
    } else {
        fprintf(stderr, "pith: core dumped%s to %s in the temporary image, which is now deleted; "
                "to keep it, run again with --keep-image FILE, then: pith image cp FILE:", cut, path);
        print_shell_word(stderr, path);
        fputs(" ./", stderr);
        print_shell_word(stderr, base);
        fputc('\n', stderr);
    }
}

/* The kernel writes "load prog ..." to the control channel just before it
 * enters the program (kernel/main.c): until then nothing of the program ran. */
static int program_started(const char *control_path)
{
    FILE *f = fopen(control_path, "r");
    if (!f)
        return 0;
    char line[256];
    int started = 0;
    while (!started && fgets(line, sizeof line, f))
        started = strncmp(line, "load prog ", 10) == 0;
    fclose(f);
    return started;
}

/* microvm has no PCI and no BIOS: NVMe, virtio-scsi and booting through the
 * image's boot sectors need q35, which pith then picks by itself. */
static enum machine_mode pick_machine(const struct pith_args *a)
{
    if (a->disk != DISK_BLK || a->boot != BOOT_PVH || a->cloud_like)
        return MACHINE_Q35;
    return a->machine == MACHINE_Q35 ? MACHINE_Q35 : MACHINE_MICROVM;
}

/* Copies what QEMU said on stderr to pith's own (QEMU's errors are the user's
 * business unless pith explained the failure itself). */
static void relay_file(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        fwrite(buf, 1, n, stderr);
    fclose(f);
}

static void format_duration(unsigned long long ms, char *out, size_t outlen)
{
    if (ms % 1000 == 0)
        snprintf(out, outlen, "%llus", ms / 1000);
    else
        snprintf(out, outlen, "%llu.%03llus", ms / 1000, ms % 1000);
}

enum { BOOT_DONE, BOOT_KVM_FAILED_EARLY };

struct boot_plan {
    int kvm;
    const char *cpu_model;
    int raw_stderr;     /* the accelerator probe: its parent reads QEMU's stderr */
};

/* How the run ended, in one line when pith can name it; QEMU's own words
 * otherwise. Sets *outcome when a KVM run failed before the program started
 * (the caller re-runs it under TCG). Returns pith's exit status. */
static int report_end(const struct pith_args *a, const struct boot_plan *plan, const struct qemu_result *res,
                      const char *control, const char *qemu_err, int *outcome)
{
    if (res->timed_out) {
        char d[32];
        format_duration(a->timeout_ms, d, sizeof d);
        fprintf(stderr, "pith: stopped the VM after --timeout %s\n", d);
        return PITH_EXIT_TIMEOUT;
    }
    int status = read_exit_status(control);
    if (status > 128)
        report_core(a, control);
    if (status >= 0)
        return status;
    int failed_early = plan->kvm && !plan->raw_stderr && !program_started(control);
    if (res->vm_stopped[0]) {
        char detail[160] = "";
        int internal = !strcmp(res->vm_stopped, "internal-error");
        if (internal && !kvm_error_describe_file(qemu_err, detail, sizeof detail))
            snprintf(detail, sizeof detail, "KVM internal error");
        if (failed_early && internal) {
            fprintf(stderr, "pith: %s before the program started; running it again under TCG\n", detail);
            *outcome = BOOT_KVM_FAILED_EARLY;
        } else {
            fprintf(stderr, "pith: %s%s%s%s; QEMU stopped (run state %s)\n", res->vm_stop_text,
                    detail[0] ? " (" : "", detail, detail[0] ? ")" : "", res->vm_stopped);
        }
        return PITH_EXIT_NO_STATUS;
    }
    if (failed_early && (res->term_signal || res->exit_status != 0)) {
        fprintf(stderr, "pith: QEMU failed under KVM before the program started; running it again under TCG\n");
        *outcome = BOOT_KVM_FAILED_EARLY;
        return PITH_EXIT_NO_STATUS;
    }
    if (!plan->raw_stderr)
        relay_file(qemu_err);
    if (!strcmp(res->shutdown_reason, "guest-reset"))
        fprintf(stderr, "pith: the guest reset the machine (a triple fault?) without an exit status\n");
    else if (res->term_signal)
        fprintf(stderr, "pith: guest stopped without an exit status (QEMU killed by signal %d)\n", res->term_signal);
    else if (res->exit_status != 0)
        fprintf(stderr, "pith: guest stopped without an exit status (QEMU exit status %d)\n", res->exit_status);
    else
        fprintf(stderr, "pith: guest stopped without an exit status\n");
    return PITH_EXIT_NO_STATUS;
}

static int boot_once(const struct pith_args *a, struct workdir *w, const char *image_path, uint64_t seed,
                     const struct volume_set *vols, const struct boot_plan *plan, int *outcome)
{
    char kernel[PATH_MAX], control[PATH_MAX], mounts[PATH_MAX], qemu_err[PATH_MAX];
    workdir_file(w, "kernel.elf", kernel, sizeof kernel);
    workdir_file(w, "control", control, sizeof control);
    workdir_file(w, "mounts", mounts, sizeof mounts);
    workdir_file(w, "qemu.err", qemu_err, sizeof qemu_err);
    *outcome = BOOT_DONE;
    if (vols->n && volume_set_write_list(vols, mounts) != 0)
        return PITH_EXIT_USAGE;
    /* --boot uefi and --cloud-like: cli/firmware.h. */
    char vars[PATH_MAX], console_copy[PATH_MAX], fw_why[256];
    workdir_file(w, "ovmf_vars.fd", vars, sizeof vars);
    workdir_file(w, "console", console_copy, sizeof console_copy);
    if (a->boot == BOOT_UEFI && firmware_check_esp(image_path, fw_why, sizeof fw_why) != 0)
        return pith_complain(image_path, fw_why);
    if (a->boot == BOOT_UEFI && firmware_prepare_ovmf(vars, fw_why, sizeof fw_why) != 0)
        return pith_complain("--boot uefi", fw_why);

    if (a->boot == BOOT_PVH || a->gdb) {
        if (a->image) {
            char why[256];
            if (image_extract_kernel(image_path, kernel, why, sizeof why) != 0)
                return pith_complain(image_path, why);
        } else if (write_embedded_kernel(kernel) != 0) {
            return PITH_EXIT_USAGE;
        }
    }
    /* COM1 and QMP: pith keeps [0]; QEMU inherits [1] (no CLOEXEC) and is told its number. */
    int sv[2], qmp[2] = { -1, -1 };
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
        return pith_complain("socketpair", strerror(errno));
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, qmp) != 0) {
        close(sv[0]);
        close(sv[1]);
        return pith_complain("socketpair", strerror(errno));
    }
    fcntl(sv[0], F_SETFD, FD_CLOEXEC);
    fcntl(sv[0], F_SETFL, O_NONBLOCK);
    fcntl(qmp[0], F_SETFD, FD_CLOEXEC);
    int err_fd = open(qemu_err, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    struct qemu_options o = {
        .boot = a->boot, .kvm = plan->kvm, .cpu_model = plan->cpu_model, .machine = pick_machine(a),
        .disk = a->disk, .memory = a->memory, .cpus = a->cpus,
        .image_path = image_path, .kernel_path = kernel, .control_path = control, .console_fd = sv[1],
        .volume_paths = vols->paths, .nvolumes = vols->n, .mounts_file = vols->n ? mounts : NULL,
        .qmp_fd = qmp[1], .ovmf_vars = vars, .cloud_like = a->cloud_like,
        .monitor_socket = a->monitor_socket,
    };
    char kaslr_text[40];
    uint64_t kernel_slide;
    o.kaslr_setting = kaslr_run_setting(a->no_kaslr, a->gdb, kernel, &kernel_slide, kaslr_text, sizeof kaslr_text);
    char netdev[4096];
    int nic = net_opts_netdev(&a->net, netdev, sizeof netdev);
    o.netdev = nic > 0 ? netdev : NULL;
    if (nic > 0 && a->net.mode == NET_TAP) o.net_queues = net_tap_queues(a->net.tap, a->cpus);
    if (a->cloud_like && a->disk == DISK_BLK)
        o.disk = DISK_NVME;
    int copy_fd = a->cloud_like ? open(console_copy, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600) : -1;
    static struct qemu_command cmd;
    char why[256];
    int rc = 0;
    if (err_fd < 0)
        rc = pith_complain(qemu_err, strerror(errno));
    else if (nic < 0)
        rc = pith_complain("-p", "too many forwarded ports for QEMU's command line");
    else if (a->gdb && (o.gdb_port = qemu_free_tcp_port()) < 0)
        rc = pith_complain("gdb", "no free TCP port");
    else if (qemu_build_command(&o, &cmd, why, sizeof why) != 0)
        rc = pith_complain("qemu", why);
    if (rc) {
        close(sv[0]);
        close(sv[1]);
        close(qmp[0]);
        close(qmp[1]);
        if (err_fd >= 0)
            close(err_fd);
        if (copy_fd >= 0)
            close(copy_fd);
        return rc;
    }
    if (getenv("PITH_SHOW_QEMU")) {
        for (int i = 0; i < cmd.argc; i++)
            fprintf(stderr, "%s%s", cmd.argv[i], i + 1 < cmd.argc ? " " : "\n");
    }
    if (a->gdb)
        gdb_hint_print(stderr, o.gdb_port, kernel, strcmp(o.kaslr_setting, "off") != 0, kernel_slide,
                       a->image ? NULL : a->program, a->sysroot, seed);

    struct qemu_watch watch = { .qmp_sock = qmp[0], .gdb = a->gdb, .timeout_ms = a->timeout_ms, .stderr_fd = err_fd,
                                .console_copy_fd = copy_fd,
                                .console_skip_until = a->boot == BOOT_UEFI ? PITH_UEFI_MARKER : NULL };
    struct qemu_result res;
    rc = qemu_run(&cmd, sv[0], sv[1], &watch, &res, why, sizeof why);
    close(sv[0]);
    close(qmp[0]);
    close(qmp[1]);
    close(err_fd);
    if (copy_fd >= 0)
        close(copy_fd);
    if (rc != 0) {
        fprintf(stderr, "pith: %s\n", why);
        return PITH_EXIT_NO_STATUS;
    }
    if (res.our_signal) {
        fprintf(stderr, "pith: stopped by signal %d\n", res.our_signal);
        return 128 + res.our_signal;
    }
    if (plan->raw_stderr)
        relay_file(qemu_err);   /* the probe's parent reads it */
    /* A cloud-like machine has no control channel: the exit line is on the console. */
    return report_end(a, plan, &res, a->cloud_like ? console_copy : control, qemu_err, outcome);
}

int guest_boot(const struct pith_args *a, struct workdir *w, const char *image_path, uint64_t seed,
                const struct volume_set *vols, const struct accel_choice *accel)
{
    const char *probe_cpu = getenv(ACCEL_PROBE_CPU_ENV);
    struct boot_plan plan = { .kvm = accel->kvm, .cpu_model = accel->kvm ? accel->cpu_model : NULL };
    if (probe_cpu && *probe_cpu)
        plan = (struct boot_plan){ .kvm = 1, .cpu_model = probe_cpu, .raw_stderr = 1 };
    int outcome;
    int rc = boot_once(a, w, image_path, seed, vols, &plan, &outcome);
    if (outcome == BOOT_KVM_FAILED_EARLY) {
        plan = (struct boot_plan){ .kvm = 0 };
        rc = boot_once(a, w, image_path, seed, vols, &plan, &outcome);
    }
    return rc;
}

