/* The program's regions (struct vma): creating, cutting, merging,
 * protecting and naming them, and finding room for new ones. Pages are
 * filled on first touch by vm_fault.c; file mappings meet their files in
 * vm_file.c. */
#include "vm.h"
#include "hardening.h"
#include "mm.h"
#include "paging.h"
#include "../klib/errno.h"
#include "../fs/vfs.h"

void vm_init(struct vm *vm, struct heap *h, uint64_t root, uint64_t mmap_top)
{
    vm->heap = h;
    vm->root = root;
    vm->regions = (struct avl_tree){ .root = NULL, .update = vm_region_update };
    vm->mmap_top = mmap_top;
    vm->brk_start = vm->brk = 0;
    vm->lock = (struct rwspin){ 0 };
}

uint64_t vm_pte_flags(uint32_t flags)
{
    uint64_t f = PTE_U;
    if (flags & VM_WRITE) f |= PTE_W;
    if (!(flags & VM_EXEC)) f |= PTE_NX;
    return f;
}

struct vma *vma_ending_after(struct vm *vm, uint64_t addr)
{
    /* Regions do not overlap, so their ends are in the same order as their starts. */
    struct vma *found = NULL;
    for (struct avl_node *n = vm->regions.root; n;) {
        if (vma_of(n)->end > addr) {
            found = vma_of(n);
            n = n->left;
        } else {
            n = n->right;
        }
    }
    return found;
}

static void insert_sorted(struct vm *vm, struct vma *n)
{
    struct avl_node **link = &vm->regions.root, *parent = NULL;
    while (*link) {
        parent = *link;
        link = n->start < vma_of(parent)->start ? &parent->left : &parent->right;
    }
    avl_link(&vm->regions, &n->node, parent, link);
}

/* v's bounds moved without passing a neighbour: its summaries follow. */
static void resized(struct vm *vm, struct vma *v)
{
    avl_changed(&vm->regions, &v->node);
}

static void vma_delete(struct vm *vm, struct vma *v)
{
    avl_erase(&vm->regions, &v->node);
    if (v->file) file_put(v->file);
    deallocate(vm->heap, v, sizeof *v);
}

static struct vma *vma_new(struct vm *vm, uint64_t start, uint64_t end, uint32_t flags)
{
    struct vma *v = allocate(vm->heap, sizeof *v);
    if (!v) return NULL;
    *v = (struct vma){ .start = start, .end = end, .flags = flags };
    return v;
}

/* A piece cut off the tail of v at `at` keeps v's file label. */
static struct vma *vma_split_tail(struct vm *vm, struct vma *v, uint64_t at)
{
    struct vma *tail = vma_new(vm, at, v->end, v->flags);
    if (!tail) return NULL;
    tail->name = v->name;
    tail->ino = v->ino;
    tail->file_offset = v->file_offset + (at - v->start);
    tail->file = v->file;
    tail->file_end = v->file_end;
    if (tail->file) file_get(tail->file);
    v->end = at;
    resized(vm, v);
    insert_sorted(vm, tail);
    return tail;
}

/* Drop the pages of [start, end) from the page table. A shared page (the
 * page cache's, the clock page) loses one owner; the others keep it. */
static void release_pages(struct vm *vm, uint64_t start, uint64_t end)
{
    tlb_hide_range_before_free(vm->root, start, end);
    for (uint64_t va = start; page_next(vm->root, &va, end); va += PAGE_SIZE) {
        uint64_t pa = page_unmap(vm->root, va);
        if (pa) page_free(pa);
    }
}

/* Cut [start, end) out of the regions, splitting regions at the edges. */
static int carve(struct vm *vm, uint64_t start, uint64_t end)
{
    struct vma *v = vma_ending_after(vm, start);
    while (v && v->start < end) {
        if (v->start < start && v->end > end) {
            if (!vma_split_tail(vm, v, end)) return -ENOMEM;
            v->end = start;
            resized(vm, v);
            break;
        } else if (v->start < start) {
            v->end = start;
            resized(vm, v);
            v = vma_next(v);
        } else if (v->end > end) {
            v->file_offset += end - v->start;
            v->start = end;
            resized(vm, v);
            break;
        } else {
            struct vma *next = vma_next(v);
            vma_delete(vm, v);
            v = next;
        }
    }
    return 0;
}

