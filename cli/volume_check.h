/* `pith run --mount VOLUME:/PATH`: check the volumes and write the list the
 * kernel reads through fw_cfg (fs/mounts_list.h). */
#pragma once
#include <stdint.h>

#include "../fs/mounts_list.h"
#include "settings.h"

struct volume_set {
    int n;
    const char *paths[PITH_MAX_MOUNTS];
    uint8_t uuid[PITH_MAX_MOUNTS][16];
    char point[PITH_MAX_MOUNTS][MOUNTS_LIST_PATH_MAX];
};

/* Check a's --mounts (volumes readable, writable, holding TFS, not
 * root_image, no mount point or volume twice, no two uuids alike) and fill
 * v. 0, or PITH_EXIT_USAGE after the "pith: CULPRIT: reason" line. */
int volume_set_check(const struct pith_args *a, const char *root_image, struct volume_set *v);
/* Write v as the mount list file at path. 0, or PITH_EXIT_USAGE after the line. */
int volume_set_write_list(const struct volume_set *v, const char *path);
