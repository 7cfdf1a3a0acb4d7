/* Filling the program's pages on first touch: anonymous memory as zeros,
 * file mappings from their file, and copy on write for shared pages.
 *
 * A file mapping does not copy the file: a page that is all file bytes maps
 * the page cache's own page (file_ops.lend_page), marked PTE_FOREIGN, and
 * the mapping holds one reference to it (kernel/page_alloc.c). So every
 * mapping of a library's text, and the cache itself, use one page, and
 * read()/write() see the same bytes as the mapping. A private mapping gets
 * the page read-only; the first write to it, by the program or by the kernel
 * on its behalf, gives the mapping its own copy. A shared mapping writes the
 * page itself, and vm.c tells the file system which pages were written
 * (the dirty bit) on msync, fsync, munmap and exit. Pages that are only
 * partly file (an ELF segment's last page before its bss) are read into a
 * fresh page. A hole has no block to share: it maps fresh zeros read-only
 * (PTE_HOLE). When the hole gets a block (a write(2), fallocate), the file
 * system says so and the stand-in is dropped (vm_file_holes_filled), so the
 * mapping sees the file again; a private mapping's first write keeps the
 * zeros as its own page, a shared mapping's gives the hole its block and maps
 * the cache's page (write_to_hole). Pages wholly past the end of the
 * file raise SIGBUS, as on Linux.
 *
 * Faults take vm->lock as readers, so threads on several CPUs fault at once
 * (the regions cannot change under them; only mmap and its kin write). Two
 * faults may race for one page-table entry: every change here is one
 * compare-and-exchange from the entry the fault saw (page_map_if), and the
 * loser frees what it made and lets the access retry, finding the winner's
 * page. The file is read, and a fresh page zeroed, without the lock at all:
 * reading may wait for the disk, and the region may change meanwhile, so
 * the page is installed only if its slot is still as it was and still
 * belongs to the same mapping. */
#include "vm.h"
#include "mm.h"
#include "paging.h"
#include "../klib/errno.h"
#include "../klib/string.h"
#include "../fs/vfs.h"

#define PF_WRITE 2
#define PF_FETCH 16

/* What a filled page is: the mapping's own, the page cache's (shared), or
 * zeros standing in for a hole. */
enum page_kind { PAGE_OWN, PAGE_CACHE, PAGE_HOLE };

/* The entry at va as it is now (0 when no table reaches it yet). */
static uint64_t entry_at(struct vm *vm, uint64_t va)
{
    uint64_t *pte = page_lookup(vm->root, va);
    return pte ? __atomic_load_n(pte, __ATOMIC_ACQUIRE) : 0;
}

static bool filled(uint64_t entry) { return entry & (PTE_P | PTE_HIDDEN); }

/* Put pa at va with v's permissions, if the entry still holds `seen`. The
 * page cache's page goes in read-only unless the mapping is MAP_SHARED; a
 * hole's zeros always go in read-only, so that the first write to them
 * faults; under PROT_NONE the page is kept but hidden from the program.
 * 0, -EAGAIN (another CPU changed the entry first) or -ENOMEM. */
static int install(struct vm *vm, const struct vma *v, uint64_t va, uint64_t pa, enum page_kind kind, uint64_t seen)
{
    uint64_t flags = vm_pte_flags(v->flags);
    if (kind == PAGE_CACHE) flags = (v->flags & VM_SHARED ? flags : flags & ~PTE_W) | PTE_FOREIGN;
    if (kind == PAGE_HOLE) flags = (flags & ~PTE_W) | PTE_HOLE;
    uint64_t entry = pa | flags | PTE_P;
    if (!(v->flags & VM_PROT_MASK)) entry = (entry & ~PTE_P) | PTE_HIDDEN;
    int r = page_map_if(vm->root, va, seen, entry);
    if (r < 0) return r;
    /* Filling an empty entry needs no flush elsewhere; replacing a page does. */
    if (filled(seen)) tlb_flush_page(va);
    else tlb_flush_page_local(va);
    return 0;
}

/* The page for file offset `offset`, with `bytes` of file at its start:
 * the page cache's own when it may be shared (`fill`: a hole gets a block
 * first; else a hole gives fresh zeros), otherwise a fresh copy. *kind says
 * which. 0 if the page lies wholly past the end of the file (*err = -ENXIO:
 * Linux raises SIGBUS), memory is out (-ENOMEM), the file cannot be read
 * (-EIO) or a hole cannot be filled (-ENOSPC ...). */
