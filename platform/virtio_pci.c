#include "virtio_pci.h"
#include "../kernel/io.h"
#include "../kernel/mm.h"
#include "../kernel/console.h"
#include "../klib/errno.h"
#include "../klib/format.h"

/* Vendor capability layout (struct virtio_pci_cap). */
#define CAP_CFG_TYPE 3
#define CAP_BAR 4
#define CAP_OFFSET 8
#define CAP_LENGTH 12
#define CAP_NOTIFY_MULTIPLIER 16

#define CFG_TYPE_COMMON 1
#define CFG_TYPE_NOTIFY 2
#define CFG_TYPE_ISR 3
#define CFG_TYPE_DEVICE 4

/* struct virtio_pci_common_cfg offsets. */
#define COMMON_CONFIG_MSIX_VECTOR 16
#define COMMON_DEVICE_FEATURE_SELECT 0
#define COMMON_DEVICE_FEATURE 4
#define COMMON_DRIVER_FEATURE_SELECT 8
#define COMMON_DRIVER_FEATURE 12
#define COMMON_NUM_QUEUES 18
#define COMMON_DEVICE_STATUS 20
#define COMMON_CONFIG_GENERATION 21
#define COMMON_QUEUE_SELECT 22
#define COMMON_QUEUE_SIZE 24
#define COMMON_QUEUE_MSIX_VECTOR 26
#define COMMON_QUEUE_ENABLE 28
#define COMMON_QUEUE_NOTIFY_OFF 30
#define COMMON_QUEUE_DESC 32
#define COMMON_QUEUE_DRIVER 40
#define COMMON_QUEUE_DEVICE 48
#define COMMON_MIN_LENGTH 56
#define VIRTIO_MSI_NO_VECTOR 0xffff

/* A window of a BAR. Each BAR is sized and mapped once per device: sizing
 * rewrites the BAR and toggles decoding, and every such write makes QEMU
 * rebuild its memory map (about 1.5 ms each under TCG). */
static void *map_bar(struct virtio_pci *vp, int bar, uint32_t offset, uint32_t length)
{
    if (bar > 5) return NULL;
    if (!vp->bar_map[bar]) {
        struct pci_bar b;
        if (pci_bar_decode(&vp->pci, bar, &b) != 0) return NULL;
        if (b.is_io || b.addr == 0) return NULL; /* I/O BARs / unassigned: unsupported */
        /* BARs are at least page-sized in practice, but align anyway so a
         * small BAR does not depend on mmio_map accepting odd addresses. */
        uint64_t base = ALIGN_DOWN(b.addr, PAGE_SIZE);
        size_t size = ALIGN_UP(b.addr + b.size, PAGE_SIZE) - base;
        char *v = mmio_map(base, size);
        if (!v) return NULL;
        vp->bar_map[bar] = v + (b.addr - base);
        vp->bar_size[bar] = b.size;
    }
    if ((uint64_t)offset + length > vp->bar_size[bar]) return NULL;
    return (char *)vp->bar_map[bar] + offset;
}

static const struct virtio_transport_ops pci_ops;

