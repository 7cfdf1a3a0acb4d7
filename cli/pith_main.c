/* pith: build a Pith image around one Linux program and boot it under QEMU. */
#include <stdio.h>
#include <string.h>

#include "accel.h"
#include "args.h"
#include "cmd_image.h"
#include "cmd_ldd.h"
#include "cmd_build.h"
#include "cmd_pkg.h"
#include "cmd_run.h"
#include "pith_exit.h"
#include "suggest.h"
#include "cmd_volume.h"
#include "instance.h"

/* mk/cli.mk passes the git description of the tree pith was built from;
 * a build outside a git checkout gets this. */
#ifndef PITH_VERSION
#define PITH_VERSION "0.1-unknown"
#endif

static const char main_help[] =
    "usage: pith run [options] PROG [ARGS...]   build a temporary image and boot it\n"
    "       pith run [options] --image IMAGE    boot an existing image\n"
    "       pith build -o IMAGE [options] PROG [ARGS...]   write an image without booting\n"
    "       pith ldd [--sysroot DIR] PROG         list the files an image for PROG holds\n"
    "       pith image create NAME [options] PROG [ARGS...]   keep an image in the store as NAME\n"
    "       pith image ls|rm|export|cat|cp|fsck|resize ...  the store; look into or grow an image\n"
    "                                             ('pith image --help')\n"
    "       pith instance create|ls|logs|stop|rm ...   images running in the background\n"
    "                                             ('pith instance --help')\n"
    "       pith volume create PATH SIZE          a new empty volume for 'pith run --mount'\n"
    "       pith pkg get|ls|path|rm|clean ...     Debian packages as trees for 'pith run --pkg'\n"
    "       pith accel                            which engine 'pith run' uses here, and why\n"
    "       pith help [COMMAND]                   this text, or COMMAND's ('pith COMMAND --help')\n"
    "       pith --version                        the version pith was built from\n"
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
    "  --pkg NAME         run PROG from the tree 'pith pkg get NAME' made: PROG (a path\n" \
    "                     in it, or a name along its PATH), its libraries and the\n" \
    "                     package's data come from there\n" \
    "  --user NAME        the name of uid 0 in /etc/passwd and /etc/group (default root)\n" \
    "  -c FILE            read settings from a JSON config (default: pith.json next to PROG)\n" \
    "  --no-wx            no memory both writable and executable (mmap/mprotect: EACCES)\n" \
    "  --readonly-program the program, its libraries (any file with an x bit) cannot change\n" \
    "  --exec-protection  only files with an x bit run, never memory once writable\n" \
    "                     (implies both above; breaks JITs; docs/manifest.md \"option\")\n" \
    "  --size SIZE        make the image's filesystem at least SIZE bytes (K/M/G suffixes),\n" \
    "                     room for the program to write\n" \
    "  --core PATH|none   where a program killed by a signal leaves its core file in the\n" \
    "                     image (default /core); none: no core file\n" \
    "  --ip ADDR/PREFIX   the guest's static address (IPv4 or IPv6; default: DHCP);\n" \
    "                     or --ip ADDR --netmask MASK\n" \
    "  --gateway ADDR     default route; --dns ADDR (repeatable) and --hostname NAME\n" \
    "                     also go into the image (/etc/resolv.conf, /etc/hostname)\n"

static const char run_help[] =
    "usage: pith run [options] PROG [ARGS...]\n"
    "       pith run [options] --image IMAGE\n"
    "\n"
    "  --trace            print an strace-style trace of the program's system calls\n"
    "  --boot pvh|disk|bios|uefi   pvh (default): QEMU loads the kernel directly;\n"
    "                     disk (or bios): boot the image through the BIOS boot sectors;\n"
    "                     uefi: through OVMF and the image's EFI system partition\n"
    "  --cloud-like       boot as on a cloud: q35, NVMe, one serial port, no isa-debug-exit,\n"
    "                     fw_cfg ignored; the exit status comes from the console's exit line\n"
    "  --gdb              start halted with a gdb stub; prints the gdb command to attach\n"
    "  --no-kaslr         the kernel at its link address (KASLR off), e.g. for a debugger\n"
    "  -m SIZE            guest memory (default 64M)\n"
    "  --cpus N           virtual CPUs (default 1)\n"
    "  --accel auto|kvm|tcg\n"
    "                     auto (default): KVM where a probe boot shows it runs Pith on this host, else TCG\n"
    "  --disk blk|nvme|scsi   attach the image as virtio-blk (default), NVMe or virtio-scsi\n"
    "  --machine auto|microvm|q35   auto (default): microvm, unless --disk nvme|scsi or\n"
    "                     --boot disk ask for q35's PCI or firmware\n"
    "  --timeout DURATION stop the guest after DURATION and exit 124, as timeout(1):\n"
    "                     a number with unit s (default), ms, m, h or d (1.5s, 2m); 0: never\n"
    "  -p [ADDR:]HOST[:GUEST][/udp]   forward host port HOST (on 127.0.0.1 unless\n"
    "                     ADDR) to the guest's port GUEST (default HOST); repeatable\n"
    "  --net user|none|tap:NAME   the guest's network card: user (QEMU's user networking,\n"
    "                     implied by -p and the address options), none, or host tap NAME\n"
    "  --mount VOLUME:/PATH   attach a volume ('pith volume create') read-write at PATH\n"
    "                     (repeatable); works with --image too\n"
    COMMON_HELP
    "  --keep-image PATH  keep the built image at PATH\n"
    "  --image IMAGE      boot an image made by 'pith build', or a stored one by name\n"
    "\n"
    "PROG goes into the image at its own path if absolute, else at /BASENAME;\n"
    "argv[0] is PROG as given. Environment: PATH=/bin:/usr/bin HOME=/ TERM=xterm\n"
    "plus -e. stdin is the program's (end of input included). Exit status: the\n"
    "program's; 2 for bad input; 124 when --timeout expired; 125 if the guest\n"
    "stopped without reporting one; 130 after Ctrl-C.\n";

