/* Arguments to image: check the inputs, fill the manifest (program, argv,
 * environment, files, /etc, dependencies, mount points) and write the image.
 * Every failure is one "pith: CULPRIT: reason" line and PITH_EXIT_USAGE. */
#define _GNU_SOURCE
#include "image_build.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "deps.h"
#include "elf_check.h"
#include "elf_tree.h"
#include "embedded.h"
#include "guest_etc.h"
#include "host_heap.h"
#include "image.h"
#include "manifest.h"
#include "pith_exit.h"
#include "runtime_trees.h"
#include "hardening_opts.h"

/* Kept small and deterministic: the guest sees nothing of the host's environment. */
static const char *const default_env[] = { "PATH=/bin:/usr/bin", "HOME=/", "TERM=xterm" };

int image_guest_path(const char *host, char *out, size_t outlen)
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
int image_check_regular_file(const char *path, struct stat *st)
{
    if (stat(path, st) != 0)
        return pith_complain(path, strerror(errno));
    if (S_ISDIR(st->st_mode))
        return pith_complain(path, "is a directory");
    if (!S_ISREG(st->st_mode))
        return pith_complain(path, "not a regular file");
    if (access(path, R_OK) != 0)
        return pith_complain(path, strerror(errno));
    return 0;
}

int image_check_inputs(const struct pith_args *a)
{
    struct stat st;
    int rc = image_check_regular_file(a->program, &st);
    if (rc)
        return rc;
    if (!a->no_check) {
        struct elf_check_result info;
        char why[512];
        if (elf_check_file(a->program, &info, why, sizeof why) != 0)
            return pith_complain(a->program, why);
    }
    for (int i = 0; i < a->filec; i++) {
        const char *host = a->files[i].host;
        if (stat(host, &st) != 0)
            return pith_complain(host, strerror(errno));
        if (a->files[i].dir_only && !S_ISDIR(st.st_mode))
            return pith_complain(host, "not a directory (-d takes a directory; use -f for a file)");
        if (!S_ISDIR(st.st_mode) && (rc = image_check_regular_file(host, &st)) != 0)
            return rc;
    }
    if (a->sysroot) {
        if (stat(a->sysroot, &st) != 0)
            return pith_complain(a->sysroot, strerror(errno));
        if (!S_ISDIR(st.st_mode))
            return pith_complain(a->sysroot, "--sysroot: not a directory");
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
            return pith_complain(default_env[i], why);
    for (int i = 0; i < a->envc; i++)
        if (!env_set_later(env[i], env, i + 1, a->envc) && manifest_add_env(m, env[i], why, sizeof why) != 0)
            return pith_complain(env[i], why);
    return 0;
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
            return pith_complain(f->target ? f->guest : f->host, why);
    }
    return 0;
}

static int collect_tree_object(void *ctx, const char *host, const char *guest)
{
    return elf_tree_collect(ctx, host, guest);
}

static int add_dependencies(const struct pith_args *a, struct manifest *m, const char *prog_guest)
{
    struct object_list objs = { 0 };
    char why[1024];
    for (int i = 0; i < a->filec; i++) {
        char guest[PATH_MAX];
        const char *g = a->files[i].guest;
        if (!g) {
            if (image_guest_path(a->files[i].host, guest, sizeof guest) != 0)
                continue;
            g = guest;
        }
        if (elf_tree_collect(&objs, a->files[i].host, g) != 0) {
            object_list_free(&objs);
            return pith_complain(a->files[i].host, "out of memory");
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
        return pith_complain(a->program, "path too long");
    if (stat(a->program, &st) != 0)
        return pith_complain(a->program, strerror(errno));
    /* The program must be executable in the guest whatever its host mode. */
    if (manifest_add_file(m, prog_guest, a->program, (st.st_mode & 07777) | 0555, why, sizeof why) != 0 ||
        manifest_set_program(m, prog_guest, why, sizeof why) != 0 ||
        manifest_add_arg(m, a->program_argv0 ? a->program_argv0 : a->program, why, sizeof why) != 0)
        return pith_complain(a->program, why);
    for (int i = 0; i < a->prog_argc; i++)
        if (manifest_add_arg(m, a->prog_args[i], why, sizeof why) != 0)
            return pith_complain(a->prog_args[i], why);
    int rc = add_environment(a, m);
    if (rc)
        return rc;
    for (int i = 0; i < a->filec; i++) {
        const char *host = a->files[i].host, *g = a->files[i].guest;
        if (!g) {
            if (image_guest_path(host, guest, sizeof guest) != 0)
                return pith_complain(host, "path too long");
            g = guest;
        }
        if (stat(host, &st) != 0)
            return pith_complain(host, strerror(errno));
        rc = S_ISDIR(st.st_mode) ? manifest_add_tree(m, g, host, why, sizeof why)
                                 : manifest_add_file(m, g, host, MANIFEST_MODE_FROM_HOST, why, sizeof why);
        if (rc != 0)
            return pith_complain(host, why);
    }
    if ((rc = net_opts_fill_manifest(&a->net, m, workdir)) != 0)
        return rc;
    if (guest_etc_add(m, workdir, a->user, why, sizeof why) != 0) {
        fprintf(stderr, "pith: %s\n", why);
        return PITH_EXIT_USAGE;
    }
    if (!a->no_check && (rc = add_dependencies(a, m, prog_guest)) != 0)
        return rc;
    manifest_set_flags(m, (a->trace ? MANIFEST_FLAG_TRACE : 0) | a->hardening);
    /* readonly-program and exec-protection know the program's own files
     * by their execute bits: every ELF object going in gets them. */
    if (hardening_marks_libraries(a->hardening))
        hardening_mark_elf_files(m);
    if (a->selftest && manifest_set_kernel_options(m, "selftest=", a->selftest) != 0) {
        fprintf(stderr, "pith: out of memory\n");
        return PITH_EXIT_USAGE;
    }
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
            return pith_complain(a->mounts[i].path, why);
        /* The image remembers its volumes, so `pith run --image` attaches them again. */
        if (!realpath(a->mounts[i].volume, vol) || manifest_add_mount(m, a->mounts[i].path, vol, why, sizeof why) != 0)
            return pith_complain(a->mounts[i].volume, why[0] ? why : strerror(errno));
    }
    return 0;
}

/* seed: the address-space layout seed for the kernel, 0 for a random one. */
int image_build(const struct pith_args *a, const char *out_path, const struct workdir *w, uint64_t seed)
{
    int rc = image_check_inputs(a);
    if (rc)
        return rc;
    struct manifest *m = manifest_new(host_heap());
    if (!m)
        return pith_complain(a->program, "out of memory");
    m->layout_seed = seed;
    rc = fill_manifest(a, m, w->path);
    if (rc == 0) {
        struct boot_blobs boot = {
            .stage1 = pith_stage1_start, .stage1_len = (size_t)(pith_stage1_end - pith_stage1_start),
            .stage2 = pith_stage2_start, .stage2_len = (size_t)(pith_stage2_end - pith_stage2_start),
            .kernel = pith_kernel_start, .kernel_len = (size_t)(pith_kernel_end - pith_kernel_start),
            .esp = pith_esp_start, .esp_len = (size_t)(pith_esp_end - pith_esp_start),
        };
        char why[512] = "";
        /* image_write's message already names the culprit. */
        if (image_write(out_path, &boot, m, why, sizeof why) != 0) {
            if (why[0])
                fprintf(stderr, "pith: %s\n", why);
            else
                pith_complain(out_path, "cannot write the image");
            rc = PITH_EXIT_USAGE;
        }
    }
    manifest_free(m);
    return rc;
}
