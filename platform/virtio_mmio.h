/* The virtio-mmio transport (virtio 1.0 section 4.2), register layout version
 * 2 ("modern"), as on QEMU's microvm machine, which has no PCI. Each transport
 * is a small register block; which ones exist is found by
 * virtio_mmio_find (virtio_mmio_find.c). Version 1 (legacy) transports are
 * refused: QEMU presents those unless run with
 * `-global virtio-mmio.force-legacy=false`. */
#pragma once
#include "../klib/types.h"
#include "../klib/heap.h"
#include "virtio_transport.h"
#include "virtio_mmio_cmdline.h"

/* An empty slot: the transport exists but no device is plugged into it. */
#define VIRTIO_MMIO_NO_DEVICE 0
/* The irq of a transport found by scanning rather than named by the host. */
#define VIRTIO_MMIO_IRQ_UNKNOWN UINT32_MAX

struct virtio_mmio {
    struct virtio_transport transport; /* what transport-neutral drivers use */
    volatile uint8_t *regs;
    uint64_t base;
    uint32_t cfg_len;    /* bytes of device config after the registers */
    uint32_t irq;
    uint32_t device_id;  /* virtio device type (VIRTIO_ID_*) */
};

/* Map the transport at `e` and check it: magic "virt", version 2, a device
 * plugged in. Returns 0; -ENODEV for an empty slot (silently); -EIO with a
 * one-line message for a bad magic, a legacy or unknown version. Nothing is
 * written to the device. */
int virtio_mmio_attach(struct virtio_mmio *vm, const struct virtio_mmio_entry *e);
/* In the interrupt handler: read why the device interrupted (bit 0 used
 * ring, bit 1 config change) and acknowledge it, which lowers its line. */
uint32_t virtio_mmio_ack_interrupt(struct virtio_mmio *vm);

/* Collect the virtio-mmio transports that have a device plugged in, in the
 * order the host attached them (the root disk first), up to `max`. They come
 * from the `virtio_mmio.device=` words of the kernel command line (`cmdline`,
 * NULL when the boot loader gave none); when it names none and `may_scan`
 * is set (the caller found no PCI bus), microvm's fixed transport window is
 * scanned instead. Returns the number stored. Bad entries get one line each
 * and are skipped. */
int virtio_mmio_find(const char *cmdline, bool may_scan, struct virtio_mmio_entry *out, int max);
