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
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "accel.h"
#include "deps.h"
#include "../fs/tfs.h"
#include "../fs/mbr.h"
#include "file_blockdev.h"
#include "elf_check.h"
#include "embedded.h"
#include "gdb_hint.h"
#include "guest_etc.h"
#include "host_heap.h"
#include "image.h"
#include "image_kernel.h"
#include "kvm_error.h"
#include "manifest.h"
#include "runtime_trees.h"
#include "volume.h"

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
    /* Absolute, so the paths printed for gdb work from any directory. */
    char real[PATH_MAX];
    if (realpath(w->path, real) && strlen(real) < sizeof w->path)
        strcpy(w->path, real);
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
    }
    for (int i = 0; i < a->filec; i++) {
        const char *host = a->files[i].host;
        if (stat(host, &st) != 0)
            return complain(host, strerror(errno));
        if (a->files[i].dir_only && !S_ISDIR(st.st_mode))
            return complain(host, "not a directory (-d takes a directory; use -f for a file)");
        if (!S_ISDIR(st.st_mode) && (rc = check_regular_file(host, &st)) != 0)
            return rc;
    }
    if (a->sysroot) {
        if (stat(a->sysroot, &st) != 0)
            return complain(a->sysroot, strerror(errno));
        if (!S_ISDIR(st.st_mode))
            return complain(a->sysroot, "--sysroot: not a directory");
    }
    return 0;
}

/* Is KEY of kv set again by a later entry of list[from..n)? */
static int env_set_later(const char *kv, const char *const *list, int from, int n)
{
    size_t keylen = (size_t)(strchr(kv, '=') - kv);
    for (int i = from; i < n; i++)
        if (strncmp(list[i], kv, keylen + 1) == 0)
            return 1;
    return 0;
}

/* Defaults first, then -e / --env-file / config entries; for a key given
 * twice the later value wins, at the position of the later entry. */
static int add_environment(const struct pith_args *a, struct manifest *m)
{
    char why[512];
    const char *const *env = (const char *const *)a->env;
    for (size_t i = 0; i < sizeof default_env / sizeof default_env[0]; i++)
        if (!env_set_later(default_env[i], env, 0, a->envc) && manifest_add_env(m, default_env[i], why, sizeof why) != 0)
            return complain(default_env[i], why);
    for (int i = 0; i < a->envc; i++)
        if (!env_set_later(env[i], env, i + 1, a->envc) && manifest_add_env(m, env[i], why, sizeof why) != 0)
            return complain(env[i], why);
    return 0;
}

/* ---- shared objects inside added files and trees ---- */

struct object_list {
    struct deps_object *v;
    size_t n, cap;
};

static void object_list_free(struct object_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free((char *)l->v[i].host);
        free((char *)l->v[i].guest);
    }
    free(l->v);
}

/* An ELF executable or shared object (by its first bytes), which may need libraries. */
static int is_elf_object(const char *path)
{
    unsigned char h[18];
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, h, sizeof h);
    close(fd);
    return n == (ssize_t)sizeof h && memcmp(h, "\177ELF", 4) == 0 && h[4] == 2 && (h[16] == 2 || h[16] == 3) &&
           h[17] == 0;
}

static int collect_objects(struct object_list *l, const char *host, const char *guest, int depth)
{
    struct stat st;
    if (lstat(host, &st) != 0 || depth > 64)
        return 0;
    if (S_ISREG(st.st_mode)) {
        if (st.st_size < 64 || !is_elf_object(host))
            return 0;
        if (l->n == l->cap) {
            size_t ncap = l->cap ? l->cap * 2 : 32;
            struct deps_object *nv = realloc(l->v, ncap * sizeof *nv);
            if (!nv)
                return -1;
            l->v = nv;
            l->cap = ncap;
        }
        char *h = strdup(host), *g = strdup(guest);
        if (!h || !g) {
            free(h);
            free(g);
            return -1;
        }
        l->v[l->n++] = (struct deps_object){ h, g };
        return 0;
    }
    if (!S_ISDIR(st.st_mode))
        return 0;
    DIR *d = opendir(host);
    if (!d)
        return 0;
    struct dirent *e;
    int rc = 0;
    char *hp = malloc(PATH_MAX), *gp = malloc(PATH_MAX);
    if (!hp || !gp)
        rc = -1;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (e->d_type != DT_UNKNOWN && e->d_type != DT_REG && e->d_type != DT_DIR)
            continue;
        if ((size_t)snprintf(hp, PATH_MAX, "%s/%s", host, e->d_name) >= PATH_MAX ||
            (size_t)snprintf(gp, PATH_MAX, "%s/%s", strcmp(guest, "/") ? guest : "", e->d_name) >= PATH_MAX)
            continue;
        rc = collect_objects(l, hp, gp, depth + 1);
    }
    closedir(d);
    free(hp);
    free(gp);
    return rc;
}

