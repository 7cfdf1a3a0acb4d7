/* Starting the other CPUs. The boot CPU finds them (platform/cpus_find.c),
 * copies the real-mode trampoline (kernel/ap_trampoline.S) and its page
 * table into fixed low pages (kernel/smp_layout.h), and starts them one at
 * a time with INIT and STARTUP IPIs, each with its own struct cpu and boot
 * stack in the trampoline's mailbox. A started CPU sets up the same state
 * the boot CPU has (cpu_init_ap), its APIC, timer queue and run queue, says
 * it is online, and enters its idle loop, from which it takes threads. */
#include "smp.h"
#include "../platform/cpus_find.h"
#include "percpu.h"
#include "cpu.h"
#include "kernel.h"
#include "kheap.h"
#include "mm.h"
#include "paging.h"
#include "clock.h"
#include "console.h"
#include "interrupt.h"
#include "sched.h"
#include "timer.h"
#include "tlb.h"
#include "smp_layout.h"
#include "stack_guard.h"
#include "io.h"
#include "page_alloc.h"
#include "../platform/apic.h"
#include "../klib/string.h"

extern char ap_trampoline_start[], ap_trampoline_end[];
extern uint64_t ap_mailbox_boot_cr3, ap_mailbox_stack, ap_mailbox_cpu, ap_mailbox_entry;

#define AP_BOOT_STACK_PAGES 4
/* How long a started CPU may take to say it is online. QEMU's take
 * microseconds (TCG: a host thread starting); real ones milliseconds. */
#define AP_START_TIMEOUT_NS 1000000000ull
#define SECOND_STARTUP_AFTER_NS 10000000ull

#define PTE_PRESENT_WRITE 0x3ull
#define PTE_LARGE 0x80ull

/* The trampoline copy's mailbox word for a symbol of the template. */
static volatile uint64_t *mailbox(uint64_t *template_word)
{
    return (volatile uint64_t *)((char *)phys_to_virt(AP_TRAMPOLINE_PA) + ((char *)template_word - ap_trampoline_start));
}

static bool low_pages_are_ram(const struct phys_range *ram, int nram)
{
    for (int i = 0; i < nram; i++)
        if (ram[i].start <= AP_TRAMPOLINE_PA && ram[i].end >= AP_LOW_END) return true;
    return false;
}

/* The trampoline's page table: the first 2 MiB where they are (it runs
 * there until its jump to the higher half) and the kernel's upper half. */
static void build_boot_page_table(void)
{
    uint64_t *pml4 = phys_to_virt(AP_BOOT_PML4_PA), *pdpt = phys_to_virt(AP_BOOT_PDPT_PA), *pd = phys_to_virt(AP_BOOT_PD_PA);
    const uint64_t *kernel_pml4 = phys_to_virt(paging_root());
    memset(pml4, 0, PAGE_SIZE);
    memset(pdpt, 0, PAGE_SIZE);
    memset(pd, 0, PAGE_SIZE);
    pd[0] = 0 | PTE_PRESENT_WRITE | PTE_LARGE;
    pdpt[0] = AP_BOOT_PD_PA | PTE_PRESENT_WRITE;
    pml4[0] = AP_BOOT_PDPT_PA | PTE_PRESENT_WRITE;
    for (int i = 256; i < 512; i++) pml4[i] = kernel_pml4[i];
}

/* A started CPU, on its boot stack in the higher half. */
/* Not stack-protected: it starts before %gs names c (kernel/stack_guard.c). */
static NORETURN __attribute__((no_stack_protector)) void ap_entry(struct cpu *c)
{
    cpu_early_init_ap(c);
    __asm__ volatile("mov %0, %%cr3" : : "r"(paging_root()) : "memory");
    cpu_init_ap(c);
    lapic_init_ap();
    timer_init_cpu();
    sched_init_cpu();
    stack_guard_adopt(c->run_queue.idle);   /* entered below without a switch */
    __atomic_store_n(&c->online, true, __ATOMIC_RELEASE);
    sched_enter_idle();
}

static bool wait_online(struct cpu *c, uint64_t until_ns)
{
    while (clock_monotonic_ns() < until_ns)
        if (__atomic_load_n(&c->online, __ATOMIC_ACQUIRE)) return true;
        else cpu_relax();
    return __atomic_load_n(&c->online, __ATOMIC_ACQUIRE);
}

static bool start_one(struct cpu *c)
{
    uint64_t stack = kstack_alloc(AP_BOOT_STACK_PAGES);
    if (!stack) return false;
    *mailbox(&ap_mailbox_stack) = stack + AP_BOOT_STACK_PAGES * PAGE_SIZE;
    *mailbox(&ap_mailbox_cpu) = (uint64_t)c;
    mb();
    /* INIT, then STARTUP; a second STARTUP only if the first was missed
     * (the MP specification's sequence; CPUs of the last decade need no
     * wait after INIT). */
    lapic_send_init(c->apic_id);
    lapic_send_startup(c->apic_id, AP_TRAMPOLINE_PA >> 12);
    uint64_t t0 = clock_monotonic_ns();
    if (wait_online(c, t0 + SECOND_STARTUP_AFTER_NS)) return true;
    lapic_send_startup(c->apic_id, AP_TRAMPOLINE_PA >> 12);
    return wait_online(c, t0 + AP_START_TIMEOUT_NS);
}

static void reschedule_ipi(void *unused)
{
    (void)unused;
    sched_ipi();
}

void smp_start_cpus(const struct phys_range *ram, int nram)
{
    struct cpu *boot = this_cpu();
    irq_set_handler(IPI_RESCHEDULE_VECTOR, reschedule_ipi, NULL);
    tlb_init();
    boot->apic_id = lapic_id();
    boot->online = true;
    kernel.cpus[0] = boot;
    kernel.ncpus = 1;

    struct cpu_list list;
    cpus_find(&list);
    if (list.count <= 1) {
        control_printf("cpus 1 from %s\n", list.source);
        return;
    }
    if (!low_pages_are_ram(ram, nram)) {
        kprintf("pith: %d CPUs, but no RAM below 20 KiB to start them from; using one\n", list.count);
        return;
    }
    memcpy(phys_to_virt(AP_TRAMPOLINE_PA), ap_trampoline_start, (size_t)(ap_trampoline_end - ap_trampoline_start));
    build_boot_page_table();
    *mailbox(&ap_mailbox_boot_cr3) = AP_BOOT_PML4_PA;
    *mailbox(&ap_mailbox_entry) = (uint64_t)ap_entry;

    for (int i = 0; i < list.count && kernel.ncpus < KERNEL_MAX_CPUS; i++) {
        if (list.apic_id[i] == boot->apic_id) continue;
        struct cpu *c = cpu_alloc(kernel.heap, kernel.ncpus, list.apic_id[i]);
        if (!c) break;
        if (!start_one(c)) {
            kprintf("pith: CPU with APIC id %u did not start; running on %u\n", list.apic_id[i], kernel.ncpus);
            continue;   /* its struct stays: it may yet write to it */
        }
        kernel.cpus[kernel.ncpus] = c;
        __atomic_store_n(&kernel.ncpus, kernel.ncpus + 1, __ATOMIC_RELEASE);
    }
    /* For the host: how many run, and which table named them. */
    control_printf("cpus %u from %s\n", kernel.ncpus, list.source);
}

void smp_kick(struct cpu *c)
{
    if (c != this_cpu()) lapic_send_ipi(c->apic_id, IPI_RESCHEDULE_VECTOR);
}
