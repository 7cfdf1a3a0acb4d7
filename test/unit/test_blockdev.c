/* The asynchronous block helpers (fs/blockdev.c): blockdev_submit_all over a
 * fake device that completes out of order and refuses work when its small
 * queue is full, the synchronous fallback for devices without submit, error
 * reporting, the partition window forwarding bios with its offset, and the
 * host file device's submit/poll. */
#include "../../cli/file_blockdev.h"
#include "../../fs/blockdev.h"
#include "../../fs/mbr.h"
#include "../../klib/errno.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

#define SECTORS 4096
#define DEPTH 5

/* A fake disk whose sector s starts with s (8 bytes), the rest a pattern. */
struct fake {
    struct blockdev dev;
    uint8_t *mem;
    struct bio *queue[DEPTH];
    int queued;
    unsigned seed;
    int max_in_flight, submits, eagains;
    uint64_t fail_sector;   /* a request touching it fails; ~0 = none */
};

static void fake_io(struct fake *f, struct bio *b)
{
    if (b->sector >= f->dev.sectors || b->count > f->dev.sectors - b->sector) {
        b->status = -EINVAL;
        return;
    }
    if (f->fail_sector >= b->sector && f->fail_sector < b->sector + b->count) {
        b->status = -EIO;
        return;
    }
    uint8_t *p = f->mem + b->sector * SECTOR_SIZE;
    if (b->write) memcpy(p, b->buf, (size_t)b->count * SECTOR_SIZE);
    else memcpy(b->buf, p, (size_t)b->count * SECTOR_SIZE);
    b->status = 0;
}

static int fake_read(struct blockdev *d, uint64_t s, void *buf, uint32_t n)
{
    struct bio b = { .sector = s, .count = n, .buf = buf };
    fake_io((struct fake *)d, &b);
    return b.status;
}

static int fake_write(struct blockdev *d, uint64_t s, const void *buf, uint32_t n)
{
    struct bio b = { .sector = s, .count = n, .buf = (void *)buf, .write = true };
    fake_io((struct fake *)d, &b);
    return b.status;
}

static int fake_submit(struct blockdev *d, struct bio *b)
{
    struct fake *f = (struct fake *)d;
    if (f->queued == DEPTH) {
        f->eagains++;
        return -EAGAIN;
    }
    f->queue[f->queued++] = b;
    f->submits++;
    if (f->queued > f->max_in_flight) f->max_in_flight = f->queued;
    return 0;
}

/* Completes a random non-empty subset, in random order, like a real device. */
static int fake_poll(struct blockdev *d)
{
    struct fake *f = (struct fake *)d;
    int n = 0;
    int take = f->queued ? 1 + (int)(rand_r(&f->seed) % (unsigned)f->queued) : 0;
    while (take-- > 0) {
        int i = (int)(rand_r(&f->seed) % (unsigned)f->queued);
        struct bio *b = f->queue[i];
        f->queue[i] = f->queue[--f->queued];
        fake_io(f, b);
        if (b->done) b->done(b, b->ctx);
        n++;
    }
    return n;
}

static void fake_init(struct fake *f, bool async)
{
    memset(f, 0, sizeof(*f));
    f->dev.sectors = SECTORS;
    f->dev.read = fake_read;
    f->dev.write = fake_write;
    f->dev.name = "fake";
    if (async) {
        f->dev.submit = fake_submit;
        f->dev.poll = fake_poll;
    }
    f->mem = malloc((size_t)SECTORS * SECTOR_SIZE);
    for (uint64_t s = 0; s < SECTORS; s++) {
        uint8_t *p = f->mem + s * SECTOR_SIZE;
        memcpy(p, &s, 8);
        for (int i = 8; i < SECTOR_SIZE; i++) p[i] = (uint8_t)(s * 31 + i);
    }
    f->seed = 7;
    f->fail_sector = ~0ull;
}

static bool sector_ok(const uint8_t *p, uint64_t s)
{
    uint64_t got;
    memcpy(&got, p, 8);
    if (got != s) return false;
    for (int i = 8; i < SECTOR_SIZE; i++)
        if (p[i] != (uint8_t)(s * 31 + i)) return false;
    return true;
}

static int callbacks;
static void count_done(struct bio *b, void *ctx)
{
    (void)b;
    callbacks += *(int *)ctx;
}

/* 40 reads of varied sizes at scattered places: all data right, every
 * caller callback run once, the queue kept full. */
static void test_reads(bool async)
{
    struct fake f;
    fake_init(&f, async);
    enum { N = 40 };
    struct bio bios[N];
    uint8_t *bufs[N];
    int one = 1;
    callbacks = 0;
    for (int i = 0; i < N; i++) {
        uint32_t count = 1 + (uint32_t)(i % 9);
        bufs[i] = malloc((size_t)count * SECTOR_SIZE);
        bios[i] = (struct bio){ .sector = (uint64_t)(i * 97) % (SECTORS - 16), .count = count, .buf = bufs[i],
                                .done = count_done, .ctx = &one };
    }
    int rc = blockdev_submit_all(&f.dev, bios, N);
    CHECK(rc == 0, "%s reads: rc %d", async ? "async" : "sync", rc);
    CHECK(callbacks == N, "%s reads: %d callbacks", async ? "async" : "sync", callbacks);
    for (int i = 0; i < N; i++) {
        for (uint32_t k = 0; k < bios[i].count; k++)
            CHECK(sector_ok(bufs[i] + k * SECTOR_SIZE, bios[i].sector + k), "bio %d sector %u", i, k);
        CHECK(bios[i].status == 0, "bio %d status %d", i, bios[i].status);
        CHECK(bios[i].done == count_done && bios[i].ctx == &one, "bio %d: caller's callback restored", i);
        free(bufs[i]);
    }
    if (async) {
        CHECK(f.max_in_flight == DEPTH, "queue kept full: max in flight %d", f.max_in_flight);
        CHECK(f.eagains > 0, "a full queue was met");
        CHECK(f.submits == N, "each bio submitted once: %d", f.submits);
        CHECK(f.queued == 0, "nothing left in flight");
    }
    free(f.mem);
}

