/* Runs QEMU as a child. Signals are taken synchronously (sigtimedwait on a
 * blocked set) rather than through handlers: no races between "a signal came"
 * and "wait for the child", and pith can always clean up before it exits. */
#define _GNU_SOURCE
#include "qemu.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "console.h"
#include "qmp.h"
#include "firmware.h"
#include "../fs/mounts_list.h"

static int push(struct qemu_command *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int push(struct qemu_command *cmd, const char *fmt, ...)
{
    if (cmd->argc >= QEMU_MAX_ARGS)
        return -1;
    size_t room = sizeof cmd->text - cmd->used;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(cmd->text + cmd->used, room, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= room)
        return -1;
    cmd->argv[cmd->argc++] = cmd->text + cmd->used;
    cmd->argv[cmd->argc] = NULL;
    cmd->used += (size_t)n + 1;
    return 0;
}

/* QEMU option values use ',' as a separator; a literal comma is written ",,". */
static void escape_commas(const char *in, char *out, size_t outlen)
{
    size_t j = 0;
    for (size_t i = 0; in[i] && j + 2 < outlen; i++) {
        out[j++] = in[i];
        if (in[i] == ',')
            out[j++] = ',';
    }
    out[j] = '\0';
}

int qemu_kvm_present(void)
{
    int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return 0;
    close(fd);
    return 1;
}

int qemu_free_tcp_port(void)
{
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return -1;
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = 0 };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    int port = -1;
    if (bind(s, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(s, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    close(s);
    return port;
}

int qemu_build_command(const struct qemu_options *o, struct qemu_command *cmd, char *err, size_t errlen)
{
    char image[4200], control[4200], kernel[4200], path[4200];
    const char *binary = o->qemu_binary ? o->qemu_binary : getenv("PITH_QEMU");
    int microvm = o->machine == MACHINE_MICROVM;
    int rc = 0;

    memset(cmd, 0, sizeof *cmd);
    escape_commas(o->image_path, image, sizeof image);
    escape_commas(o->control_path, control, sizeof control);
    rc |= push(cmd, "%s", binary && *binary ? binary : "qemu-system-x86_64");
    /* microvm: no PCI, no firmware to run, virtio-mmio devices; an empty
     * guest starts in ~40 ms where q35 takes ~140 ms under TCG and ~2.8 s
     * under nested KVM (docs/hosts.md). q35 is for what needs PCI or a BIOS. */
    rc |= push(cmd, "-M");
    /* acpi=off: QEMU then names each virtio-mmio device on the kernel's
     * command line (virtio_mmio.device=...) instead of only in ACPI tables. */
    rc |= push(cmd, "%s", microvm ? "microvm,acpi=off" : "q35");
    rc |= push(cmd, "-accel");
    rc |= push(cmd, "%s", o->kvm ? "kvm" : "tcg");
    rc |= push(cmd, "-cpu");
    rc |= push(cmd, "%s", o->cpu_model ? o->cpu_model : o->kvm ? "host" : "max");
    rc |= push(cmd, "-m");
    rc |= push(cmd, "%s", o->memory);
    rc |= push(cmd, "-smp");
    rc |= push(cmd, "%d", o->cpus > 0 ? o->cpus : 1);
    rc |= push(cmd, "-nodefaults");
    rc |= push(cmd, "-no-user-config");
    rc |= push(cmd, "-display");
    rc |= push(cmd, "none");
    /* QMP tells pith when the VM stops for good (cli/qmp.h). */
    rc |= push(cmd, "-chardev");
    rc |= push(cmd, "socket,id=qmp,fd=%d", o->qmp_fd);
    rc |= push(cmd, "-mon");
    rc |= push(cmd, "chardev=qmp,mode=control");
    /* COM1 is a socket pith relays (cli/console.c), so the guest can be told
     * where stdin ends; QEMU never touches the terminal. */
    rc |= push(cmd, "-chardev");
    rc |= push(cmd, "socket,id=con,fd=%d", o->console_fd);
    rc |= push(cmd, "-serial");
    rc |= push(cmd, "chardev:con");
    if (o->cloud_like) {
        /* A cloud's one serial port: no control channel. */
    } else if (microvm) {
        /* microvm makes one serial port from -serial: COM2 is added by hand. */
        rc |= push(cmd, "-chardev");
        rc |= push(cmd, "file,id=ctl,path=%s", control);
        rc |= push(cmd, "-device");
        rc |= push(cmd, "isa-serial,chardev=ctl,iobase=0x2f8,irq=3");
    } else {
        rc |= push(cmd, "-serial");
        rc |= push(cmd, "file:%s", control);
    }
    if (!o->cloud_like) {
        rc |= push(cmd, "-device");
        rc |= push(cmd, "isa-debug-exit,iobase=0xf4,iosize=4");
    }
    if (o->boot == BOOT_UEFI) {
        escape_commas(o->ovmf_vars, path, sizeof path);
        rc |= push(cmd, "-drive");
        rc |= push(cmd, "if=pflash,format=raw,readonly=on,file=%s", UEFI_OVMF_CODE);
        rc |= push(cmd, "-drive");
        rc |= push(cmd, "if=pflash,format=raw,file=%s", path);
    }
    rc |= push(cmd, "-drive");
    rc |= push(cmd, "file=%s,format=raw,if=none,id=root", image);
    const char *bootindex = o->boot == BOOT_DISK || o->boot == BOOT_UEFI ? ",bootindex=0" : "";
    if (o->disk == DISK_NVME) {
        rc |= push(cmd, "-device");
        rc |= push(cmd, "nvme,serial=pith,drive=root%s", bootindex);
    } else if (o->disk == DISK_SCSI) {
        rc |= push(cmd, "-device");
        rc |= push(cmd, "virtio-scsi-pci,disable-legacy=on");
        rc |= push(cmd, "-device");
        rc |= push(cmd, "scsi-hd,drive=root%s", bootindex);
    } else if (microvm) {
        /* QEMU 7.2 makes virtio-mmio transports legacy (version 1) unless told. */
        rc |= push(cmd, "-global");
        rc |= push(cmd, "virtio-mmio.force-legacy=false");
        rc |= push(cmd, "-device");
        rc |= push(cmd, "virtio-blk-device,drive=root");
    } else {
        rc |= push(cmd, "-device");
        rc |= push(cmd, "virtio-blk-pci,drive=root,disable-legacy=on%s", bootindex);
    }
    /* Volumes follow the root on the same bus, so the kernel's disks[0] stays
     * the root; which volume is which it learns from their uuids. */
    for (int i = 0; i < o->nvolumes; i++) {
        escape_commas(o->volume_paths[i], path, sizeof path);
        rc |= push(cmd, "-drive");
        rc |= push(cmd, "file=%s,format=raw,if=none,id=vol%d", path, i);
        rc |= push(cmd, "-device");
        if (o->disk == DISK_NVME)
            rc |= push(cmd, "nvme,serial=pithvol%d,drive=vol%d", i, i);
        else if (o->disk == DISK_SCSI)
            rc |= push(cmd, "scsi-hd,drive=vol%d", i);
        else if (microvm)
            rc |= push(cmd, "virtio-blk-device,drive=vol%d", i);
        else
            rc |= push(cmd, "virtio-blk-pci,drive=vol%d,disable-legacy=on", i);
    }
    if (o->cloud_like) {
        rc |= push(cmd, "-fw_cfg");
        rc |= push(cmd, "name=%s,string=1", UEFI_IGNORE_FW_CFG);
    } else if (o->mounts_file) {
        escape_commas(o->mounts_file, path, sizeof path);
        rc |= push(cmd, "-fw_cfg");
        rc |= push(cmd, "name=" MOUNTS_LIST_FW_CFG_NAME ",file=%s", path);
    }
    if (o->monitor_socket) {
        escape_commas(o->monitor_socket, path, sizeof path);
        rc |= push(cmd, "-chardev");
        rc |= push(cmd, "socket,id=mon,path=%s,server=on,wait=off", path);
        rc |= push(cmd, "-mon");
        rc |= push(cmd, "chardev=mon,mode=control");
    }
    if (o->netdev) {
        /* microvm: QEMU names the virtio-mmio NIC on the kernel's command line
         * like the disks (acpi=off). romfile=: no PXE option ROM to load. */
        int mq = microvm ? 1 : o->net_queues;   /* a vector per queue, plus config and control */
        rc |= push(cmd, "-netdev");
        rc |= mq > 1 ? push(cmd, "%s,queues=%d", o->netdev, mq) : push(cmd, "%s", o->netdev);
        rc |= push(cmd, "-device");
        if (mq > 1)
            rc |= push(cmd, "virtio-net-pci,netdev=net0,disable-legacy=on,romfile=,mq=on,vectors=%d", 2 * mq + 2);
        else
            rc |= push(cmd, "%s", microvm ? "virtio-net-device,netdev=net0" : "virtio-net-pci,netdev=net0,disable-legacy=on,romfile=");
    }
    rc |= push(cmd, "-no-reboot");
    if (o->boot == BOOT_PVH) {
        escape_commas(o->kernel_path, kernel, sizeof kernel);
        rc |= push(cmd, "-kernel");
        rc |= push(cmd, "%s", kernel);
    }
    if (o->gdb_port > 0) {
        rc |= push(cmd, "-S");
        rc |= push(cmd, "-gdb");
        rc |= push(cmd, "tcp:127.0.0.1:%d", o->gdb_port);
    }
    if (o->kaslr_setting) {   /* KASLR's switch (docs/boot.md) */
        rc |= push(cmd, "-fw_cfg");
        rc |= push(cmd, "name=opt/pith/kaslr,string=%s", o->kaslr_setting);
    }
    if (rc) {
        snprintf(err, errlen, "QEMU command line too long");
        return -1;
    }
    return 0;
}

static void child_exec(const struct qemu_command *cmd, const sigset_t *old_mask, int report_fd, int stderr_fd)
{
    /* If pith dies without cleaning up, QEMU must not outlive it. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    /* Its own process group: a terminal's Ctrl-C goes to pith, which decides. */
    setpgid(0, 0);
    int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null >= 0) {
        dup2(null, 0);
        close(null);
    }
    if (stderr_fd >= 0)
        dup2(stderr_fd, 2);
    signal(SIGPIPE, SIG_DFL);
    sigprocmask(SIG_SETMASK, old_mask, NULL);
    execvp(cmd->argv[0], cmd->argv);
    int e = errno;
    ssize_t unused = write(report_fd, &e, sizeof e);
    (void)unused;
    _exit(127);
}

/* Returns the errno of a failed exec in the child, or 0 if it did exec. */
static int exec_error(int fd)
{
    int e = 0;
    ssize_t n;
    do
        n = read(fd, &e, sizeof e);
    while (n < 0 && errno == EINTR);
    close(fd);
    return n == (ssize_t)sizeof e ? e : 0;
}

/* stdin if pith has one (a closed fd 0 counts as empty input). */
static int input_fd(void)
{
    return fcntl(0, F_GETFL) >= 0 ? 0 : -1;
}

static unsigned long long now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (unsigned long long)t.tv_sec * 1000 + (unsigned long long)t.tv_nsec / 1000000;
}

int qemu_run(const struct qemu_command *cmd, int console_sock, int child_fd,
             const struct qemu_watch *watch, struct qemu_result *res, char *err, size_t errlen)
{
    sigset_t wait_set, old_mask;
    sigemptyset(&wait_set);
    sigaddset(&wait_set, SIGCHLD);
    sigaddset(&wait_set, SIGINT);
    sigaddset(&wait_set, SIGTERM);
    sigaddset(&wait_set, SIGHUP);
    sigprocmask(SIG_BLOCK, &wait_set, &old_mask);
    /* A closed stdout must not kill pith before it cleans up (console.c drops the output). */
    struct sigaction ign = { .sa_handler = SIG_IGN }, old_pipe;
    sigaction(SIGPIPE, &ign, &old_pipe);
    memset(res, 0, sizeof *res);

    int report[2] = { -1, -1 };
    int sigfd = signalfd(-1, &wait_set, SFD_CLOEXEC | SFD_NONBLOCK);
    if (sigfd < 0 || pipe2(report, O_CLOEXEC) != 0) {
        snprintf(err, errlen, "%s: %s", sigfd < 0 ? "signalfd" : "pipe", strerror(errno));
        if (sigfd >= 0)
            close(sigfd);
        sigaction(SIGPIPE, &old_pipe, NULL);
        sigprocmask(SIG_SETMASK, &old_mask, NULL);
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, errlen, "fork: %s", strerror(errno));
        close(report[0]);
        close(report[1]);
        close(sigfd);
        sigaction(SIGPIPE, &old_pipe, NULL);
        sigprocmask(SIG_SETMASK, &old_mask, NULL);
        return -1;
    }
    if (pid == 0)
        child_exec(cmd, &old_mask, report[1], watch->stderr_fd);
    close(report[1]);
    if (child_fd >= 0)
        close(child_fd);   /* else the socket never reports QEMU's end closing */
    int e = exec_error(report[0]);

    struct console_relay relay;
    console_relay_init(&relay, console_sock, input_fd(), 1);
    relay.copy_fd = watch->console_copy_fd;
    relay.skip_until = watch->console_skip_until;
    static struct qmp_watch qmp;
    qmp_watch_init(&qmp, watch->qmp_sock, watch->gdb);
    unsigned long long deadline = watch->timeout_ms ? now_ms() + watch->timeout_ms : 0;
    int status = 0, running = !e;
    if (e)
        waitpid(pid, &status, 0);
    while (running) {
        struct pollfd p[4] = { { sigfd, POLLIN, 0 }, { console_sock, 0, 0 }, { -1, POLLIN, 0 },
                               { qmp.state == QMP_RUNNING ? watch->qmp_sock : -1, POLLIN, 0 } };
        console_relay_poll_setup(&relay, &p[1].events, &p[2].fd);
        if (!p[1].events)
            p[1].fd = -1;
        int wait_ms = -1;
        if (deadline) {
            unsigned long long now = now_ms();
            wait_ms = now >= deadline ? 0 : (int)(deadline - now > 60000 ? 60000 : deadline - now);
        }
        if (poll(p, 4, wait_ms) < 0 && errno != EINTR)
            break;
        if (p[1].revents)
            console_relay_on_sock(&relay, p[1].revents);
        if (p[2].revents)
            console_relay_on_input(&relay, p[2].revents);
        if (p[3].revents && qmp_watch_read(&qmp) == QMP_STOPPED && !res->vm_stopped[0]) {
            /* QEMU would keep the stopped VM forever: end it. */
            snprintf(res->vm_stopped, sizeof res->vm_stopped, "%s", qmp.status);
            res->vm_stop_text = qmp_describe_stop(&qmp);
            kill(pid, SIGKILL);
        }
        if (deadline && !res->timed_out && !res->vm_stopped[0] && now_ms() >= deadline) {
            res->timed_out = 1;
            kill(pid, SIGKILL);
        }
        struct signalfd_siginfo si;
        while (read(sigfd, &si, sizeof si) == (ssize_t)sizeof si) {
            int sig = (int)si.ssi_signo;
            if (sig == SIGINT || sig == SIGTERM || sig == SIGHUP) {
                /* QEMU holds no terminal state to restore: stop it at once. */
                res->our_signal = sig;
                kill(pid, SIGKILL);
            }
        }
        if (waitpid(pid, &status, WNOHANG) == pid)
            running = 0;
    }
    if (watch->qmp_sock >= 0 && qmp.state == QMP_RUNNING)
        qmp_watch_read(&qmp);   /* a SHUTDOWN event sent just before QEMU exited */
    snprintf(res->shutdown_reason, sizeof res->shutdown_reason, "%s", qmp.shutdown_reason);
    if (!e)
        console_relay_drain(&relay);
    /* Consume signals that came with QEMU's exit, so they cannot kill pith
     * before it removes its temp directory. */
    struct timespec zero = { 0, 0 };
    siginfo_t info;
    int sig;
    while ((sig = sigtimedwait(&wait_set, &info, &zero)) > 0)
        if (sig != SIGCHLD)
            res->our_signal = sig;
    close(sigfd);
    sigaction(SIGPIPE, &old_pipe, NULL);
    sigprocmask(SIG_SETMASK, &old_mask, NULL);
    if (e) {
        snprintf(err, errlen, "cannot run %s: %s", cmd->argv[0], strerror(e));
        return -1;
    }
    res->started = 1;
    if (WIFEXITED(status))
        res->exit_status = WEXITSTATUS(status);
    else if (WIFSIGNALED(status))
        res->term_signal = WTERMSIG(status);
    return 0;
}
