/* TCP checksums done by the device on the way out and by the driver on the
 * way in (net/virtio_net_csum.h). */
#include "virtio_net_csum.h"
#include "lwip/pbuf.h"
#include "lwip/ip_addr.h"
#include "lwip/inet_chksum.h"
#include "lwip/prot/ethernet.h"
#include "lwip/prot/ip.h"
#include "lwip/prot/ip4.h"
#include "lwip/prot/ip6.h"
#include "lwip/prot/tcp.h"
#include "../klib/string.h"

#define TCP_CHKSUM_OFFSET 16

/* Where the TCP header starts in an IP packet at l3 (l3len bytes), its
 * length, and the addresses: false when the packet is not unfragmented
 * TCP. *fragment says it is TCP, but in fragments. */
static bool find_tcp(const uint8_t *l3, size_t l3len, uint16_t type, size_t *l4off, size_t *l4len, ip_addr_t *src,
                     ip_addr_t *dst, bool *fragment)
{
    *fragment = false;
    if (type == ETHTYPE_IP) {
        if (l3len < IP_HLEN) return false;
        const struct ip_hdr *ip = (const struct ip_hdr *)l3;
        size_t hl = IPH_HL_BYTES(ip), total = lwip_ntohs(IPH_LEN(ip));
        if (IPH_PROTO(ip) != IP_PROTO_TCP || hl < IP_HLEN || total > l3len || total < hl + TCP_HLEN) return false;
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
            if (next == IP6_NEXTH_TCP) break;
            if (next == IP6_NEXTH_FRAGMENT) {
                if (off + 8 > end) return false;
                next = l3[off];
                if (next != IP6_NEXTH_TCP && next != IP6_NEXTH_HOPBYHOP && next != IP6_NEXTH_ROUTING &&
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
        if (next != IP6_NEXTH_TCP || off + TCP_HLEN > end) return false;
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
    ip_addr_t src, dst;
    bool fragment;
    if (!find_tcp(frame + SIZEOF_ETH_HDR, len - SIZEOF_ETH_HDR, type, &l4off, &l4len, &src, &dst, &fragment)) return;
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

bool virtio_net_csum_rx_ok(struct pbuf *p)
{
    if (p->len < SIZEOF_ETH_HDR + IP_HLEN) return true;
    const uint8_t *frame = p->payload;
    uint16_t type = (uint16_t)(frame[12] << 8 | frame[13]);
    size_t l4off, l4len;
    ip_addr_t src, dst;
    bool fragment;
    /* The headers must be in the first pbuf (a whole buffer: 2 KiB). */
    if (!find_tcp(frame + SIZEOF_ETH_HDR, p->len - SIZEOF_ETH_HDR, type, &l4off, &l4len, &src, &dst, &fragment))
        return !fragment;
    size_t start = SIZEOF_ETH_HDR + l4off;
    if (p->tot_len > start + l4len) pbuf_realloc(p, (u16_t)(start + l4len));   /* Ethernet padding */
    if (pbuf_remove_header(p, start)) return false;
    bool ok = ip_chksum_pseudo(p, IP_PROTO_TCP, (u16_t)l4len, &src, &dst) == 0;
    pbuf_add_header(p, start);
    return ok;
}
