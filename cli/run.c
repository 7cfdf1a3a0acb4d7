/* Every failure before boot is reported as "pith: CULPRIT: reason" and exits 2;
 * whatever was created so far lives in one temp directory that is removed on
 * every path out (signals included, see qemu.c). */
#define _GNU_SOURCE
#include "run.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elf_check.h"
#include "embedded.h"
#include "host_heap.h"
#include "image.h"
#include "image_kernel.h"
#include "manifest.h"

/* Kept small and deterministic: the guest sees nothing of the host's environment. */
static const char *const default_env[] = { "PATH=/bin:/usr/bin", "HOME=/", "TERM=xterm" };

/* Room is left in PATH_MAX for the file names workdir_file appends. */
struct workdir {
    char path[PATH_MAX - 32];
};

static int complain(const char *culprit, const char *reason)
{
    fprintf(stderr, "pith: %s: %s\n", culprit, reason);
    return PITH_EXIT_USAGE;
}

static int workdir_create(struct workdir *w)
{
    const char *tmp = getenv("TMPDIR");
    if (!tmp || !*tmp)
        tmp = "/tmp";
    int n = snprintf(w->path, sizeof w->path, "%s/pith.XXXXXX", tmp);
    if (n < 0 || (size_t)n >= sizeof w->path) {
        complain(tmp, "temp directory path too long");
        w->path[0] = '\0';
        return -1;
    }
    if (!mkdtemp(w->path)) {
        complain(tmp, strerror(errno));
        w->path[0] = '\0';
        return -1;
    }
    return 0;
}

static void workdir_file(const struct workdir *w, const char *name, char *out, size_t outlen)
{
    snprintf(out, outlen, "%s/%s", w->path, name);
}

/* The directory only ever holds plain files pith created. */
static void workdir_remove(struct workdir *w)
{
    if (!w->path[0])
        return;
    DIR *d = opendir(w->path);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL)
            if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
                unlinkat(dirfd(d), e->d_name, 0);
        closedir(d);
    }
    rmdir(w->path);
    w->path[0] = '\0';
}

int run_guest_path(const char *host, char *out, size_t outlen)
{
    int n;
    if (host[0] == '/') {
        n = snprintf(out, outlen, "%s", host);
    } else {
        const char *base = strrchr(host, '/');
        base = base ? base + 1 : host;
        n = snprintf(out, outlen, "/%s", base);
    }
    return n > 1 && (size_t)n < outlen ? 0 : -1;
}

/* A file that goes into the image must be a readable regular file. */
static int check_regular_file(const char *path, struct stat *st)
{
    if (stat(path, st) != 0)
        return complain(path, strerror(errno));
    if (S_ISDIR(st->st_mode))
        return complain(path, "is a directory");
    if (!S_ISREG(st->st_mode))
        return complain(path, "not a regular file");
    if (access(path, R_OK) != 0)
        return complain(path, strerror(errno));
    return 0;
}

/* Does some -f put a file at `interp`, itself or inside an added directory? */
static int interpreter_added(const struct pith_args *a, const char *interp)
{
    char guest[PATH_MAX];
    for (int i = 0; i < a->filec; i++) {
        const char *g = a->files[i].guest;
        if (!g) {
            if (run_guest_path(a->files[i].host, guest, sizeof guest) != 0)
                continue;
            g = guest;
        }
        size_t n = strlen(g);
        if (strncmp(interp, g, n) == 0 && (interp[n] == '\0' || interp[n] == '/'))
            return 1;
    }
    return 0;
}

static int check_inputs(const struct pith_args *a)
{
    struct stat st;
    int rc = check_regular_file(a->program, &st);
    if (rc)
        return rc;
    if (!a->no_check) {
        struct elf_check_result info;
        char why[512];
        if (elf_check_file(a->program, &info, why, sizeof why) != 0)
            return complain(a->program, why);
        if (info.interp[0] && !interpreter_added(a, info.interp)) {
            snprintf(why, sizeof why,
                     "dynamically linked (needs %s); link it with -static or add the interpreter with -f",
                     info.interp);
            return complain(a->program, why);
        }
    }
    for (int i = 0; i < a->filec; i++) {
        const char *host = a->files[i].host;
        if (stat(host, &st) != 0)
            return complain(host, strerror(errno));
        if (!S_ISDIR(st.st_mode) && (rc = check_regular_file(host, &st)) != 0)
            return rc;
    }
    return 0;
}

