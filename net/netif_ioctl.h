/* The interface ioctls (SIOCGIFCONF, SIOCGIFFLAGS, ...), answered from the
 * interface registry on a socket of any family, as Linux does. */
#pragma once
#include "../klib/types.h"

/* The answer, -ENOTTY for a command that is not an interface ioctl. */
long netif_ioctl(uint64_t cmd, uint64_t arg);
