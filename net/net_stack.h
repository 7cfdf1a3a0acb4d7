/* The network stack's one lock and its clock. lwIP runs without threads
 * (NO_SYS): every call into it, from a system call, the NIC's interrupt or
 * the net timer, holds net_lock, taken with interrupts off (the NIC's
 * handler takes it too). Nothing under it sleeps or touches user memory.
 * Rules and order: docs/locking.md. */
#pragma once
#include "../klib/types.h"
#include "../klib/heap.h"
#include "../kernel/wait.h"

struct tfs;

/* Bring up lwIP, the loopback and every virtio-net NIC, configured from the
 * image's boot config (DHCPv4 when it says nothing). Without a NIC it
 * prints nothing and waits for nothing. */
void net_init(struct heap *h, const char *cmdline, struct tfs *root);

/* The heap lwIP allocates from (net/lwip_port.c). */
struct heap *net_heap(void);

/* Take / release the stack. net_unlock first lets lwIP finish what it
 * queued under the lock (loopback packets: they are delivered here, so a
 * send to 127.0.0.1 reaches its receiver before the sender returns). */
uint64_t net_lock(void);
void net_unlock(uint64_t flags);
/* For an interrupt handler or timer callback (interrupts already off). */
void net_lock_irq(void);
void net_unlock_irq(void);
bool net_lock_held(void);

/* Make sure lwIP's timeouts are being driven (idempotent; under net_lock).
 * The timer runs only once there is something for lwIP to time: a NIC, or
 * a first socket. */
void net_timers_start(void);

/* Woken (under net_lock) whenever an interface gains or loses an address. */
extern struct wait_queue net_address_changed;