static uint64_t fetch_file_page(struct file *f, uint64_t offset, size_t bytes, bool may_share, bool fill,
                                enum page_kind *kind, int *err)
{
    uint64_t pa;
    *kind = PAGE_OWN;
    struct linux_stat st;
    if (f->ops->stat(f, &st) == 0 && offset >= ALIGN_UP((uint64_t)st.st_size, PAGE_SIZE)) {
        *err = -ENXIO;
        return 0;
    }
    if (may_share && bytes == PAGE_SIZE && f->ops->lend_page) {
        int r = f->ops->lend_page(f, offset, fill, &pa);
        if (r == 0) {
            *kind = PAGE_CACHE;
            return pa;
        }
        if (r == -ENODATA) {
            *kind = PAGE_HOLE;
            *err = -ENOMEM;
            return page_alloc();
        }
        if (fill) {
            *err = r;   /* a shared mapping's write cannot have its block (-ENOSPC ...) */
            return 0;
        }
    }
    pa = page_alloc();   /* zeroed: whatever the file does not cover reads as 0 */
    *err = -ENOMEM;
    if (!pa) return 0;
    if (f->ops->read(f, phys_to_virt(pa), bytes, offset) < 0) {
        page_free(pa);
        *err = -EIO;
        return 0;
    }
    return pa;
}

#define FAULT_AROUND 15   /* pages after a faulting file page mapped with it, as Linux's 64 KiB */

/* After a read fault on a page of the page cache, map the cache's pages
 * that follow it in the same mapping too: they were read ahead with it, and
 * one fault then serves a run of them. Stops at the first page that is
 * already there, not whole file, or not in the cache to share. */
static void map_around(struct vm *vm, uint64_t va, uint64_t *irq)
{
    for (int i = 1; i <= FAULT_AROUND; i++) {
        uint64_t next = va + (uint64_t)i * PAGE_SIZE;
        struct vma *v = vm_find(vm, next);
        if (!v || !v->file || !v->file->ops->lend_page || next + PAGE_SIZE > v->file_end ||
            !(v->flags & VM_PROT_MASK) || filled(entry_at(vm, next)))
            return;
        struct file *f = v->file;
        uint64_t offset = v->file_offset + (next - v->start), pa;
        file_get(f);
        read_unlock_irqrestore(&vm->lock, *irq);
        int r = f->ops->lend_page(f, offset, false, &pa);
        *irq = read_lock_irqsave(&vm->lock);
        v = vm_find(vm, next);
        uint64_t seen = entry_at(vm, next);
        bool same = v && v->file == f && v->file_offset + (next - v->start) == offset && !filled(seen);
        file_put(f);
        if (r < 0) return;
        if (!same || install(vm, v, next, pa, PAGE_CACHE, seen) < 0) {
            page_free(pa);
            return;
        }
    }
}

/* Make the page at va (page aligned) present. Called with vm->lock held
 * for reading (flags in *irq); drops and retakes it while a file is read. `for_write`:
 * the caller is about to write, so a file page is read as a private copy
 * rather than shared and copied at once. Returns the page's entry, or NULL
 * with *err: -EFAULT (nothing may be there), -ENOMEM, -EIO, -ENXIO, or
 * why a hole could not be filled. */
