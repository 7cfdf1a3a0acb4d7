/* The QEMU side of `pith run`: the command line for one boot, and running it
 * while staying responsive to signals (so the temp directory is always removed). */
#pragma once
#include <stddef.h>

enum boot_mode { BOOT_PVH, BOOT_DISK, BOOT_UEFI };   /* BOOT_DISK: the BIOS path */
enum accel_mode { ACCEL_AUTO, ACCEL_KVM, ACCEL_TCG };
/* How the image is attached; the kernel finds its root disk on any of them. */
enum disk_mode { DISK_BLK, DISK_NVME, DISK_SCSI };
/* auto: microvm unless something asked for needs PCI or firmware (docs/cli.md). */
enum machine_mode { MACHINE_AUTO, MACHINE_MICROVM, MACHINE_Q35 };

struct qemu_options {
    const char *qemu_binary;   /* NULL: $PITH_QEMU or qemu-system-x86_64 */
    enum boot_mode boot;
    int kvm;                   /* 1: -accel kvm (the caller decided it works), 0: TCG */
    const char *cpu_model;     /* NULL: "host" under KVM, "max" under TCG */
    enum machine_mode machine; /* MACHINE_MICROVM or MACHINE_Q35 (resolved, never AUTO) */
    enum disk_mode disk;
    const char *memory;        /* as for -m, e.g. "64M" */
    int cpus;
    const char *image_path;
    const char *kernel_path;   /* PVH only: the kernel ELF handed to -kernel */
    const char *control_path;  /* where COM2 (the control channel) is written */
    int gdb_port;              /* 0: no gdb stub */
    const char *kaslr_setting; /* NULL, or the fw_cfg file opt/pith/kaslr's text (cli/kaslr_slide.h) */
    int console_fd;            /* QEMU's end of the COM1 socket (inherited by QEMU) */
    /* Extra volumes (--mount): attached after the root disk, the same kind
     * of disk; the kernel reads mounts_file through fw_cfg (fs/mounts.h). */
    const char *const *volume_paths;
    int nvolumes;
    const char *mounts_file;   /* NULL: no fw_cfg mount list */
    int qmp_fd;                /* QEMU's end of the QMP socket (inherited by QEMU) */
    const char *monitor_socket; /* NULL, or a unix socket path where QEMU serves QMP to others */
    const char *netdev;        /* NULL: no network card; else -netdev's value, id net0 (cli/net_opts.h) */
    int net_queues;            /* > 1: the tap's queue pairs, and virtio-net-pci with mq (cli/net_tap_queues.h) */
    const char *ovmf_vars;     /* BOOT_UEFI: this run's writable copy of OVMF's variable store */
    /* --cloud-like: only what a cloud machine has. One serial port (the exit
     * line comes on the console), no isa-debug-exit (ACPI power-off), and
     * fw_cfg, which q35 cannot drop, marked for the kernel to ignore. */
    int cloud_like;
};

#define QEMU_MAX_ARGS 128

struct qemu_command {
    int argc;
    char *argv[QEMU_MAX_ARGS + 1];
    char text[65536];           /* backing store for the formatted arguments */
    size_t used;
};

/* 0 on success, -1 (with err) if the options do not fit. */
int qemu_build_command(const struct qemu_options *o, struct qemu_command *cmd, char *err, size_t errlen);

/* true if this user can open /dev/kvm (whether KVM runs Pith is cli/accel.h's question). */
int qemu_kvm_present(void);

/* A free TCP port on 127.0.0.1 (for the gdb stub), or -1. */
int qemu_free_tcp_port(void);

/* How pith watches one QEMU run besides the console. */
struct qemu_watch {
    int qmp_sock;          /* pith's end of the QMP socket, or -1 */
    int gdb;               /* a stop for the debugger does not end the run */
    unsigned long long timeout_ms;   /* stop QEMU after this long; 0: never */
    int stderr_fd;         /* QEMU's stderr goes here; -1: pith's own */
    int console_copy_fd;   /* if > 0, a copy of what the console relay shows goes here */
    const char *console_skip_until;   /* hide the console up to and including this line (NULL: none) */
};

struct qemu_result {
    int started;       /* 0: QEMU could not be executed */
    int exit_status;   /* QEMU's own exit status if it exited */
    int term_signal;   /* signal that killed QEMU, or 0 */
    int our_signal;    /* SIGINT/SIGTERM/SIGHUP that pith received (QEMU was stopped), or 0 */
    int timed_out;     /* the watch's timeout expired and QEMU was stopped */
    char vm_stopped[40];   /* QEMU's run state if the VM stopped for good (pith then
                            * stopped QEMU): "internal-error", "guest-panicked"... */
    const char *vm_stop_text;   /* a phrase describing vm_stopped, for the user */
    char shutdown_reason[40];   /* QEMU's SHUTDOWN reason, e.g. "guest-reset" */
};

/* Run the command and relay the console until QEMU exits and its output is
 * drained (cli/console.h), or until the VM stops for good (QMP says so) or
 * the timeout expires, when pith kills QEMU and says which in res: console_sock is pith's end of the COM1 socket,
 * child_fd QEMU's end (kept open in QEMU only). QEMU gets its own process
 * group and /dev/null as stdin, so a Ctrl-C on the terminal reaches pith
 * alone. SIGINT, SIGTERM and SIGHUP sent to pith stop QEMU and are reported
 * in our_signal instead of killing pith. Returns 0, or -1 with err if QEMU
 * could not be started. */
int qemu_run(const struct qemu_command *cmd, int console_sock, int child_fd,
             const struct qemu_watch *watch, struct qemu_result *res, char *err, size_t errlen);
