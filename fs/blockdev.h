/* A block device: 512-byte sectors, synchronous for now. Drivers (virtio-blk,
 * later NVMe/virtio-scsi) and the host's in-memory/file devices implement it. */
#pragma once
#include "../klib/types.h"

#define SECTOR_SIZE 512

struct blockdev {
    uint64_t sectors;
    /* Return 0 on success, a negative errno on failure. */
    int (*read)(struct blockdev *dev, uint64_t sector, void *buf, uint32_t count);
    int (*write)(struct blockdev *dev, uint64_t sector, const void *buf, uint32_t count);
    /* Make every completed write durable (a cache flush); NULL if writes are
     * durable on completion. */
    int (*flush)(struct blockdev *dev);
    const char *name;
};
