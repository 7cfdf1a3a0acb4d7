#include "disk.h"
#include "pci.h"
#include "virtio_blk.h"
#include "virtio_mmio.h"
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

/* The microvm machine lists at most 24 transports. */
#define MAX_MMIO_TRANSPORTS 32

/* Only virtio-blk runs over virtio-mmio here; other device types there
 * (network, later) are skipped by virtio_blk_probe_mmio. */
static int find_mmio_disks(struct heap *h, const char *cmdline, bool pci_present, struct blockdev **out, int max)
{
    struct virtio_mmio_entry mmio[MAX_MMIO_TRANSPORTS];
    int n = virtio_mmio_find(cmdline, !pci_present, mmio, MAX_MMIO_TRANSPORTS);
    int found = 0;
    for (int i = 0; i < n && found < max; i++)
        if ((out[found] = virtio_blk_probe_mmio(h, &mmio[i]))) found++;
    return found;
}

int disk_find_all(struct heap *h, const char *cmdline, struct blockdev **out, int max)
{
    struct pci_device *list;
    /* A machine without PCI (microvm) reads all-ones from the configuration
     * ports, so the enumeration finds nothing. */
    int n = pci_enumerate(h, &list);
    if (n < 0) n = 0;
    /* virtio-mmio first: on microvm the root disk is there, and a PC
     * machine's command line names no transports. */
    int found = find_mmio_disks(h, cmdline, n > 0, out, max);
    for (size_t p = 0; p < ARRAY_SIZE(probers); p++)
        for (int i = 0; i < n && found < max; i++) found += probers[p](h, &list[i], out + found, max - found);
    if (n > 0) deallocate(h, list, n * sizeof *list);
    return found;
}

struct blockdev *disk_find_first(struct heap *h, const char *cmdline)
{
    struct blockdev *bd;
    return disk_find_all(h, cmdline, &bd, 1) == 1 ? bd : NULL;
}