static uint64_t *fill_page(struct vm *vm, uint64_t va, bool for_write, uint64_t *irq, int *err)
{
    for (;;) {
        *err = -EFAULT;
        struct vma *v = vm_find(vm, va);
        if (!v) return NULL;
        uint64_t *pte = page_lookup(vm->root, va);
        if (pte && filled(*pte)) return pte;
        if (v->flags & VM_PINNED) return NULL;   /* its kernel page is gone: no stand-in */

        *err = -ENOMEM;
        if (!v->file || va >= v->file_end) {
            /* The page is zeroed (and, in a VM, first touched: the host's
             * own fault) without the address space's lock, so threads on
             * other CPUs fault in parallel; then look again. */
            read_unlock_irqrestore(&vm->lock, *irq);
            uint64_t pa = page_alloc();
            *irq = read_lock_irqsave(&vm->lock);
            if (!pa) return NULL;
            v = vm_find(vm, va);
            uint64_t seen = entry_at(vm, va);
            int r = -EAGAIN;
            if (v && !(v->file && va < v->file_end) && !(v->flags & VM_PINNED) && !filled(seen))
                r = install(vm, v, va, pa, PAGE_OWN, seen);
            if (r == -EAGAIN) {
                page_free(pa);
                continue;   /* changed meanwhile: decide again */
            }
            if (r < 0) {
                page_free(pa);
                return NULL;
            }
            return page_lookup(vm->root, va);
        }

        struct file *f = v->file;
        uint64_t offset = v->file_offset + (va - v->start);
        size_t bytes = (size_t)MIN((uint64_t)PAGE_SIZE, v->file_end - va);
        bool may_share = (v->flags & VM_SHARED) || !for_write;
        bool fill = (v->flags & VM_SHARED) && for_write;
        enum page_kind kind;
        file_get(f);
        read_unlock_irqrestore(&vm->lock, *irq);
        uint64_t pa = fetch_file_page(f, offset, bytes, may_share, fill, &kind, err);
        *irq = read_lock_irqsave(&vm->lock);

        /* Still the same empty slot of the same mapping? */
        v = vm_find(vm, va);
        uint64_t seen = entry_at(vm, va);
        bool same = v && v->file == f && v->file_offset + (va - v->start) == offset && !filled(seen);
        file_put(f);
        if (!pa) return NULL;
        int r = same ? install(vm, v, va, pa, kind, seen) : -EAGAIN;
        if (r == -EAGAIN) {
            page_free(pa);
            continue;   /* look again: someone else filled or changed it */
        }
        if (r < 0) {
            page_free(pa);
            *err = -ENOMEM;
            return NULL;
        }
        if (kind == PAGE_CACHE) map_around(vm, va, irq);
        return page_lookup(vm->root, va);
    }
}

/* Replace the shared page at va with the mapping's own copy of it. When
 * another CPU replaced it first, its entry is the answer (the access
 * retries and sees it). */
static uint64_t *unshare_page(struct vm *vm, const struct vma *v, uint64_t va, uint64_t *pte)
{
    uint64_t copy = page_alloc();
    if (!copy) return NULL;
    uint64_t seen = __atomic_load_n(pte, __ATOMIC_ACQUIRE), old = seen & PTE_ADDR_MASK;
    memcpy(phys_to_virt(copy), phys_to_virt(old), PAGE_SIZE);
    uint64_t entry = copy | vm_pte_flags(v->flags) | PTE_P;
    if (!(seen & PTE_P)) entry = (entry & ~PTE_P) | PTE_HIDDEN;
    int r = page_map_if(vm->root, va, seen, entry);
    if (r < 0) {
        page_free(copy);
        return r == -EAGAIN ? pte : NULL;
    }
    tlb_flush_page(va);
    page_free(old);
    return pte;
}

/* The first write to a hole's zeros. A private mapping keeps them as its
 * own page. A shared one gives the hole a block and maps the cache's page
 * for it instead (filling the hole drops the zeros through
 * vm_file_holes_filled, and the write then faults once more and finds the
 * block). Called with vm->lock held for reading; drops it while the file
 * system works. Losing a race to another CPU is success: the write faults
 * again and sees what is there. */
