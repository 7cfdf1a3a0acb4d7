/* virtio-net as an lwIP netif. Receive buffers are 2 KiB halves of pages,
 * posted once and re-posted as soon as their bytes are copied into a pbuf
 * (one copy of at most a frame, and the ring never runs dry while lwIP
 * holds data). Transmit copies each frame behind its virtio header into
 * one of `size` 2 KiB slots: many frames in flight, reaped lazily. With
 * several CPUs and a device that offers MQ (PCI), one receive/transmit
 * queue pair per CPU: a CPU sends on its own pair, and each receive
 * queue's MSI-X message goes to its CPU. */
#include "virtio_net.h"
#include "net_stack.h"
#include "virtio_net_csum.h"
#include "virtio_net_tso.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/etharp.h"
#include "lwip/ethip6.h"
#include "lwip/snmp.h"
#include "lwip/prot/ethernet.h"
#include "lwip/prot/ip4.h"
#include "lwip/prot/ip6.h"
#include "lwip/prot/ip.h"
#include "lwip/inet_chksum.h"
#include "../platform/virtio_pci.h"
#include "../platform/virtio_mmio.h"
#include "../platform/virtqueue.h"
#include "../platform/pci.h"
#include "../kernel/interrupt.h"
#include "../kernel/mm.h"
#include "../kernel/io.h"
#include "../kernel/console.h"
#include "../kernel/kernel.h"
#include "../kernel/percpu.h"
#include "../kernel/clock.h"
#include "../klib/format.h"
#include "../klib/string.h"
#include "../klib/errno.h"

#define VIRTIO_NET_F_CSUM 0
#define VIRTIO_NET_F_GUEST_CSUM 1
#define VIRTIO_NET_F_MTU 3
#define VIRTIO_NET_F_MAC 5
#define VIRTIO_NET_F_GUEST_TSO4 7
#define VIRTIO_NET_F_GUEST_TSO6 8
#define VIRTIO_NET_F_HOST_TSO4 11
#define VIRTIO_NET_F_HOST_TSO6 12
#define VIRTIO_NET_F_MRG_RXBUF 15
#define VIRTIO_NET_F_STATUS 16
#define VIRTIO_NET_F_CTRL_VQ 17
#define VIRTIO_NET_F_MQ 22

#define NET_CFG_MAC 0
#define NET_CFG_STATUS 6
#define NET_CFG_MAX_PAIRS 8
#define VIRTIO_NET_S_LINK_UP 1


/* Pair k is queues 2k (receive) and 2k+1 (transmit); the control queue
 * follows the device's last pair. */
#define MAX_PAIRS 8
#define QUEUE_MAX 256
#define PAGES_PER_PAIR (2 * QUEUE_MAX / (PAGE_SIZE / BUF_BYTES))
#define CTRL_MQ 4
#define CTRL_MQ_VQ_PAIRS_SET 0
#define CTRL_OK 0
#define CTRL_TIMEOUT_NS 1000000000ull
#define BUF_BYTES 2048
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1
#define ETH_FRAME_MAX 1514

struct net_buf {
    uint64_t phys;
    uint8_t *data;
    struct net_buf *next_free;   /* transmit slots only */
    struct net_buf *next_in_frame;   /* a TSO run's further slots (payload only) */
    uint32_t used;               /* bytes of the slot the frame takes */
};

/* A run of segments waiting to go as one TSO frame (net/virtio_net_tso.h):
 * the first slot holds the virtio header and the first whole frame, each
 * further slot one more segment's payload. */
#define TSO_MAX_SLOTS 44   /* 44 full segments stay below 64 KiB */
struct tso_run {
    struct net_buf *head, *tail;
    unsigned nslots;
    struct tso_seg first;
    uint32_t next_seq, payload;
    uint16_t last;           /* the last segment's payload: a short one ends the run */
    bool psh;
};