static const char build_help[] =
    "usage: pith build -o IMAGE [options] PROG [ARGS...]\n"
    "\n"
    "  -o IMAGE           the image file to write\n"
    "  --trace            trace the program's system calls when the image boots\n"
    COMMON_HELP
    "\n"
    "Boot the result with 'pith run --image IMAGE'.\n";

/* The words that may follow `pith`, for "did you mean". */
static const char *const commands[] = { "run", "build", "ldd", "image", "instance", "volume", "pkg", "accel", "help", "version" };
static const char *const top_options[] = { "--help", "-h", "--version" };
#define COUNT(a) (sizeof a / sizeof a[0])

/* One line, exit 2: the closest known word when it looks like a typo,
 * else a pointer to the help. */
static int unknown_word(const char *word)
{
    int option = word[0] == '-';
    const char *close = option ? suggest_closest(word, top_options, COUNT(top_options))
                               : suggest_closest(word, commands, COUNT(commands));
    const char *kind = option ? "option" : "command";
    if (close)
        fprintf(stderr, "pith: unknown %s '%s' (did you mean '%s'?)\n", kind, word, close);
    else
        fprintf(stderr, "pith: unknown %s '%s' (try 'pith --help')\n", kind, word);
    return PITH_EXIT_USAGE;
}

static int is_help(const char *word)
{
    return strcmp(word, "help") == 0 || strcmp(word, "--help") == 0 || strcmp(word, "-h") == 0;
}

static int is_version(const char *word)
{
    return strcmp(word, "version") == 0 || strcmp(word, "--version") == 0;
}

static int run_or_build(enum pith_command cmd, int argc, char **argv)
{
    struct pith_args a;
    char err[512];
    int rc = args_parse(cmd, argc, argv, &a, err, sizeof err);
    if (rc == ARGS_HINTED) {
        fprintf(stderr, "pith: %s\n", err);
        rc = PITH_EXIT_USAGE;
    } else if (rc != 0) {
        fprintf(stderr, "pith: %s (try 'pith %s --help')\n", err, argv[0]);
        rc = PITH_EXIT_USAGE;
    } else if (a.help) {
        fputs(cmd == CMD_RUN ? run_help : build_help, stdout);
    } else {
        rc = cmd == CMD_RUN ? run_command(&a) : build_command(&a);
    }
    args_free(&a);
    return rc;
}

/* argv[0] is the command word. */
static int dispatch(int argc, char **argv)
{
    const char *word = argv[0];
    if (is_help(word)) {
        if (argc < 2 || is_help(argv[1]) || is_version(argv[1])) {
            fputs(main_help, stdout);
            return 0;
        }
        /* `pith help run` is `pith run --help`: each command keeps its own text. */
        char *again[] = { argv[1], "--help", NULL };
        return dispatch(2, again);
    }
    if (is_version(word)) {
        if (argc > 1) {
            fprintf(stderr, "pith: %s takes no arguments (try 'pith --help')\n", word);
            return PITH_EXIT_USAGE;
        }
        printf("pith %s\n", PITH_VERSION);
        return 0;
    }
    if (strcmp(word, "accel") == 0) {
        if (argc == 2 && is_help(argv[1])) {
            puts("usage: pith accel\n\n"
                 "Prints the engine 'pith run --accel auto' uses on this host and why: KVM only\n"
                 "where a probe boot of the Pith kernel passed (cached per host, QEMU binary and\n"
                 "kernel build under ${XDG_CACHE_HOME:-~/.cache}/pith/; delete it to probe again),\n"
                 "else TCG. See docs/hosts.md.");
            return 0;
        }
        if (argc > 1) {
            fprintf(stderr, "pith: accel takes no arguments (try 'pith --help')\n");
            return PITH_EXIT_USAGE;
        }
        return accel_report();
    }
    if (strcmp(word, "ldd") == 0)
        return ldd_main(argc, argv);
    if (strcmp(word, "image") == 0)
        return image_main(argc, argv);
    if (strcmp(word, "instance") == 0)
        return instance_main(argc, argv);
    if (strcmp(word, "volume") == 0)
        return volume_main(argc, argv);
    if (strcmp(word, "pkg") == 0)
        return pkg_main(argc, argv);
    if (strcmp(word, "run") == 0)
        return run_or_build(CMD_RUN, argc, argv);
    if (strcmp(word, "build") == 0)
        return run_or_build(CMD_BUILD, argc, argv);
    return unknown_word(word);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(main_help, stderr);
        return PITH_EXIT_USAGE;
    }
    return dispatch(argc - 1, argv + 1);
}
