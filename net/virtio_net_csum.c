/* Checksums done by the device on the way out (TCP) and in (what it vouches
 * for), and by the driver on the way in (the rest; net/virtio_net_csum.h). */
#include "virtio_net_csum.h"
#include "lwip/pbuf.h"
#include "lwip/ip_addr.h"
#include "lwip/inet_chksum.h"
#include "lwip/prot/ethernet.h"
#include "lwip/prot/ip.h"
#include "lwip/prot/ip4.h"
#include "lwip/prot/ip6.h"
#include "lwip/prot/tcp.h"
#include "lwip/prot/udp.h"
#include "../klib/string.h"

#define TCP_CHKSUM_OFFSET 16
#define UDP_CHKSUM_OFFSET 6

static bool is_l4(uint8_t proto) { return proto == IP_PROTO_TCP || proto == IP_PROTO_UDP; }

/* Where the TCP or UDP header starts in an IP packet at l3 (l3len bytes),
 * its length, the protocol and the addresses: false when the packet is not
 * unfragmented TCP or UDP. *fragment says it is one of them, but in
 * fragments. */
static bool find_l4(const uint8_t *l3, size_t l3len, uint16_t type, size_t *l4off, size_t *l4len, uint8_t *proto,
                    ip_addr_t *src, ip_addr_t *dst, bool *fragment)
{
    *fragment = false;
    if (type == ETHTYPE_IP) {
        if (l3len < IP_HLEN) return false;
        const struct ip_hdr *ip = (const struct ip_hdr *)l3;
        size_t hl = IPH_HL_BYTES(ip), total = lwip_ntohs(IPH_LEN(ip));
        *proto = IPH_PROTO(ip);
        if (!is_l4(*proto) || hl < IP_HLEN || total > l3len || total < hl + UDP_HLEN) return false;
        if (IPH_OFFSET(ip) & PP_HTONS(IP_OFFMASK | IP_MF)) {
            *fragment = true;
            return false;
        }
        *l4off = hl;
        *l4len = total - hl;
        ip_addr_copy_from_ip4(*src, ip->src);
        ip_addr_copy_from_ip4(*dst, ip->dest);
        return true;
    }
    if (type == ETHTYPE_IPV6) {
        if (l3len < IP6_HLEN) return false;
        const struct ip6_hdr *ip6 = (const struct ip6_hdr *)l3;
        size_t end = IP6_HLEN + IP6H_PLEN(ip6), off = IP6_HLEN;   /* IP6H_PLEN swaps already */
        if (end > l3len) return false;
        uint8_t next = IP6H_NEXTH(ip6);
        /* Walk the extension headers to the upper layer. */
        for (int hops = 0; hops < 8; hops++) {
            if (is_l4(next)) break;
            if (next == IP6_NEXTH_FRAGMENT) {
                if (off + 8 > end) return false;
                next = l3[off];
                *proto = next;
                if (!is_l4(next) && next != IP6_NEXTH_HOPBYHOP && next != IP6_NEXTH_ROUTING &&
                    next != IP6_NEXTH_DESTOPTS)
                    return false;
                *fragment = true;
                return false;
            }
            if (next != IP6_NEXTH_HOPBYHOP && next != IP6_NEXTH_ROUTING && next != IP6_NEXTH_DESTOPTS) return false;
            if (off + 8 > end) return false;
            next = l3[off];
            off += 8 + (size_t)l3[off + 1] * 8;
        }
        if (!is_l4(next) || off + UDP_HLEN > end) return false;
        *proto = next;
        *l4off = off;
        *l4len = end - off;
        ip_addr_copy_from_ip6_packed(*src, ip6->src);
        ip_addr_copy_from_ip6_packed(*dst, ip6->dest);
        return true;
    }
    return false;
}

