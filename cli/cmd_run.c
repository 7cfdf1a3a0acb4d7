/* `pith run`: arguments, then the image (built into the temp directory, or
 * --keep-image, or an existing --image), then QEMU. Every failure before the
 * boot is one "pith: CULPRIT: reason" line and exit 2; whatever was created
 * lives in one temp directory that is removed on every path out (signals
 * included, see qemu.c). */
#define _GNU_SOURCE
#include "cmd_run.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "accel.h"
#include "gdb_hint.h"
#include "guest_boot.h"
#include "image_build.h"
#include "image_mounts.h"
#include "image_store.h"
#include "pith_exit.h"
#include "volume_check.h"
#include "workdir.h"

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

    /* Clouds boot through firmware: the BIOS path unless --boot uefi. */
    if (a->cloud_like && a->boot == BOOT_PVH) {
        if (a->boot_set)
            return pith_complain("--cloud-like", "a cloud boots through firmware: use --boot bios or --boot uefi");
        a->boot = BOOT_DISK;
    }
    if (a->image) {
        /* A stored image's name, or a file (cli/image_store.h). */
        char why[512];
        if (image_resolve(a->image, image, sizeof image, why, sizeof why) != 0) {
            fprintf(stderr, "pith: %s\n", why);
            return PITH_EXIT_USAGE;
        }
        if (strcmp(image, a->image) != 0 && !(a->image = args_keep(a, strdup(image))))
            return pith_complain(image, "out of memory");
    }
    if (a->image) {
        struct stat st;
        if ((rc = image_check_regular_file(a->image, &st)) != 0)
            return rc;
    } else if ((rc = image_check_inputs(a)) != 0) {
        return rc;   /* before the temp directory exists: nothing to clean */
    }
    if (a->image && (rc = image_mounts_add(a)) != 0)
        return rc;
    static struct volume_set vols;
    if ((rc = volume_set_check(a, a->image ? a->image : a->keep_image, &vols)) != 0)
        return rc;
    if ((rc = net_opts_check_ports(&a->net)) != 0)
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
    rc = a->image ? 0 : image_build(a, image, &w, seed);
    if (rc == 0)
        rc = guest_boot(a, &w, image, seed, &vols, &accel);
    workdir_remove(&w);
    return rc;
}
