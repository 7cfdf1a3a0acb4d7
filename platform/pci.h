/* PCI: configuration space through the legacy 0xCF8/0xCFC ports, BAR decoding,
 * capability walking and enumeration of every function on every bus. */
#pragma once
#include "../klib/types.h"
#include "../klib/heap.h"

struct pci_device {
    uint8_t bus, dev, fn;
    uint16_t vendor, device;
    uint8_t class_code, subclass, prog_if, irq_line;
};

/* Standard configuration header offsets (type 0 header). */
#define PCI_VENDOR_ID 0x00
#define PCI_DEVICE_ID 0x02
#define PCI_COMMAND 0x04
#define PCI_STATUS 0x06
#define PCI_REVISION 0x08
#define PCI_PROG_IF 0x09
#define PCI_SUBCLASS 0x0a
#define PCI_CLASS 0x0b
#define PCI_HEADER_TYPE 0x0e
#define PCI_BAR0 0x10
#define PCI_SUBSYSTEM_ID 0x2e
#define PCI_CAP_PTR 0x34
#define PCI_INTERRUPT_LINE 0x3c
#define PCI_INTERRUPT_PIN 0x3d

#define PCI_COMMAND_IO (1u << 0)
#define PCI_COMMAND_MEMORY (1u << 1)
#define PCI_COMMAND_BUS_MASTER (1u << 2)
#define PCI_COMMAND_INTX_DISABLE (1u << 10)
#define PCI_STATUS_CAP_LIST (1u << 4)

#define PCI_CAP_ID_MSI 0x05
#define PCI_CAP_ID_VENDOR 0x09
#define PCI_CAP_ID_MSIX 0x11

uint8_t pci_read8(const struct pci_device *d, uint16_t off);
uint16_t pci_read16(const struct pci_device *d, uint16_t off);
uint32_t pci_read32(const struct pci_device *d, uint16_t off);
void pci_write8(const struct pci_device *d, uint16_t off, uint8_t v);
void pci_write16(const struct pci_device *d, uint16_t off, uint16_t v);
void pci_write32(const struct pci_device *d, uint16_t off, uint32_t v);

struct pci_bar {
    uint64_t addr;  /* physical (memory) or port (io) base; 0 when unassigned */
    uint64_t size;  /* 0 when the BAR is not implemented */
    bool is_io;
    bool is_64bit;
    bool prefetchable;
};

/* Decode BAR `index` (0..5). Returns 0, or -1 when the index is invalid, the BAR
 * is unimplemented, or it is the upper half of a 64-bit BAR. */
int pci_bar_decode(const struct pci_device *d, int index, struct pci_bar *out);

/* Turn on memory + I/O decoding and bus mastering (needed for DMA). */
void pci_enable(const struct pci_device *d);

/* Offset of the first capability with `cap_id` at or after the capability
 * at `after` (pass 0 to start from the head), or 0 when there is none. */
uint8_t pci_find_capability(const struct pci_device *d, uint8_t cap_id, uint8_t after);

/* Scan every bus/device/function. Stores a heap-allocated array (freed by the
 * caller with deallocate(h, *out, count * sizeof **out)) and returns the count,
 * or a negative errno. */
int pci_enumerate(struct heap *h, struct pci_device **out);
