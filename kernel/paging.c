/* Builds the kernel's final page tables: a direct map of RAM (2 MiB pages,
 * never executable), the kernel image with per-section permissions, and an
 * uncached window for device registers. The boot tables are dropped. */
#include "paging.h"
#include "mm.h"
#include "page_alloc.h"
#include "panic.h"
#include "spinlock.h"
#include "../klib/errno.h"

extern char _kernel_text_start[], _kernel_rodata_start[], _kernel_data_start[], _kernel_end[];
extern char boot_stack_guard[];   /* boot/pvh/entry.S: one page, never mapped */

static uint64_t kernel_root;
static struct spinlock mmio_lock;
static uint64_t mmio_next = MMIO_BASE;

uint64_t paging_root(void) { return kernel_root; }

static uint64_t *table(uint64_t entry) { return phys_to_virt(entry & PTE_ADDR_MASK); }

/* Walk to the table at `level` (1 = page table) for va, creating tables. */
static uint64_t *walk(uint64_t root, uint64_t va, int level, bool create)
{
    uint64_t *t = phys_to_virt(root);
    for (int l = 4; l > level; l--) {
        uint64_t *e = &t[(va >> (12 + 9 * (l - 1))) & 511];
        if (!(*e & PTE_P)) {
            if (!create) return NULL;
            uint64_t p = page_alloc();
            if (!p) return NULL;
            /* Intermediate entries are permissive; leaves decide. Page
             * faults on several CPUs walk and fill the program's half at
             * once (kernel/vm_fault.c): the first table to arrive stays. */
            uint64_t none = 0;
            if (!__atomic_compare_exchange_n(e, &none, p | PTE_P | PTE_W | (va < USER_TOP ? PTE_U : 0), false,
                                             __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
                page_free(p);
        }
        if (*e & PTE_PS) {
            return NULL;
        }
        t = table(*e);
    }
    return &t[(va >> (12 + 9 * (level - 1))) & 511];
}

int page_map(uint64_t root, uint64_t va, uint64_t pa, uint64_t flags)
{
    uint64_t *e = walk(root, va, 1, true);
    if (!e) return -ENOMEM;
    *e = pa | flags | PTE_P;
    return 0;
}

int page_map_if(uint64_t root, uint64_t va, uint64_t expect, uint64_t entry)
{
    uint64_t *e = walk(root, va, 1, true);
    if (!e) return -ENOMEM;
    return __atomic_compare_exchange_n(e, &expect, entry, false, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED) ? 0 : -EAGAIN;
}

static int large_page_map(uint64_t root, uint64_t va, uint64_t pa, uint64_t flags)
{
    uint64_t *e = walk(root, va, 2, true);
    if (!e) return -ENOMEM;
    *e = pa | flags | PTE_P | PTE_PS;
    return 0;
}

uint64_t *page_lookup(uint64_t root, uint64_t va)
{
    return walk(root, va, 1, false);
}

uint64_t *page_next(uint64_t root, uint64_t *va, uint64_t end)
{
    uint64_t a = *va;
    while (a < end) {
        uint64_t *t = phys_to_virt(root);
        int l = 4;
        for (; l > 1; l--) {
            uint64_t e = t[(a >> (12 + 9 * (l - 1))) & 511];
            if (!(e & PTE_P) || (e & PTE_PS)) break;
            t = table(e);
        }
        if (l == 1) {
            /* The rest of this page table, then walk down afresh. */
            for (unsigned i = (a >> 12) & 511; i < 512 && a < end; i++, a += PAGE_SIZE) {
                if (t[i]) {
                    *va = a;
                    return &t[i];
                }
            }
            continue;
        }
        /* No table below this entry: nothing in all the space it covers
         * (512 GiB, 1 GiB or 2 MiB), so step over it whole. */
        uint64_t span = 1ul << (12 + 9 * (l - 1));
        uint64_t next = (a & ~(span - 1)) + span;
        if (next <= a) break;
        a = next;
    }
    return NULL;
}

uint64_t page_unmap(uint64_t root, uint64_t va)
{
    uint64_t *e = walk(root, va, 1, false);
    if (!e || !(*e & (PTE_P | PTE_HIDDEN))) return 0;
    uint64_t pa = *e & PTE_ADDR_MASK;
    *e = 0;
    tlb_flush_page_local(va);
    return pa;
}

void tlb_flush_all(void)
{
    uint64_t cr3;
    __asm__ volatile("mov %%cr3, %0; mov %0, %%cr3" : "=r"(cr3) : : "memory");
}

static void map_kernel_range(char *start, char *end, uint64_t flags)
{
    for (uint64_t va = (uint64_t)start; va < (uint64_t)end; va += PAGE_SIZE)
        if (page_map(kernel_root, va, virt_to_phys((void *)va), flags | PTE_G))
            panic("out of memory mapping the kernel");
}

/* The direct map's 2 MiB at pa, in 4 KiB pages: read-only over the kernel's
 * text and rodata, so the image cannot be changed through this alias
 * either (kernel/paging_audit.c checks it). */
static void map_direct_chunk_split(uint64_t pa, uint64_t ro_start, uint64_t ro_end)
{
    for (uint64_t a = pa; a < pa + LARGE_PAGE_SIZE; a += PAGE_SIZE) {
        uint64_t flags = PTE_NX | PTE_G | (a >= ro_start && a < ro_end ? 0 : PTE_W);
        if (page_map(kernel_root, DIRECT_MAP_BASE + a, a, flags)) panic("out of memory building the direct map");
    }
}

void paging_init(const struct phys_range *ram, int nranges)
{
    kernel_root = page_alloc();
    if (!kernel_root) panic("out of memory for the kernel page table");
    uint64_t ro_start = virt_to_phys(_kernel_text_start), ro_end = virt_to_phys(_kernel_data_start);
    for (int i = 0; i < nranges; i++) {
        for (uint64_t a = ALIGN_DOWN(ram[i].start, LARGE_PAGE_SIZE); a < ram[i].end; a += LARGE_PAGE_SIZE) {
            /* Every visit of a chunk takes the same way: ranges may share one. */
            if (a < ro_end && a + LARGE_PAGE_SIZE > ro_start) map_direct_chunk_split(a, ro_start, ro_end);
            else if (large_page_map(kernel_root, DIRECT_MAP_BASE + a, a, PTE_W | PTE_NX | PTE_G))
                panic("out of memory building the direct map");
        }
    }
    map_kernel_range(_kernel_text_start, _kernel_rodata_start, 0);
    map_kernel_range(_kernel_rodata_start, _kernel_data_start, PTE_NX);
    map_kernel_range(_kernel_data_start, boot_stack_guard, PTE_W | PTE_NX);
    map_kernel_range(boot_stack_guard + PAGE_SIZE, _kernel_end, PTE_W | PTE_NX);
    __asm__ volatile("mov %0, %%cr3" : : "r"(kernel_root) : "memory");
}

static struct spinlock kstack_lock;
static uint64_t kstack_next = KSTACK_BASE;

uint64_t kstack_alloc(size_t pages)
{
    uint64_t flags = spin_lock_irqsave(&kstack_lock);
    uint64_t va = kstack_next + PAGE_SIZE;   /* the guard page stays unmapped */
    kstack_next += (pages + 1) * PAGE_SIZE;
    spin_unlock_irqrestore(&kstack_lock, flags);
    for (size_t i = 0; i < pages; i++) {
        uint64_t pa = page_alloc();
        if (!pa || page_map(kernel_root, va + i * PAGE_SIZE, pa, PTE_W | PTE_NX | PTE_G) < 0) {
            if (pa) page_free(pa);
            kstack_free(va, i);
            return 0;
        }
    }
    return va;
}

void kstack_free(uint64_t base, size_t pages)
{
    /* Only the pages come back: stack addresses are handed out once, and
     * the kernel half has room enough never to need them again. */
    for (size_t i = 0; i < pages; i++) {
        uint64_t pa = page_unmap(kernel_root, base + i * PAGE_SIZE);
        if (pa) page_free(pa);
    }
}

void *mmio_map(uint64_t pa, size_t size)
{
    uint64_t offset = pa & (PAGE_SIZE - 1);
    size = ALIGN_UP(size + offset, PAGE_SIZE);
    uint64_t flags = spin_lock_irqsave(&mmio_lock);
    uint64_t va = mmio_next;
    mmio_next += size + PAGE_SIZE; /* an unmapped guard page between windows */
    spin_unlock_irqrestore(&mmio_lock, flags);
    for (uint64_t o = 0; o < size; o += PAGE_SIZE)
        if (page_map(kernel_root, va + o, pa - offset + o, PTE_W | PTE_PCD | PTE_PWT | PTE_NX | PTE_G))
            panic("out of memory mapping device registers");
    return (void *)(va + offset);
}