int virtio_pci_attach(struct virtio_pci *vp, const struct pci_device *dev)
{
    *vp = (struct virtio_pci){.transport.ops = &pci_ops, .pci = *dev};
    format_sn(vp->transport.name, sizeof vp->transport.name, "%02x:%02x.%x", dev->bus, dev->dev, dev->fn);
    if (dev->vendor != VIRTIO_PCI_VENDOR) return -ENODEV;

    bool found_common = false, found_notify = false, found_isr = false, found_device = false;
    int bad = 0;
    /* Decoding on before any BAR is touched (sizing keeps it as it was). */
    pci_enable(dev);
    /* The spec lets a device list several capabilities of one type in order
     * of preference; take the first of each. */
    for (uint8_t cap = pci_find_capability(dev, PCI_CAP_ID_VENDOR, 0); cap;
         cap = pci_find_capability(dev, PCI_CAP_ID_VENDOR, cap)) {
        uint8_t type = pci_read8(dev, cap + CAP_CFG_TYPE);
        uint8_t bar = pci_read8(dev, cap + CAP_BAR);
        uint32_t offset = pci_read32(dev, cap + CAP_OFFSET);
        uint32_t length = pci_read32(dev, cap + CAP_LENGTH);
        bool *found;
        switch (type) {
        case CFG_TYPE_COMMON: found = &found_common; break;
        case CFG_TYPE_NOTIFY: found = &found_notify; break;
        case CFG_TYPE_ISR: found = &found_isr; break;
        case CFG_TYPE_DEVICE: found = &found_device; break;
        default: continue;
        }
        if (*found || bar > 5) continue;
        if (type == CFG_TYPE_COMMON && length < COMMON_MIN_LENGTH) continue;
        volatile uint8_t *p = map_bar(vp, bar, offset, length);
        if (!p) {
            bad++;
            continue;
        }
        *found = true;
        switch (type) {
        case CFG_TYPE_COMMON: vp->common = p; break;
        case CFG_TYPE_NOTIFY:
            vp->notify_base = p;
            vp->notify_multiplier = pci_read32(dev, cap + CAP_NOTIFY_MULTIPLIER);
            vp->notify_len = length;
            break;
        case CFG_TYPE_ISR: vp->isr = p; break;
        case CFG_TYPE_DEVICE:
            vp->device_cfg = p;
            vp->device_cfg_len = length;
            break;
        }
    }
    if (!found_common || !found_notify || !found_isr) {
        if (bad)
            kprintf("virtio-pci %02x:%02x.%x: capability BAR unusable\n", dev->bus, dev->dev, dev->fn);
        return bad ? -EIO : -ENODEV;
    }
    return 0;
}

static struct virtio_pci *to_vp(struct virtio_transport *t) { return container_of(t, struct virtio_pci, transport); }

static uint8_t get_status(struct virtio_transport *t) { return mmio_read8(to_vp(t)->common + COMMON_DEVICE_STATUS); }
static void set_status(struct virtio_transport *t, uint8_t s) { mmio_write8(to_vp(t)->common + COMMON_DEVICE_STATUS, s); }

static uint32_t device_features(struct virtio_transport *t, uint32_t word)
{
    struct virtio_pci *vp = to_vp(t);
    mmio_write32(vp->common + COMMON_DEVICE_FEATURE_SELECT, word);
    return mmio_read32(vp->common + COMMON_DEVICE_FEATURE);
}

static void driver_features(struct virtio_transport *t, uint32_t word, uint32_t bits)
{
    struct virtio_pci *vp = to_vp(t);
    mmio_write32(vp->common + COMMON_DRIVER_FEATURE_SELECT, word);
    mmio_write32(vp->common + COMMON_DRIVER_FEATURE, bits);
}

int virtio_pci_negotiate(struct virtio_pci *vp, uint64_t wanted) { return virtio_negotiate(&vp->transport, wanted); }

static void write64_split(volatile uint8_t *p, uint64_t v)
{
    /* The spec asks for two 32-bit accesses, low half first. */
    mmio_write32(p, (uint32_t)v);
    mmio_write32(p + 4, (uint32_t)(v >> 32));
}

struct virtqueue *virtio_pci_setup_queue(struct virtio_pci *vp, struct heap *h, uint16_t index, uint16_t max_size)
{
    if (index >= mmio_read16(vp->common + COMMON_NUM_QUEUES)) return NULL;
    mmio_write16(vp->common + COMMON_QUEUE_SELECT, index);
    uint16_t size = mmio_read16(vp->common + COMMON_QUEUE_SIZE);
    if (size == 0 || mmio_read16(vp->common + COMMON_QUEUE_ENABLE)) return NULL;
    if (size > max_size) size = max_size;
    /* Split rings need a power of two; devices may offer any size. */
    while (size & (size - 1)) size &= size - 1;

    struct virtqueue *vq = virtq_create(h, index, size);
    if (!vq) return NULL;
    mmio_write16(vp->common + COMMON_QUEUE_SIZE, size);
    write64_split(vp->common + COMMON_QUEUE_DESC, vq->desc_phys);
    write64_split(vp->common + COMMON_QUEUE_DRIVER, vq->avail_phys);
    write64_split(vp->common + COMMON_QUEUE_DEVICE, vq->used_phys);
    uint16_t notify_off = mmio_read16(vp->common + COMMON_QUEUE_NOTIFY_OFF);
    if ((uint64_t)notify_off * vp->notify_multiplier + 2 > vp->notify_len) {
        virtq_destroy(vq);
        return NULL;
    }
    vq->notify = (volatile uint16_t *)(vp->notify_base + (uint64_t)notify_off * vp->notify_multiplier);
    mmio_write16(vp->common + COMMON_QUEUE_ENABLE, 1);
    return vq;
}