static int env_overridden(const struct pith_args *a, const char *kv)
{
    size_t keylen = (size_t)(strchr(kv, '=') - kv);
    for (int i = 0; i < a->envc; i++)
        if (strncmp(a->env[i], kv, keylen + 1) == 0)
            return 1;
    return 0;
}

static int fill_manifest(const struct pith_args *a, struct manifest *m)
{
    char guest[PATH_MAX], why[512] = "";
    struct stat st;
    if (run_guest_path(a->program, guest, sizeof guest) != 0)
        return complain(a->program, "path too long");
    if (stat(a->program, &st) != 0)
        return complain(a->program, strerror(errno));
    /* The program must be executable in the guest whatever its host mode. */
    if (manifest_add_file(m, guest, a->program, (st.st_mode & 07777) | 0555, why, sizeof why) != 0 ||
        manifest_set_program(m, guest, why, sizeof why) != 0 ||
        manifest_add_arg(m, a->program, why, sizeof why) != 0)
        return complain(a->program, why);
    for (int i = 0; i < a->prog_argc; i++)
        if (manifest_add_arg(m, a->prog_args[i], why, sizeof why) != 0)
            return complain(a->prog_args[i], why);
    for (size_t i = 0; i < sizeof default_env / sizeof default_env[0]; i++)
        if (!env_overridden(a, default_env[i]) && manifest_add_env(m, default_env[i], why, sizeof why) != 0)
            return complain(default_env[i], why);
    for (int i = 0; i < a->envc; i++)
        if (manifest_add_env(m, a->env[i], why, sizeof why) != 0)
            return complain(a->env[i], why);
    for (int i = 0; i < a->filec; i++) {
        const char *host = a->files[i].host, *g = a->files[i].guest;
        if (!g) {
            if (run_guest_path(host, guest, sizeof guest) != 0)
                return complain(host, "path too long");
            g = guest;
        }
        if (stat(host, &st) != 0)
            return complain(host, strerror(errno));
        int rc = S_ISDIR(st.st_mode) ? manifest_add_tree(m, g, host, why, sizeof why)
                                     : manifest_add_file(m, g, host, MANIFEST_MODE_FROM_HOST, why, sizeof why);
        if (rc != 0)
            return complain(host, why);
    }
    manifest_set_flags(m, a->trace ? MANIFEST_FLAG_TRACE : 0);
    return 0;
}

static int write_image(const struct pith_args *a, const char *out_path)
{
    int rc = check_inputs(a);
    if (rc)
        return rc;
    struct manifest *m = manifest_new(host_heap());
    if (!m)
        return complain(a->program, "out of memory");
    rc = fill_manifest(a, m);
    if (rc == 0) {
        struct boot_blobs boot = {
            .stage1 = pith_stage1_start, .stage1_len = (size_t)(pith_stage1_end - pith_stage1_start),
            .stage2 = pith_stage2_start, .stage2_len = (size_t)(pith_stage2_end - pith_stage2_start),
            .kernel = pith_kernel_start, .kernel_len = (size_t)(pith_kernel_end - pith_kernel_start),
        };
        char why[512] = "";
        /* image_write's message already names the culprit. */
        if (image_write(out_path, &boot, m, why, sizeof why) != 0) {
            if (why[0])
                fprintf(stderr, "pith: %s\n", why);
            else
                complain(out_path, "cannot write the image");
            rc = PITH_EXIT_USAGE;
        }
    }
    manifest_free(m);
    return rc;
}

int build_command(const struct pith_args *a)
{
    return write_image(a, a->output);
}

