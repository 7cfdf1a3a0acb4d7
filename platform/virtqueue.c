#include "virtqueue.h"
#include "../kernel/io.h"
#include "../kernel/mm.h"
#include "../klib/errno.h"

/* Layout inside the allocation: descriptors at 0, the available ring right
 * after them (2-byte alignment), the used ring on the next page (4-byte
 * alignment is enough; a page keeps the device's writes off our lines). */
static size_t avail_bytes(uint16_t size) { return 6 + 2ul * size; }
static size_t used_bytes(uint16_t size) { return 6 + 8ul * size; }

struct virtqueue *virtq_create(struct heap *h, uint16_t index, uint16_t size)
{
    if (size == 0 || (size & (size - 1)) || size > 32768) return NULL;
    struct virtqueue *vq = allocate_zero(h, sizeof *vq);
    if (!vq) return NULL;
    vq->cookies = allocate_zero(h, size * sizeof(void *));
    if (!vq->cookies) goto fail;

    size_t driver_part = ALIGN_UP(16ul * size + avail_bytes(size), PAGE_SIZE);
    size_t total = driver_part + ALIGN_UP(used_bytes(size), PAGE_SIZE);
    vq->ring_pages = total / PAGE_SIZE;
    vq->ring_phys = pages_alloc_contig(vq->ring_pages);
    if (!vq->ring_phys) goto fail;

    vq->heap = h;
    vq->index = index;
    vq->size = size;
    vq->desc_phys = vq->ring_phys;
    vq->avail_phys = vq->ring_phys + 16ul * size;
    vq->used_phys = vq->ring_phys + driver_part;
    vq->desc = phys_to_virt(vq->desc_phys);
    vq->avail = phys_to_virt(vq->avail_phys);
    vq->used = phys_to_virt(vq->used_phys);

    for (uint16_t i = 0; i + 1 < size; i++) vq->desc[i].next = i + 1;
    vq->free_head = 0;
    vq->num_free = size;
    return vq;
fail:
    deallocate(h, vq->cookies, size * sizeof(void *));
    deallocate(h, vq, sizeof *vq);
    return NULL;
}

void virtq_destroy(struct virtqueue *vq)
{
    if (!vq) return;
    if (vq->ring_phys) pages_free(vq->ring_phys, vq->ring_pages);
    deallocate(vq->heap, vq->cookies, vq->size * sizeof(void *));
    deallocate(vq->heap, vq, sizeof *vq);
}

int virtq_add(struct virtqueue *vq, const struct virtq_buf *bufs, int n, void *cookie)
{
    if (n <= 0) return -EINVAL;
    if (n > vq->num_free) return -ENOSPC;

    uint16_t head = vq->free_head;
    uint16_t i = head, last = head;
    for (int k = 0; k < n; k++) {
        struct virtq_desc *d = &vq->desc[i];
        d->addr = bufs[k].phys;
        d->len = bufs[k].len;
        d->flags = (bufs[k].device_writes ? VIRTQ_DESC_F_WRITE : 0) | (k + 1 < n ? VIRTQ_DESC_F_NEXT : 0);
        last = i;
        i = d->next;
    }
    vq->free_head = vq->desc[last].next;
    vq->num_free -= n;
    vq->cookies[head] = cookie;

    vq->avail->ring[vq->avail->idx & (vq->size - 1)] = head;
    /* The device may read the ring entry as soon as idx moves; x86 keeps
     * stores in order, so only the compiler must be stopped from reordering. */
    barrier();
    vq->avail->idx++;
    return head;
}

bool virtq_kick_needed(struct virtqueue *vq)
{
    /* The idx store must be visible before we read the device's flags
     * (store->load ordering is the one x86 does not guarantee). */
    mb();
    return !(*(volatile uint16_t *)&vq->used->flags & VIRTQ_USED_F_NO_NOTIFY);
}

void virtq_kick(struct virtqueue *vq)
{
    if (virtq_kick_needed(vq)) mmio_write16((volatile void *)vq->notify, vq->index);
}

bool virtq_pop_used(struct virtqueue *vq, void **cookie, uint32_t *len)
{
    uint16_t used_idx = *(volatile uint16_t *)&vq->used->idx;
    if (used_idx == vq->last_used) return false;
    barrier(); /* read the element only after seeing idx move */
    struct virtq_used_elem e = vq->used->ring[vq->last_used & (vq->size - 1)];
    vq->last_used++;

    uint16_t head = e.id;
    if (head >= vq->size) return false; /* a broken device; nothing we can free */
    if (cookie) *cookie = vq->cookies[head];
    if (len) *len = e.len;
    vq->cookies[head] = NULL;

    /* Return the chain to the free list. */
    uint16_t i = head, n = 1;
    while (vq->desc[i].flags & VIRTQ_DESC_F_NEXT) {
        i = vq->desc[i].next;
        n++;
    }
    vq->desc[i].next = vq->free_head;
    vq->free_head = head;
    vq->num_free += n;
    return true;
}