/* Deps files go in unless something is already at their path: a -f/-d
 * (even inside a tree) or a generated /etc file wins. */
static int add_deps(const struct deps *d, struct manifest *m)
{
    char why[512];
    for (size_t i = 0; i < d->nfiles; i++) {
        const struct deps_file *f = &d->files[i];
        if (f->role == DEPS_PROGRAM || guest_path_taken(m, f->guest))
            continue;
        int rc = f->target ? manifest_add_symlink(m, f->guest, f->target, why, sizeof why)
                           : manifest_add_file(m, f->guest, f->host, MANIFEST_MODE_FROM_HOST, why, sizeof why);
        if (rc != 0)
            return complain(f->target ? f->guest : f->host, why);
    }
    return 0;
}

static int collect_tree_object(void *ctx, const char *host, const char *guest)
{
    return collect_objects(ctx, host, guest, 0);
}

static int add_dependencies(const struct pith_args *a, struct manifest *m, const char *prog_guest)
{
    struct object_list objs = { 0 };
    char why[1024];
    for (int i = 0; i < a->filec; i++) {
        char guest[PATH_MAX];
        const char *g = a->files[i].guest;
        if (!g) {
            if (run_guest_path(a->files[i].host, guest, sizeof guest) != 0)
                continue;
            g = guest;
        }
        if (collect_objects(&objs, a->files[i].host, g, 0) != 0) {
            object_list_free(&objs);
            return complain(a->files[i].host, "out of memory");
        }
    }
    /* python's standard library and the like: a data tree no ELF header names. */
    static struct runtime_tree tree;
    if (runtime_tree_find(a->program, a->sysroot, &tree) &&
        runtime_tree_add(&tree, m, collect_tree_object, &objs, why, sizeof why) != 0) {
        object_list_free(&objs);
        fprintf(stderr, "pith: %s\n", why);
        return PITH_EXIT_USAGE;
    }
    struct deps_options o = { .sysroot = a->sysroot, .program_guest = prog_guest, .extra = objs.v, .nextra = objs.n };
    struct deps *d;
    int rc = deps_collect(a->program, &o, &d, why, sizeof why);
    object_list_free(&objs);
    if (rc != 0) {
        fprintf(stderr, "pith: %s\n", why);
        return PITH_EXIT_USAGE;
    }
    rc = add_deps(d, m);
    deps_free(d);
    return rc;
}

