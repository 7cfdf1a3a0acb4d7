/* Building a TFS filesystem from a manifest, in two steps so the caller can
 * size the disk before writing:
 *   tfs_plan_build  walks the manifest and the host files it names (stat,
 *                   readdir, readlink), builds the guest tree, lays out the
 *                   log and the data extents;
 *   tfs_plan_write  writes superblocks, log and file data to a block device
 *                   that holds at least tfs_plan_blocks() blocks (the TFS
 *                   partition). Host file contents are read here.
 * Errors: negative errno and one line in err naming the culprit, e.g.
 * "/host/x: No such file or directory" or "/etc: parent /etc is a file". */
#pragma once
#include "../fs/blockdev.h"
#include "manifest.h"

struct tfs_plan;

int tfs_plan_build(const struct manifest *m, struct tfs_plan **out, char *err, size_t errlen);
/* Filesystem size in 4 KiB blocks (at least the manifest's `size`). */
uint64_t tfs_plan_blocks(const struct tfs_plan *p);
/* Make the filesystem at least `blocks` blocks (free space after the files;
 * the writer never writes it). */
void tfs_plan_reserve(struct tfs_plan *p, uint64_t blocks);
/* Write the filesystem to dev[0 .. blocks*8 sectors). Blocks not used by the
 * superblocks, log area or file data are not written (left as they are). */
int tfs_plan_write(struct tfs_plan *p, struct blockdev *dev, char *err, size_t errlen);
void tfs_plan_free(struct tfs_plan *p);
