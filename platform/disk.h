/* Finding disks: virtio-blk on virtio-mmio transports (microvm), then every
 * block driver (virtio-blk, NVMe, virtio-scsi) over one PCI enumeration, in
 * that order of preference. */
#pragma once
#include "../klib/types.h"
#include "../klib/heap.h"
#include "../fs/blockdev.h"

/* The disk to boot from: the first that initialises (see disk_find_all).
 * NULL when there is none. */
struct blockdev *disk_find_first(struct heap *h, const char *cmdline);
/* Up to `max` disks: first the virtio-blk devices on virtio-mmio transports,
 * in the order the host attached them (`cmdline` is the boot loader's kernel
 * command line, where QEMU's microvm lists them; NULL if there is none), then
 * every virtio-blk device, every NVMe controller and every virtio-scsi target
 * on PCI. Returns how many were stored. Probing initialises (resets) the
 * devices, so call one of these two, once. */
int disk_find_all(struct heap *h, const char *cmdline, struct blockdev **out, int max);
