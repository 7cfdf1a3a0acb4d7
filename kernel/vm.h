/* The program's address space: a sorted list of regions (VMAs) over the
 * shared page table. Pages are filled lazily by vm_handle_fault. */
#pragma once
#include "../klib/types.h"
#include "../klib/heap.h"
#include "spinlock.h"

#define VM_READ 1u
#define VM_WRITE 2u
#define VM_EXEC 4u
#define VM_PROT_MASK 7u
#define VM_STACK 0x100u     /* grows down (shown as [stack]) */
#define VM_HEAP 0x200u      /* the brk area (shown as [heap]) */
#define VM_PINNED 0x400u    /* maps a kernel page ([vvar]): never writable, never refilled */

struct vma {
    uint64_t start, end;    /* page aligned, end exclusive */
    uint32_t flags;         /* VM_* */
    struct vma *next;
    /* What /proc/self/maps shows: the file a mapping came from (an interned
     * path, see klib/intern.h) and where in it, or NULL for anonymous memory. */
    const char *name;
    uint64_t file_offset;   /* of `start` */
    uint64_t ino;
    /* MAP_SHARED file mappings write their dirty pages back to this file
     * (referenced) on msync, munmap and exit. */
    struct file *shared_file;
};

struct vm {
    struct heap *heap;
    uint64_t root;          /* page table (physical) */
    struct spinlock lock;
    struct vma *vmas;
    uint64_t mmap_top;      /* new mappings are placed below this */
    uint64_t brk_start, brk;
};

void vm_init(struct vm *vm, struct heap *h, uint64_t root, uint64_t mmap_top);
/* Create a mapping of [start, start+len), replacing whatever was there. */
int vm_map(struct vm *vm, uint64_t start, uint64_t len, uint32_t flags);
/* Label the region starting at start as a mapping of file `name` at `offset`. */
void vm_set_file(struct vm *vm, uint64_t start, const char *name, uint64_t ino, uint64_t offset);
struct file;
/* Make the region starting at start a shared mapping of f (takes a reference). */
void vm_set_shared_file(struct vm *vm, uint64_t start, struct file *f);
/* Write dirty pages of shared file mappings in [start, start+len) back to
 * their files; returns 0, -ENOMEM if part of the range is unmapped, or the
 * first write error. */
int vm_writeback(struct vm *vm, uint64_t start, uint64_t len, bool require_mapped);
int vm_unmap(struct vm *vm, uint64_t start, uint64_t len);
/* Map the kernel's physical page pa at start (one page, VM_PINNED): every
 * mapping of it shares the page, and unmapping never frees it. */
int vm_map_kernel_page(struct vm *vm, uint64_t start, uint64_t pa, uint32_t flags);
/* prctl(PR_SET_VMA_ANON_NAME): label the anonymous regions of [start, start+len)
 * with name (an interned "[anon:...]" string, or NULL to clear). 0, -ENOMEM if
 * part of the range is unmapped, -EBADF if part of it maps a file. */
int vm_name_anon(struct vm *vm, uint64_t start, uint64_t len, const char *name);
int vm_protect(struct vm *vm, uint64_t start, uint64_t len, uint32_t prot);
/* A free range of len bytes, highest first below mmap_top; 0 if none. */
uint64_t vm_find_free(struct vm *vm, uint64_t len);
struct vma *vm_find(struct vm *vm, uint64_t addr);
bool vm_range_free(struct vm *vm, uint64_t start, uint64_t len);
/* Resolve a fault at addr (x86 error code bits); 0 if handled. */
int vm_handle_fault(struct vm *vm, uint64_t addr, uint64_t error);
/* Make the page holding addr present; returns its kernel address or NULL. */
void *vm_page_kernel_address(struct vm *vm, uint64_t addr);
