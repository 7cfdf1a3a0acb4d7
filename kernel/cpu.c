/* Bringing a CPU to the state the kernel relies on: its GDT/TSS/IDT, %gs
 * pointing at its struct cpu, SYSCALL wired to syscall_entry, SSE and
 * XSAVE's components (kernel/fpu.c) for the program, and the protections
 * the CPU offers (NX, SMEP, SMAP, UMIP, WP). */
#include "cpu.h"
#include "percpu.h"
#include "trap.h"
#include "segments.h"
#include "io.h"
#include "usercopy.h"
#include "fpu.h"
#include "stack_guard.h"
#include "mm.h"
#include "panic.h"
#include "../klib/heap.h"

#define MSR_EFER 0xc0000080
#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_FMASK 0xc0000084
#define MSR_FS_BASE 0xc0000100
#define MSR_GS_BASE 0xc0000101
#define MSR_KERNEL_GS_BASE 0xc0000102
#define MSR_TSC_AUX 0xc0000103

#define CR0_MP (1ul << 1)
#define CR0_EM (1ul << 2)
#define CR0_NE (1ul << 5)
#define CR4_OSFXSR (1ul << 9)
#define CR4_OSXMMEXCPT (1ul << 10)
#define CR4_UMIP (1ul << 11)
#define CR4_SMEP (1ul << 20)
#define CR4_SMAP (1ul << 21)

extern void syscall_entry(void);

struct cpu_features cpu_features;

void cpu_detect_features(void)
{
    uint32_t r[4];
    cpuid(0, 0, r);
    uint32_t max_leaf = r[0];
    cpuid(1, 0, r);
    cpu_features.rdrand = r[2] >> 30 & 1;
    cpu_features.hypervisor = r[2] >> 31 & 1;
    if (max_leaf >= 7) {
        cpuid(7, 0, r);
        cpu_features.smep = r[1] >> 7 & 1;
        cpu_features.smap = r[1] >> 20 & 1;
        cpu_features.rdseed = r[1] >> 18 & 1;
        cpu_features.umip = r[2] >> 2 & 1;
    }
    cpuid(0x80000000, 0, r);
    if (r[0] >= 0x80000001) {
        cpuid(0x80000001, 0, r);
        cpu_features.rdtscp = r[3] >> 27 & 1;
    }
}

static void enable_protections_and_sse(void)
{
    uint64_t cr0, cr4;
    __asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
    cr0 = (cr0 & ~CR0_EM) | CR0_MP | CR0_NE;
    __asm__ volatile("mov %0, %%cr0" : : "r"(cr0));
    __asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
    cr4 |= CR4_OSFXSR | CR4_OSXMMEXCPT;
    if (cpu_features.smep) cr4 |= CR4_SMEP;
    if (cpu_features.smap) cr4 |= CR4_SMAP;
    /* Ring 3 may not read the GDT, IDT, LDT, TR or CR0 (SGDT, SIDT, SLDT,
     * STR, SMSW fault): their addresses would tell the program where the
     * kernel's tables are. */
    if (cpu_features.umip) cr4 |= CR4_UMIP;
    __asm__ volatile("mov %0, %%cr4" : : "r"(cr4));
    smap_enabled = cpu_features.smap;
    fpu_enable_this_cpu();
    /* The program starts with a clean FPU, as after execve. */
    __asm__ volatile("fninit");
}

struct cpu_tables {
    uint64_t gdt[8];
    uint8_t tss[104] __attribute__((aligned(16)));
};

static struct cpu boot_cpu;

/* What every CPU sets up for itself, once %gs names its struct cpu. */
static void init_this_cpu(struct cpu *c, struct cpu_tables *tables)
{
    gdt_init_cpu(c, (struct tss *)tables->tss, tables->gdt);
    wrmsr(MSR_GS_BASE, (uint64_t)c);
    wrmsr(MSR_KERNEL_GS_BASE, 0);
    idt_load();
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | 1 | (1 << 11));  /* SCE, NXE */
    wrmsr(MSR_STAR, ((uint64_t)(USER_CS32 | 3) << 48) | ((uint64_t)KERNEL_CS << 32));
    wrmsr(MSR_LSTAR, (uint64_t)syscall_entry);
    if (cpu_features.rdtscp) wrmsr(MSR_TSC_AUX, c->id); /* Linux's encoding: node << 12 | cpu */
    /* Clear IF, TF, DF, AC and NT on entry. */
    wrmsr(MSR_FMASK, 0x200 | 0x100 | 0x400 | 0x40000 | 0x4000);
    enable_protections_and_sse();
}

/* Not stack-protected, nor the AP's: %gs names no struct cpu when they start. */
__attribute__((no_stack_protector)) void cpu_early_init(void)
{
    boot_cpu.self = &boot_cpu;
    wrmsr(MSR_GS_BASE, (uint64_t)&boot_cpu);
}

void cpu_init_boot(void)
{
    cpu_detect_features();
    fpu_detect();
    struct cpu *c = &boot_cpu;
    c->self = c;
    c->id = 0;
    idt_init();
    /* From the direct map, not the kernel image: SGDT in ring 3 (on a CPU
     * without UMIP) must not tell the program where KASLR put the kernel. */
    uint64_t tables = page_alloc();
    if (!tables) panic("out of memory for the boot CPU's GDT");
    init_this_cpu(c, phys_to_virt(tables));
}

struct cpu *cpu_alloc(struct heap *h, uint32_t id, uint32_t apic_id)
{
    struct cpu *c = allocate_zero(h, sizeof *c + sizeof(struct cpu_tables) + 16);
    if (!c) return NULL;
    c->self = c;
    c->id = id;
    c->apic_id = apic_id;
    c->stack_canary = stack_guard_new();    /* its guard until its idle thread takes it */
    return c;
}

__attribute__((no_stack_protector)) void cpu_early_init_ap(struct cpu *c) { wrmsr(MSR_GS_BASE, (uint64_t)c); }

void cpu_init_ap(struct cpu *c)
{
    struct cpu_tables *tables = (struct cpu_tables *)ALIGN_UP((uint64_t)(c + 1), 16);
    init_this_cpu(c, tables);
}

void cpu_set_fs_base(uint64_t v) { wrmsr(MSR_FS_BASE, v); }
uint64_t cpu_get_fs_base(void) { return rdmsr(MSR_FS_BASE); }
