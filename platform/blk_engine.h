/* The block request engine: what every block driver (virtio-blk, NVMe,
 * virtio-scsi) would otherwise write for itself. It owns the request tags
 * (one per request the device may hold at once), the asynchronous requests
 * (struct bio) in flight and the finished ones waiting for poll, a deadline
 * per request (a device that never answers costs -EIO and one message, not a
 * hang), and waiting: asleep until the device's interrupt when the driver
 * wired one (blk_engine_interrupt), else by polling the device.
 *
 * A driver embeds one engine per hardware queue and supplies the ops below;
 * it keeps only what is device-specific: its rings, its per-tag DMA memory,
 * how to encode a request (`cmd`, the driver's own type) and decode an answer.
 * Lives in platform/ rather than fs/ because it is kernel-only (clock, wait
 * queues, interrupts); fs/blockdev.h stays what the host tools share. */
#pragma once
#include "../klib/types.h"
#include "../fs/blockdev.h"
#include "../kernel/spinlock.h"
#include "../kernel/wait.h"

#define BLK_ENGINE_MAX_TAGS 64
/* How long a request may stay unanswered: Linux's SCSI default. The host
 * may shorten it for tests with the fw_cfg file opt/pith/disk-timeout
 * (whole seconds, 1..3600; test/disk/blkdebug-qemu sets it). */
#define BLK_ENGINE_TIMEOUT_NS (30ull * 1000 * 1000 * 1000)
#define BLK_ENGINE_TIMEOUT_FW_CFG "opt/pith/disk-timeout"
/* complete() may return this for an asynchronous request: the device
 * answered but the request should be redone the slow way (ops.redo). */
#define BLK_STATUS_REDO 1

struct blk_engine;

/* Each runs with the engine lock held and interrupts off: none may sleep. */
struct blk_engine_ops {
    /* Hand `cmd` to the device as request `tag`. 0 once posted; -EAGAIN when
     * the device has no room right now (nothing posted; the engine retries
     * after a completion); any other errno: refused, nothing posted. */
    int (*submit)(struct blk_engine *e, unsigned tag, void *cmd);
    /* Take every answer the device has posted, calling blk_engine_finished
     * for each tag. */
    void (*drain)(struct blk_engine *e);
    /* Tag `tag` is finished: its status (0 or a negative errno). `cmd` is the
     * synchronous caller's (still waiting: results may be written to it), or
     * NULL for an asynchronous bio. */
    int (*complete)(struct blk_engine *e, unsigned tag, void *cmd);
    /* Optional: redo, synchronously, a bio that complete() answered with
     * BLK_STATUS_REDO; returns its final status. Runs from poll, unlocked. */
    int (*redo)(struct blk_engine *e, struct bio *b);
};

enum blk_tag_state { TAG_FREE, TAG_BUSY, TAG_DONE, TAG_ABANDONED };

struct blk_tag {
    uint8_t state;
    int status;             /* once TAG_DONE */
    struct bio *bio;        /* asynchronous request; NULL for a synchronous one */
    void *cmd;              /* the synchronous caller's command */
    uint64_t deadline_ns;   /* monotonic */
    /* What the request is (blk_engine_describe): for the timeout message,
     * and the memory the device may still read or write if it never
     * answers, which is then never given back (blk_engine.c). */
    const char *what;       /* "write sector", "read lba", ...; NULL: not described */
    uint64_t where;         /* the sector or block `what` names, or BLK_WHERE_NONE */
    void *buf;
    uint64_t bytes;
};

struct blk_engine {
    const struct blk_engine_ops *ops;
    const char *name;       /* for the timeout message: "virtio-blk 00:04.0" */
    unsigned ntags;
    uint64_t timeout_ns;
    bool irq_driven;        /* completions are announced by an interrupt */
    bool broken;            /* a request timed out: the device may still own tags */
    unsigned errors;        /* requests the device answered with an error */
    unsigned async_busy;    /* tags held by asynchronous requests */
    struct spinlock lock;   /* everything here, and the driver's queue state */
    struct wait_queue waiters; /* woken after every drain that finished something */
    struct bio_list finished;  /* asynchronous requests waiting for poll */
    struct blk_tag tags[BLK_ENGINE_MAX_TAGS];
};

/* Start an engine with `ntags` tags (<= BLK_ENGINE_MAX_TAGS), polling, each
 * request due within BLK_ENGINE_TIMEOUT_NS (or the host's setting). */
void blk_engine_init(struct blk_engine *e, const struct blk_engine_ops *ops, const char *name, unsigned ntags);
/* From now on waits sleep until the interrupt handler calls
 * blk_engine_interrupt; call once the device's interrupt is routed. */
void blk_engine_use_interrupts(struct blk_engine *e);

/* Run `cmd` and wait for it: its complete() status, -EIO when the engine is
 * broken or the request timed out, or submit's refusal. */
int blk_engine_run(struct blk_engine *e, void *cmd);
/* Queue bio `b` described by `cmd` (read only during this call): 0 when the
 * device has it (its callback runs later from blk_engine_poll), -EAGAIN when
 * no tag or device room is free, -EIO when broken, or submit's refusal
 * (nothing happened: the caller may do `b` another way). */
int blk_engine_submit(struct blk_engine *e, struct bio *b, void *cmd);
/* Queue a bio the driver finished by itself (e.g. synchronously) so its
 * callback runs from poll like the others. */
void blk_engine_finish_bio(struct blk_engine *e, struct bio *b, int status);
/* Reap answers and overdue requests and run finished bios' callbacks; when
 * none had finished but some are in flight, first wait for one (or its
 * deadline). Returns how many callbacks ran. */
int blk_engine_poll(struct blk_engine *e);
/* Whether tags are held by asynchronous requests. */
bool blk_engine_busy(struct blk_engine *e);

/* No place on the disk (a flush, an admin command): the message shows `what` alone. */
#define BLK_WHERE_NONE UINT64_MAX
/* For the driver's submit: request `tag` is `what` at `where` (e.g. "write
 * sector", 2048; or "flush", BLK_WHERE_NONE) and the device may read or write `bytes` at `buf` (kernel
 * addresses; the bounce page where the driver copies). Drivers call it for
 * every request they post. */
void blk_engine_describe(struct blk_engine *e, unsigned tag, const char *what, uint64_t where, void *buf,
                         uint64_t bytes);
/* For the driver's drain: the device answered request `tag`. */
void blk_engine_finished(struct blk_engine *e, unsigned tag);
/* For the driver's interrupt handler, after it acknowledged the device:
 * reap and wake the waiters. */
void blk_engine_interrupt(struct blk_engine *e);