/* Writes, then a read-back; one failing bio reports its error while the
 * others complete. */
static void test_writes_and_errors(void)
{
    struct fake f;
    fake_init(&f, true);
    enum { N = 16 };
    struct bio bios[N];
    static uint8_t data[N][8 * SECTOR_SIZE];
    for (int i = 0; i < N; i++) {
        memset(data[i], 0xA0 + i, sizeof(data[i]));
        bios[i] = (struct bio){ .sector = 1000 + (uint64_t)i * 8, .count = 8, .buf = data[i], .write = true };
    }
    CHECK(blockdev_submit_all(&f.dev, bios, N) == 0, "writes");
    for (int i = 0; i < N; i++) CHECK(f.mem[(1000 + i * 8) * SECTOR_SIZE + 100] == 0xA0 + i, "write %d landed", i);

    f.fail_sector = 1000 + 5 * 8 + 3;
    for (int i = 0; i < N; i++) bios[i].write = false;
    int rc = blockdev_submit_all(&f.dev, bios, N);
    CHECK(rc == -EIO, "the failing read is reported: %d", rc);
    CHECK(bios[5].status == -EIO, "bio 5 status %d", bios[5].status);
    for (int i = 0; i < N; i++)
        if (i != 5) CHECK(bios[i].status == 0, "bio %d still completes: %d", i, bios[i].status);

    struct bio past = { .sector = SECTORS - 2, .count = 4, .buf = data[0] };
    CHECK(blockdev_submit_all(&f.dev, &past, 1) == -EINVAL, "a range past the end is an error status");
    CHECK(blockdev_submit_all(&f.dev, bios, 0) == 0, "an empty batch");
    free(f.mem);
}

/* The partition window adds its start and gives callers their own sector
 * back; out-of-window bios fail through poll. */
static void test_partition(void)
{
    struct fake f;
    fake_init(&f, true);
    struct part_blockdev p;
    CHECK(part_blockdev_init(&p, &f.dev, 512, 1024, "part") == 0, "window");
    enum { N = 20 };
    struct bio bios[N];
    static uint8_t bufs[N][4 * SECTOR_SIZE];
    for (int i = 0; i < N; i++) bios[i] = (struct bio){ .sector = (uint64_t)i * 50, .count = 4, .buf = bufs[i] };
    CHECK(blockdev_submit_all(&p.dev, bios, N) == 0, "partition reads");
    for (int i = 0; i < N; i++) {
        CHECK(bios[i].sector == (uint64_t)i * 50, "bio %d keeps its sector: %llu", i, (unsigned long long)bios[i].sector);
        for (int k = 0; k < 4; k++) CHECK(sector_ok(bufs[i] + k * SECTOR_SIZE, 512 + i * 50 + k), "bio %d sector %d", i, k);
    }
    struct bio out = { .sector = 1023, .count = 2, .buf = bufs[0] };
    CHECK(blockdev_submit_all(&p.dev, &out, 1) == -EIO, "outside the window");
    CHECK(out.sector == 1023, "refused bio unchanged");

    /* A parent without submit: the window completes bios itself. */
    struct fake g;
    fake_init(&g, false);
    CHECK(part_blockdev_init(&p, &g.dev, 100, 1000, "part") == 0, "window 2");
    for (int i = 0; i < N; i++) bios[i] = (struct bio){ .sector = (uint64_t)i * 30, .count = 4, .buf = bufs[i] };
    CHECK(blockdev_submit_all(&p.dev, bios, N) == 0, "sync parent");
    for (int i = 0; i < N; i++) CHECK(sector_ok(bufs[i], 100 + i * 30), "sync parent bio %d", i);
    free(f.mem);
    free(g.mem);
}

/* file_blockdev: submit does the work, poll reports it. */
static void test_file_blockdev(void)
{
    struct fake f;
    fake_init(&f, false);
    struct file_blockdev fb;
    file_blockdev_init_mem(&fb, f.mem, SECTORS, "mem");
    uint8_t buf[SECTOR_SIZE];
    int one = 1;
    struct bio b = { .sector = 77, .count = 1, .buf = buf, .done = count_done, .ctx = &one };
    callbacks = 0;
    CHECK(fb.dev.submit(&fb.dev, &b) == 0, "submit");
    CHECK(callbacks == 0, "no callback inside submit");
    CHECK(fb.dev.poll(&fb.dev) == 1 && callbacks == 1, "poll completes it");
    CHECK(b.status == 0 && sector_ok(buf, 77), "data");
    CHECK(fb.dev.poll(&fb.dev) == 0, "nothing more");
    free(f.mem);
}

int main(void)
{
    test_reads(true);
    test_reads(false);
    test_writes_and_errors();
    test_partition();
    test_file_blockdev();
    if (failures) {
        printf("test_blockdev: %d of %d checks failed\n", failures, checks);
        return 1;
    }
    printf("test_blockdev: %d checks ok\n", checks);
    return 0;
}
