/* MSI-X for PCI functions: the device writes a message to the local APIC's
 * address window instead of raising a shared pin, so each queue gets its own
 * vector and no IOAPIC routing is involved. Plain MSI is not supported: every
 * PCI device QEMU's q35 gives Pith (virtio 1.0, NVMe) has MSI-X, and a device
 * without it keeps being polled. */
#pragma once
#include "../klib/types.h"
#include "../kernel/interrupt.h"
#include "pci.h"

struct msix {
    struct pci_device pci;
    uint8_t cap;                 /* config-space offset of the capability; 0 when unusable */
    uint16_t entries;            /* table size */
    volatile uint8_t *table;     /* entries * 16 bytes, mapped uncached */
};

/* Find the MSI-X capability of `dev`, map its table, mask every entry and
 * enable MSI-X (function mask off, legacy INTx off). Returns 0, or -ENODEV
 * when the function has no MSI-X, -EIO when its table cannot be mapped. */
int msix_enable(struct msix *m, const struct pci_device *dev);
/* Take a vector for fn(arg) and point table entry `index` at it, delivered
 * to the calling CPU, then unmask the entry. `name` is what /proc/interrupts
 * shows. Returns the vector, or -1 (index out of range, no vector free). */
int msix_route(struct msix *m, unsigned index, irq_handler_fn fn, void *arg, const char *name);
/* The same, delivered to the CPU whose local APIC id is apic_id (an online
 * one: a message to a CPU not started would be lost). */
int msix_route_to(struct msix *m, unsigned index, uint32_t apic_id, irq_handler_fn fn, void *arg, const char *name);
/* Turn MSI-X off again before the device's memory (a handler's argument)
 * is freed: the device then sends no messages at all. */
void msix_disable(struct msix *m);
/* Mask entry `index` again (e.g. the device refused to use it). */
void msix_mask(struct msix *m, unsigned index);
