/* The program's memory: mmap and friends, brk. Every page is filled on
 * first touch (kernel/vm_fault.c): anonymous memory with zeros, private file
 * mappings by sharing the page cache's pages until written, shared file
 * mappings with copies that go back to the file on msync, munmap and exit. */
#include "syscalls.h"
#include "../kernel/process.h"
#include "../kernel/paging.h"
#include "../kernel/mm.h"
#include "../kernel/usercopy.h"
#include "../kernel/hardening.h"

#define PROT_READ 1
#define PROT_WRITE 2
#define PROT_EXEC 4
#define MAP_SHARED 0x01
#define MAP_PRIVATE 0x02
#define MAP_SHARED_VALIDATE 0x03
#define MAP_TYPE 0x0f
#define MAP_FIXED 0x10
#define MAP_ANONYMOUS 0x20
#define MAP_GROWSDOWN 0x100
#define MAP_FIXED_NOREPLACE 0x100000
#define MREMAP_MAYMOVE 1
#define DEV_ZERO_RDEV ((1u << 8) | 5)   /* as fs/pseudo_dev.c encodes major 1, minor 5 */
#define MREMAP_FIXED 2

static uint32_t prot_to_vm(int prot) { return (uint32_t)prot & VM_PROT_MASK; }

/* What Linux counts against RLIMIT_DATA: private writable memory that is
 * not a stack (the heap, data segments, anonymous and private file memory). */
static bool is_data(uint32_t flags) { return (flags & (VM_WRITE | VM_SHARED | VM_STACK)) == VM_WRITE; }

/* Whether mapping [start, start+len) with these flags keeps the program
 * within RLIMIT_AS and RLIMIT_DATA (Linux's may_expand_vm: whole pages,
 * ENOMEM past either). What the range maps now is replaced, so it is not
 * counted twice. */
static bool within_limits(struct vm *vm, uint64_t start, uint64_t len, uint32_t flags)
{
    const struct rlimit_k *lim = current_process()->rlimits;
    if (lim[RLIMIT_AS].cur == RLIM_INFINITY && lim[RLIMIT_DATA].cur == RLIM_INFINITY) return true;
    uint64_t total = len, data = is_data(flags) ? len : 0;
    uint64_t irq = read_lock_irqsave(&vm->lock);
    for (struct vma *v = vma_first(vm); v; v = vma_next(v)) {
        uint64_t size = v->end - v->start;
        uint64_t lo = MAX(v->start, start), hi = MIN(v->end, start + len);
        if (lo < hi) size -= hi - lo;
        total += size;
        if (is_data(v->flags)) data += size;
    }
    read_unlock_irqrestore(&vm->lock, irq);
    return total / PAGE_SIZE <= lim[RLIMIT_AS].cur / PAGE_SIZE && data / PAGE_SIZE <= lim[RLIMIT_DATA].cur / PAGE_SIZE;
}