static int fill_manifest(const struct pith_args *a, struct manifest *m, const char *workdir)
{
    char guest[PATH_MAX], prog_guest[PATH_MAX], why[512] = "";
    struct stat st;
    if (deps_program_guest_path(a->program, a->sysroot, prog_guest, sizeof prog_guest) != 0)
        return complain(a->program, "path too long");
    if (stat(a->program, &st) != 0)
        return complain(a->program, strerror(errno));
    /* The program must be executable in the guest whatever its host mode. */
    if (manifest_add_file(m, prog_guest, a->program, (st.st_mode & 07777) | 0555, why, sizeof why) != 0 ||
        manifest_set_program(m, prog_guest, why, sizeof why) != 0 ||
        manifest_add_arg(m, a->program, why, sizeof why) != 0)
        return complain(a->program, why);
    for (int i = 0; i < a->prog_argc; i++)
        if (manifest_add_arg(m, a->prog_args[i], why, sizeof why) != 0)
            return complain(a->prog_args[i], why);
    int rc = add_environment(a, m);
    if (rc)
        return rc;
    for (int i = 0; i < a->filec; i++) {
        const char *host = a->files[i].host, *g = a->files[i].guest;
        if (!g) {
            if (run_guest_path(host, guest, sizeof guest) != 0)
                return complain(host, "path too long");
            g = guest;
        }
        if (stat(host, &st) != 0)
            return complain(host, strerror(errno));
        rc = S_ISDIR(st.st_mode) ? manifest_add_tree(m, g, host, why, sizeof why)
                                 : manifest_add_file(m, g, host, MANIFEST_MODE_FROM_HOST, why, sizeof why);
        if (rc != 0)
            return complain(host, why);
    }
    if (guest_etc_add(m, workdir, a->user, why, sizeof why) != 0) {
        fprintf(stderr, "pith: %s\n", why);
        return PITH_EXIT_USAGE;
    }
    if (!a->no_check && (rc = add_dependencies(a, m, prog_guest)) != 0)
        return rc;
    manifest_set_flags(m, a->trace ? MANIFEST_FLAG_TRACE : 0);
    manifest_set_min_size(m, a->min_size);
    if (a->core && manifest_set_core(m, a->core, why, sizeof why) != 0) {
        fprintf(stderr, "pith: %s\n", why);
        return PITH_EXIT_USAGE;
    }
    /* Mount points as directories, so `ls /` shows them (the kernel routes
     * the paths to the volume either way). */
    for (int i = 0; i < a->mountc; i++) {
        char norm[PATH_MAX], vol[PATH_MAX];
        if (!manifest_normalize_path(a->mounts[i].path, norm, sizeof norm) && !guest_path_taken(m, norm) &&
            manifest_add_dir(m, norm, 0755, why, sizeof why) != 0)
            return complain(a->mounts[i].path, why);
        /* The image remembers its volumes, so `pith run --image` attaches them again. */
        if (!realpath(a->mounts[i].volume, vol) || manifest_add_mount(m, a->mounts[i].path, vol, why, sizeof why) != 0)
            return complain(a->mounts[i].volume, why[0] ? why : strerror(errno));
    }
    return 0;
}

/* `pith run --image`: attach the volumes the image was built with, except
 * where --mount names the same mount point. */
static int add_image_mounts(struct pith_args *a)
{
    /* An image the host cannot read is left to the kernel, whose check
     * failure is the message the user should see. */
    struct file_blockdev fb;
    struct part_blockdev part;
    struct tfs *fs = NULL;
    char quiet[256];
    if (file_blockdev_open(&fb, a->image, false) != 0) return 0;
    if (fb.dev.sectors == 0 || mbr_open_partition(&fb.dev, MBR_TYPE_TFS, &part, quiet, sizeof quiet) != 0 ||
        tfs_mount(host_heap(), &part.dev, &fs, quiet, sizeof quiet) != 0) {
        file_blockdev_close(&fb);
        return 0;
    }
    const struct tfs_config *cfg = tfs_config(fs);
    int rc = 0;
    for (int i = 0; cfg && i < cfg->mountc && rc == 0; i++) {
        const char *point = cfg->mounts[2 * i], *vol = cfg->mounts[2 * i + 1];
        bool overridden = false;
        for (int j = 0; j < a->mountc; j++) {
            char norm[PATH_MAX];
            if (!manifest_normalize_path(a->mounts[j].path, norm, sizeof norm) && strcmp(norm, point) == 0)
                overridden = true;
        }
        if (overridden) continue;
        char spec[2 * PATH_MAX + 2], why[512];
        snprintf(spec, sizeof spec, "%s:%s", vol, point);
        if (args_add_mount(a, spec, NULL, why, sizeof why) != 0) {
            fprintf(stderr, "pith: %s: %s\n", a->image, why);
            rc = PITH_EXIT_USAGE;
        }
    }
    tfs_unmount(fs);
    file_blockdev_close(&fb);
    return rc;
}

