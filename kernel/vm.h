/* The program's address space: regions (VMAs) in a balanced tree ordered
 * by address, over the shared page table. Pages are filled lazily by
 * vm_handle_fault. */
#pragma once
#include "../klib/types.h"
#include "../klib/heap.h"
#include "../klib/avl.h"
#include "rwspin.h"

#define VM_READ 1u
#define VM_WRITE 2u
#define VM_EXEC 4u
#define VM_PROT_MASK 7u
#define VM_STACK 0x100u     /* grows down (shown as [stack]) */
#define VM_HEAP 0x200u      /* the brk area (shown as [heap]) */
#define VM_PINNED 0x400u    /* maps a kernel page ([vvar]): never writable, never refilled */
#define VM_SHARED 0x800u    /* MAP_SHARED: changes go back to the file */
#define VM_WAS_WRITABLE 0x1000u  /* once writable (kept only under exec-protection, kernel/hardening.h) */

struct file;

struct vma {
    uint64_t start, end;    /* page aligned, end exclusive */
    uint32_t flags;         /* VM_* */
    /* In vm->regions by start. Each node also sums up its subtree: where
     * its first region starts, where its last ends, and the largest gap
     * between two of its regions, so finding room for a new mapping skips
     * every subtree without one big enough (kernel/vm_gap.c). */
    struct avl_node node;
    uint64_t sub_start, sub_end, sub_gap;
    /* What /proc/self/maps shows: the file a mapping came from (an interned
     * path, see klib/intern.h) and where in it, or NULL for anonymous memory. */
    const char *name;
    uint64_t file_offset;   /* of `start` */
    uint64_t ino;
    /* A file mapping fills its pages from `file` (referenced) on first
     * touch: the page at va holds the file's bytes from file_offset +
     * (va - start) up to the address file_end, zeros after it (an ELF
     * segment's bss). Private mappings share whole pages with the page cache
     * read-only and copy one when it is written (kernel/vm_fault.c); shared
     * ones (VM_SHARED) fill private copies and write the dirty ones back on
     * msync, munmap and exit. */
    struct file *file;
    uint64_t file_end;
};

struct vm {
    struct heap *heap;
    uint64_t root;          /* page table (physical) */
    /* Read by page faults (on every CPU at once) and whatever only looks;
     * written by every change to the regions (docs/locking.md). */
    struct rwspin lock;
    struct avl_tree regions;
    uint64_t mmap_top;      /* new mappings are placed below this */
    uint64_t brk_start, brk;
};

void vm_init(struct vm *vm, struct heap *h, uint64_t root, uint64_t mmap_top);

/* The regions in address order (vm->lock held, or the program stopped). */
static inline struct vma *vma_of(struct avl_node *n) { return n ? container_of(n, struct vma, node) : NULL; }
static inline struct vma *vma_first(struct vm *vm) { return vma_of(avl_first(&vm->regions)); }
static inline struct vma *vma_next(struct vma *v) { return vma_of(avl_next(&v->node)); }
static inline struct vma *vma_prev(struct vma *v) { return vma_of(avl_prev(&v->node)); }
/* The lowest region ending above addr: the one holding addr if any. */
struct vma *vma_ending_after(struct vm *vm, uint64_t addr);

/* What a new region maps: anonymous memory (zeros) unless `file` is set. */
struct vm_source {
    struct file *file;      /* the region takes its own reference */
    uint64_t offset;        /* file offset of the region's start */
    uint64_t file_end;      /* address where the file's bytes end; zeros after (bss) */
    const char *name;       /* label for /proc/self/maps when anonymous ("[vdso]"); interned */
};

/* Create a mapping of [start, start+len) from src (NULL: anonymous, no
 * label), replacing whatever was there. VM_SHARED in flags: MAP_SHARED. */
int vm_map_from(struct vm *vm, uint64_t start, uint64_t len, uint32_t flags, const struct vm_source *src);
static inline int vm_map(struct vm *vm, uint64_t start, uint64_t len, uint32_t flags)
{
    return vm_map_from(vm, start, len, flags, NULL);
}

/* Write dirty pages of shared file mappings in [start, start+len) back to
 * their files; returns 0, -ENOMEM if part of the range is unmapped, or the
 * first write error. */