/* Neighbours that differ in nothing but their bounds: the same flags and
 * label, and for a file the offsets continue with no bss between. */
static bool mergeable(const struct vma *a, const struct vma *b)
{
    if (a->end != b->start || a->flags != b->flags || (a->flags & VM_PINNED)) return false;
    if (a->name != b->name || a->ino != b->ino || a->file != b->file) return false;
    return !a->file || (a->file_end >= a->end && b->file_offset == a->file_offset + (a->end - a->start));
}

/* Join mergeable neighbours into one region, as Linux does: mremap and
 * friends work on one region at a time, and /proc/self/maps shows one line
 * where the program made one mapping (grown, or split by mprotect and made
 * whole again). Every change ends here, so no two regions outside the
 * range just changed [start, end) can be mergeable: only the regions
 * touching it, and their neighbours on either side, are looked at. */
static void merge_regions(struct vm *vm, uint64_t start, uint64_t end)
{
    struct vma *a = vma_ending_after(vm, start);
    struct vma *before = a ? vma_prev(a) : vma_of(avl_last(&vm->regions));
    if (before) a = before;
    while (a && a->start <= end) {
        struct vma *b = vma_next(a);
        if (!b) break;
        if (!mergeable(a, b)) {
            a = b;
            continue;
        }
        a->end = b->end;
        a->file_end = b->file_end;
        vma_delete(vm, b);
        resized(vm, a);
    }
}

/* Whether regions cover every page of [start, end); vm->lock held. */
static bool covered(struct vm *vm, uint64_t start, uint64_t end)
{
    uint64_t reached = start;
    for (struct vma *v = vma_ending_after(vm, start); v && reached < end && v->start <= reached; v = vma_next(v))
        reached = v->end;
    return reached >= end;
}

/* A region for [start, end) labelled from src (a reference to its file). */
static struct vma *region_from(struct vm *vm, uint64_t start, uint64_t end, uint32_t flags, const struct vm_source *src)
{
    struct vma *n = vma_new(vm, start, end, flags);
    if (!n) return NULL;
    if (src) {
        n->name = src->name;
        if (src->file) {
            struct linux_stat st;
            file_get(src->file);
            n->file = src->file;
            n->file_offset = src->offset;
            n->file_end = src->file_end;
            n->name = src->file->path;
            n->ino = src->file->ops->stat && src->file->ops->stat(src->file, &st) == 0 ? st.st_ino : 0;
        }
    }
    return n;
}

static void region_drop(struct vm *vm, struct vma *n)
{
    if (n->file) file_put(n->file);
    deallocate(vm->heap, n, sizeof *n);
}

static bool range_free_locked(struct vm *vm, uint64_t start, uint64_t end)
{
    if (end <= start || end > USER_TOP) return false;
    struct vma *v = vma_ending_after(vm, start);
    return !v || v->start >= end;
}

int vm_map_free(struct vm *vm, uint64_t hint, uint64_t len, uint32_t flags, const struct vm_source *src, bool exact,
                uint64_t *at)
{
    len = ALIGN_UP(len, PAGE_SIZE);
    if (!len || len > USER_TOP) return -ENOMEM;
    struct vma *n = region_from(vm, 0, len, flags, src);
    if (!n) return -ENOMEM;
    uint64_t irq = write_lock_irqsave(&vm->lock);
    uint64_t start = hint && !(hint & (PAGE_SIZE - 1)) && range_free_locked(vm, hint, hint + len) ? hint : 0;
    if (!start && !exact) start = vm_find_free_locked(vm, len);
    if (start) {
        if (src && src->file) n->file_end = start + src->file_end;
        n->start = start;
        n->end = start + len;
        insert_sorted(vm, n);
        merge_regions(vm, start, start + len);
    }
    write_unlock_irqrestore(&vm->lock, irq);
    if (!start) {
        region_drop(vm, n);
        return exact ? -EEXIST : -ENOMEM;
    }
    *at = start;
    return 0;
}

