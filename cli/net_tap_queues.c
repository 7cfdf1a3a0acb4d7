#include "net_tap_queues.h"

#include <stdio.h>
#include <unistd.h>

#define IFF_MULTI_QUEUE_FLAG 0x0100   /* <linux/if_tun.h>'s IFF_MULTI_QUEUE */

int net_tap_queues_for(long flags, int cpus)
{
    if (cpus <= 1) return 1;
    if (flags >= 0 && !(flags & IFF_MULTI_QUEUE_FLAG)) return 1;
    return cpus < NET_TAP_MAX_QUEUES ? cpus : NET_TAP_MAX_QUEUES;
}

int net_tap_queues(const char *ifname, int cpus)
{
    char path[128];
    snprintf(path, sizeof path, "/sys/class/net/%s/tun_flags", ifname);
    long flags = -1;
    FILE *f = fopen(path, "r");
    if (f) {
        if (fscanf(f, "%li", &flags) != 1) flags = 0;   /* unreadable: assume single-queue */
        fclose(f);
    } else {
        snprintf(path, sizeof path, "/sys/class/net/%s", ifname);
        if (access(path, F_OK) == 0) flags = 0;   /* exists, but no tap: QEMU will say so */
    }
    return net_tap_queues_for(flags, cpus);
}
