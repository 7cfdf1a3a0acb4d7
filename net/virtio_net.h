/* virtio-net (virtio 1.0 section 5.1) over either transport, as an lwIP
 * network interface. One receive/transmit queue pair, or one per CPU where
 * a PCI device offers MQ; completions by interrupt (MSI-X per receive
 * queue on PCI, the IOAPIC on virtio-mmio). Features: docs/net.md. All
 * driver state is guarded by net_lock (net/net_stack.h): lwIP calls the
 * transmit path under it, and the interrupt handler takes it. */
#pragma once
#include "../klib/types.h"
#include "../klib/heap.h"

struct netif;
struct virtio_net;

/* Find and start every virtio-net device (virtio-mmio transports named on
 * the command line or in microvm's window, then PCI); up to max. */
int virtio_net_find_all(struct heap *h, const char *cmdline, struct virtio_net **out, int max);
/* netif_add's init function: state is the struct virtio_net. */
signed char virtio_net_netif_init(struct netif *nif);
/* What the device offered and we took, for messages: "csum mrg_rxbuf ...". */
const char *virtio_net_features(const struct virtio_net *vn);
/* Under net_lock, before it is let go (net/net_stack.c): send the runs of
 * segments kept open for transmit TSO (net/virtio_net_tso.h). */
void virtio_net_flush_all(void);
/* After netif_add (under net_lock): read the link state, take any frames
 * that arrived before. */
void virtio_net_link_start(struct virtio_net *vn);
