#include "locks.h"
#include "../kernel/spinlock.h"
#include "../kernel/kernel.h"
#include "../klib/errno.h"

enum lock_family { FAMILY_FLOCK, FAMILY_FCNTL };
#define OWNER_PROCESS ((const void *)1)

struct lock {
    struct lock *next;
    const void *node;       /* the file locked (its TFS node) */
    const void *owner;      /* the open file description, or OWNER_PROCESS */
    enum lock_family family;
    enum file_lock_kind kind;
    uint64_t start, end;
};

#define locks kernel.locks

static bool conflicts(const struct lock *l, const void *node, const void *owner, enum lock_family fam,
                      enum file_lock_kind kind, uint64_t start, uint64_t end)
{
    return l->node == node && l->family == fam && l->owner != owner && l->start < end && start < l->end &&
           (kind == FILE_LOCK_EXCLUSIVE || l->kind == FILE_LOCK_EXCLUSIVE);
}

static struct lock *first_conflict(const void *node, const void *owner, enum lock_family fam,
                                   enum file_lock_kind kind, uint64_t start, uint64_t end)
{
    for (struct lock *l = locks.head; l; l = l->next)
        if (conflicts(l, node, owner, fam, kind, start, end)) return l;
    return NULL;
}

/* Remove owner's locks of this family over [start, end), splitting ranges. */
static int carve_owner(const void *node, const void *owner, enum lock_family fam, uint64_t start, uint64_t end)
{
    for (struct lock **pl = &locks.head; *pl;) {
        struct lock *l = *pl;
        if (l->node != node || l->owner != owner || l->family != fam || l->end <= start || l->start >= end) {
            pl = &l->next;
            continue;
        }
        if (l->start < start && l->end > end) {
            struct lock *tail = allocate(kernel.heap, sizeof *tail);
            if (!tail) return -ENOLCK;
            *tail = *l;
            tail->start = end;
            l->end = start;
            l->next = tail;
            pl = &tail->next;
        } else if (l->start < start) {
            l->end = start;
            pl = &l->next;
        } else if (l->end > end) {
            l->start = end;
            pl = &l->next;
        } else {
            *pl = l->next;
            deallocate(kernel.heap, l, sizeof *l);
        }
    }
    return 0;
}

static int set_lock(const void *node, const void *owner, enum lock_family fam, enum file_lock_kind kind,
                    uint64_t start, uint64_t end, bool wait)
{
    uint64_t irq = spin_lock_irqsave(&locks.lock);
    int r = 0;
    if (kind != FILE_LOCK_NONE && first_conflict(node, owner, fam, kind, start, end)) {
        r = wait ? -EDEADLK : -EAGAIN;
        goto out;
    }
    r = carve_owner(node, owner, fam, start, end);
    if (r == 0 && kind != FILE_LOCK_NONE) {
        struct lock *l = allocate(kernel.heap, sizeof *l);
        if (!l) {
            r = -ENOLCK;
            goto out;
        }
        *l = (struct lock){ locks.head, node, owner, fam, kind, start, end };
        locks.head = l;
    }
out:
    spin_unlock_irqrestore(&locks.lock, irq);
    return r;
}

int file_lock_whole(struct file *f, enum file_lock_kind kind, bool wait)
{
    return set_lock(f->node, f, FAMILY_FLOCK, kind, 0, UINT64_MAX, wait);
}

int file_lock_range(struct file *f, bool ofd, enum file_lock_kind kind, uint64_t start, uint64_t end, bool wait)
{
    return set_lock(f->node, ofd ? (const void *)f : OWNER_PROCESS, FAMILY_FCNTL, kind, start, end, wait);
}

enum file_lock_kind file_lock_test(struct file *f, bool ofd, enum file_lock_kind kind, uint64_t *start, uint64_t *end,
                                   bool *holder_is_ofd)
{
    uint64_t irq = spin_lock_irqsave(&locks.lock);
    struct lock *l = first_conflict(f->node, ofd ? (const void *)f : OWNER_PROCESS, FAMILY_FCNTL, kind, *start, *end);
    enum file_lock_kind k = FILE_LOCK_NONE;
    if (l) {
        k = l->kind;
        *start = l->start;
        *end = l->end;
        *holder_is_ofd = l->owner != OWNER_PROCESS;
    }
    spin_unlock_irqrestore(&locks.lock, irq);
    return k;
}

void file_locks_release(struct file *f)
{
    uint64_t irq = spin_lock_irqsave(&locks.lock);
    carve_owner(f->node, f, FAMILY_FLOCK, 0, UINT64_MAX);
    carve_owner(f->node, f, FAMILY_FCNTL, 0, UINT64_MAX);
    spin_unlock_irqrestore(&locks.lock, irq);
}

void file_locks_close(struct file *f)
{
    uint64_t irq = spin_lock_irqsave(&locks.lock);
    carve_owner(f->node, OWNER_PROCESS, FAMILY_FCNTL, 0, UINT64_MAX);
    spin_unlock_irqrestore(&locks.lock, irq);
}
