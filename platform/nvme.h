/* NVMe over PCI (class 01:08:02), namespace 1 exposed as a struct blockdev.
 * One admin queue pair and one I/O queue pair; read/write are synchronous,
 * submit/poll keep up to 63 commands in the I/O queue. Completions are
 * polled through the phase bit; nvme_complete is the drain an MSI-X handler
 * would call once interrupts are wired up. */
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
/* Mark finished I/O commands done (callbacks run later, from poll). */
void nvme_complete(struct blockdev *bd);