struct vn_pair {
    struct virtio_net *vn;
    struct virtqueue *rx, *tx;
    struct net_buf *rx_bufs, *tx_bufs;   /* rx->size and tx->size of them */
    struct net_buf *tx_free;
    struct tso_run run;
};

struct virtio_net {
    struct heap *heap;
    struct virtio_transport *t;
    union {
        struct virtio_pci pci;
        struct virtio_mmio mmio;
    } tr;
    struct vn_pair pairs[MAX_PAIRS];
    unsigned npairs;                      /* set up (and, beyond 1, enabled by the control queue) */
    struct virtqueue *ctrl;               /* MQ only */
    uint64_t *pages;                      /* the buffers' pages, for a failed start */
    size_t npages;
    struct netif *nif;
    uint8_t mac[6];
    bool tx_csum;                         /* the device computes TCP checksums (CSUM) */
    bool rx_csum;                         /* the device vouches for checksums (GUEST_CSUM) */
    bool tso4, tso6;                      /* the device cuts TCP runs (HOST_TSO4/6, with CSUM) */
    bool interrupts;                      /* wired; else the net timer polls */
    char features[128];
    uint64_t rx_packets, rx_dropped, rx_gso, tx_packets, tx_dropped, tx_gso;
};

/* Carve count 2 KiB buffers out of fresh pages. */
static bool make_buffers(struct virtio_net *vn, struct net_buf *bufs, unsigned count)
{
    for (unsigned i = 0; i < count; i += PAGE_SIZE / BUF_BYTES) {
        uint64_t pa = page_alloc();
        if (!pa) return false;
        vn->pages[vn->npages++] = pa;
        for (unsigned k = 0; k < PAGE_SIZE / BUF_BYTES && i + k < count; k++) {
            bufs[i + k].phys = pa + k * BUF_BYTES;
            bufs[i + k].data = (uint8_t *)phys_to_virt(pa) + k * BUF_BYTES;
        }
    }
    return true;
}

static void post_rx(struct vn_pair *q, struct net_buf *b)
{
    struct virtq_buf vb = { b->phys, BUF_BYTES, true };
    virtq_add(q->rx, &vb, 1, b);
}

/* Reap finished transmissions: their slots are free again. */
static void reap_tx(struct vn_pair *q)
{
    void *cookie;
    while (virtq_pop_used(q->tx, &cookie, NULL)) {
        for (struct net_buf *b = cookie, *next; b; b = next) {
            next = b->next_in_frame;
            b->next_in_frame = NULL;
            b->next_free = q->tx_free;
            q->tx_free = b;
        }
    }
}

/* The calling CPU's pair: its flows' replies come back on the same pair
 * (the host's tap steers a flow to the queue it was last sent on). */
static struct vn_pair *my_pair(struct virtio_net *vn)
{
    return &vn->pairs[vn->npairs > 1 ? this_cpu()->id % vn->npairs : 0];
}

/* Send the open run: one segment as itself, more as one TSO frame. */
static void flush_run(struct virtio_net *vn, struct vn_pair *q)
{
    struct tso_run *r = &q->run;
    if (!r->head) return;
    struct virtio_net_hdr *h = (struct virtio_net_hdr *)r->head->data;
    uint8_t *frame = r->head->data + sizeof *h;
    struct virtq_buf bufs[TSO_MAX_SLOTS];
    unsigned n = 0;
    if (r->nslots == 1) {
        virtio_net_csum_offload(h, frame, r->head->used - sizeof *h);
    } else {
        tso_finish(h, frame, &r->first, r->payload, r->first.payload, r->psh);
        vn->tx_gso++;
    }
    for (struct net_buf *b = r->head; b; b = b->next_in_frame) bufs[n++] = (struct virtq_buf){ b->phys, b->used, false };
    virtq_add(q->tx, bufs, (int)n, r->head);   /* room was checked when the run grew */
    virtio_kick(vn->t, q->tx);
    vn->tx_packets++;
    memset(r, 0, sizeof *r);
}

