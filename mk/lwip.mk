# lwIP, from Debian's `lwip` source package, fetched by name at build time and
# never committed (mk/lwip-fetch.sh: `apt-get source lwip` through a private
# deb-src list under build/lwip/apt). The sources we need are compiled into
# the kernel with our port layer (net/port/: lwipopts.h, arch/cc.h, the few
# libc headers lwIP includes). Included by kernel.mk: adds to KERNEL_OBJS.

LWIP_VERSION := 2.1.3+dfsg1
LWIP_DIR := $(BUILD)/lwip
LWIP_TREE := $(LWIP_DIR)/lwip-$(LWIP_VERSION)
LWIP_STAMP := $(LWIP_DIR)/fetched-$(LWIP_VERSION)

# IPv4 with DHCP and ARP, IPv6 with ND/MLD, TCP, UDP, DNS server bookkeeping,
# Ethernet. No netconn/socket API (our sockets sit on the raw API), no PPP,
# SLIP, 6LoWPAN, AutoIP, IGMP or DHCPv6.
LWIP_SRCS := \
    src/core/init.c src/core/def.c src/core/dns.c src/core/inet_chksum.c src/core/ip.c \
    src/core/mem.c src/core/memp.c src/core/netif.c src/core/pbuf.c src/core/tcp.c \
    src/core/tcp_in.c src/core/tcp_out.c src/core/timeouts.c src/core/udp.c \
    src/core/ipv4/dhcp.c src/core/ipv4/etharp.c src/core/ipv4/icmp.c src/core/ipv4/ip4.c \
    src/core/ipv4/ip4_addr.c src/core/ipv4/ip4_frag.c \
    src/core/ipv6/ethip6.c src/core/ipv6/icmp6.c src/core/ipv6/inet6.c src/core/ipv6/ip6.c \
    src/core/ipv6/ip6_addr.c src/core/ipv6/ip6_frag.c src/core/ipv6/mld6.c src/core/ipv6/nd6.c \
    src/netif/ethernet.c
LWIP_OBJS := $(patsubst %.c,$(BUILD)/kobj/lwip/%.c.o,$(LWIP_SRCS))
KERNEL_OBJS += $(LWIP_OBJS)

# Our port first: its libc/ directory answers lwIP's <string.h> etc. with the
# kernel's own functions, so nothing of the host's libc is compiled in.
LWIP_INCLUDES := -Inet/port/libc -Inet/port -I$(LWIP_TREE)/src/include
# lwIP's code is not ours to fix: no -Wextra noise from it.
LWIP_CFLAGS = $(KERNEL_CFLAGS) $(LWIP_INCLUDES) -Wno-sign-compare -Wno-unused-but-set-variable \
    -Wno-address -Wno-type-limits

$(LWIP_STAMP): mk/lwip-fetch.sh | deps
	sh mk/lwip-fetch.sh $(LWIP_DIR) $(LWIP_VERSION)
	touch $@

# lwIP's sources exist once the fetch ran.
$(LWIP_TREE)/%.c: $(LWIP_STAMP) ;

$(BUILD)/kobj/lwip/%.c.o: $(LWIP_TREE)/%.c $(LWIP_STAMP)
	@mkdir -p $(dir $@)
	$(KERNEL_CC) $(LWIP_CFLAGS) -c $< -o $@

# Our network code includes lwIP's headers: same include path, and it waits
# for the fetch.
NET_OBJS := $(filter $(BUILD)/kobj/net/%,$(KERNEL_OBJS))
$(NET_OBJS): KERNEL_CFLAGS += $(LWIP_INCLUDES)
$(NET_OBJS): $(LWIP_STAMP)

.PHONY: lwip
lwip: $(LWIP_STAMP)
