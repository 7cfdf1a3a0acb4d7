/* lwIP's configuration for Pith. Why each choice: docs/net.md. */
#pragma once

/* No threads of lwIP's own: the kernel runs it under net_lock
 * (net/net_stack.c) from system calls, the NIC's interrupt and the net
 * timer; lwIP then needs no locking of its own. */
#define NO_SYS 1
#define SYS_LIGHTWEIGHT_PROT 0
#define LWIP_NETCONN 0
#define LWIP_SOCKET 0
#define LWIP_TIMERS 1

/* Memory: every allocation from the kernel heap (net/lwip_port.c keeps the
 * size in front of the block, since struct heap wants it back on free);
 * pools too, so nothing is reserved up front and a machine without a NIC
 * pays nothing. */
#define MEM_LIBC_MALLOC 1
#define MEMP_MEM_MALLOC 1
#define MEM_ALIGNMENT 8
void *pith_lwip_malloc(unsigned long size);
void *pith_lwip_calloc(unsigned long n, unsigned long size);
void pith_lwip_free(void *p);
#define mem_clib_malloc pith_lwip_malloc
#define mem_clib_calloc pith_lwip_calloc
#define mem_clib_free pith_lwip_free
/* Checked against MEMP_NUM_TCP_SEG only; with MEMP_MEM_MALLOC they are not
 * preallocated. */
#define MEMP_NUM_TCP_PCB 4096
#define MEMP_NUM_TCP_PCB_LISTEN 256
#define MEMP_NUM_UDP_PCB 1024
#define MEMP_NUM_TCP_SEG 8192
#define MEMP_NUM_REASSDATA 64
#define MEMP_NUM_FRAG_PBUF 64
#define MEMP_NUM_ARP_QUEUE 64
#define MEMP_NUM_ND6_QUEUE 64
#define PBUF_POOL_SIZE 256
#define PBUF_POOL_BUFSIZE 1600

/* Protocols. */
#define LWIP_IPV4 1
#define LWIP_IPV6 1
#define LWIP_ARP 1
#define LWIP_ETHERNET 1
#define LWIP_ICMP 1
#define LWIP_RAW 0
#define LWIP_UDP 1
#define LWIP_TCP 1
#define LWIP_IGMP 0
#define LWIP_AUTOIP 0
#define IP_FORWARD 0
#define IP_REASSEMBLY 1
#define IP_FRAG 1
#define ARP_QUEUEING 1
#define ETHARP_SUPPORT_STATIC_ENTRIES 0
#define LWIP_DHCP 1
#define DHCP_DOES_ARP_CHECK 0      /* QEMU's user network has no one to conflict with; saves ~1 s at boot */
#define LWIP_DHCP_GET_NTP_SRV 0
/* DNS: only to keep the resolvers DHCP hands out (for /etc/resolv.conf);
 * the program resolves names with its own libc. */
#define LWIP_DNS 1
#define DNS_MAX_SERVERS 4
#define LWIP_DHCP_MAX_DNS_SERVERS 4

/* IPv6: link-local always, SLAAC from router advertisements, static. */
#define LWIP_IPV6_NUM_ADDRESSES 3
#define LWIP_IPV6_AUTOCONFIG 1
#define LWIP_IPV6_MLD 1
#define LWIP_IPV6_FRAG 1
#define LWIP_IPV6_REASS 1
#define IPV6_FRAG_COPYHEADER 1        /* 64-bit pointers do not fit in the fragment header lwIP reuses */
#define LWIP_IPV6_DHCP6 0
#define LWIP_IPV6_SEND_ROUTER_SOLICIT 1
#define LWIP_ND6_ALLOW_RA_UPDATES 1
#define LWIP_IPV6_DUP_DETECT_ATTEMPTS 0  /* addresses usable at once, as Linux's optimistic DAD */

/* Interfaces: the virtio-net one and the loopback (127.0.0.1, ::1), which
 * also carries packets a socket sends to the machine's own address. */
#define LWIP_HAVE_LOOPIF 1
#define LWIP_NETIF_LOOPBACK 1
#define LWIP_LOOPBACK_MAX_PBUFS 0
#define LWIP_NETIF_STATUS_CALLBACK 1
#define LWIP_NETIF_LINK_CALLBACK 1
#define LWIP_NETIF_HOSTNAME 1
#define LWIP_SINGLE_NETIF 0
#define LWIP_CHECKSUM_CTRL_PER_NETIF 1  /* the NIC computes TCP/UDP checksums it offloads */
#define LWIP_NETIF_TX_SINGLE_PBUF 0

/* TCP: Linux-like windows (scaled), a real listen backlog, keepalive
 * settable per socket, SO_REUSEADDR. */
#define TCP_MSS 1460
#define LWIP_WND_SCALE 1
#define TCP_RCV_SCALE 3
#define TCP_WND (256 * 1024)
#define TCP_SND_BUF (256 * 1024)
#define TCP_SND_QUEUELEN (4 * TCP_SND_BUF / TCP_MSS)
#define TCP_SNDLOWAT 32768          /* lwIP keeps it in 16 bits */
#define TCP_QUEUE_OOSEQ 1
#define TCP_OOSEQ_MAX_BYTES (512 * 1024)
#define LWIP_TCP_SACK_OUT 1
#define TCP_LISTEN_BACKLOG 1
#define TCP_DEFAULT_LISTEN_BACKLOG 128
#define LWIP_TCP_KEEPALIVE 1
#define LWIP_TCP_TIMESTAMPS 0
#define TCP_OVERSIZE TCP_MSS
#define SO_REUSE 1
#define SO_REUSE_RXTOALL 1
#define LWIP_CALLBACK_API 1
#define LWIP_ALTCP 0
#define LWIP_TCP_PCB_NUM_EXT_ARGS 0
#define TCP_TMR_INTERVAL 250

/* No statistics or debug output kept. */
#define LWIP_STATS 0
#define LWIP_DEBUG 0
#define LWIP_PERF 0

/* Initial sequence numbers as RFC 6528 asks (net/tcp_isn.c): lwIP's own
 * counter is guessable from outside, which lets anyone blind-inject into
 * a connection. */
#define LWIP_HOOK_FILENAME "lwip_hooks.h"
/* A static IPv6 default router (gateway6, net/net_iface.c). */
#define LWIP_HOOK_ND6_GET_GW(netif, dest) pith_nd6_gateway(netif, dest)
#define LWIP_HOOK_TCP_ISN(local_ip, local_port, remote_ip, remote_port) \
    pith_tcp_isn(local_ip, local_port, remote_ip, remote_port)