/* Every NIC found, for virtio_net_flush_all. */
#define MAX_NICS_KEPT 8
static struct virtio_net *nics[MAX_NICS_KEPT];
static unsigned nnics;

void virtio_net_flush_all(void)
{
    for (unsigned k = 0; k < nnics; k++)
        for (unsigned i = 0; i < nics[k]->npairs; i++) flush_run(nics[k], &nics[k]->pairs[i]);
}

/* Whether segment s (headers hdrs) can join q's open run. */
static bool run_takes(struct vn_pair *q, const uint8_t *hdrs, const struct tso_seg *s)
{
    struct tso_run *r = &q->run;
    return r->last == r->first.payload && s->payload <= r->first.payload && r->nslots < TSO_MAX_SLOTS &&
           q->tx->num_free > r->nslots + 1 && (uint32_t)s->hdr_len + r->payload + s->payload <= 0xffff &&
           tso_continues(r->head->data + sizeof(struct virtio_net_hdr), &r->first, r->next_seq, hdrs, s);
}

static err_t linkoutput(struct netif *nif, struct pbuf *p)
{
    struct virtio_net *vn = nif->state;
    struct vn_pair *q = my_pair(vn);
    reap_tx(q);
    uint8_t hdrs[TSO_HDRS_MAX];
    struct tso_seg s;
    bool seg = false;
    if ((vn->tso4 || vn->tso6) && p->tot_len <= ETH_FRAME_MAX) {
        u16_t hl = pbuf_copy_partial(p, hdrs, p->tot_len < sizeof hdrs ? p->tot_len : sizeof hdrs, 0);
        seg = tso_parse(hdrs, hl, p->tot_len, &s) && (s.ipv6 ? vn->tso6 : vn->tso4);
    }
    struct tso_run *r = &q->run;
    if (r->head && !(seg && run_takes(q, hdrs, &s))) flush_run(vn, q);
    struct net_buf *b = q->tx_free;
    if (!b || p->tot_len > ETH_FRAME_MAX) {
        vn->tx_dropped++;
        return ERR_MEM;
    }
    q->tx_free = b->next_free;
    b->next_in_frame = NULL;
    if (r->head) {   /* the run goes on: only this segment's payload */
        b->used = pbuf_copy_partial(p, b->data, s.payload, s.hdr_len);
        r->tail->next_in_frame = b;
        r->tail = b;
        r->nslots++;
        r->payload += s.payload;
        r->next_seq += s.payload;
        r->last = s.payload;
        r->psh = s.psh;
        if (s.psh) flush_run(vn, q);
        return ERR_OK;
    }
    struct virtio_net_hdr *h = (struct virtio_net_hdr *)b->data;
    memset(h, 0, sizeof *h);
    uint8_t *frame = b->data + sizeof *h;
    pbuf_copy_partial(p, frame, p->tot_len, 0);
    b->used = (uint32_t)(sizeof *h + p->tot_len);
    if (seg && !s.psh) {   /* may start a run: sent at the latest when net_lock is let go */
        *r = (struct tso_run){ .head = b, .tail = b, .nslots = 1, .first = s, .next_seq = s.seq + s.payload,
                               .payload = s.payload, .last = s.payload };
        return ERR_OK;
    }
    if (vn->tx_csum) virtio_net_csum_offload(h, frame, p->tot_len);
    struct virtq_buf vb = { b->phys, b->used, false };
    virtq_add(q->tx, &vb, 1, b);
    virtio_kick(vn->t, q->tx);
    vn->tx_packets++;
    return ERR_OK;
}

/* One received packet: its first buffer starts with the header (copied to
 * *h), which says how many buffers (merged receive buffers) hold the frame;
 * a coalesced TCP segment (GUEST_TSO4/6) takes up to 33 of them. Every
 * buffer goes back to the device once copied. NULL for a runt, a frame
 * above 64 KiB (a pbuf's length is 16 bits; Linux's TSO segments stay
 * below) or no memory. */