/* ---- extra volumes (--mount) ---- */

#define MOUNT_POINT_MAX 256   /* fs/mounts.h MOUNT_PATH_MAX */

struct volume_set {
    int n;
    const char *paths[PITH_MAX_MOUNTS];
    uint8_t uuid[PITH_MAX_MOUNTS][16];
    char point[PITH_MAX_MOUNTS][MOUNT_POINT_MAX];
};

static int same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    return a && b && stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* Everything the kernel would refuse (fs/mounts.c), refused here first with
 * the culprit named: before anything is created. */
static int check_mounts(const struct pith_args *a, const char *root_image, struct volume_set *v)
{
    char why[600];
    v->n = 0;
    for (int i = 0; i < a->mountc; i++) {
        const char *vol = a->mounts[i].volume, *point = a->mounts[i].path;
        char norm[PATH_MAX];
        const char *bad = strchr(point, '\n') ? "newline in the mount point" : manifest_normalize_path(point, norm, sizeof norm);
        if (bad) {
            snprintf(why, sizeof why, "--mount: bad mount point (%s)", bad);
            return complain(point, why);
        }
        if (strcmp(norm, "/") == 0)
            return complain(point, "--mount: cannot mount over / (the image's own filesystem)");
        if (strlen(norm) >= MOUNT_POINT_MAX)
            return complain(point, "--mount: mount point too long");
        for (int j = 0; j < v->n; j++)
            if (strcmp(v->point[j], norm) == 0)
                return complain(point, "--mount: two volumes at the same mount point");
        if (volume_read_uuid(vol, v->uuid[v->n], why, sizeof why) != 0) {
            fprintf(stderr, "pith: %s\n", why);
            return PITH_EXIT_USAGE;
        }
        if (access(vol, W_OK) != 0)
            return complain(vol, strerror(errno));
        if (same_file(vol, root_image))
            return complain(vol, "--mount: the volume is the image being booted");
        for (int j = 0; j < v->n; j++)
            if (same_file(vol, v->paths[j])) {
                return complain(vol, "--mount: the same volume twice");
            } else if (memcmp(v->uuid[j], v->uuid[v->n], 16) == 0) {
                snprintf(why, sizeof why, "--mount: same filesystem uuid as %s (one volume mounted twice, or a copy of it)",
                         v->paths[j]);
                return complain(vol, why);
            }
        v->paths[v->n] = vol;
        strcpy(v->point[v->n], norm);
        v->n++;
    }
    return 0;
}

/* The fw_cfg file the kernel reads: "UUIDHEX /path" per line. */
static int write_mount_list(const struct volume_set *v, const char *path)
{
    FILE *f = fopen(path, "we");
    if (!f)
        return complain(path, strerror(errno));
    for (int i = 0; i < v->n; i++) {
        for (int k = 0; k < 16; k++)
            fprintf(f, "%02x", v->uuid[i][k]);
        fprintf(f, " %s\n", v->point[i]);
    }
    if (fclose(f) != 0)
        return complain(path, strerror(errno));
    return 0;
}

