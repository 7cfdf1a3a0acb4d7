/* Transmit segmentation offload (VIRTIO_NET_F_HOST_TSO4/6) with lwIP as it
 * is. lwIP never builds a segment above the path MSS (docs/net.md says
 * why that cannot change without changing lwIP), but within one net_lock
 * section it hands the driver runs of segments of one connection: same
 * headers but for the sequence number, each MSS bytes long, the last
 * maybe shorter. The driver keeps such a run open and sends it as one
 * frame, which the device (the host's tap) cuts back into the same
 * segments: one descriptor chain, one kick and one write on the host
 * instead of one per segment. These are the checks on the bytes; the
 * driver (net/virtio_net.c) keeps the run's buffers. */
#pragma once
#include "../klib/types.h"
#include "virtio_net_csum.h"

/* Ethernet + IPv6 + TCP with the largest options fit in this. */
#define TSO_HDRS_MAX 128

struct tso_seg {
    uint16_t l4off;     /* where TCP starts, from the frame's first byte */
    uint16_t hdr_len;   /* where the payload starts */
    uint16_t payload;   /* its length (> 0) */
    uint32_t seq;
    bool ipv6;
    bool psh;           /* the last of a write: the run ends with it */
};

/* Whether frame (hdrs: its first hlen bytes; len: the whole) is a plain
 * data segment a run may carry: IPv4 without options or fragments, or IPv6
 * with TCP straight after the header; only ACK (and PSH) set; data. */
bool tso_parse(const uint8_t *hdrs, size_t hlen, size_t len, struct tso_seg *s);
/* Whether segment s (headers hdrs) continues the run whose first frame's
 * headers are head (first: its segment), next_seq the sequence number the
 * run ends at: the same connection, acknowledgement, window and options. */
bool tso_continues(const uint8_t *head, const struct tso_seg *first, uint32_t next_seq, const uint8_t *hdrs,
                   const struct tso_seg *s);
/* Turn the first frame's headers (head) into the run's: payload bytes in
 * all, cut at mss, PSH when the last segment had it; and fill h for the
 * device (GSO type and size, checksum to finish). */
void tso_finish(struct virtio_net_hdr *h, uint8_t *head, const struct tso_seg *first, uint32_t payload, uint16_t mss,
                bool psh);