static struct pbuf *take_packet(struct vn_pair *q, struct net_buf *first, uint32_t len, struct virtio_net_hdr *h)
{
    struct virtio_net *vn = q->vn;
    memcpy(h, first->data, sizeof *h);
    unsigned nbufs = vn->t->features & (1ull << VIRTIO_NET_F_MRG_RXBUF) ? h->num_buffers : 1;
    if (nbufs == 0) nbufs = 1;
    struct pbuf *chain = NULL;
    bool ok = len >= sizeof *h;
    uint32_t total = 0;
    struct net_buf *b = first;
    for (unsigned i = 0; i < nbufs; i++) {
        if (i > 0) {
            void *cookie;
            if (!virtq_pop_used(q->rx, &cookie, &len)) { ok = false; break; }
            b = cookie;
        }
        uint32_t skip = i == 0 ? sizeof *h : 0;
        if (len > BUF_BYTES) len = BUF_BYTES;
        if (ok && len > skip && total + (len - skip) > 0xffff) ok = false;
        if (ok && len > skip) {
            struct pbuf *p = pbuf_alloc(PBUF_RAW, (u16_t)(len - skip), PBUF_POOL);
            if (p) {
                pbuf_take(p, b->data + skip, (u16_t)(len - skip));
                if (chain) pbuf_cat(chain, p); else chain = p;
                total += len - skip;
            } else {
                ok = false;
            }
        }
        post_rx(q, b);
    }
    if (!ok || !chain || chain->tot_len < SIZEOF_ETH_HDR) {
        if (chain) pbuf_free(chain);
        vn->rx_dropped++;
        return NULL;
    }
    if (h->gso_type != VIRTIO_NET_HDR_GSO_NONE) vn->rx_gso++;
    return chain;
}

/* Hand one frame to lwIP. A frame whose TCP/UDP checksum the device vouched
 * for goes in with lwIP's checks of those off on the netif, for this frame
 * only (net/virtio_net_csum.h). */
static void deliver(struct virtio_net *vn, struct pbuf *p, const struct virtio_net_hdr *h)
{
    struct netif *nif = vn->nif;
    enum rx_csum how = RX_CSUM_LWIP;
    if (vn->tx_csum || vn->rx_csum) how = virtio_net_csum_rx(p, h, vn->rx_csum, vn->tx_csum);
    if (how == RX_CSUM_DROP) {
        pbuf_free(p);
        vn->rx_dropped++;
        return;
    }
    u16_t flags = nif->chksum_flags;
    if (how == RX_CSUM_DEVICE) nif->chksum_flags &= (u16_t) ~(NETIF_CHECKSUM_CHECK_TCP | NETIF_CHECKSUM_CHECK_UDP);
    if (nif->input(p, nif) != ERR_OK) pbuf_free(p);
    nif->chksum_flags = flags;
    vn->rx_packets++;
}

/* Under net_lock: hand every frame pair q received to lwIP, re-post the
 * buffers, reap transmissions. Device interrupts for the receive queue stay
 * off while we drain, then we look once more after turning them back on, so
 * a frame that lands in between is not left for the next interrupt. */
static void service(struct vn_pair *q)
{
    struct virtio_net *vn = q->vn;
    if (!vn->nif) return;   /* not added to lwIP yet: the frames wait */
    for (;;) {
        q->rx->avail->flags |= VIRTQ_AVAIL_F_NO_INTERRUPT;
        void *cookie;
        uint32_t len;
        while (virtq_pop_used(q->rx, &cookie, &len)) {
            struct virtio_net_hdr h;
            struct pbuf *p = take_packet(q, cookie, len, &h);
            if (p) deliver(vn, p, &h);
        }
        virtio_kick(vn->t, q->rx);
        q->rx->avail->flags &= (uint16_t)~VIRTQ_AVAIL_F_NO_INTERRUPT;
        mb();
        if (*(volatile uint16_t *)&q->rx->used->idx == q->rx->last_used) break;
    }
    reap_tx(q);
}