/* seed: the address-space layout seed for the kernel, 0 for a random one. */
static int write_image(const struct pith_args *a, const char *out_path, const struct workdir *w, uint64_t seed)
{
    int rc = check_inputs(a);
    if (rc)
        return rc;
    struct manifest *m = manifest_new(host_heap());
    if (!m)
        return complain(a->program, "out of memory");
    m->layout_seed = seed;
    rc = fill_manifest(a, m, w->path);
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
    struct workdir w;
    int rc = check_inputs(a);
    if (rc)
        return rc;
    if (workdir_create(&w) != 0)
        return PITH_EXIT_USAGE;
    rc = write_image(a, a->output, &w, 0);
    workdir_remove(&w);
    return rc;
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
    if (a->disk != DISK_BLK || a->boot == BOOT_DISK)
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
    if (vols->n && write_mount_list(vols, mounts) != 0)
        return PITH_EXIT_USAGE;

    if (a->boot == BOOT_PVH || a->gdb) {
        if (a->image) {
            char why[256];
            if (image_extract_kernel(image_path, kernel, why, sizeof why) != 0)
                return complain(image_path, why);
        } else if (write_embedded_kernel(kernel) != 0) {
            return PITH_EXIT_USAGE;
        }
    }
    /* COM1 and QMP: pith keeps [0]; QEMU inherits [1] (no CLOEXEC) and is told its number. */
    int sv[2], qmp[2] = { -1, -1 };
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
        return complain("socketpair", strerror(errno));
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, qmp) != 0) {
        close(sv[0]);
        close(sv[1]);
        return complain("socketpair", strerror(errno));
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
        .qmp_fd = qmp[1],
    };
    static struct qemu_command cmd;
    char why[256];
    int rc = 0;
    if (err_fd < 0)
        rc = complain(qemu_err, strerror(errno));
    else if (a->gdb && (o.gdb_port = qemu_free_tcp_port()) < 0)
        rc = complain("gdb", "no free TCP port");
    else if (qemu_build_command(&o, &cmd, why, sizeof why) != 0)
        rc = complain("qemu", why);
    if (rc) {
        close(sv[0]);
        close(sv[1]);
        close(qmp[0]);
        close(qmp[1]);
        if (err_fd >= 0)
            close(err_fd);
        return rc;
    }
    if (getenv("PITH_SHOW_QEMU")) {
        for (int i = 0; i < cmd.argc; i++)
            fprintf(stderr, "%s%s", cmd.argv[i], i + 1 < cmd.argc ? " " : "\n");
    }
    if (a->gdb)
        gdb_hint_print(stderr, o.gdb_port, kernel, a->image ? NULL : a->program, a->sysroot, seed);

    struct qemu_watch watch = { .qmp_sock = qmp[0], .gdb = a->gdb, .timeout_ms = a->timeout_ms, .stderr_fd = err_fd };
    struct qemu_result res;
    rc = qemu_run(&cmd, sv[0], sv[1], &watch, &res, why, sizeof why);
    close(sv[0]);
    close(qmp[0]);
    close(qmp[1]);
    close(err_fd);
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
    return report_end(a, plan, &res, control, qemu_err, outcome);
}

static int boot(const struct pith_args *a, struct workdir *w, const char *image_path, uint64_t seed,
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

/* --accel, else $PITH_ACCEL (how the test runner picks an engine for every run). */
static enum accel_mode wanted_accel(const struct pith_args *a)
{
    const char *env = getenv("PITH_ACCEL");
    if (a->accel != ACCEL_AUTO || !env)
        return a->accel;
    return !strcmp(env, "tcg") ? ACCEL_TCG : !strcmp(env, "kvm") ? ACCEL_KVM : ACCEL_AUTO;
}

int run_command(struct pith_args *a)
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
    if (a->image && (rc = add_image_mounts(a)) != 0)
        return rc;
    static struct volume_set vols;
    if ((rc = check_mounts(a, a->image ? a->image : a->keep_image, &vols)) != 0)
        return rc;
    /* Before anything is written: a refused --accel kvm leaves nothing behind. */
    static struct accel_choice accel;
    memset(&accel, 0, sizeof accel);
    if (!getenv(ACCEL_PROBE_CPU_ENV) && (rc = accel_choose(wanted_accel(a), &accel)) != 0)
        return rc;
    if (workdir_create(&w) != 0)
        return PITH_EXIT_USAGE;
    if (a->image)
        snprintf(image, sizeof image, "%s", a->image);
    else if (a->keep_image)
        snprintf(image, sizeof image, "%s", a->keep_image);
    else
        workdir_file(&w, "image", image, sizeof image);

    /* Under gdb pith picks the layout, so it can say where everything will be. */
    uint64_t seed = a->gdb && !a->image ? gdb_random_seed() : 0;
    rc = a->image ? 0 : write_image(a, image, &w, seed);
    if (rc == 0)
        rc = boot(a, &w, image, seed, &vols, &accel);
    workdir_remove(&w);
    return rc;
}
