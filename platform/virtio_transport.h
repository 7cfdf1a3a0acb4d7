/* What a virtio device driver needs from its transport, whichever it is:
 * the modern PCI transport (virtio_pci.c, q35) or virtio-mmio (virtio_mmio.c,
 * microvm). A transport supplies the register-level operations; the status and
 * feature handshake that is the same on both is written once here
 * (virtio_transport.c). Drivers (virtio-blk, later virtio-net) hold a
 * `struct virtio_transport *` and never look at transport registers. */
#pragma once
#include "../klib/types.h"
#include "../klib/heap.h"
#include "virtqueue.h"

#define VIRTIO_STATUS_ACKNOWLEDGE 1
#define VIRTIO_STATUS_DRIVER 2
#define VIRTIO_STATUS_DRIVER_OK 4
#define VIRTIO_STATUS_FEATURES_OK 8
#define VIRTIO_STATUS_NEEDS_RESET 64
#define VIRTIO_STATUS_FAILED 128

#define VIRTIO_F_VERSION_1 32

/* Config reads are repeated while config_generation changes under them;
 * after this many tries the last value is taken (a device that keeps
 * changing its config must not hang the boot). */
#define VIRTIO_CFG_READ_TRIES 100

/* Virtio device types (virtio 1.0 section 5). */
#define VIRTIO_ID_NET 1
#define VIRTIO_ID_BLOCK 2

struct virtio_transport;

struct virtio_transport_ops {
    uint8_t (*get_status)(struct virtio_transport *t);
    void (*set_status)(struct virtio_transport *t, uint8_t status);
    /* 32 feature bits at a time: word 0 is bits 0..31, word 1 bits 32..63. */
    uint32_t (*device_features)(struct virtio_transport *t, uint32_t word);
    void (*driver_features)(struct virtio_transport *t, uint32_t word, uint32_t bits);
    /* Create queue `index` with at most `max_size` descriptors and hand it to
     * the device. NULL when the device has no such queue or memory ran out. */
    struct virtqueue *(*setup_queue)(struct virtio_transport *t, struct heap *h, uint16_t index, uint16_t max_size);
    /* Ring the doorbell of `vq` (the register and its width differ). */
    void (*notify)(struct virtio_transport *t, struct virtqueue *vq);
    /* Device-specific config, retried until the config generation is stable;
     * 0 when `off` is outside the device's config space. */
    uint32_t (*cfg_read32)(struct virtio_transport *t, uint32_t off);
    uint64_t (*cfg_read64)(struct virtio_transport *t, uint32_t off);
};

struct virtio_transport {
    const struct virtio_transport_ops *ops;
    uint64_t features;  /* negotiated */
    char name[32];      /* where the device is, for messages: "00:02.0", "mmio 0xfeb00e00" */
};

/* Reset, acknowledge, offer (device features & `wanted`) plus VERSION_1, and
 * set FEATURES_OK. Returns 0, or -EIO (with a message) when the device does
 * not finish its reset, lacks VERSION_1 or refuses the features. */
int virtio_negotiate(struct virtio_transport *t, uint64_t wanted);
/* The final handshake step: the device may now use the queues. */
void virtio_driver_ok(struct virtio_transport *t);
/* Mark the device FAILED (after a setup error) so it stops touching memory. */
void virtio_fail(struct virtio_transport *t);

static inline bool virtio_has_feature(const struct virtio_transport *t, unsigned bit)
{
    return (t->features >> bit) & 1;
}
static inline struct virtqueue *virtio_setup_queue(struct virtio_transport *t, struct heap *h, uint16_t index,
                                                   uint16_t max_size)
{
    return t->ops->setup_queue(t, h, index, max_size);
}
/* Tell the device about newly added chains, unless it asked not to be told. */
static inline void virtio_kick(struct virtio_transport *t, struct virtqueue *vq)
{
    if (virtq_kick_needed(vq)) t->ops->notify(t, vq);
}
static inline uint32_t virtio_cfg_read32(struct virtio_transport *t, uint32_t off) { return t->ops->cfg_read32(t, off); }
static inline uint64_t virtio_cfg_read64(struct virtio_transport *t, uint32_t off) { return t->ops->cfg_read64(t, off); }
