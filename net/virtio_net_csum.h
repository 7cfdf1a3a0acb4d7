/* Checksum offload for virtio-net.
 * VIRTIO_NET_F_CSUM: the device computes the TCP checksum of what we send,
 * so lwIP is told not to (on that netif); and since lwIP then checks no TCP
 * checksum on that netif either (its loopback to the machine's own address
 * re-enters with the same netif), the driver checks each received TCP
 * segment here instead.
 * VIRTIO_NET_F_GUEST_CSUM: the device marks frames whose checksums it has
 * checked (DATA_VALID) or whose bytes never left the host's memory and so
 * carry only a partial checksum (NEEDS_CSUM). lwIP's checks are per netif,
 * not per packet: the driver clears NETIF_CHECKSUM_CHECK_TCP/UDP on the
 * netif for the duration of one such frame's input (lwIP handles a frame
 * to its end inside netif->input, under net_lock; loopback frames come
 * later through netif_poll, with the netif's own flags back). */
#pragma once
#include "../klib/types.h"

struct pbuf;

/* The header in front of every frame (VERSION_1: num_buffers always there). */
struct virtio_net_hdr {
    uint8_t flags;
    uint8_t gso_type;
    uint16_t hdr_len;
    uint16_t gso_size;
    uint16_t csum_start;
    uint16_t csum_offset;
    uint16_t num_buffers;
} PACKED;

#define VIRTIO_NET_HDR_F_NEEDS_CSUM 1
#define VIRTIO_NET_HDR_F_DATA_VALID 2
#define VIRTIO_NET_HDR_GSO_NONE 0
#define VIRTIO_NET_HDR_GSO_TCPV4 1
#define VIRTIO_NET_HDR_GSO_TCPV6 4

/* Outgoing frame (Ethernet header first): if it is TCP, leave its checksum
 * field the pseudo-header's sum and have the device finish it (h). */
void virtio_net_csum_offload(struct virtio_net_hdr *h, uint8_t *frame, size_t len);
/* What to do with an incoming frame, and who has checked its TCP/UDP
 * checksum. */
enum rx_csum {
    RX_CSUM_DROP,     /* wrong, or cannot be checked (TCP in IP fragments) */
    RX_CSUM_LWIP,     /* lwIP checks what its netif flags say */
    RX_CSUM_DRIVER,   /* TCP checked here (lwIP checks none on the netif) */
    RX_CSUM_DEVICE,   /* TCP or UDP the device vouches for: lwIP checks neither */
};
/* Incoming frame p (Ethernet header first) with the header h the device put
 * in front of it. guest_csum: GUEST_CSUM was negotiated; check_tcp: lwIP
 * checks no TCP checksum on this netif (CSUM), so the driver must. A
 * partial checksum (NEEDS_CSUM) on anything but TCP/UDP is completed here
 * (virtio 1.x 5.1.6.4.1). Trims Ethernet padding off a frame it checks. */
enum rx_csum virtio_net_csum_rx(struct pbuf *p, const struct virtio_net_hdr *h, bool guest_csum, bool check_tcp);