static int write_embedded_kernel(const char *path)
{
    size_t len = (size_t)(pith_kernel_end - pith_kernel_start);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return complain(path, strerror(errno));
    ssize_t n = write(fd, pith_kernel_start, len);
    int bad = n != (ssize_t)len;
    if (close(fd) != 0 || bad)
        return complain(path, "cannot write the kernel");
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

struct gdb_watch {
    const char *control_path;
    const char *program;
    int announced;
};

/* The kernel says where it put a position-independent program; only then can
 * gdb be told the symbol offset. */
static void gdb_tick(void *arg)
{
    struct gdb_watch *g = arg;
    if (g->announced || !g->program)
        return;
    FILE *f = fopen(g->control_path, "r");
    if (!f)
        return;
    char line[256];
    unsigned long long addr;
    while (fgets(line, sizeof line, f)) {
        if (sscanf(line, "load prog %llx", &addr) == 1) {
            fprintf(stderr, "pith: program loaded at 0x%llx; in gdb: add-symbol-file %s -o 0x%llx\n",
                    addr, g->program, addr);
            g->announced = 1;
            break;
        }
    }
    fclose(f);
}

static void print_gdb_hint(const struct pith_args *a, const char *kernel_path, int port)
{
    struct elf_check_result info;
    char why[128];
    int pie = a->program && elf_check_file(a->program, &info, why, sizeof why) == 0 && info.is_pie;
    fprintf(stderr, "pith: QEMU waits for gdb on port %d. Attach with:\n  gdb %s -ex 'target remote :%d'",
            port, kernel_path, port);
    if (a->program && !pie)
        fprintf(stderr, " -ex 'add-symbol-file %s'", a->program);
    fprintf(stderr, "\n");
    if (pie)
        fprintf(stderr, "pith: %s is position-independent: its add-symbol-file command follows once it is loaded\n",
                a->program);
}

static int boot(const struct pith_args *a, struct workdir *w, const char *image_path)
{
    char kernel[PATH_MAX], control[PATH_MAX];
    workdir_file(w, "kernel.elf", kernel, sizeof kernel);
    workdir_file(w, "control", control, sizeof control);

    if (a->boot == BOOT_PVH || a->gdb) {
        if (a->image) {
            char why[256];
            if (image_extract_kernel(image_path, kernel, why, sizeof why) != 0)
                return complain(image_path, why);
        } else if (write_embedded_kernel(kernel) != 0) {
            return PITH_EXIT_USAGE;
        }
    }
    struct qemu_options o = {
        .boot = a->boot, .accel = a->accel, .memory = a->memory, .cpus = a->cpus,
        .image_path = image_path, .kernel_path = kernel, .control_path = control,
    };
    if (a->gdb && (o.gdb_port = qemu_free_tcp_port()) < 0)
        return complain("gdb", "no free TCP port");

    static struct qemu_command cmd;
    char why[256];
    if (qemu_build_command(&o, &cmd, why, sizeof why) != 0)
        return complain("qemu", why);
    if (getenv("PITH_SHOW_QEMU")) {
        for (int i = 0; i < cmd.argc; i++)
            fprintf(stderr, "%s%s", cmd.argv[i], i + 1 < cmd.argc ? " " : "\n");
    }
    if (a->gdb)
        print_gdb_hint(a, kernel, o.gdb_port);

    struct gdb_watch watch = { .control_path = control, .program = a->program };
    struct qemu_result res;
    if (qemu_run(&cmd, a->gdb ? gdb_tick : NULL, &watch, &res, why, sizeof why) != 0) {
        fprintf(stderr, "pith: %s\n", why);
        return PITH_EXIT_NO_STATUS;
    }
    if (res.our_signal) {
        fprintf(stderr, "pith: stopped by signal %d\n", res.our_signal);
        return 128 + res.our_signal;
    }
    int status = read_exit_status(control);
    if (status >= 0)
        return status;
    if (res.term_signal)
        fprintf(stderr, "pith: guest stopped without an exit status (QEMU killed by signal %d)\n", res.term_signal);
    else if (res.exit_status != 0)
        fprintf(stderr, "pith: guest stopped without an exit status (QEMU exit status %d)\n", res.exit_status);
    else
        fprintf(stderr, "pith: guest stopped without an exit status\n");
    return PITH_EXIT_NO_STATUS;
}

int run_command(const struct pith_args *a)
{
    struct workdir w;
    char image[PATH_MAX];
    int rc;

    if (a->image) {
        struct stat st;
        if ((rc = check_regular_file(a->image, &st)) != 0)
            return rc;
    } else if ((rc = check_inputs(a)) != 0) {
        return rc;   /* before the temp directory exists: nothing to clean */
    }
    if (workdir_create(&w) != 0)
        return PITH_EXIT_USAGE;
    if (a->image)
        snprintf(image, sizeof image, "%s", a->image);
    else if (a->keep_image)
        snprintf(image, sizeof image, "%s", a->keep_image);
    else
        workdir_file(&w, "image", image, sizeof image);

    rc = a->image ? 0 : write_image(a, image);
    if (rc == 0)
        rc = boot(a, &w, image);
    workdir_remove(&w);
    return rc;
}
