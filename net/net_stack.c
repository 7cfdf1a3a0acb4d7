/* lwIP under one lock, driven by the kernel's timer service. */
#include "net_stack.h"
#include "virtio_net.h"
#include "net_iface.h"
#include "inet.h"
#include "tcp_isn.h"
#include "lwip/init.h"
#include "lwip/netif.h"
#include "lwip/timeouts.h"
#include "../kernel/spinlock.h"
#include "../kernel/timer.h"
#include "../kernel/clock.h"

static struct spinlock stack_lock;
static struct heap *stack_heap;
static bool stack_ready;
struct wait_queue net_address_changed;

/* lwIP's timeouts: one kernel timer entry, re-added by its own callback
 * only, for lwIP's next deadline but at most a TCP tick (250 ms) away: a
 * timeout lwIP adds from a system call (TCP's timer when a first
 * connection opens) is then never late by more than one tick, and the
 * entry is never cancelled (no callback-versus-cancel race). */
static struct timer tick;
static bool tick_started;
#define TICK_MAX_MS 250u

struct heap *net_heap(void) { return stack_heap; }

uint64_t net_lock(void) { return spin_lock_irqsave(&stack_lock); }
void net_lock_irq(void) { spin_lock(&stack_lock); }
bool net_lock_held(void) { return spin_held_here(&stack_lock); }

static void finish_queued_work(void)
{
    /* Loopback packets wait in their netif's queue until polled. */
    netif_poll_all();
    /* Segments the NIC holds to send as one TSO frame go now. */
    virtio_net_flush_all();
}

void net_unlock(uint64_t flags)
{
    finish_queued_work();
    spin_unlock_irqrestore(&stack_lock, flags);
}

void net_unlock_irq(void)
{
    finish_queued_work();
    spin_unlock(&stack_lock);
}

static uint64_t next_tick_ns(void)
{
    uint32_t ms = sys_timeouts_sleeptime();
    if (ms > TICK_MAX_MS) ms = TICK_MAX_MS;
    return clock_monotonic_ns() + (uint64_t)ms * 1000000 + 1;
}

static void tick_fired(struct timer *t)
{
    net_lock_irq();
    sys_check_timeouts();
    uint64_t next = next_tick_ns();
    net_unlock_irq();
    timer_add(t, next, tick_fired);
}

void net_timers_start(void)
{
    spin_assert_held(&stack_lock);
    if (tick_started) return;
    tick_started = true;
    timer_add(&tick, next_tick_ns(), tick_fired);
}

void net_init(struct heap *h, const char *cmdline, struct tfs *root)
{
    stack_heap = h;
    tcp_isn_init();
    uint64_t flags = net_lock();
    lwip_init();
    stack_ready = true;
    net_unlock(flags);
    inet_init();
    net_iface_init(h, cmdline, root);
}
