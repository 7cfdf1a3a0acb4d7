/* What every block driver keeps for each request it has handed its device:
 * the first member of the driver's own slot (virtio-blk, NVMe, virtio-scsi),
 * so claiming, finishing and timing out a request are written once. */
#pragma once
#include "../klib/types.h"
#include "../fs/blockdev.h"
#include "../klib/errno.h"

struct io_slot {
    bool busy;
    volatile bool done;       /* set by the completion path */
    struct bio *bio;          /* an asynchronous request; NULL for a synchronous one */
    uint64_t started_ns;
};

/* Take a free slot for a new request; false if it is in use. */
static inline bool io_slot_claim(struct io_slot *s)
{
    if (s->busy) return false;
    s->busy = true;
    s->done = false;
    s->bio = NULL;
    return true;
}

/* An asynchronous request ended with `status`: queue its bio for the
 * caller's poll (callbacks never run from the completion path) and free
 * the slot. */
static inline void io_slot_finish(struct io_slot *s, int status, struct bio_list *finished, int *async_busy)
{
    s->bio->status = status;
    bio_list_add(finished, s->bio);
    s->bio = NULL;
    s->busy = false;
    (*async_busy)--;
}

/* The device stopped answering: fail the request, but keep the slot busy
 * because the device may still write into its memory. */
static inline void io_slot_abandon(struct io_slot *s, struct bio_list *finished)
{
    s->bio->status = -EIO;
    bio_list_add(finished, s->bio);
    s->bio = NULL;
}

static inline bool io_slot_overdue(const struct io_slot *s, uint64_t now, uint64_t timeout_ns)
{
    return now - s->started_ns > timeout_ns;
}
