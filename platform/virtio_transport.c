#include "virtio_transport.h"
#include "../kernel/io.h"
#include "../kernel/clock.h"
#include "../kernel/console.h"
#include "../klib/errno.h"

/* A device resets in microseconds; a second means it never will. */
#define RESET_TIMEOUT_NS (1000ull * 1000 * 1000)

int virtio_negotiate(struct virtio_transport *t, uint64_t wanted)
{
    const struct virtio_transport_ops *ops = t->ops;
    ops->set_status(t, 0);
    /* Reset completes when the device reads back 0. */
    uint64_t start = clock_monotonic_ns();
    while (ops->get_status(t) != 0) {
        if (clock_monotonic_ns() - start > RESET_TIMEOUT_NS) {
            kprintf("virtio %s: device did not finish its reset\n", t->name);
            return -EIO;
        }
        cpu_relax();
    }
    ops->set_status(t, VIRTIO_STATUS_ACKNOWLEDGE);
    ops->set_status(t, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);

    uint64_t offered = ops->device_features(t, 0) | (uint64_t)ops->device_features(t, 1) << 32;
    if (!((offered >> VIRTIO_F_VERSION_1) & 1)) {
        kprintf("virtio %s: device does not offer VIRTIO_F_VERSION_1\n", t->name);
        virtio_fail(t);
        return -EIO;
    }
    t->features = offered & (wanted | (1ull << VIRTIO_F_VERSION_1));
    ops->driver_features(t, 0, (uint32_t)t->features);
    ops->driver_features(t, 1, (uint32_t)(t->features >> 32));

    ops->set_status(t, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
    if (!(ops->get_status(t) & VIRTIO_STATUS_FEATURES_OK)) {
        kprintf("virtio %s: device refused the features 0x%llx\n", t->name, (unsigned long long)t->features);
        virtio_fail(t);
        return -EIO;
    }
    return 0;
}

void virtio_driver_ok(struct virtio_transport *t)
{
    t->ops->set_status(t, t->ops->get_status(t) | VIRTIO_STATUS_DRIVER_OK);
}

void virtio_fail(struct virtio_transport *t)
{
    t->ops->set_status(t, t->ops->get_status(t) | VIRTIO_STATUS_FAILED);
}
