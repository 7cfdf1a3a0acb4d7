/* Runs of lwIP's segments as one TSO frame (net/virtio_net_tso.h). Headers
 * are read as bytes: frames sit at any offset in the driver's slots. */
#include "virtio_net_tso.h"
#include "lwip/ip_addr.h"
#include "lwip/inet_chksum.h"
#include "lwip/prot/ethernet.h"
#include "lwip/prot/ip.h"
#include "lwip/prot/ip4.h"
#include "lwip/prot/ip6.h"
#include "lwip/prot/tcp.h"
#include "lwip/pbuf.h"
#include "../klib/string.h"

#define ETH_LEN SIZEOF_ETH_HDR
#define TCP_SEQ 4
#define TCP_FLAGS_BYTE 13
#define TCP_CHKSUM 16
#define IP4_LEN 2
#define IP4_ID 4
#define IP4_FRAG 6
#define IP4_CHKSUM 10
#define IP6_PLEN 4

static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}
static uint32_t get32(const uint8_t *p) { return (uint32_t)get16(p) << 16 | get16(p + 2); }

bool tso_parse(const uint8_t *hdrs, size_t hlen, size_t len, struct tso_seg *s)
{
    if (hlen < ETH_LEN + IP6_HLEN + TCP_HLEN && hlen < len) return false;
    if (len < ETH_LEN + IP_HLEN + TCP_HLEN) return false;
    uint16_t type = get16(hdrs + 12);
    const uint8_t *ip = hdrs + ETH_LEN;
    size_t l4off, l3len;
    if (type == ETHTYPE_IP) {
        if (ip[0] != 0x45 || ip[9] != IP_PROTO_TCP) return false;   /* IPv4, no options, TCP */
        if (get16(ip + IP4_FRAG) & (IP_OFFMASK | IP_MF)) return false;
        l3len = get16(ip + IP4_LEN);
        l4off = ETH_LEN + IP_HLEN;
        s->ipv6 = false;
    } else if (type == ETHTYPE_IPV6) {
        if ((ip[0] >> 4) != 6 || ip[6] != IP6_NEXTH_TCP) return false;
        l3len = IP6_HLEN + (size_t)get16(ip + IP6_PLEN);
        l4off = ETH_LEN + IP6_HLEN;
        s->ipv6 = true;
    } else {
        return false;
    }
    if (ETH_LEN + l3len != len || l4off + TCP_HLEN > hlen) return false;
    const uint8_t *tcp = hdrs + l4off;
    size_t thl = (size_t)(tcp[12] >> 4) * 4;
    uint8_t flags = tcp[TCP_FLAGS_BYTE];
    if (thl < TCP_HLEN || l4off + thl > hlen || l4off + thl >= len) return false;
    if ((flags & ~TCP_PSH) != TCP_ACK || (tcp[12] & 0x0f)) return false;   /* data with ACK only (no ECN, no URG) */
    s->l4off = (uint16_t)l4off;
    s->hdr_len = (uint16_t)(l4off + thl);
    s->payload = (uint16_t)(len - s->hdr_len);
    s->seq = get32(tcp + TCP_SEQ);
    s->psh = flags & TCP_PSH;
    return true;
}

/* The header bytes with what differs between a run's segments cleared. */
static void fixed_part(const uint8_t *hdrs, const struct tso_seg *s, uint8_t *out)
{
    memcpy(out, hdrs, s->hdr_len);
    uint8_t *ip = out + ETH_LEN, *tcp = out + s->l4off;
    if (s->ipv6) {
        put16(ip + IP6_PLEN, 0);
    } else {
        put16(ip + IP4_LEN, 0);
        put16(ip + IP4_ID, 0);
        put16(ip + IP4_CHKSUM, 0);
    }
    memset(tcp + TCP_SEQ, 0, 4);
    tcp[TCP_FLAGS_BYTE] &= (uint8_t)~TCP_PSH;
    put16(tcp + TCP_CHKSUM, 0);
}

bool tso_continues(const uint8_t *head, const struct tso_seg *first, uint32_t next_seq, const uint8_t *hdrs,
                   const struct tso_seg *s)
{
    if (s->ipv6 != first->ipv6 || s->hdr_len != first->hdr_len || s->seq != next_seq) return false;
    uint8_t a[TSO_HDRS_MAX], b[TSO_HDRS_MAX];
    fixed_part(head, first, a);
    fixed_part(hdrs, s, b);
    return memcmp(a, b, s->hdr_len) == 0;
}

void tso_finish(struct virtio_net_hdr *h, uint8_t *head, const struct tso_seg *first, uint32_t payload, uint16_t mss,
                bool psh)
{
    uint8_t *ip = head + ETH_LEN, *tcp = head + first->l4off;
    size_t l4len = (size_t)(first->hdr_len - first->l4off) + payload;
    ip_addr_t src, dst;
    if (first->ipv6) {
        put16(ip + IP6_PLEN, (uint16_t)l4len);
        ip_addr_copy_from_ip6_packed(src, ((const struct ip6_hdr *)ip)->src);
        ip_addr_copy_from_ip6_packed(dst, ((const struct ip6_hdr *)ip)->dest);
    } else {
        put16(ip + IP4_LEN, (uint16_t)(IP_HLEN + l4len));
        put16(ip + IP4_CHKSUM, 0);
        uint16_t sum = inet_chksum(ip, IP_HLEN);   /* network order, as lwIP stores it */
        memcpy(ip + IP4_CHKSUM, &sum, 2);
        struct ip_hdr copy;
        memcpy(&copy, ip, sizeof copy);
        ip_addr_copy_from_ip4(src, copy.src);
        ip_addr_copy_from_ip4(dst, copy.dest);
    }
    if (psh) tcp[TCP_FLAGS_BYTE] |= TCP_PSH;
    /* As for one segment (virtio_net_csum_offload): the pseudo-header's
     * sum over the whole run's length; the device redoes it per piece. */
    struct pbuf none;
    memset(&none, 0, sizeof none);
    uint16_t sum = (uint16_t)~ip_chksum_pseudo_partial(&none, IP_PROTO_TCP, (u16_t)l4len, 0, &src, &dst);
    memcpy(tcp + TCP_CHKSUM, &sum, 2);
    memset(h, 0, sizeof *h);
    h->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
    h->csum_start = first->l4off;
    h->csum_offset = TCP_CHKSUM;
    h->gso_type = first->ipv6 ? VIRTIO_NET_HDR_GSO_TCPV6 : VIRTIO_NET_HDR_GSO_TCPV4;
    h->gso_size = mss;
    h->hdr_len = first->hdr_len;
}
