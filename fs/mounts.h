/* Extra TFS volumes mounted beside the root (`pith run --mount VOL:/data`).
 * The host tool names each volume by its filesystem UUID and mount point in
 * the fw_cfg file "opt/pith/mounts" (the format: fs/mounts_list.h); without
 * fw_cfg (a cloud) the image's boot config names them the same way
 * (tfs_config.mount_uuids). The kernel
 * finds the disks and mounts the matching filesystems; the path walker
 * (fs/walk.c) enters a volume when it walks into its mount point. */
#pragma once
#include "../klib/types.h"
#include "../klib/heap.h"
#include "mounts_list.h"

#define MAX_MOUNTS MOUNTS_LIST_MAX
#define MOUNT_PATH_MAX MOUNTS_LIST_PATH_MAX

struct tfs;
struct blockdev;

struct mount {
    char path[MOUNT_PATH_MAX];   /* canonical, absolute, no trailing '/' */
    size_t len;
    struct tfs *fs;
};

struct mount_table {
    int count;
    struct mount mounts[MAX_MOUNTS];
};

/* Make a read-only TFS mount writable for the program, the way every kernel
 * mount is: wall-clock timestamps, a block cache of up to cache_blocks (0: a
 * small default) that keeps mapped pages and gives memory back when the
 * machine runs short. 0, or a negative errno with a line in err. */
int make_tfs_writable(struct tfs *fs, uint32_t cache_blocks, char *err, size_t errlen);

/* Mount the volumes the host asked for in fw_cfg; on a machine without
 * fw_cfg (a cloud, `pith run --cloud-like`) or without that fw_cfg file,
 * those the image's boot config cfg names, found by the uuids it records. A volume that cannot be found or
 * mounted is reported on the console and powers the machine off (a program
 * must not run with its data missing). */
struct tfs_config;
void mounts_attach(struct heap *h, struct mount_table *t, struct blockdev **disks, int ndisks,
                   const struct tfs_config *cfg);
/* The volume mounted exactly at canonical absolute path `abs`, or NULL
 * (fs/walk.c asks at each name it walks into). */
struct tfs *mount_at(struct mount_table *t, const char *abs);
/* Write every mounted volume back (at exit). */
void mounts_sync(struct mount_table *t);
