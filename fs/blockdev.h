/* A block device: 512-byte sectors. Drivers (virtio-blk, NVMe, virtio-scsi),
 * the partition window (fs/mbr.c) and the host's file/memory devices
 * implement it.
 *
 * Two ways in. read/write/flush are synchronous and always present (except
 * flush, see below). submit/poll are the asynchronous form: several requests
 * (struct bio) may be in the device at once and complete in any order.
 * Callers normally use the helpers in fs/blockdev.c (blockdev_submit_all),
 * which also cover devices without submit. */
#pragma once
#include "../klib/types.h"

#define SECTOR_SIZE 512

struct bio;
typedef void (*bio_done_fn)(struct bio *b, void *ctx);

/* One asynchronous request. The caller fills sector..ctx; the buffer and the
 * bio itself must stay untouched until done runs. */
struct bio {
    uint64_t sector;
    uint32_t count;      /* sectors */
    void *buf;
    bool write;
    int status;          /* set before done: 0 or a negative errno */
    bio_done_fn done;    /* may be NULL */
    void *ctx;
    struct bio *next;    /* the device's while in flight; the caller's otherwise */
    /* Private to the device stack while in flight (the partition window
     * keeps the caller's sector and callback here; one level of stacking). */
    uint64_t saved_sector;
    bio_done_fn saved_done;
    void *saved_ctx;
    void *dev_priv;      /* the bottom driver's while in flight (virtio-scsi: the disk) */
};

struct blockdev {
    uint64_t sectors;
    /* Return 0 on success, a negative errno on failure. */
    int (*read)(struct blockdev *dev, uint64_t sector, void *buf, uint32_t count);
    int (*write)(struct blockdev *dev, uint64_t sector, const void *buf, uint32_t count);
    /* Make every completed write durable (a cache flush); NULL if writes are
     * durable on completion. Writes still in flight are not covered. */
    int (*flush)(struct blockdev *dev);
    const char *name;
    /* Queue `b`: 0 when accepted (its done callback runs later, from poll,
     * with b->status set; errors such as a bad range are reported that way),
     * -EAGAIN when the device queue is full (nothing happened: poll, then
     * retry). NULL when the device has no asynchronous path. */
    int (*submit)(struct blockdev *dev, struct bio *b);
    /* Reap finished requests and run their done callbacks; returns how many
     * completed. Callbacks run only from here, never inside submit. The
     * kernel's drivers (platform/blk_engine.c) first wait for one when
     * requests are out and none has finished. */
    int (*poll)(struct blockdev *dev);
};

/* A FIFO of bios, linked through bio.next (finished ones waiting for poll). */
struct bio_list {
    struct bio *head, *tail;
};

void bio_list_add(struct bio_list *l, struct bio *b);
/* Run the done callbacks of every bio on the list (emptying it first, so a
 * callback may add more); returns how many. */
int bio_list_complete(struct bio_list *l);

/* Perform `b` now with dev->read/write and set b->status (no callback). */
void blockdev_run_sync(struct blockdev *dev, struct bio *b);
/* dev->submit, or for a device without it, run `b` synchronously and call
 * its done callback before returning. 0 or -EAGAIN (queue full). */
int blockdev_submit(struct blockdev *dev, struct bio *b);
/* dev->poll, or 0 for a device without it. */
int blockdev_poll(struct blockdev *dev);
/* Submit all `n` bios, keeping the device queue as full as it allows, and
 * poll until every one has completed. Each bio's status is set and its done
 * callback (if any) has run. Returns 0, or the status of the first failed
 * bio in array order. Writes submitted together may reach the disk in any
 * order among themselves. */
int blockdev_submit_all(struct blockdev *dev, struct bio *bios, size_t n);