static void service_all(struct virtio_net *vn)
{
    for (unsigned i = 0; i < vn->npairs; i++) service(&vn->pairs[i]);
}

/* One MSI-X vector per receive queue. */
static void pci_interrupt(void *arg)
{
    net_lock_irq();
    service(arg);
    net_unlock_irq();
}

/* virtio-mmio's line is level-triggered: acknowledge first, then drain (a
 * frame posted after the acknowledgement raises it again). One line for
 * every queue. */
static void mmio_interrupt(void *arg)
{
    struct virtio_net *vn = arg;
    net_lock_irq();
    virtio_mmio_ack_interrupt(&vn->tr.mmio);
    service_all(vn);
    net_unlock_irq();
}

static void link_status(struct virtio_net *vn)
{
    bool up = true;
    if (virtio_has_feature(vn->t, VIRTIO_NET_F_STATUS))
        up = (virtio_cfg_read32(vn->t, NET_CFG_MAC + 4) >> 16) & VIRTIO_NET_S_LINK_UP;
    if (up) netif_set_link_up(vn->nif); else netif_set_link_down(vn->nif);
}

err_t virtio_net_netif_init(struct netif *nif)
{
    struct virtio_net *vn = nif->state;
    vn->nif = nif;
    nif->name[0] = 'e';
    nif->name[1] = 'n';
    nif->hwaddr_len = ETH_HWADDR_LEN;
    memcpy(nif->hwaddr, vn->mac, ETH_HWADDR_LEN);
    nif->mtu = 1500;
    nif->mtu6 = 1500;
    nif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET | NETIF_FLAG_IGMP | NETIF_FLAG_MLD6;
    nif->linkoutput = linkoutput;
    nif->output = etharp_output;
    nif->output_ip6 = ethip6_output;
    /* TCP checksums: the device's on the way out, the driver's on the way
     * in (net/virtio_net_csum.h says why lwIP checks none on this netif). */
    if (vn->tx_csum) NETIF_SET_CHECKSUM_CTRL(nif, NETIF_CHECKSUM_ENABLE_ALL & ~(NETIF_CHECKSUM_GEN_TCP | NETIF_CHECKSUM_CHECK_TCP));
    return ERR_OK;
}


const char *virtio_net_features(const struct virtio_net *vn) { return vn->features; }

static void read_mac(struct virtio_net *vn)
{
    if (virtio_has_feature(vn->t, VIRTIO_NET_F_MAC)) {
        uint32_t lo = virtio_cfg_read32(vn->t, NET_CFG_MAC), hi = virtio_cfg_read32(vn->t, NET_CFG_MAC + 4);
        for (int i = 0; i < 4; i++) vn->mac[i] = (uint8_t)(lo >> (8 * i));
        vn->mac[4] = (uint8_t)hi;
        vn->mac[5] = (uint8_t)(hi >> 8);
    } else {
        /* A locally administered address of our own. */
        uint64_t r = pith_lwip_rand() | (uint64_t)pith_lwip_rand() << 32;
        memcpy(vn->mac, &r, 6);
        vn->mac[0] = (uint8_t)((vn->mac[0] & 0xfe) | 0x02);
    }
}

static void vn_free(struct virtio_net *vn)
{
    for (size_t i = 0; i < vn->npages; i++) page_free(vn->pages[i]);
    struct heap *h = vn->heap;
    for (unsigned i = 0; i < MAX_PAIRS; i++) {
        struct vn_pair *q = &vn->pairs[i];
        if (q->rx) virtq_destroy(q->rx);
        if (q->tx) virtq_destroy(q->tx);
        deallocate(h, q->rx_bufs, QUEUE_MAX * sizeof *q->rx_bufs);
        deallocate(h, q->tx_bufs, QUEUE_MAX * sizeof *q->tx_bufs);
    }
    if (vn->ctrl) virtq_destroy(vn->ctrl);
    deallocate(h, vn->pages, MAX_PAIRS * PAGES_PER_PAIR * sizeof *vn->pages);
    deallocate(h, vn, sizeof *vn);
}

