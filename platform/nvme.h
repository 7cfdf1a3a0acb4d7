/* NVMe over PCI (class 01:08:02), namespace 1 exposed as a struct blockdev.
 * One admin queue pair and one I/O queue pair; read/write are synchronous,
 * submit/poll keep up to 63 commands in the I/O queue. Each queue pair has
 * its own block request engine (blk_engine.h: command ids are its tags);
 * completions are polled through the phase bit (interrupts masked). */
#pragma once
#include "../klib/types.h"
#include "../klib/heap.h"
#include "../fs/blockdev.h"
#include "pci.h"

/* NULL unless `dev` is an NVMe controller that initialises and has an active
 * namespace 1 with 512..4096-byte blocks and no metadata. */
struct blockdev *nvme_probe(struct heap *h, struct pci_device *dev);
/* Make completed writes durable (0 at once when there is no volatile write
 * cache). 0 or a negative errno. */
int nvme_flush(struct blockdev *bd);
