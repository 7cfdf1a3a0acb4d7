#include "image_mounts.h"

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "../fs/mbr.h"
#include "../fs/tfs.h"
#include "file_blockdev.h"
#include "host_heap.h"
#include "manifest.h"
#include "pith_exit.h"

/* `pith run --image`: attach the volumes the image was built with, except
 * where --mount names the same mount point. */
int image_mounts_add(struct pith_args *a)
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
    if (cfg)   /* the image's network settings decide its NIC and forwarding address */
        net_opts_from_image(&a->net, cfg->net);
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
