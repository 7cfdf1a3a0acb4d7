/* A split virtqueue (virtio 1.0 section 2.4): descriptor table, available ring
 * and used ring in one physically contiguous, zeroed allocation. The driver
 * adds buffer chains and either polls for completions or, later, calls
 * virtq_pop_used from an interrupt handler. Each chain carries a caller cookie
 * kept per descriptor head, so completions find their request. */
#pragma once
#include "../klib/types.h"
#include "../klib/heap.h"

#define VIRTQ_DESC_F_NEXT 1
#define VIRTQ_DESC_F_WRITE 2
#define VIRTQ_USED_F_NO_NOTIFY 1

struct virtq_desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};

struct virtq_avail {
    uint16_t flags;
    uint16_t idx;
    uint16_t ring[];
};

struct virtq_used_elem {
    uint32_t id;
    uint32_t len;
};

struct virtq_used {
    uint16_t flags;
    uint16_t idx;
    struct virtq_used_elem ring[];
};

/* One piece of a buffer chain: physical address, length, and whether the
 * device writes it (device-writable pieces must follow readable ones). */
struct virtq_buf {
    uint64_t phys;
    uint32_t len;
    bool device_writes;
};

struct virtqueue {
    struct heap *heap;
    uint16_t index;       /* queue number within the device */
    uint16_t size;        /* descriptors; a power of two */
    struct virtq_desc *desc;
    struct virtq_avail *avail;
    struct virtq_used *used;
    uint64_t desc_phys, avail_phys, used_phys;
    uint64_t ring_phys;   /* the whole allocation, for freeing */
    size_t ring_pages;
    uint16_t free_head;   /* first descriptor of the free list */
    uint16_t num_free;
    uint16_t last_used;   /* next used-ring slot we have not consumed */
    void **cookies;       /* indexed by chain head */
    volatile uint16_t *notify; /* PCI doorbell, set by virtio_pci; NULL on virtio-mmio */
};

/* Allocate a queue of `size` descriptors (power of two, <= 32768). */
struct virtqueue *virtq_create(struct heap *h, uint16_t index, uint16_t size);
void virtq_destroy(struct virtqueue *vq);

/* Post a chain of `n` buffers; returns the head descriptor index, or -ENOSPC
 * when there are not enough free descriptors (-EINVAL for n == 0). The device
 * is not told until virtq_kick. */
int virtq_add(struct virtqueue *vq, const struct virtq_buf *bufs, int n, void *cookie);
/* Whether the device wants to hear about newly added chains (it may ask not
 * to be notified while it is already processing the queue). */
bool virtq_kick_needed(struct virtqueue *vq);
/* Ring the PCI doorbell (`notify`, 16 bits wide) unless the device asked not
 * to be notified. Transport-neutral drivers use virtio_kick
 * (virtio_transport.h) instead: virtio-mmio's doorbell is another register. */
void virtq_kick(struct virtqueue *vq);
/* Take one completed chain: returns true and its cookie and written length,
 * freeing its descriptors; false when nothing new has completed. */
bool virtq_pop_used(struct virtqueue *vq, void **cookie, uint32_t *len);
