#include "virtio_mmio.h"
#include "../kernel/io.h"
#include "../kernel/mm.h"
#include "../kernel/console.h"
#include "../klib/errno.h"
#include "../klib/format.h"

/* Register offsets (virtio 1.0 section 4.2.2). Every register is 32 bits
 * wide and must be accessed as such; QEMU ignores narrower writes. */
#define REG_MAGIC 0x000
#define REG_VERSION 0x004
#define REG_DEVICE_ID 0x008
#define REG_DEVICE_FEATURES 0x010
#define REG_DEVICE_FEATURES_SEL 0x014
#define REG_DRIVER_FEATURES 0x020
#define REG_DRIVER_FEATURES_SEL 0x024
#define REG_QUEUE_SEL 0x030
#define REG_QUEUE_NUM_MAX 0x034
#define REG_QUEUE_NUM 0x038
#define REG_QUEUE_READY 0x044
#define REG_QUEUE_NOTIFY 0x050
#define REG_INTERRUPT_STATUS 0x060
#define REG_INTERRUPT_ACK 0x064
#define REG_STATUS 0x070
#define REG_QUEUE_DESC 0x080
#define REG_QUEUE_DRIVER 0x090
#define REG_QUEUE_DEVICE 0x0a0
#define REG_CONFIG_GENERATION 0x0fc

#define MAGIC_VIRT 0x74726976 /* "virt", little-endian */
#define VERSION_LEGACY 1
#define VERSION_MODERN 2

/* Device config spaces are tens of bytes; a larger window from a bogus entry
 * must not make us map (and page-table) gigabytes. */
#define MAX_MAPPED_BYTES 4096u

static const struct virtio_transport_ops mmio_ops;

static struct virtio_mmio *to_vm(struct virtio_transport *t) { return container_of(t, struct virtio_mmio, transport); }
static uint32_t reg_read(struct virtio_mmio *vm, uint32_t off) { return mmio_read32(vm->regs + off); }
static void reg_write(struct virtio_mmio *vm, uint32_t off, uint32_t v) { mmio_write32(vm->regs + off, v); }

/* Page tables cannot map addresses past the CPU's physical address width
 * (the bits above are reserved and would fault on access). */
static bool below_phys_limit(uint64_t end)
{
    uint32_t r[4];
    cpuid(0x80000000, 0, r);
    unsigned bits = 36; /* what CPUs without the leaf implement */
    if (r[0] >= 0x80000008) {
        cpuid(0x80000008, 0, r);
        bits = r[0] & 0xff;
    }
    return bits >= 64 || end <= (1ull << bits);
}

int virtio_mmio_attach(struct virtio_mmio *vm, const struct virtio_mmio_entry *e)
{
    *vm = (struct virtio_mmio){.transport.ops = &mmio_ops, .base = e->base, .irq = e->irq};
    format_sn(vm->transport.name, sizeof vm->transport.name, "mmio 0x%llx", (unsigned long long)e->base);
    uint32_t len = (uint32_t)MIN(e->size, (uint64_t)MAX_MAPPED_BYTES);
    if (len < VIRTIO_MMIO_REGS_SIZE || !below_phys_limit(e->base + len)) {
        kprintf("virtio-mmio at 0x%llx: window outside the CPU's physical address range\n",
                (unsigned long long)e->base);
        return -EIO;
    }
    vm->regs = mmio_map(e->base, len);
    vm->cfg_len = len - VIRTIO_MMIO_REGS_SIZE;

    uint32_t magic = reg_read(vm, REG_MAGIC);
    if (magic != MAGIC_VIRT) {
        kprintf("virtio-mmio at 0x%llx: no virtio-mmio transport there (magic 0x%x)\n",
                (unsigned long long)e->base, magic);
        return -EIO;
    }
    uint32_t version = reg_read(vm, REG_VERSION);
    vm->device_id = reg_read(vm, REG_DEVICE_ID);
    if (vm->device_id == VIRTIO_MMIO_NO_DEVICE) return -ENODEV;
    if (version == VERSION_LEGACY) {
        kprintf("virtio-mmio at 0x%llx: legacy (version 1) transport is not supported; "
                "run QEMU with -global virtio-mmio.force-legacy=false\n", (unsigned long long)e->base);
        return -EIO;
    }
    if (version != VERSION_MODERN) {
        kprintf("virtio-mmio at 0x%llx: unknown transport version %u\n", (unsigned long long)e->base, version);
        return -EIO;
    }
    return 0;
}

