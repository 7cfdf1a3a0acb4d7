#include "msix.h"
#include "../kernel/mm.h"
#include "../kernel/io.h"
#include "../klib/errno.h"
#include "../klib/format.h"

/* Capability layout (PCI Local Bus 3.0, 6.8.2). */
#define MSIX_CONTROL 2
#define MSIX_TABLE 4
#define MSIX_CONTROL_SIZE_MASK 0x7ffu
#define MSIX_CONTROL_FUNCTION_MASK (1u << 14)
#define MSIX_CONTROL_ENABLE (1u << 15)
#define MSIX_BIR_MASK 7u

/* Table entry layout: 16 bytes each. */
#define ENTRY_SIZE 16
#define ENTRY_ADDR_LO 0
#define ENTRY_ADDR_HI 4
#define ENTRY_DATA 8
#define ENTRY_VECTOR_CONTROL 12
#define ENTRY_MASKED 1u

/* The local APIC's message window: a write here with the destination APIC
 * id in bits 12..19 (physical mode, fixed delivery, edge) raises the vector
 * in the data word on that CPU. */
#define MSI_ADDRESS_BASE 0xfee00000u

int msix_enable(struct msix *m, const struct pci_device *dev)
{
    *m = (struct msix){.pci = *dev};
    uint8_t cap = pci_find_capability(dev, PCI_CAP_ID_MSIX, 0);
    if (!cap) return -ENODEV;
    uint16_t control = pci_read16(dev, cap + MSIX_CONTROL);
    uint32_t table = pci_read32(dev, cap + MSIX_TABLE);
    struct pci_bar bar;
    if (pci_bar_decode(dev, (int)(table & MSIX_BIR_MASK), &bar) != 0 || bar.is_io || bar.addr == 0) return -EIO;
    uint16_t entries = (uint16_t)((control & MSIX_CONTROL_SIZE_MASK) + 1);
    uint64_t offset = table & ~(uint64_t)MSIX_BIR_MASK;
    if (offset + (uint64_t)entries * ENTRY_SIZE > bar.size) return -EIO;
    m->table = mmio_map(bar.addr + offset, (size_t)entries * ENTRY_SIZE);
    if (!m->table) return -EIO;
    m->entries = entries;

    /* Enable with the whole function masked, so no entry fires while the
     * table holds whatever it held; then mask each entry and let go. */
    pci_write16(dev, cap + MSIX_CONTROL, control | MSIX_CONTROL_ENABLE | MSIX_CONTROL_FUNCTION_MASK);
    for (unsigned i = 0; i < entries; i++) msix_mask(m, i);
    pci_write16(dev, PCI_COMMAND, pci_read16(dev, PCI_COMMAND) | PCI_COMMAND_INTX_DISABLE);
    pci_write16(dev, cap + MSIX_CONTROL, (control | MSIX_CONTROL_ENABLE) & ~MSIX_CONTROL_FUNCTION_MASK);
    m->cap = cap;
    return 0;
}

void msix_disable(struct msix *m)
{
    if (!m->cap) return;
    uint16_t control = pci_read16(&m->pci, m->cap + MSIX_CONTROL);
    pci_write16(&m->pci, m->cap + MSIX_CONTROL, control & ~MSIX_CONTROL_ENABLE);
    m->cap = 0;
}

void msix_mask(struct msix *m, unsigned index)
{
    if (index >= m->entries) return;
    volatile uint8_t *e = m->table + (size_t)index * ENTRY_SIZE;
    mmio_write32(e + ENTRY_VECTOR_CONTROL, mmio_read32(e + ENTRY_VECTOR_CONTROL) | ENTRY_MASKED);
}

int msix_route(struct msix *m, unsigned index, irq_handler_fn fn, void *arg, const char *name)
{
    /* The device may deliver to any CPU; the caller's is as good as any
     * (the handlers take their locks as any CPU would). */
    return msix_route_to(m, index, lapic_id(), fn, arg, name);
}

int msix_route_to(struct msix *m, unsigned index, uint32_t apic_id, irq_handler_fn fn, void *arg, const char *name)
{
    /* An APIC id above 255 does not fit the message address (that needs
     * interrupt remapping): such a CPU's caller keeps polling. */
    if (!m->cap || index >= m->entries || apic_id > 0xff) return -1;
    int vector = irq_alloc_vector(fn, arg);
    if (vector < 0) return -1;
    char label[IRQ_NAME_MAX];
    format_sn(label, sizeof label, "PCI-MSIX-0000:%02x:%02x.%x %u-edge %s", m->pci.bus, m->pci.dev, m->pci.fn,
              index, name);
    irq_set_name(vector, label);
    volatile uint8_t *e = m->table + (size_t)index * ENTRY_SIZE;
    mmio_write32(e + ENTRY_ADDR_LO, MSI_ADDRESS_BASE | (apic_id << 12));
    mmio_write32(e + ENTRY_ADDR_HI, 0);
    mmio_write32(e + ENTRY_DATA, (uint32_t)vector);
    mmio_write32(e + ENTRY_VECTOR_CONTROL, mmio_read32(e + ENTRY_VECTOR_CONTROL) & ~ENTRY_MASKED);
    return vector;
}
