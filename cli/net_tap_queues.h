/* How many queue pairs to ask of a tap backend (-netdev tap,queues=N) for a
 * guest with several CPUs: one per CPU, at most NET_TAP_MAX_QUEUES (the
 * kernel's MAX_PAIRS in net/virtio_net.c). */
#pragma once

#define NET_TAP_MAX_QUEUES 8

/* cpus, capped, when the tap can take several queues: it does not exist yet
 * (QEMU makes it, multi-queue) or was made multi-queue (`ip tuntap add
 * NAME mode tap multi_queue`). 1 for a single-queue tap, which QEMU could
 * not attach to with queues=N. Probed with TUNSETIFF (/dev/net/tun). */
int net_tap_queues(const char *ifname, int cpus);
/* The same decision from the tap's flags (IFF_MULTI_QUEUE or not): flags
 * < 0 when it does not exist. (For the unit test.) */
int net_tap_queues_for(long flags, int cpus);
