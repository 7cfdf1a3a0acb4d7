#include "virtio_pci.h"
#include "../kernel/io.h"
#include "../kernel/mm.h"
#include "../kernel/console.h"
#include "../klib/errno.h"

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

int virtio_pci_attach(struct virtio_pci *vp, const struct pci_device *dev)
{
    *vp = (struct virtio_pci){.pci = *dev};
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

static uint8_t get_status(struct virtio_pci *vp) { return mmio_read8(vp->common + COMMON_DEVICE_STATUS); }
static void set_status(struct virtio_pci *vp, uint8_t s) { mmio_write8(vp->common + COMMON_DEVICE_STATUS, s); }

int virtio_pci_negotiate(struct virtio_pci *vp, uint64_t wanted)
{
    set_status(vp, 0);
    /* Reset completes when the device reads back 0. */
    for (int i = 0; get_status(vp) != 0; i++) {
        if (i > 1000000) return -EIO;
        cpu_relax();
    }
    set_status(vp, VIRTIO_STATUS_ACKNOWLEDGE);
    set_status(vp, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);

    mmio_write32(vp->common + COMMON_DEVICE_FEATURE_SELECT, 0);
    uint64_t offered = mmio_read32(vp->common + COMMON_DEVICE_FEATURE);
    mmio_write32(vp->common + COMMON_DEVICE_FEATURE_SELECT, 1);
    offered |= (uint64_t)mmio_read32(vp->common + COMMON_DEVICE_FEATURE) << 32;
    if (!((offered >> VIRTIO_F_VERSION_1) & 1)) {
        virtio_pci_fail(vp);
        return -EIO;
    }

    vp->features = offered & (wanted | (1ull << VIRTIO_F_VERSION_1));
    mmio_write32(vp->common + COMMON_DRIVER_FEATURE_SELECT, 0);
    mmio_write32(vp->common + COMMON_DRIVER_FEATURE, (uint32_t)vp->features);
    mmio_write32(vp->common + COMMON_DRIVER_FEATURE_SELECT, 1);
    mmio_write32(vp->common + COMMON_DRIVER_FEATURE, (uint32_t)(vp->features >> 32));

    uint8_t s = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK;
    set_status(vp, s);
    if (!(get_status(vp) & VIRTIO_STATUS_FEATURES_OK)) {
        virtio_pci_fail(vp);
        return -EIO;
    }
    return 0;
}

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

void virtio_pci_driver_ok(struct virtio_pci *vp)
{
    set_status(vp, get_status(vp) | VIRTIO_STATUS_DRIVER_OK);
}

void virtio_pci_fail(struct virtio_pci *vp)
{
    set_status(vp, get_status(vp) | VIRTIO_STATUS_FAILED);
}

uint8_t virtio_pci_isr_ack(struct virtio_pci *vp)
{
    return mmio_read8(vp->isr);
}

uint32_t virtio_pci_cfg_read32(struct virtio_pci *vp, uint32_t off)
{
    if (!vp->device_cfg || off + 4 > vp->device_cfg_len) return 0;
    uint8_t gen;
    uint32_t v;
    do {
        gen = mmio_read8(vp->common + COMMON_CONFIG_GENERATION);
        v = mmio_read32(vp->device_cfg + off);
    } while (gen != mmio_read8(vp->common + COMMON_CONFIG_GENERATION));
    return v;
}

uint64_t virtio_pci_cfg_read64(struct virtio_pci *vp, uint32_t off)
{
    if (!vp->device_cfg || off + 8 > vp->device_cfg_len) return 0;
    uint8_t gen;
    uint64_t v;
    do {
        gen = mmio_read8(vp->common + COMMON_CONFIG_GENERATION);
        v = mmio_read32(vp->device_cfg + off);
        v |= (uint64_t)mmio_read32(vp->device_cfg + off + 4) << 32;
    } while (gen != mmio_read8(vp->common + COMMON_CONFIG_GENERATION));
    return v;
}
