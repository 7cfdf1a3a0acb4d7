/* virtio-scsi over the modern PCI transport (0x1af4:0x1048): each direct-access
 * disk found at LUN 0 of targets 0..max_target becomes a struct blockdev.
 * Commands go to the first request queue: synchronously through read/write,
 * up to 32 at once through submit/poll. Tags, waiting and timeouts are the
 * block request engine's (blk_engine.h); completions are polled. */
#pragma once
#include "../klib/types.h"
#include "../klib/heap.h"
#include "../fs/blockdev.h"
#include "pci.h"

/* Initialise the controller at `dev` and store up to `max` disks in `out`.
 * Returns how many were stored (0 when `dev` is not virtio-scsi or has no
 * usable disk). */
int virtio_scsi_probe(struct heap *h, struct pci_device *dev, struct blockdev **out, int max);
/* SYNCHRONIZE CACHE for the whole disk. 0 or a negative errno. */
int virtio_scsi_flush(struct blockdev *bd);
