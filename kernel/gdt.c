/* Per-CPU GDT and TSS. The TSS gives the CPU the kernel stack to use when an
 * interrupt arrives in ring 3, and a separate stack for double faults. */
#include "percpu.h"
#include "segments.h"
#include "mm.h"
#include "panic.h"
#include "../klib/string.h"

struct tss {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iomap_base;
} PACKED;

struct gdt_ptr {
    uint16_t limit;
    uint64_t base;
} PACKED;

#define DOUBLE_FAULT_STACK_PAGES 2
#define MSR_GS_BASE_NUMBER 0xc0000101

void gdt_init_cpu(struct cpu *c, struct tss *tss, uint64_t *gdt)
{
    memset(tss, 0, sizeof *tss);
    uint64_t df_stack = pages_alloc_contig(DOUBLE_FAULT_STACK_PAGES);
    if (!df_stack) panic("no memory for the double-fault stack");
    tss->ist[0] = (uint64_t)phys_to_virt(df_stack) + DOUBLE_FAULT_STACK_PAGES * PAGE_SIZE;
    tss->iomap_base = sizeof *tss;

    gdt[0] = 0;
    gdt[1] = 0x00af9a000000ffff;   /* kernel code 64 */
    gdt[2] = 0x00cf92000000ffff;   /* kernel data */
    gdt[3] = 0x00cffa000000ffff;   /* user code 32 (unused; keeps SYSRET's layout) */
    gdt[4] = 0x00cff2000000ffff;   /* user data */
    gdt[5] = 0x00affa000000ffff;   /* user code 64 */
    uint64_t base = (uint64_t)tss, limit = sizeof *tss - 1;
    gdt[6] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ul << 40) |
             (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
    gdt[7] = base >> 32;

    struct gdt_ptr p = { 8 * 8 - 1, (uint64_t)gdt };
    /* Loading %gs zeroes its base, which must name c again before any
     * protected function runs (the stack guard is at %gs:STACK_CANARY_OFFSET,
     * kernel/stack_guard.c; this one compares on its way out): put it back
     * in the same asm, with %gs pointing nowhere in between. */
    __asm__ volatile(
        "lgdt %0\n"
        "pushq %1\n"
        "leaq 1f(%%rip), %%rax\n"
        "pushq %%rax\n"
        "lretq\n"
        "1: movw %w2, %%ax\n"
        "movw %%ax, %%ds\n movw %%ax, %%es\n movw %%ax, %%ss\n"
        "xorl %%eax, %%eax\n movw %%ax, %%fs\n movw %%ax, %%gs\n"
        "movl %3, %%ecx\n movl %k4, %%eax\n movq %4, %%rdx\n shrq $32, %%rdx\n wrmsr\n"
        : : "m"(p), "i"((uint64_t)KERNEL_CS), "i"(KERNEL_DS), "i"(MSR_GS_BASE_NUMBER), "r"((uint64_t)c)
        : "rax", "rcx", "rdx", "memory");
    __asm__ volatile("ltr %w0" : : "r"(TSS_SEL));
    c->tss = tss;
    c->gdt = gdt;
}

void tss_set_kernel_stack(struct cpu *c, uint64_t rsp0) { c->tss->rsp[0] = rsp0; }
