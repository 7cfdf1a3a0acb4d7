/* The page tables checked against the rules the rest of the kernel keeps:
 * nothing both writable and executable anywhere, the kernel's text
 * read-only, its rodata read-only and not executable, its data not
 * executable, nothing executable in the kernel half outside its text, no
 * kernel page reachable from ring 3. A breach is a kernel bug (or an attack
 * that got this far): panic, naming the first offending range.
 *
 * A leaf's rights are what every level allows: writable only if each entry
 * on the way has W, executable only if none has NX, user only if each has
 * U (intermediate entries are permissive, kernel/paging.c). Cost: one visit
 * per present entry; see docs/memory.md for the measured time. */
#include "paging.h"
#include "mm.h"
#include "panic.h"

extern char _kernel_text_start[], _kernel_rodata_start[], _kernel_data_start[], _kernel_end[];

#define CR0_WP (1ul << 16)
#define KERNEL_HALF 0xffff800000000000ul

struct rights {
    bool write, exec, user;
};

/* The first bad range: its rule, and where it starts and ends so far. */
struct finding {
    const char *rule;
    uint64_t start, end;
    bool done;
};

static bool overlaps(uint64_t start, uint64_t end, const void *lo, const void *hi)
{
    return start < (uint64_t)hi && end > (uint64_t)lo;
}

/* The same for the direct map's alias of [lo, hi) in the kernel image. */
static bool overlaps_alias(uint64_t start, uint64_t end, const void *lo, const void *hi)
{
    return start >= DIRECT_MAP_BASE && end <= MMIO_BASE &&
           overlaps(start, end, phys_to_virt(virt_to_phys(lo)), phys_to_virt(virt_to_phys(hi)));
}

/* Which rule the leaf [va, va + size) with these rights breaks, or NULL. */
static const char *broken_rule(uint64_t va, uint64_t size, struct rights r)
{
    uint64_t end = va + size;
    if (va < KERNEL_HALF) return r.write && r.exec ? "W+X mapping" : NULL;   /* the program's half: W^X only */
    if (r.user) return "kernel mapping reachable from ring 3";
    if (overlaps(va, end, _kernel_text_start, _kernel_rodata_start)) return r.write ? "kernel text writable" : NULL;
    if (r.write && r.exec) return "W+X mapping";
    if (r.write && overlaps_alias(va, end, _kernel_text_start, _kernel_data_start))
        return "kernel text or rodata writable through the direct map";
    if (overlaps(va, end, _kernel_rodata_start, _kernel_data_start) && (r.write || r.exec))
        return r.write ? "kernel rodata writable" : "kernel rodata executable";
    if (overlaps(va, end, _kernel_data_start, _kernel_end) && r.exec) return "kernel data executable";
    if (r.exec) return "executable kernel mapping outside the kernel text";
    return NULL;
}

static void note(struct finding *f, uint64_t va, uint64_t size, const char *rule)
{
    if (f->done) return;
    if (f->rule) {
        /* Extend the range while the next leaf breaks the same rule. */
        if (rule == f->rule && va == f->end) {
            f->end = va + size;
            return;
        }
        f->done = true;
        return;
    }
    if (rule) *f = (struct finding){ rule, va, va + size, false };
}

static uint64_t canonical(uint64_t va) { return va & (1ul << 47) ? va | 0xffff000000000000ul : va; }

static void walk_table(const uint64_t *t, int level, uint64_t base, struct rights up, int first, int last,
                       struct finding *f)
{
    uint64_t span = 1ul << (12 + 9 * (level - 1));
    for (int i = first; i <= last && !f->done; i++) {
        uint64_t e = t[i];
        uint64_t va = canonical(base + (uint64_t)i * span);
        if (!(e & PTE_P)) {
            if (f->rule) f->done = true;   /* a gap ends the bad range */
            continue;
        }
        struct rights r = { up.write && (e & PTE_W), up.exec && !(e & PTE_NX), up.user && (e & PTE_U) };
        if (level == 1 || (e & PTE_PS)) note(f, va, span, broken_rule(va, span, r));
        else walk_table(phys_to_virt(e & PTE_ADDR_MASK), level - 1, base + (uint64_t)i * span, r, 0, 511, f);
    }
}

void paging_audit(uint64_t root, bool user_half)
{
    uint64_t cr0;
    __asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
    if (!(cr0 & CR0_WP)) panic("page tables: CR0.WP is clear: the kernel could write its read-only pages");
    struct finding f = { 0 };
    walk_table(phys_to_virt(root), 4, 0, (struct rights){ true, true, true }, user_half ? 0 : 256, 511, &f);
    if (f.rule) panic("page tables: %s at %lx-%lx", f.rule, f.start, f.end);
}