bool virtio_pci_queue_interrupt(struct virtio_pci *vp, struct virtqueue *vq, irq_handler_fn fn, void *arg,
                                const char *name)
{
    return virtio_pci_queue_interrupt_to(vp, vq, lapic_id(), fn, arg, name);
}

bool virtio_pci_queue_interrupt_to(struct virtio_pci *vp, struct virtqueue *vq, uint32_t apic_id, irq_handler_fn fn,
                                   void *arg, const char *name)
{
    if (!vp->msix.cap) {
        if (msix_enable(&vp->msix, &vp->pci) != 0) return false;
        mmio_write16(vp->common + COMMON_CONFIG_MSIX_VECTOR, VIRTIO_MSI_NO_VECTOR);
    }
    unsigned entry = 1u + vq->index;
    if (msix_route_to(&vp->msix, entry, apic_id, fn, arg, name) < 0) return false;
    mmio_write16(vp->common + COMMON_QUEUE_SELECT, vq->index);
    mmio_write16(vp->common + COMMON_QUEUE_MSIX_VECTOR, (uint16_t)entry);
    /* The device answers NO_VECTOR when it cannot use the entry. */
    if (mmio_read16(vp->common + COMMON_QUEUE_MSIX_VECTOR) == entry) return true;
    msix_mask(&vp->msix, entry);
    return false;
}

static struct virtqueue *setup_queue(struct virtio_transport *t, struct heap *h, uint16_t index, uint16_t max_size)
{
    return virtio_pci_setup_queue(to_vp(t), h, index, max_size);
}

/* The doorbell address is per queue (queue_notify_off); the value written is
 * the queue index, 16 bits wide. */
static void notify(struct virtio_transport *t, struct virtqueue *vq)
{
    (void)t;
    mmio_write16((volatile void *)vq->notify, vq->index);
}

void virtio_pci_driver_ok(struct virtio_pci *vp) { virtio_driver_ok(&vp->transport); }
void virtio_pci_fail(struct virtio_pci *vp) { virtio_fail(&vp->transport); }

uint8_t virtio_pci_isr_ack(struct virtio_pci *vp)
{
    return mmio_read8(vp->isr);
}

/* Read `bytes` (4 or 8) of device config at `off`, again while the device
 * changes it under us; a device that never stops changing it gets its
 * last value rather than a hang. */
static uint64_t cfg_read(struct virtio_pci *vp, uint32_t off, uint32_t bytes)
{
    if (!vp->device_cfg || (uint64_t)off + bytes > vp->device_cfg_len) return 0;
    uint64_t v = 0;
    for (int tries = 0; tries < VIRTIO_CFG_READ_TRIES; tries++) {
        uint8_t gen = mmio_read8(vp->common + COMMON_CONFIG_GENERATION);
        v = bytes == 2 ? mmio_read16(vp->device_cfg + off) : mmio_read32(vp->device_cfg + off);
        if (bytes == 8) v |= (uint64_t)mmio_read32(vp->device_cfg + off + 4) << 32;
        if (gen == mmio_read8(vp->common + COMMON_CONFIG_GENERATION)) break;
    }
    return v;
}

uint16_t virtio_pci_cfg_read16(struct virtio_pci *vp, uint32_t off) { return (uint16_t)cfg_read(vp, off, 2); }
uint32_t virtio_pci_cfg_read32(struct virtio_pci *vp, uint32_t off) { return (uint32_t)cfg_read(vp, off, 4); }
uint64_t virtio_pci_cfg_read64(struct virtio_pci *vp, uint32_t off) { return cfg_read(vp, off, 8); }

static uint32_t cfg_read32(struct virtio_transport *t, uint32_t off) { return virtio_pci_cfg_read32(to_vp(t), off); }
static uint64_t cfg_read64(struct virtio_transport *t, uint32_t off) { return virtio_pci_cfg_read64(to_vp(t), off); }

static const struct virtio_transport_ops pci_ops = {
    .get_status = get_status,
    .set_status = set_status,
    .device_features = device_features,
    .driver_features = driver_features,
    .setup_queue = setup_queue,
    .notify = notify,
    .cfg_read32 = cfg_read32,
    .cfg_read64 = cfg_read64,
};
