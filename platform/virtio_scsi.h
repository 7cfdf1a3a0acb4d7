/* virtio-scsi over the modern PCI transport (0x1af4:0x1048): each direct-access
 * disk found at LUN 0 of targets 0..max_target becomes a struct blockdev.
 * Commands go to the first request queue: synchronously through read/write,
 * up to 32 at once through submit/poll; completions are polled, and
 * virtio_scsi_complete is the drain an interrupt handler would call. */
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
/* Mark finished requests of the disk's controller done (callbacks run
 * later, from poll). */
void virtio_scsi_complete(struct blockdev *bd);
