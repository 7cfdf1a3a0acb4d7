#include "net_tap_queues.h"

#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

int net_tap_queues_for(long flags, int cpus)
{
    if (cpus <= 1) return 1;
    if (flags >= 0 && !(flags & IFF_MULTI_QUEUE)) return 1;
    return cpus < NET_TAP_MAX_QUEUES ? cpus : NET_TAP_MAX_QUEUES;
}

/* Ask the kernel rather than /sys/class/net/NAME/tun_flags: sysfs shows
 * the namespace it was mounted in, not necessarily ours. Attaching as one
 * queue of a multi-queue tap succeeds for a multi-queue tap (the queue goes
 * again at close) and for none at all (made, and gone at close, as QEMU
 * will make it); a single-queue tap refuses it (EINVAL), a busy one
 * (EBUSY) too. */
int net_tap_queues(const char *ifname, int cpus)
{
    if (cpus <= 1) return 1;
    int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
    if (fd < 0) return 1;   /* QEMU will say why it cannot open it */
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", ifname);
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | IFF_MULTI_QUEUE;
    long flags = ioctl(fd, TUNSETIFF, &ifr) == 0 ? IFF_MULTI_QUEUE : 0;
    close(fd);
    return net_tap_queues_for(flags, cpus);
}
