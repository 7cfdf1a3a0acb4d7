#include "disk.h"
#include "pci.h"
#include "virtio_blk.h"
#include "nvme.h"
#include "virtio_scsi.h"

static int probe_virtio_blk(struct heap *h, struct pci_device *dev, struct blockdev **out, int max)
{
    (void)max;
    return (out[0] = virtio_blk_probe(h, dev)) != NULL;
}

static int probe_nvme(struct heap *h, struct pci_device *dev, struct blockdev **out, int max)
{
    (void)max;
    return (out[0] = nvme_probe(h, dev)) != NULL;
}

/* Each prober stores at most `max` (>= 1) disks for one PCI function. */
typedef int (*disk_prober)(struct heap *h, struct pci_device *dev, struct blockdev **out, int max);
static const disk_prober probers[] = {probe_virtio_blk, probe_nvme, virtio_scsi_probe};

int disk_find_all(struct heap *h, struct blockdev **out, int max)
{
    struct pci_device *list;
    int n = pci_enumerate(h, &list);
    if (n <= 0) return 0;
    int found = 0;
    for (size_t p = 0; p < ARRAY_SIZE(probers); p++)
        for (int i = 0; i < n && found < max; i++) found += probers[p](h, &list[i], out + found, max - found);
    deallocate(h, list, n * sizeof *list);
    return found;
}

struct blockdev *disk_find_first(struct heap *h)
{
    struct blockdev *bd;
    return disk_find_all(h, &bd, 1) == 1 ? bd : NULL;
}
