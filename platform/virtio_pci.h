/* The virtio 1.0 "modern" PCI transport (virtio spec section 4.1): finds the
 * vendor capabilities (common config, notify, ISR, device config), runs the
 * status/feature handshake and installs split virtqueues. Legacy (I/O port)
 * virtio is not supported. */
#pragma once
#include "../klib/types.h"
#include "../klib/heap.h"
#include "pci.h"
#include "virtqueue.h"
#include "virtio_transport.h"
#include "msix.h"

#define VIRTIO_PCI_VENDOR 0x1af4
/* Modern device IDs are 0x1040 + the virtio device type. */
#define VIRTIO_PCI_MODERN_BASE 0x1040

struct virtio_pci {
    struct virtio_transport transport; /* what transport-neutral drivers use */
    struct pci_device pci;
    volatile uint8_t *common;     /* struct virtio_pci_common_cfg */
    volatile uint8_t *notify_base;
    uint32_t notify_multiplier;
    uint32_t notify_len;
    volatile uint8_t *isr;
    volatile uint8_t *device_cfg; /* NULL when the device has none */
    uint32_t device_cfg_len;
    void *bar_map[6];             /* each BAR mapped once, on first use */
    uint64_t bar_size[6];
    struct msix msix;             /* enabled by the first virtio_pci_queue_interrupt */
};

/* Find the modern capabilities and map them. Returns 0, or -ENODEV when the
 * function is not a modern virtio device, -EIO when a BAR cannot be used. */
int virtio_pci_attach(struct virtio_pci *vp, const struct pci_device *dev);
/* The transport-neutral steps (virtio_transport.h) for PCI-only drivers. */
int virtio_pci_negotiate(struct virtio_pci *vp, uint64_t wanted);
/* Create queue `index` with at most `max_size` descriptors and hand it to the
 * device. NULL on failure. */
struct virtqueue *virtio_pci_setup_queue(struct virtio_pci *vp, struct heap *h, uint16_t index, uint16_t max_size);
/* The final handshake step: the device may now use the queues. */
void virtio_pci_driver_ok(struct virtio_pci *vp);
/* Mark the device FAILED (after a setup error) so it stops touching memory. */
void virtio_pci_fail(struct virtio_pci *vp);
/* Announce queue `vq`'s used buffers by an MSI-X interrupt running fn(arg)
 * (table entry 1 + the queue index; the config-change vector stays off).
 * True when the device took the vector; false when it has no MSI-X or
 * refused it (it then reports nothing: the driver keeps polling). Call
 * before virtio_pci_driver_ok. */
bool virtio_pci_queue_interrupt(struct virtio_pci *vp, struct virtqueue *vq, irq_handler_fn fn, void *arg,
                                const char *name);
/* The same, delivered to the CPU with local APIC id apic_id (a NIC's
 * receive queue per CPU). */
bool virtio_pci_queue_interrupt_to(struct virtio_pci *vp, struct virtqueue *vq, uint32_t apic_id, irq_handler_fn fn,
                                   void *arg, const char *name);
/* Reading the ISR register acknowledges an INTx interrupt; returns its bits. */
uint8_t virtio_pci_isr_ack(struct virtio_pci *vp);

/* Device-specific config reads, retried until config_generation is stable. */
uint32_t virtio_pci_cfg_read32(struct virtio_pci *vp, uint32_t off);
/* 16 bits: QEMU answers all-ones to a wider read that ends past the
 * device's config (virtio-net's is 10 bytes with MQ and no MTU). */
uint16_t virtio_pci_cfg_read16(struct virtio_pci *vp, uint32_t off);
uint64_t virtio_pci_cfg_read64(struct virtio_pci *vp, uint32_t off);
