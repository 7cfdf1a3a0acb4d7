/* Interrupt vectors, handlers and the interrupt controllers. */
#pragma once
#include "../klib/types.h"

typedef void (*irq_handler_fn)(void *arg);

/* Allocate a free vector (>= 48) and attach a handler; returns the vector or -1. */
int irq_alloc_vector(irq_handler_fn fn, void *arg);
/* What /proc/interrupts calls a vector ("IO-APIC 4-edge ttyS0"); copied,
 * cut at IRQ_NAME_MAX - 1 bytes. Vectors without a name are not listed. */
#define IRQ_NAME_MAX 64
void irq_set_name(int vector, const char *name);
/* For /proc/interrupts: the vector's name (NULL when unnamed) and how many
 * times CPU `cpu` took it. */
const char *irq_name(int vector);
uint64_t irq_count(int vector, uint32_t cpu);
/* Attach a handler to a fixed vector (the APIC timer's). */
void irq_set_handler(int vector, irq_handler_fn fn, void *arg);
/* Route an IOAPIC global system interrupt to a vector on the boot CPU;
 * false when this IOAPIC has no such input (e.g. microvm's second IOAPIC). */
bool ioapic_route(int gsi, int vector, bool level_triggered, bool active_low);
/* The boot CPU's APIC (and the legacy PICs masked, the timer chosen). */
void lapic_init(void);
/* Another CPU's APIC, its timer in the mode and rate the boot CPU chose. */
void lapic_init_ap(void);
/* Interrupt vector on the CPU whose APIC id is apic_id; INIT and STARTUP
 * (page: where the CPU starts in real mode, a 4 KiB page number < 256). */
void lapic_send_ipi(uint32_t apic_id, int vector);
void lapic_send_init(uint32_t apic_id);
void lapic_send_startup(uint32_t apic_id, uint32_t page);
void lapic_eoi(void);
uint32_t lapic_id(void);
void ioapic_init(void);
/* One-shot timer on this CPU: fires LAPIC_TIMER_VECTOR once after `ns`
 * nanoseconds (at once for 0), replacing any earlier arming. Only the timer
 * service (kernel/timer.c) calls these two: it owns the deadline. */
void lapic_timer_oneshot(uint64_t ns);
/* Disarm this CPU's timer: nothing is pending. */
void lapic_timer_stop(void);
/* Which timer arms it, named as Linux's clockevent devices: "lapic-deadline"
 * (TSC-deadline mode) or "lapic" (one-shot count); "" before lapic_init. */
const char *lapic_timer_device_name(void);
