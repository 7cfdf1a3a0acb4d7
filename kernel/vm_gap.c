/* Finding room for a new mapping without walking every region: each node of
 * the region tree sums up its subtree (first start, last end, largest gap
 * between two of its regions), as Linux's VMA tree kept the largest gap per
 * subtree. The search takes the highest gap below mmap_top, as the list
 * walk before it did, so addresses come out the same. */
#include "vm.h"
#include "mm.h"

/* The bottom 16 pages stay free, as before: NULL dereferences must fault. */
#define LOWEST_MAP (PAGE_SIZE * 16)

void vm_region_update(struct avl_node *n)
{
    struct vma *v = vma_of(n), *l = vma_of(n->left), *r = vma_of(n->right);
    uint64_t gap = 0;
    v->sub_start = l ? l->sub_start : v->start;
    v->sub_end = r ? r->sub_end : v->end;
    if (l) gap = MAX(l->sub_gap, v->start - l->sub_end);
    if (r) gap = MAX(gap, MAX(r->sub_gap, r->sub_start - v->end));
    v->sub_gap = gap;
}

struct room {
    uint64_t len, floor, top;
};

static uint64_t span(uint64_t from, uint64_t to) { return to > from ? to - from : 0; }

/* The highest address for len bytes in [from, to) clipped to [floor, top), or 0. */
static uint64_t fit(const struct room *q, uint64_t from, uint64_t to)
{
    from = MAX(from, q->floor);
    to = MIN(to, q->top);
    return to > from && to - from >= q->len ? to - q->len : 0;
}

/* The highest room among the gaps of subtree n widened by its neighbours:
 * `from` is where the region before it ends, `to` where the one after it
 * starts. A subtree is entered only if one of its gaps is long enough and
 * it reaches into [floor, top); one lying wholly inside then always has
 * room, so only the subtrees straddling floor or top can fail, and the
 * search visits O(log n) nodes. */
static uint64_t highest(const struct room *q, struct avl_node *n, uint64_t from, uint64_t to)
{
    if (!n) return fit(q, from, to);
    const struct vma *v = vma_of(n);
    if (from >= q->top || to <= q->floor) return 0;
    uint64_t widest = MAX(v->sub_gap, MAX(span(from, v->sub_start), span(v->sub_end, to)));
    if (widest < q->len) return 0;
    uint64_t at = highest(q, n->right, v->end, to);
    return at ? at : highest(q, n->left, from, v->start);
}

uint64_t vm_find_free_locked(struct vm *vm, uint64_t len)
{
    struct room q = { .len = ALIGN_UP(len, PAGE_SIZE), .floor = LOWEST_MAP, .top = vm->mmap_top };
    return highest(&q, vm->regions.root, 0, q.top);
}

uint64_t vm_find_free(struct vm *vm, uint64_t len)
{
    uint64_t irq = read_lock_irqsave(&vm->lock);
    uint64_t at = vm_find_free_locked(vm, len);
    read_unlock_irqrestore(&vm->lock, irq);
    return at;
}
