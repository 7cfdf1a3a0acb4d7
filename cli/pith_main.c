/* pith: build a Pith image around one Linux program and boot it under QEMU. */
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "image_cmd.h"
#include "ldd.h"
#include "run.h"
#include "volume.h"

static const char main_help[] =
    "usage: pith run [options] PROG [ARGS...]   build a temporary image and boot it\n"
    "       pith run [options] --image IMAGE    boot an existing image\n"
    "       pith build -o IMAGE [options] PROG [ARGS...]   write an image without booting\n"
    "       pith ldd [--sysroot DIR] PROG         list the files an image for PROG holds\n"
    "       pith image ls|cat|cp|fsck|resize ...  look into or grow an image ('pith image --help')\n"
    "       pith volume create PATH SIZE          a new empty volume for 'pith run --mount'\n"
    "\n"
    "PROG's exit status becomes pith's. 'pith run --help' lists the options.\n";

/* Options both commands take. */
#define COMMON_HELP \
    "  -e KEY=VALUE       add to the environment (repeatable; a later KEY wins)\n" \
    "  --env-file FILE    KEY=VALUE lines ('#' comments, blank lines ignored)\n" \
    "  -f HOST[:GUEST]    add a host file or directory tree (repeatable); GUEST defaults to\n" \
    "                     HOST if absolute, else /BASENAME\n" \
    "  -d HOSTDIR[:GUESTDIR]  add a directory tree (like -f, but HOSTDIR must be one)\n" \
    "  --sysroot DIR      find the program's interpreter and libraries inside DIR\n" \
    "  --user NAME        the name of uid 0 in /etc/passwd and /etc/group (default root)\n" \
    "  -c FILE            read settings from a JSON config (default: pith.json next to PROG)\n" \
    "  --size SIZE        make the image's filesystem at least SIZE bytes (K/M/G suffixes),\n" \
    "                     room for the program to write\n"

static const char run_help[] =
    "usage: pith run [options] PROG [ARGS...]\n"
    "       pith run [options] --image IMAGE\n"
    "\n"
    "  --trace            print an strace-style trace of the program's system calls\n"
    "  --boot pvh|disk    pvh (default): QEMU loads the kernel directly;\n"
    "                     disk: boot the image through the BIOS boot sectors\n"
    "  --gdb              start halted with a gdb stub; prints the gdb command to attach\n"
    "  -m SIZE            guest memory (default 64M)\n"
    "  --cpus N           virtual CPUs (default 1)\n"
    "  --accel auto|kvm|tcg   auto (default): kvm if /dev/kvm is usable, else tcg\n"
    "  --disk blk|nvme|scsi   attach the image as virtio-blk (default), NVMe or virtio-scsi\n"
    "  --mount VOLUME:/PATH   attach a volume ('pith volume create') read-write at PATH\n"
    "                     (repeatable); works with --image too\n"
    COMMON_HELP
    "  --keep-image PATH  keep the built image at PATH\n"
    "  --image IMAGE      boot an image made by 'pith build'\n"
    "\n"
    "PROG goes into the image at its own path if absolute, else at /BASENAME;\n"
    "argv[0] is PROG as given. Environment: PATH=/bin:/usr/bin HOME=/ TERM=xterm\n"
    "plus -e. stdin is the program's (end of input included). Exit status: the\n"
    "program's; 2 for bad input; 125 if the guest stopped without reporting one;\n"
    "130 after Ctrl-C.\n";

static const char build_help[] =
    "usage: pith build -o IMAGE [options] PROG [ARGS...]\n"
    "\n"
    "  -o IMAGE           the image file to write\n"
    "  --trace            trace the program's system calls when the image boots\n"
    COMMON_HELP
    "\n"
    "Boot the result with 'pith run --image IMAGE'.\n";

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        fputs(main_help, argc < 2 ? stderr : stdout);
        return argc < 2 ? PITH_EXIT_USAGE : 0;
    }
    if (strcmp(argv[1], "ldd") == 0)
        return ldd_main(argc - 1, argv + 1);
    if (strcmp(argv[1], "image") == 0)
        return image_main(argc - 1, argv + 1);
    if (strcmp(argv[1], "volume") == 0)
        return volume_main(argc - 1, argv + 1);
    enum pith_command cmd;
    if (strcmp(argv[1], "run") == 0)
        cmd = CMD_RUN;
    else if (strcmp(argv[1], "build") == 0)
        cmd = CMD_BUILD;
    else {
        fprintf(stderr, "pith: unknown command '%s' (try 'pith --help')\n", argv[1]);
        return PITH_EXIT_USAGE;
    }

    struct pith_args a;
    char err[512];
    int rc;
    if (args_parse(cmd, argc - 1, argv + 1, &a, err, sizeof err) != 0) {
        fprintf(stderr, "pith: %s (try 'pith %s --help')\n", err, argv[1]);
        rc = PITH_EXIT_USAGE;
    } else if (a.help) {
        fputs(cmd == CMD_RUN ? run_help : build_help, stdout);
        rc = 0;
    } else {
        rc = cmd == CMD_RUN ? run_command(&a) : build_command(&a);
    }
    args_free(&a);
    return rc;
}
