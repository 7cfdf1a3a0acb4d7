/* The interface registry (net/netif_registry.h). */
#include "netif_registry.h"
#include "socket.h"
#include "../kernel/spinlock.h"
#include "../klib/errno.h"
#include "../klib/string.h"

static struct spinlock lock;
static struct netif_info table[NETIF_MAX];
static bool loopback_added;

/* lo: 127.0.0.1/8 and ::1/128, host scope, as Linux brings it up. */
static void add_loopback_locked(void)
{
    if (loopback_added) return;
    loopback_added = true;
    struct netif_info *lo = &table[0];
    *lo = (struct netif_info){ .index = 1, .name = "lo", .flags = IFF_UP | IFF_LOOPBACK | IFF_RUNNING | IFF_LOWER_UP,
                               .mtu = 65536, .type = ARPHRD_LOOPBACK, .naddrs = 2 };
    lo->addrs[0] = (struct netif_addr){ .family = AF_INET, .addr = { 127, 0, 0, 1 }, .prefix_len = 8, .scope = 254 };
    lo->addrs[1] = (struct netif_addr){ .family = AF_INET6, .prefix_len = 128, .scope = 254 };
    lo->addrs[1].addr[15] = 1;
}

static struct netif_info *find_name_locked(const char *name)
{
    for (int i = 0; i < NETIF_MAX; i++)
        if (table[i].index && !strcmp(table[i].name, name)) return &table[i];
    return NULL;
}

int netif_register(const struct netif_info *info)
{
    uint64_t irq = spin_lock_irqsave(&lock);
    add_loopback_locked();
    struct netif_info *slot = find_name_locked(info->name);
    int index = slot ? slot->index : info->index;
    if (!slot) {
        for (int i = 0; i < NETIF_MAX && !slot; i++)
            if (!table[i].index) slot = &table[i];
        if (!index) {
            index = 2;
            for (int i = 0; i < NETIF_MAX; i++)
                if (table[i].index >= index) index = table[i].index + 1;
        }
    }
    if (!slot) {
        spin_unlock_irqrestore(&lock, irq);
        return -ENOSPC;
    }
    *slot = *info;
    slot->index = index;
    slot->name[NETIF_NAME_MAX - 1] = 0;
    if (slot->naddrs > NETIF_ADDR_MAX) slot->naddrs = NETIF_ADDR_MAX;
    spin_unlock_irqrestore(&lock, irq);
    return index;
}

int netif_unregister(int index)
{
    uint64_t irq = spin_lock_irqsave(&lock);
    int r = -ENODEV;
    for (int i = 0; i < NETIF_MAX; i++) {
        if (table[i].index == index && index != 1) {
            table[i].index = 0;
            r = 0;
        }
    }
    spin_unlock_irqrestore(&lock, irq);
    return r;
}

int netif_snapshot(struct netif_info *out, int max)
{
    uint64_t irq = spin_lock_irqsave(&lock);
    add_loopback_locked();
    int n = 0;
    /* In index order: indexes are small, so a pass per index is cheap. */
    int last = 0;
    while (n < max) {
        struct netif_info *next = NULL;
        for (int i = 0; i < NETIF_MAX; i++)
            if (table[i].index > last && (!next || table[i].index < next->index)) next = &table[i];
        if (!next) break;
        out[n++] = *next;
        last = next->index;
    }
    spin_unlock_irqrestore(&lock, irq);
    return n;
}

int netif_by_index(int index, struct netif_info *out)
{
    uint64_t irq = spin_lock_irqsave(&lock);
    add_loopback_locked();
    int r = -ENODEV;
    for (int i = 0; i < NETIF_MAX; i++) {
        if (index > 0 && table[i].index == index) {
            *out = table[i];
            r = 0;
        }
    }
    spin_unlock_irqrestore(&lock, irq);
    return r;
}

int netif_by_name(const char *name, struct netif_info *out)
{
    uint64_t irq = spin_lock_irqsave(&lock);
    add_loopback_locked();
    struct netif_info *n = find_name_locked(name);
    if (n) *out = *n;
    spin_unlock_irqrestore(&lock, irq);
    return n ? 0 : -ENODEV;
}
