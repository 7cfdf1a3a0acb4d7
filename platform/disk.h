/* Finding disks: every block driver (virtio-blk, NVMe, virtio-scsi) probed
 * over one PCI enumeration, in that order of preference. */
#pragma once
#include "../klib/types.h"
#include "../klib/heap.h"
#include "../fs/blockdev.h"

/* The disk to boot from: the first that initialises, trying every virtio-blk
 * device, then every NVMe controller, then every virtio-scsi target. NULL when
 * there is none. */
struct blockdev *disk_find_first(struct heap *h);
/* Up to `max` disks in the same order; returns how many were stored. Probing
 * initialises (resets) the devices, so call one of these two, once. */
int disk_find_all(struct heap *h, struct blockdev **out, int max);