long sys_mmap(uint64_t addr, uint64_t len, int prot, int flags, int fd, uint64_t off)
{
    struct process *p = current_process();
    if (!len) return -EINVAL;
    if (off & (PAGE_SIZE - 1)) return -EINVAL;
    int type = flags & MAP_TYPE;
    if (type != MAP_SHARED && type != MAP_PRIVATE && type != MAP_SHARED_VALIDATE) return -EINVAL;
    if (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC)) return -EINVAL;
    uint64_t size = ALIGN_UP(len, PAGE_SIZE);
    if (size < len || size > USER_TOP) return -ENOMEM;

    struct file *f = NULL;
    if (!(flags & MAP_ANONYMOUS)) {
        f = fd_get(&p->fds, fd);
        if (!f) return -EBADF;
        /* Only regular files have pages to map (Linux: ENODEV for the rest),
         * and /dev/zero, which old programs map for anonymous memory. */
        struct linux_stat st;
        bool stat_ok = !(f->flags & O_PATH) && f->ops->stat(f, &st) == 0;
        if (stat_ok && (st.st_mode & 0170000) == 0020000 && st.st_rdev == DEV_ZERO_RDEV) {
            file_put(f);
            f = NULL;
            flags |= MAP_ANONYMOUS;
        } else if (!stat_ok || !f->node || !f->ops->seekable || (st.st_mode & 0170000) != 0100000) {
            file_put(f);
            return -ENODEV;
        }
    }
    if (f) {
        bool shared_write = type != MAP_PRIVATE && (prot & PROT_WRITE);
        if ((f->flags & O_ACCMODE) == O_WRONLY || (shared_write && (f->flags & O_ACCMODE) != O_RDWR)) {
            file_put(f);
            return -EACCES;
        }
    }

    long r;
    uint32_t vmflags = prot_to_vm(prot) | ((flags & MAP_GROWSDOWN) ? VM_STACK : 0);
    if (f && type != MAP_PRIVATE) vmflags |= VM_SHARED;
    if ((r = hardening_check_map(vmflags, f)) < 0) goto out;
    bool fixed = flags & MAP_FIXED, noreplace = !fixed && (flags & MAP_FIXED_NOREPLACE);
    if ((fixed || noreplace) && (addr & (PAGE_SIZE - 1))) {
        r = -EINVAL;
        goto out;
    }
    if (fixed && (addr >= USER_TOP || size > USER_TOP - addr)) {   /* Linux: no room there */
        r = -ENOMEM;
        goto out;
    }
    if (!within_limits(&p->vm, fixed ? addr : USER_TOP, size, vmflags)) {   /* not fixed: overlaps nothing */
        r = -ENOMEM;
        goto out;
    }
    if (fixed) {
        struct vm_source src = { .file = f, .offset = off, .file_end = addr + size };
        r = vm_map_from(&p->vm, addr, size, vmflags, f ? &src : NULL);
        if (r == 0) r = (long)addr;
    } else {
        /* Chosen and taken in one step: threads mapping at once on other
         * CPUs never get the same range. */
        struct vm_source src = { .file = f, .offset = off, .file_end = size };
        uint64_t at = 0;
        r = vm_map_free(&p->vm, ALIGN_DOWN(addr, PAGE_SIZE), size, vmflags, f ? &src : NULL, noreplace, &at);
        if (r == 0) r = (long)at;
    }
out:
    if (f) file_put(f);
    return r;
}

long sys_munmap(uint64_t addr, uint64_t len)
{
    if ((addr & (PAGE_SIZE - 1)) || !len) return -EINVAL;
    return vm_unmap(&current_process()->vm, addr, len);
}

long sys_mprotect(uint64_t addr, uint64_t len, uint64_t prot)
{
    if (addr & (PAGE_SIZE - 1)) return -EINVAL;
    /* prot is a full word in Linux: bits above 31 are refused, not dropped;
     * PROT_SEM (8) is accepted and means nothing on x86. */
    if (prot & ~(uint64_t)(PROT_READ | PROT_WRITE | PROT_EXEC | 8 | 0x01000000 | 0x02000000)) return -EINVAL;
    if (!len) return 0;
    return vm_protect(&current_process()->vm, addr, len, prot_to_vm(prot));
}

/* Move the pages of [from, from+len) to [to, to+len); the target is empty. */
static void move_pages(struct vm *vm, uint64_t from, uint64_t to, uint64_t len)
{
    uint64_t *pte;
    for (uint64_t va = from; (pte = page_next(vm->root, &va, from + len)); va += PAGE_SIZE) {
        uint64_t o = va - from;
        if (!(*pte & (PTE_P | PTE_HIDDEN))) continue;
        uint64_t entry = *pte;
        *pte = 0;
        tlb_flush_page_local(from + o);
        page_map(vm->root, to + o, entry & PTE_ADDR_MASK, entry & ~PTE_ADDR_MASK & ~PTE_P);
        if (!(entry & PTE_P)) *page_lookup(vm->root, to + o) &= ~PTE_P;
    }
    tlb_shootdown_range(from, from + len);
}

