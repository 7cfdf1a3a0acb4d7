/* Physical memory and the kernel's address space.
 *
 * Virtual layout (x86_64, 4-level paging):
 *   0x0000000000000000 - 0x00007fffffffffff  the program (ring 3)
 *   0xffff800000000000 + phys                 direct map of all RAM (2 MiB pages, NX)
 *   0xffffc00000000000 -                      MMIO windows (uncached), see mmio_map()
 *   0xffffd00000000000 -                      kernel stacks, each above an unmapped guard page
 *   0xffffffff80000000 + slide + phys         the kernel image (linked at phys 1 MiB; the
 *                                             slide is KASLR's, chosen at boot: docs/memory.md)
 */
#pragma once
#include "../klib/types.h"

#define PAGE_SIZE 4096ul
#define LARGE_PAGE_SIZE (2ul << 20)
#define DIRECT_MAP_BASE 0xffff800000000000ul
#define MMIO_BASE 0xffffc00000000000ul
#define KSTACK_BASE 0xffffd00000000000ul
#define KERNEL_IMAGE_BASE 0xffffffff80000000ul
#define USER_TOP 0x0000800000000000ul

/* How far KASLR moved the kernel image from its link address (boot/pvh/entry.S). */
extern const uint64_t kaslr_slide;

static inline void *phys_to_virt(uint64_t pa) { return (void *)(pa + DIRECT_MAP_BASE); }
/* Works for direct-map and kernel-image addresses. */
static inline uint64_t virt_to_phys(const void *va)
{
    uint64_t v = (uint64_t)va;
    return v >= KERNEL_IMAGE_BASE ? v - KERNEL_IMAGE_BASE - kaslr_slide : v - DIRECT_MAP_BASE;
}

/* Physical pages: zeroed on allocation; 0 means out of memory. */
uint64_t page_alloc(void);
uint64_t pages_alloc_contig(size_t count); /* physically contiguous, zeroed */
/* Drop one owner of the page; the last owner's free returns it. */
void page_free(uint64_t pa);
/* One more owner for an allocated page (a mapping sharing a cached page);
 * false if it cannot take another. */
bool page_ref(uint64_t pa);
/* Whether a page has owners besides its first (a mapping of a cached page). */
bool page_has_other_owners(uint64_t pa);
void pages_free(uint64_t pa, size_t count);
uint64_t pages_free_count(void);
/* fn(ctx, want) frees up to `want` pages of memory kept only to be fast
 * (a page cache) and returns how many; called when allocation fails. */
bool page_alloc_add_reclaimer(size_t (*fn)(void *ctx, size_t want), void *ctx);
uint64_t pages_total_count(void);

/* For tfs_mount_options.lent_in_use: a lent cache page still mapped. */
static inline bool kernel_page_shared(const void *page) { return page_has_other_owners(virt_to_phys(page)); }

/* Map a device's registers uncached into kernel space; returns the virtual address. */
void *mmio_map(uint64_t pa, size_t size);
/* A kernel stack of `pages` pages with an unmapped guard page below it, so
 * an overflow faults instead of overwriting its neighbours. Returns the
 * lowest usable address, or 0. */
uint64_t kstack_alloc(size_t pages);
/* Give back the pages of a stack kstack_alloc returned (same count). */
void kstack_free(uint64_t base, size_t pages);