/* Queue pair i: its queues and buffers, every receive buffer posted. */
static bool setup_pair(struct virtio_net *vn, unsigned i)
{
    struct vn_pair *q = &vn->pairs[i];
    q->vn = vn;
    q->rx = virtio_setup_queue(vn->t, vn->heap, (uint16_t)(2 * i), QUEUE_MAX);
    q->tx = virtio_setup_queue(vn->t, vn->heap, (uint16_t)(2 * i + 1), QUEUE_MAX);
    q->rx_bufs = allocate_zero(vn->heap, QUEUE_MAX * sizeof *q->rx_bufs);
    q->tx_bufs = allocate_zero(vn->heap, QUEUE_MAX * sizeof *q->tx_bufs);
    if (!q->rx || !q->tx || !q->rx_bufs || !q->tx_bufs) return false;
    if (!make_buffers(vn, q->rx_bufs, q->rx->size) || !make_buffers(vn, q->tx_bufs, q->tx->size)) return false;
    for (unsigned k = 0; k < q->tx->size; k++) {
        q->tx_bufs[k].next_free = q->tx_free;
        q->tx_free = &q->tx_bufs[k];
    }
    for (unsigned k = 0; k < q->rx->size; k++) post_rx(q, &q->rx_bufs[k]);
    /* Transmissions are reaped when the next one is sent: no interrupt. */
    q->tx->avail->flags |= VIRTQ_AVAIL_F_NO_INTERRUPT;
    return true;
}

/* After DRIVER_OK: tell the device to spread over npairs pairs
 * (VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET) and wait for its answer, polling (once,
 * at boot). Until then it uses pair 0 alone, so on failure we do too. */
static bool set_pairs(struct virtio_net *vn)
{
    uint64_t pa = page_alloc();
    if (!pa) return false;
    uint8_t *cmd = phys_to_virt(pa);
    memset(cmd, 0, 16);
    cmd[0] = CTRL_MQ;
    cmd[1] = CTRL_MQ_VQ_PAIRS_SET;
    cmd[2] = (uint8_t)vn->npairs;   /* little-endian 16 bits, <= MAX_PAIRS */
    cmd[8] = 0xff;
    struct virtq_buf bufs[3] = { { pa, 2, false }, { pa + 2, 2, false }, { pa + 8, 1, true } };
    bool ok = false;
    if (virtq_add(vn->ctrl, bufs, 3, cmd) >= 0) {
        virtio_kick(vn->t, vn->ctrl);
        uint64_t start = clock_monotonic_ns();
        void *cookie;
        while (!virtq_pop_used(vn->ctrl, &cookie, NULL)) {
            if (clock_monotonic_ns() - start > CTRL_TIMEOUT_NS) {
                /* The device may still write the page: leave it to it. */
                kprintf("virtio-net %s: no answer to VQ_PAIRS_SET; one queue pair\n", vn->t->name);
                return false;
            }
            cpu_relax();
        }
        ok = *(volatile uint8_t *)&cmd[8] == CTRL_OK;
    }
    page_free(pa);
    return ok;
}