/* What a region continuing v's mapping from address `at` for `len` bytes
 * maps: the same file (referenced; NULL for anonymous memory), the offset
 * that follows, and how many of its bytes are file. A region that is file
 * to its end (an mmap of a file) keeps being file as it grows; one that
 * ends in anonymous memory (an ELF segment's bss) does not. */
struct continuation {
    struct file *file;
    uint64_t offset, file_bytes;
};

static struct continuation continue_mapping(const struct vma *v, uint64_t at, uint64_t len)
{
    struct continuation c = { 0 };
    if (!v->file) return c;
    file_get(v->file);
    c.file = v->file;
    c.offset = v->file_offset + (at - v->start);
    c.file_bytes = v->file_end >= v->end ? len : v->file_end > at ? MIN(v->file_end - at, len) : 0;
    return c;
}

static long map_continuation(struct vm *vm, uint64_t start, uint64_t len, uint32_t vmflags, struct continuation *c)
{
    struct vm_source src = { .file = c->file, .offset = c->offset, .file_end = start + c->file_bytes };
    long r = vm_map_from(vm, start, len, vmflags, c->file ? &src : NULL);
    if (c->file) file_put(c->file);
    return r;
}

long sys_mremap(uint64_t old, uint64_t old_len, uint64_t new_len, int flags, uint64_t new_addr)
{
    struct vm *vm = &current_process()->vm;
    if ((old & (PAGE_SIZE - 1)) || (flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED))) return -EINVAL;
    if ((flags & MREMAP_FIXED) && !(flags & MREMAP_MAYMOVE)) return -EINVAL;
    old_len = ALIGN_UP(old_len, PAGE_SIZE);
    new_len = ALIGN_UP(new_len, PAGE_SIZE);
    if (!new_len || !old_len) return -EINVAL;
    /* A range past the user half (or wrapping: old_len near 2^64 passed the
     * vma check below and "shrank" over other mappings): Linux's munmap
     * refuses it. */
    if (old_len > USER_TOP || old > USER_TOP - old_len) return -EINVAL;
    struct vma *v = vm_find(vm, old);
    if (!v || v->end < old + old_len) return -EFAULT;
    uint32_t vmflags = v->flags;
    if (new_len <= old_len && !(flags & MREMAP_FIXED)) {
        if (new_len < old_len) vm_unmap(vm, old + new_len, old_len - new_len);
        return (long)old;
    }
    if (new_len > old_len && !within_limits(vm, old + old_len, new_len - old_len, vmflags)) return -ENOMEM;
    if (!(flags & MREMAP_FIXED) && vm_range_free(vm, old + old_len, new_len - old_len)) {
        struct continuation c = continue_mapping(v, old + old_len, new_len - old_len);
        long r = map_continuation(vm, old + old_len, new_len - old_len, vmflags, &c);
        return r < 0 ? r : (long)old;
    }
    if (!(flags & MREMAP_MAYMOVE)) return -ENOMEM;
    uint64_t to = 0;
    struct continuation c;
    long r;
    if (flags & MREMAP_FIXED) {
        if (new_addr & (PAGE_SIZE - 1)) return -EINVAL;
        if (new_addr < old + old_len && old < new_addr + new_len) return -EINVAL;   /* overlap */
        to = new_addr;
        c = continue_mapping(v, old, new_len);
        r = map_continuation(vm, to, new_len, vmflags, &c);
    } else {
        /* Chosen and taken in one step, as mmap's (vm_map_free). */
        c = continue_mapping(v, old, new_len);
        struct vm_source src = { .file = c.file, .offset = c.offset, .file_end = c.file_bytes };
        r = vm_map_free(vm, 0, new_len, vmflags, c.file ? &src : NULL, false, &to);
        if (c.file) file_put(c.file);
    }
    if (r < 0) return r;
    move_pages(vm, old, to, MIN(old_len, new_len));
    vm_unmap(vm, old, old_len);
    return (long)to;
}