int vm_map_from(struct vm *vm, uint64_t start, uint64_t len, uint32_t flags, const struct vm_source *src)
{
    uint64_t end = start + ALIGN_UP(len, PAGE_SIZE);
    if (start & (PAGE_SIZE - 1) || end <= start || end > USER_TOP) return -EINVAL;
    flags |= hardening_sticky_bits(flags);
    struct vma *n = region_from(vm, start, end, flags, src);
    if (!n) return -ENOMEM;
    vm_writeback(vm, start, end - start, false);
    uint64_t irq = write_lock_irqsave(&vm->lock);
    int r = carve(vm, start, end);
    if (r == 0) {
        release_pages(vm, start, end);
        insert_sorted(vm, n);
        merge_regions(vm, start, end);
    }
    write_unlock_irqrestore(&vm->lock, irq);
    if (r) region_drop(vm, n);
    return r;
}

int vm_map_kernel_page(struct vm *vm, uint64_t start, uint64_t pa, uint32_t flags, const char *name)
{
    flags = (flags & ~VM_WRITE) | VM_PINNED;
    struct vm_source label = { .name = name };
    int r = vm_map_from(vm, start, PAGE_SIZE, flags, &label);
    if (r < 0) return r;
    uint64_t irq = write_lock_irqsave(&vm->lock);
    r = page_ref(pa) ? page_map(vm->root, start, pa, vm_pte_flags(flags) | PTE_FOREIGN) : -ENOMEM;
    write_unlock_irqrestore(&vm->lock, irq);
    if (r < 0) vm_unmap(vm, start, PAGE_SIZE);
    return r;
}

int vm_unmap(struct vm *vm, uint64_t start, uint64_t len)
{
    uint64_t end = start + ALIGN_UP(len, PAGE_SIZE);
    if (start & (PAGE_SIZE - 1) || end < start || end > USER_TOP) return -EINVAL;
    vm_writeback(vm, start, end - start, false);
    uint64_t irq = write_lock_irqsave(&vm->lock);
    int r = carve(vm, start, end);
    if (r == 0) release_pages(vm, start, end);
    write_unlock_irqrestore(&vm->lock, irq);
    return r;
}

void vm_discard(struct vm *vm, uint64_t start, uint64_t len)
{
    uint64_t end = start + ALIGN_UP(len, PAGE_SIZE);
    if (start & (PAGE_SIZE - 1) || end < start || end > USER_TOP) return;
    vm_writeback(vm, start, end - start, false);
    uint64_t irq = write_lock_irqsave(&vm->lock);
    for (struct vma *v = vma_ending_after(vm, start); v && v->start < end; v = vma_next(v))
        if (!(v->flags & VM_PINNED)) release_pages(vm, MAX(start, v->start), MIN(end, v->end));
    write_unlock_irqrestore(&vm->lock, irq);
}

