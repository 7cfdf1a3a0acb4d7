/* The interrupt descriptor table and the registry of device interrupt
 * handlers. Vectors 0-31 are CPU exceptions, 32 the local APIC timer,
 * 48 and up are handed out to drivers. */
#include "trap.h"
#include "interrupt.h"
#include "segments.h"
#include "spinlock.h"
#include "../platform/apic.h"
#include "percpu.h"
#include "kernel.h"
#include "mm.h"
#include "panic.h"
#include "../klib/string.h"

#define FIRST_DEVICE_VECTOR 48
#define LAST_DEVICE_VECTOR (IPI_RESCHEDULE_VECTOR - 1)   /* above: IPIs and the APIC's own */
#define SPURIOUS_VECTOR 0xff

struct idt_entry {
    uint16_t offset_low;
    uint16_t selector;
    uint8_t ist;
    uint8_t type;
    uint16_t offset_mid;
    uint32_t offset_high;
    uint32_t reserved;
} PACKED;

/* A page of the direct map rather than the kernel image: SIDT in ring 3
 * (on a CPU without UMIP) must not tell the program where KASLR put the kernel. */
static struct idt_entry *idt;
static struct {
    irq_handler_fn fn;
    void *arg;
} handlers[256];
static struct spinlock handlers_lock;
/* Per vector and CPU; each CPU bumps only its own counter, with interrupts
 * off, so plain increments suffice. */
static uint32_t counts[256][KERNEL_MAX_CPUS];
static char names[256][IRQ_NAME_MAX];
static int next_vector = FIRST_DEVICE_VECTOR;

extern const uint64_t trap_vector_table[256];

void idt_init(void)
{
    uint64_t pa = page_alloc();
    if (!pa) panic("out of memory for the IDT");
    idt = phys_to_virt(pa);
    for (int v = 0; v < 256; v++) {
        uint64_t a = trap_vector_table[v];
        idt[v] = (struct idt_entry){
            .offset_low = a & 0xffff,
            .selector = KERNEL_CS,
            .ist = v == 8 ? 1 : 0,  /* double fault runs on its own stack */
            .type = 0x8e,           /* present, ring 0, interrupt gate */
            .offset_mid = (a >> 16) & 0xffff,
            .offset_high = a >> 32,
        };
    }
}

void idt_load(void)
{
    struct {
        uint16_t limit;
        uint64_t base;
    } PACKED p = { 256 * sizeof *idt - 1, (uint64_t)idt };
    __asm__ volatile("lidt %0" : : "m"(p));
}

int irq_alloc_vector(irq_handler_fn fn, void *arg)
{
    uint64_t flags = spin_lock_irqsave(&handlers_lock);
    int v = next_vector <= LAST_DEVICE_VECTOR ? next_vector++ : -1;
    if (v >= 0) {
        handlers[v].fn = fn;
        handlers[v].arg = arg;
    }
    spin_unlock_irqrestore(&handlers_lock, flags);
    return v;
}

void irq_set_handler(int vector, irq_handler_fn fn, void *arg)
{
    handlers[vector].fn = fn;
    handlers[vector].arg = arg;
}

void irq_set_name(int vector, const char *name)
{
    if (vector < 0 || vector > 255) return;
    size_t n = MIN(strlen(name), (size_t)IRQ_NAME_MAX - 1);
    memcpy(names[vector], name, n);
    names[vector][n] = 0;
}

const char *irq_name(int vector)
{
    return vector >= 0 && vector <= 255 && names[vector][0] ? names[vector] : NULL;
}

uint64_t irq_count(int vector, uint32_t cpu)
{
    if (vector < 0 || vector > 255 || cpu >= KERNEL_MAX_CPUS) return 0;
    return __atomic_load_n(&counts[vector][cpu], __ATOMIC_RELAXED);
}

/* Called by trap_handler for vectors >= 32. */
void irq_dispatch(int vector)
{
    if (vector == SPURIOUS_VECTOR) return;
    uint32_t cpu = this_cpu()->id;
    if (cpu < KERNEL_MAX_CPUS) __atomic_store_n(&counts[vector][cpu], counts[vector][cpu] + 1, __ATOMIC_RELAXED);
    if (handlers[vector].fn) handlers[vector].fn(handlers[vector].arg);
    lapic_eoi();
}