long sys_brk(uint64_t addr)
{
    struct vm *vm = &current_process()->vm;
    /* Below the start or past the user half (where rounding up to a page
     * would wrap to 0 and "shrink" over the whole program): no change. */
    if (addr < vm->brk_start || addr >= USER_TOP) return (long)vm->brk;
    uint64_t old_top = ALIGN_UP(vm->brk, PAGE_SIZE), new_top = ALIGN_UP(addr, PAGE_SIZE);
    if (new_top > old_top) {
        if (!vm_range_free(vm, old_top, new_top - old_top)) return (long)vm->brk;
        if (!within_limits(vm, old_top, new_top - old_top, VM_READ | VM_WRITE | VM_HEAP)) return (long)vm->brk;
        if (vm_map(vm, old_top, new_top - old_top, VM_READ | VM_WRITE | VM_HEAP) < 0) return (long)vm->brk;
    } else if (new_top < old_top) {
        vm_unmap(vm, new_top, old_top - new_top);
    }
    vm->brk = addr;
    return (long)addr;
}

long sys_madvise(uint64_t addr, uint64_t len, int advice)
{
    if (addr & (PAGE_SIZE - 1)) return -EINVAL;
    if (!len) return 0;
    struct vm *vm = &current_process()->vm;
    /* Linux applies the advice to what is mapped and then reports a gap. */
    long gap = vm_range_mapped(vm, addr, len) ? 0 : -ENOMEM;
    switch (advice) {
    case 4:  /* MADV_DONTNEED: private anonymous pages read back as zeros */
    case 8: { /* MADV_FREE */
        /* Shared file pages go back to their file first, private file pages
         * are read from the file again on the next touch; the kernel's own
         * page ([vvar]) is never the program's to drop. Under the address
         * space's lock: other threads fault, unshare and remap beside it. */
        vm_discard(vm, addr, len);
        return gap;
    }
    case 0: case 1: case 2: case 3: case 9: case 10: case 11: case 12:
    case 14: case 15: case 16: case 17: case 18: case 19:
        return gap;   /* hints with nothing to do in a single address space without swap */
    default:
        return -EINVAL;
    }
}

#define MS_ASYNC 1
#define MS_INVALIDATE 2
#define MS_SYNC 4

long sys_msync(uint64_t addr, uint64_t len, int flags)
{
    if ((addr & (PAGE_SIZE - 1)) || (flags & ~(MS_ASYNC | MS_INVALIDATE | MS_SYNC))) return -EINVAL;
    if ((flags & MS_ASYNC) && (flags & MS_SYNC)) return -EINVAL;
    struct process *p = current_process();
    long r = vm_writeback(&p->vm, addr, len, true);
    if (r == 0 && (flags & MS_SYNC)) r = sync_all_filesystems();
    return r;
}

long sys_mincore(uint64_t addr, uint64_t len, uint64_t vec)
{
    if (addr & (PAGE_SIZE - 1)) return -EINVAL;
    struct vm *vm = &current_process()->vm;
    uint64_t pages = ALIGN_UP(len, PAGE_SIZE) / PAGE_SIZE;
    if (addr + pages * PAGE_SIZE < addr || addr + pages * PAGE_SIZE > USER_TOP) return -ENOMEM;
    for (uint64_t i = 0; i < pages; i++) {
        uint64_t va = addr + i * PAGE_SIZE;
        struct vma *v = vm_find(vm, va);
        if (!v) return -ENOMEM;
        uint64_t *pte = page_lookup(vm->root, va);
        bool in_core = pte && (*pte & (PTE_P | PTE_HIDDEN));
        /* Linux: a file page counts if the page cache has it, mapped here or not. */
        if (!in_core && v->file && va < v->file_end && v->file->ops->page_cached)
            in_core = v->file->ops->page_cached(v->file, v->file_offset + (va - v->start));
        uint8_t byte = in_core;
        if (copy_to_user(vec + i, &byte, 1) < 0) return -EFAULT;
    }
    return 0;
}
