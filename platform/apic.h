/* Vectors and helpers shared by the local APIC, IOAPIC and 8259 code. The
 * public entry points (lapic_init, ioapic_route, ...) are in kernel/interrupt.h. */
#pragma once
#include "../klib/types.h"

#define PIC_VECTOR_BASE 0x20     /* where the masked 8259s would deliver (spurious only) */
#define LAPIC_TIMER_VECTOR 32    /* shares 0x20 with the masked PIC's IRQ0: never both live */
#define LAPIC_ERROR_VECTOR 0xfe
/* Inter-processor interrupts (kernel/smp.c): above the device vectors'
 * range that irq_alloc_vector hands out from the bottom. */
#define IPI_RESCHEDULE_VECTOR 0xf0
#define IPI_TLB_SHOOTDOWN_VECTOR 0xf1
#define LAPIC_SPURIOUS_VECTOR 0xff

/* Remap both 8259s to 0x20..0x2f and mask every line, so only the APICs
 * deliver interrupts. Called by lapic_init. */
void pic_disable(void);

/* The local APIC's registers by their xAPIC offset (0x320 = LVT timer),
 * in whichever mode lapic_init found it; for the timer code. */
uint32_t lapic_read(uint32_t reg);
void lapic_write(uint32_t reg, uint32_t v);
/* Pick and set up the timer (platform/lapic_timer.c); lapic_init calls it.
 * lapic_timer_init_ap sets up another CPU's the same way, measuring nothing. */
void lapic_timer_init(void);
void lapic_timer_init_ap(void);
/* Timer ticks per second: the TSC rate in TSC-deadline mode, else the APIC
 * bus clock / 16, stated by the hypervisor or measured (0 before). */
uint64_t lapic_timer_hz(void);
