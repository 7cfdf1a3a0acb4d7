/* The interface ioctls, answered from the interface registry. As on
 * Linux, SIOCGIFCONF, SIOCGIFNAME, SIOCGIFINDEX, SIOCGIFFLAGS, SIOCGIFMTU,
 * SIOCGIFHWADDR and SIOCGIFTXQLEN work on a socket of any family (the
 * generic socket layer asks netif_ioctl after the family's own ioctl);
 * the IPv4 address ones (SIOCGIFADDR, SIOCGIFNETMASK, SIOCGIFBRDADDR,
 * SIOCGIFDSTADDR) only on AF_INET sockets: the AF_INET family's ioctl op
 * calls netif_ioctl_inet for them. */
#pragma once
#include "../klib/types.h"

/* The answer, -ENOTTY for a command that is not an interface ioctl. */
long netif_ioctl(uint64_t cmd, uint64_t arg);
/* The AF_INET-only ones: the answer, or -ENOIOCTLCMD for another command. */
long netif_ioctl_inet(uint64_t cmd, uint64_t arg);
