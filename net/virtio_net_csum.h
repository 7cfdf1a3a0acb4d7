/* TCP checksum offload for virtio-net (VIRTIO_NET_F_CSUM): the device
 * computes the checksum of what we send, so lwIP is told not to (on that
 * netif); and since lwIP then checks no TCP checksum on that netif either
 * (its loopback to the machine's own address re-enters with the same
 * netif), the driver checks each received TCP segment here instead. */
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

/* Outgoing frame (Ethernet header first): if it is TCP, leave its checksum
 * field the pseudo-header's sum and have the device finish it (h). */
void virtio_net_csum_offload(struct virtio_net_hdr *h, uint8_t *frame, size_t len);
/* Incoming frame: false when it is TCP with a wrong checksum (or TCP in
 * IP fragments, which the driver cannot check): drop it. Trims Ethernet
 * padding off an IP packet. */
bool virtio_net_csum_rx_ok(struct pbuf *p);