static uint8_t get_status(struct virtio_transport *t) { return (uint8_t)reg_read(to_vm(t), REG_STATUS); }
static void set_status(struct virtio_transport *t, uint8_t s) { reg_write(to_vm(t), REG_STATUS, s); }

static uint32_t device_features(struct virtio_transport *t, uint32_t word)
{
    reg_write(to_vm(t), REG_DEVICE_FEATURES_SEL, word);
    return reg_read(to_vm(t), REG_DEVICE_FEATURES);
}

static void driver_features(struct virtio_transport *t, uint32_t word, uint32_t bits)
{
    reg_write(to_vm(t), REG_DRIVER_FEATURES_SEL, word);
    reg_write(to_vm(t), REG_DRIVER_FEATURES, bits);
}

static void write64_split(struct virtio_mmio *vm, uint32_t off, uint64_t v)
{
    reg_write(vm, off, (uint32_t)v);
    reg_write(vm, off + 4, (uint32_t)(v >> 32));
}

static struct virtqueue *setup_queue(struct virtio_transport *t, struct heap *h, uint16_t index, uint16_t max_size)
{
    struct virtio_mmio *vm = to_vm(t);
    reg_write(vm, REG_QUEUE_SEL, index);
    if (reg_read(vm, REG_QUEUE_READY)) return NULL; /* in use: not ours to take */
    uint32_t offered = reg_read(vm, REG_QUEUE_NUM_MAX);
    if (offered == 0) return NULL; /* no such queue */
    uint32_t size = MIN(offered, (uint32_t)max_size);
    /* Split rings need a power of two; devices may offer any size. */
    while (size & (size - 1)) size &= size - 1;

    struct virtqueue *vq = virtq_create(h, index, (uint16_t)size);
    if (!vq) return NULL;
    reg_write(vm, REG_QUEUE_NUM, size);
    write64_split(vm, REG_QUEUE_DESC, vq->desc_phys);
    write64_split(vm, REG_QUEUE_DRIVER, vq->avail_phys);
    write64_split(vm, REG_QUEUE_DEVICE, vq->used_phys);
    reg_write(vm, REG_QUEUE_READY, 1);
    return vq;
}

/* One doorbell for all queues: the value written names the queue. */
static void notify(struct virtio_transport *t, struct virtqueue *vq)
{
    reg_write(to_vm(t), REG_QUEUE_NOTIFY, vq->index);
}

/* Read `bytes` (4 or 8) of device config at `off`, again while the device
 * changes it under us; a device that never stops changing it gets its
 * last value rather than a hang. */
static uint64_t cfg_read(struct virtio_transport *t, uint32_t off, uint32_t bytes)
{
    struct virtio_mmio *vm = to_vm(t);
    if ((uint64_t)off + bytes > vm->cfg_len) return 0;
    volatile uint8_t *p = vm->regs + VIRTIO_MMIO_REGS_SIZE + off;
    uint64_t v = 0;
    for (int tries = 0; tries < VIRTIO_CFG_READ_TRIES; tries++) {
        uint32_t gen = reg_read(vm, REG_CONFIG_GENERATION);
        v = mmio_read32(p);
        if (bytes == 8) v |= (uint64_t)mmio_read32(p + 4) << 32;
        if (gen == reg_read(vm, REG_CONFIG_GENERATION)) break;
    }
    return v;
}

static uint32_t cfg_read32(struct virtio_transport *t, uint32_t off) { return (uint32_t)cfg_read(t, off, 4); }
static uint64_t cfg_read64(struct virtio_transport *t, uint32_t off) { return cfg_read(t, off, 8); }

uint32_t virtio_mmio_ack_interrupt(struct virtio_mmio *vm)
{
    uint32_t why = reg_read(vm, REG_INTERRUPT_STATUS);
    if (why) reg_write(vm, REG_INTERRUPT_ACK, why);
    return why;
}

static const struct virtio_transport_ops mmio_ops = {
    .get_status = get_status,
    .set_status = set_status,
    .device_features = device_features,
    .driver_features = driver_features,
    .setup_queue = setup_queue,
    .notify = notify,
    .cfg_read32 = cfg_read32,
    .cfg_read64 = cfg_read64,
};