static bool start_device(struct virtio_net *vn, bool pci)
{
    struct virtio_transport *t = vn->t;
    /* GUEST_TSO4/6: coalesced segments up to 64 KiB, which the 2 KiB
     * buffers hold only merged (MRG_RXBUF); a device that offers TSO but
     * not merging is asked again without it (negotiating resets it). */
    uint64_t tso = 1ull << VIRTIO_NET_F_GUEST_TSO4 | 1ull << VIRTIO_NET_F_GUEST_TSO6;
    uint64_t wanted = 1ull << VIRTIO_NET_F_MAC | 1ull << VIRTIO_NET_F_CSUM | 1ull << VIRTIO_NET_F_GUEST_CSUM | tso |
                      1ull << VIRTIO_NET_F_HOST_TSO4 | 1ull << VIRTIO_NET_F_HOST_TSO6 | 1ull << VIRTIO_NET_F_MRG_RXBUF |
                      1ull << VIRTIO_NET_F_STATUS;
    /* Several queue pairs only on PCI (a vector per receive queue; an mmio
     * device has one line) and with several CPUs to spread them over. */
    if (pci && kernel.ncpus > 1) wanted |= 1ull << VIRTIO_NET_F_CTRL_VQ | 1ull << VIRTIO_NET_F_MQ;
    if (virtio_negotiate(t, wanted) != 0) return false;
    if ((t->features & tso) && !virtio_has_feature(t, VIRTIO_NET_F_MRG_RXBUF) && virtio_negotiate(t, wanted & ~tso) != 0)
        return false;
    unsigned device_pairs = 1;
    if (virtio_has_feature(t, VIRTIO_NET_F_MQ) && virtio_has_feature(t, VIRTIO_NET_F_CTRL_VQ)) {
        device_pairs = virtio_pci_cfg_read16(&vn->tr.pci, NET_CFG_MAX_PAIRS);   /* MQ is asked on PCI only */
        if (device_pairs < 1) device_pairs = 1;
    }
    vn->npairs = device_pairs < kernel.ncpus ? device_pairs : kernel.ncpus;
    if (vn->npairs > MAX_PAIRS) vn->npairs = MAX_PAIRS;
    if (vn->npairs < 1) vn->npairs = 1;
    vn->tx_csum = virtio_has_feature(t, VIRTIO_NET_F_CSUM);
    vn->rx_csum = virtio_has_feature(t, VIRTIO_NET_F_GUEST_CSUM);
    vn->tso4 = vn->tx_csum && virtio_has_feature(t, VIRTIO_NET_F_HOST_TSO4);
    vn->tso6 = vn->tx_csum && virtio_has_feature(t, VIRTIO_NET_F_HOST_TSO6);
    read_mac(vn);

    vn->pages = allocate_zero(vn->heap, MAX_PAIRS * PAGES_PER_PAIR * sizeof *vn->pages);
    if (!vn->pages) goto fail;
    for (unsigned i = 0; i < vn->npairs; i++)
        if (!setup_pair(vn, i)) goto fail;
    if (vn->npairs > 1) {
        vn->ctrl = virtio_setup_queue(t, vn->heap, (uint16_t)(2 * device_pairs), 16);
        if (!vn->ctrl) vn->npairs = 1;
    }

    if (pci) {
        /* Receive queue i's messages go to CPU i (kernel.cpus[] are online). */
        vn->interrupts = true;
        for (unsigned i = 0; i < vn->npairs && vn->interrupts; i++) {
            char name[24];
            format_sn(name, sizeof name, "virtio-net rx%u", i);
            vn->interrupts = virtio_pci_queue_interrupt_to(&vn->tr.pci, vn->pairs[i].rx, kernel.cpus[i]->apic_id,
                                                           pci_interrupt, &vn->pairs[i], name);
        }
    } else if (vn->tr.mmio.irq != VIRTIO_MMIO_IRQ_UNKNOWN) {
        int vector = irq_alloc_vector(mmio_interrupt, vn);
        if (vector >= 0) {
            char name[IRQ_NAME_MAX];
            format_sn(name, sizeof name, "IO-APIC %u-level virtio-net", vn->tr.mmio.irq);
            irq_set_name(vector, name);
            vn->interrupts = ioapic_route((int)vn->tr.mmio.irq, vector, true, false);
        }
    }
    if (!vn->interrupts) {
        kprintf("virtio-net %s: no interrupt for the receive queue; not used\n", t->name);
        goto fail;
    }
    virtio_driver_ok(t);
    if (vn->npairs > 1 && !set_pairs(vn)) vn->npairs = 1;   /* pair 0 alone; the others' buffers stay idle */
    for (unsigned i = 0; i < vn->npairs; i++) virtio_kick(t, vn->pairs[i].rx);
    format_sn(vn->features, sizeof vn->features, "%s%s%s%s%s%s%s%s%s", vn->tx_csum ? "csum " : "",
              vn->tso4 ? "host_tso4 " : "", vn->tso6 ? "host_tso6 " : "",
              vn->rx_csum ? "guest_csum " : "", virtio_has_feature(t, VIRTIO_NET_F_GUEST_TSO4) ? "guest_tso4 " : "",
              virtio_has_feature(t, VIRTIO_NET_F_GUEST_TSO6) ? "guest_tso6 " : "",
              virtio_has_feature(t, VIRTIO_NET_F_MRG_RXBUF) ? "mrg_rxbuf " : "",
              virtio_has_feature(t, VIRTIO_NET_F_STATUS) ? "status " : "", virtio_has_feature(t, VIRTIO_NET_F_MAC) ? "mac" : "");
    if (virtio_has_feature(t, VIRTIO_NET_F_MQ))
        format_sn(vn->features + strlen(vn->features), sizeof vn->features - strlen(vn->features), " mq %u/%u", vn->npairs, device_pairs);
    return true;
fail:
    virtio_fail(t);
    return false;
}