int vm_writeback(struct vm *vm, uint64_t start, uint64_t len, bool require_mapped);
/* The same for every shared mapping of one file (fsync of it). */
int vm_writeback_file(struct vm *vm, const void *node);
int vm_unmap(struct vm *vm, uint64_t start, uint64_t len);
/* Drop the pages of [start, start+len) but keep the regions (madvise
 * DONTNEED): shared file pages are written back first, private ones read
 * again on the next touch, anonymous ones come back as zeros; the kernel's
 * pinned pages stay. One shootdown per region, under the vm's lock. */
void vm_discard(struct vm *vm, uint64_t start, uint64_t len);
/* Events in a mapped file (`node` is a struct file's node), as Linux's page
 * cache reacts to them:
 * - truncated to `size`: every mapping drops its pages past the new end,
 *   private copies included; touching one again is SIGBUS;
 * - a hole punched in [from, to): mappings drop the file's pages there (the
 *   page cache's, and hole stand-ins); private copies stay; the rest reads
 *   zeros again;
 * - holes in [from, to) got blocks: the zeros standing in for them go, so
 *   the next touch maps the file's page. */
void vm_file_truncated(struct vm *vm, const void *node, uint64_t size);
void vm_file_punched(struct vm *vm, const void *node, uint64_t from, uint64_t to);
void vm_file_holes_filled(struct vm *vm, const void *node, uint64_t from, uint64_t to);
/* Map the kernel's physical page pa at start (one page, VM_PINNED, labelled
 * name): every mapping of it shares the page, and unmapping never frees it. */
int vm_map_kernel_page(struct vm *vm, uint64_t start, uint64_t pa, uint32_t flags, const char *name);
/* prctl(PR_SET_VMA_ANON_NAME): label the anonymous regions of [start, start+len)
 * with name (an interned "[anon:...]" string, or NULL to clear). 0, -ENOMEM if
 * part of the range is unmapped, -EBADF if part of it maps a file. */
int vm_name_anon(struct vm *vm, uint64_t start, uint64_t len, const char *name);
int vm_protect(struct vm *vm, uint64_t start, uint64_t len, uint32_t prot);
/* A free range of len bytes, highest first below mmap_top; 0 if none. */
uint64_t vm_find_free(struct vm *vm, uint64_t len);
uint64_t vm_find_free_locked(struct vm *vm, uint64_t len);
/* Map len bytes into free space only, the range chosen and taken under one
 * hold of vm->lock, so threads mapping at once never get the same one
 * (mmap without MAP_FIXED, MAP_FIXED_NOREPLACE, mremap's move): at hint if
 * that range is free, else (unless exact) the highest free range below
 * mmap_top. Here src->file_end counts from the start. *at gets the
 * address; -EEXIST (exact and taken) or -ENOMEM. */
int vm_map_free(struct vm *vm, uint64_t hint, uint64_t len, uint32_t flags, const struct vm_source *src, bool exact,
                uint64_t *at);
struct vma *vm_find(struct vm *vm, uint64_t addr);
bool vm_range_free(struct vm *vm, uint64_t start, uint64_t len);
/* Whether every page of [start, start+len) is in some region. */
bool vm_range_mapped(struct vm *vm, uint64_t start, uint64_t len);
/* Resolve a fault at addr (x86 error code bits): 0 if handled, -EFAULT
 * if the access is not allowed; if it is but the page could not be filled,
 * -ENOMEM, -EIO (the file could not be read) or -ENXIO (the page is past
 * the end of the file mapped there). Lives in kernel/vm_fault.c. */
int vm_handle_fault(struct vm *vm, uint64_t addr, uint64_t error);
/* Make the page holding addr present and the program's own (a shared page
 * is copied first), for the kernel to write; its kernel address or NULL. */
void *vm_page_for_kernel_write(struct vm *vm, uint64_t addr);

/* For the region tree (kernel/vm_gap.c): recompute a node's summary. */
void vm_region_update(struct avl_node *n);
/* For vm_fault.c: the page-table bits for a region's flags. */
uint64_t vm_pte_flags(uint32_t flags);
