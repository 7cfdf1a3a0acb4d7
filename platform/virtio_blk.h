/* virtio-blk over either virtio transport (modern PCI, or virtio-mmio on
 * microvm; virtio_transport.h), exposed as a struct blockdev.
 * read/write/flush are synchronous; submit/poll keep up to 32 requests in
 * the ring at once. Tags, waiting and timeouts are the block request
 * engine's (blk_engine.h); this driver encodes requests and reads answers. */
#pragma once
#include "../klib/types.h"
#include "../klib/heap.h"
#include "../fs/blockdev.h"
#include "pci.h"
#include "virtio_mmio_cmdline.h"

/* NULL unless `dev` is a modern virtio-blk function (0x1af4:0x1042, or the
 * transitional 0x1001 when it has the modern capabilities) that initialises. */
struct blockdev *virtio_blk_probe(struct heap *h, struct pci_device *dev);
/* NULL unless the virtio-mmio transport at `e` holds a virtio-blk device
 * (version 2 transport) that initialises. */
struct blockdev *virtio_blk_probe_mmio(struct heap *h, const struct virtio_mmio_entry *e);
/* Enumerate PCI and return the first working virtio-blk device, or NULL. */
struct blockdev *virtio_blk_find_first(struct heap *h);
/* Ask the device to make completed writes durable (a no-op returning 0 when it
 * has no volatile cache). 0 or a negative errno. */
int virtio_blk_flush(struct blockdev *bd);