void virtio_net_csum_offload(struct virtio_net_hdr *h, uint8_t *frame, size_t len)
{
    if (len < SIZEOF_ETH_HDR) return;
    uint16_t type = (uint16_t)(frame[12] << 8 | frame[13]);
    size_t l4off, l4len;
    uint8_t proto;
    ip_addr_t src, dst;
    bool fragment;
    if (!find_l4(frame + SIZEOF_ETH_HDR, len - SIZEOF_ETH_HDR, type, &l4off, &l4len, &proto, &src, &dst, &fragment) ||
        proto != IP_PROTO_TCP || l4len < TCP_HLEN)
        return;
    uint8_t *field = frame + SIZEOF_ETH_HDR + l4off + TCP_CHKSUM_OFFSET;
    /* The pseudo-header alone, folded and not complemented: the device adds
     * the segment's bytes and complements. */
    struct pbuf none;
    memset(&none, 0, sizeof none);
    uint16_t sum = (uint16_t)~ip_chksum_pseudo_partial(&none, IP_PROTO_TCP, (u16_t)l4len, 0, &src, &dst);
    memcpy(field, &sum, 2);
    h->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
    h->csum_start = (uint16_t)(SIZEOF_ETH_HDR + l4off);
    h->csum_offset = TCP_CHKSUM_OFFSET;
}

/* NEEDS_CSUM on a received frame: the device vouches for the bytes, but the
 * checksum at csum_start + csum_offset only holds the pseudo-header's part.
 * Finish it as the sender's device would have (virtio 1.x 5.1.6.4.1). */
static bool complete_partial(const struct virtio_net_hdr *h, struct pbuf *p)
{
    size_t start = h->csum_start, field = start + h->csum_offset;
    if (field + 2 > p->tot_len || start >= p->tot_len) return false;
    if (pbuf_remove_header(p, start)) return false;
    uint16_t sum = inet_chksum_pbuf(p);   /* complemented already */
    pbuf_add_header(p, start);
    return pbuf_take_at(p, &sum, 2, (u16_t)field) == ERR_OK;
}

enum rx_csum virtio_net_csum_rx(struct pbuf *p, const struct virtio_net_hdr *h, bool guest_csum, bool check_tcp)
{
    bool vouched = guest_csum && (h->flags & (VIRTIO_NET_HDR_F_DATA_VALID | VIRTIO_NET_HDR_F_NEEDS_CSUM));
    if (p->len < SIZEOF_ETH_HDR + IP_HLEN) return vouched ? RX_CSUM_DROP : RX_CSUM_LWIP;
    const uint8_t *frame = p->payload;
    uint16_t type = (uint16_t)(frame[12] << 8 | frame[13]);
    size_t l4off = 0, l4len = 0;
    uint8_t proto = 0;
    ip_addr_t src, dst;
    bool fragment;
    /* The headers must be in the first pbuf (a whole buffer: 2 KiB). */
    bool l4 = find_l4(frame + SIZEOF_ETH_HDR, p->len - SIZEOF_ETH_HDR, type, &l4off, &l4len, &proto, &src, &dst,
                      &fragment);
    size_t start = SIZEOF_ETH_HDR + l4off;
    if (vouched && (h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM)) {
        /* A partial TCP or UDP checksum stays as it is, unchecked; anything
         * else is finished here and checked as usual. */
        bool own = l4 && h->csum_start == start &&
                   h->csum_offset == (proto == IP_PROTO_TCP ? TCP_CHKSUM_OFFSET : UDP_CHKSUM_OFFSET);
        if (own) return RX_CSUM_DEVICE;
        return complete_partial(h, p) ? RX_CSUM_LWIP : RX_CSUM_DROP;
    }
    /* DATA_VALID: TCP and UDP go unchecked. Not on a fragment: what lwIP
     * reassembles is checked when the last piece comes, under that
     * piece's rules. */
    if (vouched && l4) return RX_CSUM_DEVICE;
    if (!check_tcp) return RX_CSUM_LWIP;
    if (!l4) return fragment && proto == IP_PROTO_TCP ? RX_CSUM_DROP : RX_CSUM_LWIP;
    if (proto != IP_PROTO_TCP || l4len < TCP_HLEN) return RX_CSUM_LWIP;
    if (p->tot_len > start + l4len) pbuf_realloc(p, (u16_t)(start + l4len));   /* Ethernet padding */
    if (pbuf_remove_header(p, start)) return RX_CSUM_DROP;
    bool ok = ip_chksum_pseudo(p, IP_PROTO_TCP, (u16_t)l4len, &src, &dst) == 0;
    pbuf_add_header(p, start);
    return ok ? RX_CSUM_DRIVER : RX_CSUM_DROP;
}