static struct virtio_net *probe_pci(struct heap *h, const struct pci_device *dev)
{
    if (dev->vendor != VIRTIO_PCI_VENDOR) return NULL;
    if (dev->device != VIRTIO_PCI_MODERN_BASE + VIRTIO_ID_NET && dev->device != 0x1000) return NULL;
    struct virtio_net *vn = allocate_zero(h, sizeof *vn);
    if (!vn) return NULL;
    vn->heap = h;
    vn->t = &vn->tr.pci.transport;
    if (virtio_pci_attach(&vn->tr.pci, dev) != 0 || !vn->tr.pci.device_cfg || !start_device(vn, true)) {
        vn_free(vn);
        return NULL;
    }
    return vn;
}

static struct virtio_net *probe_mmio(struct heap *h, const struct virtio_mmio_entry *e)
{
    struct virtio_net *vn = allocate_zero(h, sizeof *vn);
    if (!vn) return NULL;
    vn->heap = h;
    vn->t = &vn->tr.mmio.transport;
    if (virtio_mmio_attach(&vn->tr.mmio, e) != 0 || vn->tr.mmio.device_id != VIRTIO_ID_NET || !start_device(vn, false)) {
        vn_free(vn);
        return NULL;
    }
    return vn;
}

#define MAX_MMIO_TRANSPORTS 32

int virtio_net_find_all(struct heap *h, const char *cmdline, struct virtio_net **out, int max)
{
    struct pci_device *list;
    int n = pci_enumerate(h, &list);
    if (n < 0) n = 0;
    int found = 0;
    struct virtio_mmio_entry mmio[MAX_MMIO_TRANSPORTS];
    int m = virtio_mmio_find(cmdline, n == 0, mmio, MAX_MMIO_TRANSPORTS);
    for (int i = 0; i < m && found < max; i++)
        if ((out[found] = probe_mmio(h, &mmio[i]))) found++;
    for (int i = 0; i < n && found < max; i++)
        if ((out[found] = probe_pci(h, &list[i]))) found++;
    if (n > 0) deallocate(h, list, n * sizeof *list);
    for (int i = 0; i < found && nnics < MAX_NICS_KEPT; i++) nics[nnics++] = out[i];
    return found;
}

void virtio_net_link_start(struct virtio_net *vn)
{
    link_status(vn);
    service_all(vn);   /* frames that came before the netif existed */
}