static int write_to_hole(struct vm *vm, uint64_t va, uint64_t *irq)
{
    struct vma *v = vm_find(vm, va);
    uint64_t *pte = page_lookup(vm->root, va);
    uint64_t seen = pte ? __atomic_load_n(pte, __ATOMIC_ACQUIRE) : 0;
    if (!v || !(seen & PTE_HOLE)) return -EFAULT;
    if (!(v->flags & VM_SHARED) || !v->file || !v->file->ops->lend_page) {
        uint64_t own = (seen & ~PTE_HOLE) | (vm_pte_flags(v->flags) & PTE_W);
        if (__atomic_compare_exchange_n(pte, &seen, own, false, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
            tlb_flush_page_local(va);   /* widening: see kernel/tlb.h */
        return 0;
    }
    struct file *f = v->file;
    uint64_t offset = v->file_offset + (va - v->start), old = seen & PTE_ADDR_MASK, pa;
    file_get(f);
    read_unlock_irqrestore(&vm->lock, *irq);
    int r = f->ops->lend_page(f, offset, true, &pa);
    *irq = read_lock_irqsave(&vm->lock);
    v = vm_find(vm, va);
    seen = entry_at(vm, va);
    bool same = v && v->file == f && (seen & PTE_P) && (seen & PTE_HOLE) && (seen & PTE_ADDR_MASK) == old;
    file_put(f);
    if (r < 0) return r == -ENODATA ? -ENXIO : r;
    r = same ? install(vm, v, va, pa, PAGE_CACHE, seen) : -EAGAIN;
    if (r < 0) {
        page_free(pa);
        return r == -EAGAIN ? 0 : r;
    }
    page_free(old);
    return 0;
}

static bool pte_permits(uint64_t pte, bool write, bool fetch)
{
    if (!(pte & PTE_P) || !(pte & PTE_U)) return false;
    if (write && !(pte & PTE_W)) return false;
    if (fetch && (pte & PTE_NX)) return false;
    return true;
}

int vm_handle_fault(struct vm *vm, uint64_t addr, uint64_t error)
{
    if (!vm) return -EFAULT;
    uint64_t va = ALIGN_DOWN(addr, PAGE_SIZE);
    bool write = error & PF_WRITE;
    uint64_t irq = read_lock_irqsave(&vm->lock);
    struct vma *v = vm_find(vm, addr);
    bool allowed = v && (write ? (v->flags & VM_WRITE)
                         : (error & PF_FETCH) ? (v->flags & VM_EXEC)
                         : (v->flags & VM_PROT_MASK));
    uint64_t *pte = allowed ? page_lookup(vm->root, va) : NULL;
    int r = -EFAULT;
    /* Fill by what the entry holds now, not by the error code: between
     * the fault and the lock another CPU may have filled the page, or a
     * file event dropped a page that was present (a hole's zeros). */
    if (allowed && !(pte && filled(*pte))) {
        if ((pte = fill_page(vm, va, write, &irq, &r))) r = 0;
        v = vm_find(vm, va);
    }
    /* A write to a page shared with the page cache: a private mapping
     * copies it now; a shared one writes the cache's page. */
    if (allowed && write && v && pte && (*pte & PTE_P) && (*pte & PTE_FOREIGN) && !(v->flags & VM_PINNED)) {
        if (v->flags & VM_SHARED) {
            __atomic_or_fetch(pte, PTE_W, __ATOMIC_ACQ_REL);
            tlb_flush_page_local(va);   /* widening: see kernel/tlb.h */
            r = 0;
        } else {
            r = unshare_page(vm, v, va, pte) ? 0 : -ENOMEM;
        }
    } else if (allowed && write && v && pte && (*pte & PTE_P) && (*pte & PTE_HOLE)) {
        r = write_to_hole(vm, va, &irq);
    }
    /* Already done: another CPU filled, copied or widened this page while
     * we waited for the lock, or this CPU's TLB held an entry narrower than
     * the table (widening flushes no other CPU: kernel/tlb.h). The CPU
     * walks the table again when the access is retried. */
    if (r == -EFAULT && allowed && (pte = page_lookup(vm->root, va)) && pte_permits(*pte, write, error & PF_FETCH)) {
        tlb_flush_page_local(va);
        r = 0;
    }
    read_unlock_irqrestore(&vm->lock, irq);
    return r;
}

void *vm_page_for_kernel_write(struct vm *vm, uint64_t addr)
{
    uint64_t va = ALIGN_DOWN(addr, PAGE_SIZE);
    uint64_t irq = read_lock_irqsave(&vm->lock);
    int err;
    uint64_t *pte = fill_page(vm, va, true, &irq, &err);
    if (pte && (*pte & PTE_HOLE) && write_to_hole(vm, va, &irq) == 0) pte = fill_page(vm, va, true, &irq, &err);
    struct vma *v = vm_find(vm, va);
    if (pte && (*pte & PTE_FOREIGN) && v && (v->flags & VM_SHARED))
        __atomic_or_fetch(pte, PTE_D, __ATOMIC_ACQ_REL);   /* the kernel's write goes to the file like the program's */
    else if (pte && (*pte & PTE_FOREIGN))
        pte = v && !(v->flags & VM_PINNED) ? unshare_page(vm, v, va, pte) : NULL;
    read_unlock_irqrestore(&vm->lock, irq);
    return pte ? (char *)phys_to_virt(*pte & PTE_ADDR_MASK) + (addr & (PAGE_SIZE - 1)) : NULL;
}
