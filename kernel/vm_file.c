/* File mappings and their files: what a shared mapping wrote goes back to
 * the file system (vm_writeback), and events in a file reach the pages that
 * map it (truncate, hole punching, holes filled), as Linux's page cache
 * propagates them. Regions themselves live in vm.c, page filling in
 * vm_fault.c. */
#include "vm.h"
#include "mm.h"
#include "paging.h"
#include "../klib/errno.h"
#include "../fs/vfs.h"

/* A page of a shared mapping the program wrote: the page cache's own page,
 * written in place, so the file system only needs to hear of it. (Every
 * writable page of a shared file mapping is the cache's: vm_fault.c gives a
 * hole a block before its first write.) Called without vm->lock: the file
 * system may sleep. */
static int write_back_page(struct vm *vm, struct file *f, uint64_t va, uint64_t file_off)
{
    uint64_t *pte = page_lookup(vm->root, va);
    if (!pte || !(*pte & (PTE_P | PTE_HIDDEN)) || !(*pte & PTE_D) || !(*pte & PTE_FOREIGN)) return 0;
    *pte &= ~PTE_D;
    tlb_flush_page(va);
    return f->ops->page_written ? f->ops->page_written(f, file_off) : 0;
}

int vm_writeback(struct vm *vm, uint64_t start, uint64_t len, bool require_mapped)
{
    uint64_t end = start + ALIGN_UP(len, PAGE_SIZE);
    int first_error = 0;
    uint64_t covered = start;
    for (struct vma *v = vma_ending_after(vm, start); v && v->start < end; v = vma_next(v)) {
        if (v->start > covered) first_error = first_error ? first_error : (require_mapped ? -ENOMEM : 0);
        covered = MAX(covered, v->end);
        if (!(v->flags & VM_SHARED) || !v->file) continue;
        uint64_t to = MIN(v->end, end);
        for (uint64_t va = MAX(v->start, start); page_next(vm->root, &va, to); va += PAGE_SIZE) {
            int r = write_back_page(vm, v->file, va, v->file_offset + (va - v->start));
            if (r < 0 && !first_error) first_error = r;
        }
    }
    if (covered < end && require_mapped && !first_error) first_error = -ENOMEM;
    return first_error;
}

int vm_writeback_file(struct vm *vm, const void *node)
{
    int first_error = 0;
    for (struct vma *v = vma_first(vm); v; v = vma_next(v)) {
        if (!(v->flags & VM_SHARED) || !v->file || v->file->node != node) continue;
        for (uint64_t va = v->start; page_next(vm->root, &va, v->end); va += PAGE_SIZE) {
            int r = write_back_page(vm, v->file, va, v->file_offset + (va - v->start));
            if (r < 0 && !first_error) first_error = r;
        }
    }
    return first_error;
}

/* Drop the whole-file pages of [from, to) (file offsets) from every mapping
 * of `node`: all of them when `only` is 0, else those whose entry has one
 * of the `only` bits. */
static void forget_pages(struct vm *vm, const void *node, uint64_t from, uint64_t to, uint64_t only)
{
    from = ALIGN_UP(from, PAGE_SIZE);
    uint64_t irq = write_lock_irqsave(&vm->lock);
    for (struct vma *v = vma_first(vm); v; v = vma_next(v)) {
        if (!v->file || v->file->node != node) continue;
        /* Only pages that are all file: an ELF segment's bss is its own. */
        uint64_t last = MIN(v->end, ALIGN_DOWN(v->file_end, PAGE_SIZE)), *pte;
        for (uint64_t va = v->start; (pte = page_next(vm->root, &va, last)); va += PAGE_SIZE) {
            uint64_t off = v->file_offset + (va - v->start);
            if (off < from || off >= to || to - off < PAGE_SIZE) continue;
            if (only && !(*pte & only)) continue;
            uint64_t pa = page_unmap(vm->root, va);
            if (pa) tlb_flush_page(va);     /* on every CPU before the page is reused */
            if (pa) page_free(pa);
        }
    }
    write_unlock_irqrestore(&vm->lock, irq);
}

void vm_file_truncated(struct vm *vm, const void *node, uint64_t size)
{
    forget_pages(vm, node, size, UINT64_MAX, 0);
}

void vm_file_punched(struct vm *vm, const void *node, uint64_t from, uint64_t to)
{
    forget_pages(vm, node, from, to, PTE_FOREIGN | PTE_HOLE);
}

void vm_file_holes_filled(struct vm *vm, const void *node, uint64_t from, uint64_t to)
{
    forget_pages(vm, node, from, to, PTE_HOLE);
}
