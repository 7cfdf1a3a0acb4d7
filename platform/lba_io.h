/* Presents a disk with logical blocks of 512..4096 bytes as the 512-byte
 * sectors of struct blockdev. The driver supplies one primitive that moves
 * whole logical blocks between the disk and a kernel buffer it can DMA to;
 * this layer splits requests to the driver's size limit, and routes the
 * awkward cases through the driver's bounce buffer: a partial logical block
 * (read, or read-modify-write for writes), a buffer with the wrong alignment,
 * or one outside the linearly mapped kernel memory (e.g. user pages). Shared
 * by the NVMe and virtio-scsi drivers. */
#pragma once
#include "../klib/types.h"
#include "../kernel/mm.h"

struct lba_io {
    uint64_t sectors;       /* disk size in 512-byte sectors */
    uint32_t lba_size;      /* bytes per logical block: a power of two, 512..4096 */
    uint32_t max_bytes;     /* most bytes one raw() call may move; >= lba_size */
    uint32_t align;         /* buffer alignment raw() needs (power of two) */
    char *bounce;           /* direct-mapped, physically contiguous */
    uint32_t bounce_bytes;  /* a multiple of lba_size, <= max_bytes */
    /* Move `nlba` blocks starting at `lba`. `buf` passed dma_linear() for the
     * whole length and is `align`-aligned. 0 or a negative errno. */
    int (*raw)(struct lba_io *io, uint64_t lba, uint32_t nlba, char *buf, bool write);
};

/* True when [p, p+n) lies entirely in the direct map or entirely in the kernel
 * image, where virt_to_phys works page by page. */
static inline bool dma_linear(const void *p, size_t n)
{
    uint64_t a = (uint64_t)p, z = a + n - 1;
    if (n == 0 || z < a) return false;
    if (a >= KERNEL_IMAGE_BASE) return true;
    return a >= DIRECT_MAP_BASE && z < MMIO_BASE;
}

/* Read or write `count` 512-byte sectors. -EINVAL when the range is past the
 * end of the disk; otherwise the first error raw() returned. */
int lba_io_transfer(struct lba_io *io, uint64_t sector, char *buf, uint32_t count, bool write);