int vm_protect(struct vm *vm, uint64_t start, uint64_t len, uint32_t prot)
{
    uint64_t end = start + ALIGN_UP(len, PAGE_SIZE);
    if (start & (PAGE_SIZE - 1) || end < start || end > USER_TOP) return -EINVAL;
    uint64_t irq = write_lock_irqsave(&vm->lock);
    /* Linux: every page of the range must be mapped. */
    if (!covered(vm, start, end)) {
        write_unlock_irqrestore(&vm->lock, irq);
        return -ENOMEM;
    }
    /* Linux: a special mapping ([vvar]) can never be made writable, nor can
     * a shared mapping of a file not opened for writing. */
    for (struct vma *v = vma_ending_after(vm, start); v && v->start < end; v = vma_next(v)) {
        bool read_only_file = (v->flags & VM_SHARED) && v->file && (v->file->flags & O_ACCMODE) != O_RDWR;
        bool refused = (prot & VM_WRITE) && ((v->flags & VM_PINNED) || read_only_file);
        /* The program's mitigations, judged per region under the lock, so
         * no mapping made meanwhile by another thread slips through. */
        if (refused || hardening_check_protect(v->flags, v->file, prot) < 0) {
            write_unlock_irqrestore(&vm->lock, irq);
            return -EACCES;
        }
    }
    /* Split at the edges, then retag the regions inside. */
    for (struct vma *v = vma_ending_after(vm, start); v && v->start < end; v = vma_next(v)) {
        if (v->start < start) {
            if (!vma_split_tail(vm, v, start)) goto nomem;
            continue;
        }
        if (v->end > end && !vma_split_tail(vm, v, end)) goto nomem;
        v->flags = (v->flags & ~VM_PROT_MASK) | (prot & VM_PROT_MASK) | hardening_sticky_bits(prot);
        uint64_t *pte;
        for (uint64_t va = v->start; (pte = page_next(vm->root, &va, v->end)); va += PAGE_SIZE) {
            if (!(*pte & (PTE_P | PTE_HIDDEN))) continue;
            if (!(prot & VM_PROT_MASK)) {
                /* PROT_NONE: keep the page, hide it from the program. */
                *pte = (*pte & ~PTE_P) | PTE_HIDDEN;
            } else {
                /* A page shared with the page cache stays read-only in a
                 * private mapping: a write copies it first. The dirty bit
                 * stays: a shared mapping still owes the file that write. */
                uint64_t flags = vm_pte_flags(v->flags);
                if (*pte & PTE_FOREIGN) flags = (v->flags & VM_SHARED ? flags : flags & ~PTE_W) | PTE_FOREIGN;
                if (*pte & PTE_HOLE) flags &= ~PTE_W;   /* a hole's zeros: see vm_fault.c */
                *pte = (*pte & (PTE_ADDR_MASK | PTE_D | PTE_A | PTE_HOLE)) | PTE_P | flags;
            }
            tlb_flush_page_local(va);
        }
    }
    tlb_shootdown_range(start, end);   /* before mprotect returns, as on Linux */
    merge_regions(vm, start, end);
    write_unlock_irqrestore(&vm->lock, irq);
    return 0;
nomem:
    /* Pieces already split and retagged may match their neighbours. */
    merge_regions(vm, start, end);
    write_unlock_irqrestore(&vm->lock, irq);
    return -ENOMEM;
}

int vm_name_anon(struct vm *vm, uint64_t start, uint64_t len, const char *name)
{
    uint64_t end = start + ALIGN_UP(len, PAGE_SIZE);
    if (start & (PAGE_SIZE - 1) || end < start || end > USER_TOP) return -EINVAL;
    uint64_t irq = write_lock_irqsave(&vm->lock);
    int r = 0;
    uint64_t covered = start;
    for (struct vma *v = vma_ending_after(vm, start); v && covered < end && v->start < end; v = vma_next(v)) {
        if (v->start > covered) r = -ENOMEM;
        covered = v->end;
        bool anon = !v->file && !v->ino && !(v->flags & VM_PINNED) &&
                    (!v->name || __builtin_memcmp(v->name, "[anon:", 6) == 0);
        if (!anon && !r) r = -EBADF;
    }
    if (covered < end && !r) r = -ENOMEM;
    for (struct vma *v = vma_ending_after(vm, start); v && !r && v->start < end; v = vma_next(v)) {
        if (v->start < start) {
            if (!vma_split_tail(vm, v, start)) r = -ENOMEM;
            continue;
        }
        if (v->end > end && !vma_split_tail(vm, v, end)) r = -ENOMEM;
        else v->name = name;
    }
    merge_regions(vm, start, end);
    write_unlock_irqrestore(&vm->lock, irq);
    return r;
}

struct vma *vm_find(struct vm *vm, uint64_t addr)
{
    struct vma *v = vma_ending_after(vm, addr);
    return v && v->start <= addr ? v : NULL;
}

bool vm_range_mapped(struct vm *vm, uint64_t start, uint64_t len)
{
    uint64_t irq = read_lock_irqsave(&vm->lock);
    bool r = covered(vm, start, start + ALIGN_UP(len, PAGE_SIZE));
    read_unlock_irqrestore(&vm->lock, irq);
    return r;
}

bool vm_range_free(struct vm *vm, uint64_t start, uint64_t len)
{
    uint64_t end = start + len;
    if (end < start || end > USER_TOP) return false;
    struct vma *v = vma_ending_after(vm, start);
    return !v || v->start >= end;
}
