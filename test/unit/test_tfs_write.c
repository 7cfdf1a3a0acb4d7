/* The writable TFS: namespace and data semantics, the page cache lending
 * blocks to mappings (kept while mapped, reclaim), remount round trips,
 * large directories and sparse files, a full disk, injected write failures,
 * and crash simulation (replaying every prefix of the device's writes, with
 * random subsets of the unflushed ones, and checking what survived). */
#include "../../cli/host_heap.h"
#include "../../cli/manifest.h"
#include "../../cli/tfs_writer.h"
#include "../../fs/tfs.h"
#include "../../fs/tfs_format.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"

static char err[2048];

/* ---- an in-memory device that can record writes and fail on purpose ---- */

struct event {
    uint64_t sector;
    uint32_t count;   /* 0 = a flush */
    uint8_t *data;
};

#define MD_QUEUE_DEPTH 4   /* small, so submitters meet a full queue */

struct memdev {
    struct blockdev dev;
    uint8_t *mem;
    bool record;
    struct event *ev;
    size_t nev, cap;
    int64_t writes_before_failure;   /* negative: never fail */
    uint64_t writes, flushes;
    /* Asynchronous requests wait here until poll, which finishes them
     * newest first: the file system must not depend on completion order. */
    struct bio *queue[MD_QUEUE_DEPTH];
    int queued;
};

static int md_read(struct blockdev *d, uint64_t sector, void *buf, uint32_t count)
{
    struct memdev *m = (struct memdev *)d;
    if (sector > d->sectors || count > d->sectors - sector) return -EIO;
    memcpy(buf, m->mem + sector * 512, (size_t)count * 512);
    return 0;
}

static void md_event(struct memdev *m, uint64_t sector, uint32_t count, const void *data)
{
    if (!m->record) return;
    if (m->nev == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 1024;
        m->ev = realloc(m->ev, m->cap * sizeof(*m->ev));
    }
    struct event *e = &m->ev[m->nev++];
    e->sector = sector;
    e->count = count;
    e->data = NULL;
    if (count) {
        e->data = malloc((size_t)count * 512);
        memcpy(e->data, data, (size_t)count * 512);
    }
}

static int md_write(struct blockdev *d, uint64_t sector, const void *buf, uint32_t count)
{
    struct memdev *m = (struct memdev *)d;
    if (sector > d->sectors || count > d->sectors - sector) return -EIO;
    if (m->writes_before_failure == 0) return -EIO;
    if (m->writes_before_failure > 0) m->writes_before_failure--;
    memcpy(m->mem + sector * 512, buf, (size_t)count * 512);
    m->writes++;
    md_event(m, sector, count, buf);
    return 0;
}

static int md_flush(struct blockdev *d)
{
    struct memdev *m = (struct memdev *)d;
    m->flushes++;
    md_event(m, 0, 0, NULL);
    return 0;
}

static int md_submit(struct blockdev *d, struct bio *b)
{
    struct memdev *m = (struct memdev *)d;
    if (m->queued == MD_QUEUE_DEPTH) return -EAGAIN;
    m->queue[m->queued++] = b;
    return 0;
}

/* Writes are applied (and recorded) when they complete, in reverse order of
 * submission; the crash simulation already treats every write after the
 * last flush as possibly lost, so any completion order is a valid history. */
static int md_poll(struct blockdev *d)
{
    struct memdev *m = (struct memdev *)d;
    int n = 0;
    while (m->queued > 0) {
        struct bio *b = m->queue[--m->queued];
        b->status = b->write ? md_write(d, b->sector, b->buf, b->count) : md_read(d, b->sector, b->buf, b->count);
        if (b->done) b->done(b, b->ctx);
        n++;
    }
    return n;
}

static void md_init(struct memdev *m, uint64_t blocks)
{
    memset(m, 0, sizeof(*m));
    m->dev.sectors = blocks * 8;
    m->dev.read = md_read;
    m->dev.write = md_write;
    m->dev.flush = md_flush;
    m->dev.submit = md_submit;
    m->dev.poll = md_poll;
    m->dev.name = "memdev";
    m->mem = calloc(blocks, 4096);
    m->writes_before_failure = -1;
}

static void md_clear_events(struct memdev *m)
{
    for (size_t i = 0; i < m->nev; i++) free(m->ev[i].data);
    m->nev = 0;
}

static void md_free(struct memdev *m)
{
    md_clear_events(m);
    free(m->ev);
    free(m->mem);
}

/* ---- helpers ---- */

static struct tfs *mount_rw(struct memdev *m, uint32_t cache_blocks)
{
    struct tfs *fs = NULL;
    struct tfs_mount_options opt = { .cache_blocks = cache_blocks };
    int rc = tfs_mount_opts(host_heap(), &m->dev, &opt, &fs, err, sizeof(err));
    CHECK(rc == 0, "mount: %s", err);
    return rc ? NULL : fs;
}

static void fresh(struct memdev *m, uint64_t blocks, uint64_t log_blocks)
{
    md_init(m, blocks);
    int rc = tfs_mkfs(&m->dev, blocks, log_blocks, err, sizeof(err));
    CHECK(rc == 0, "mkfs: %s", err);
}

static bool fsck_clean(struct blockdev *dev, const char *what)
{
    char report[4096];
    int rc = tfs_fsck(host_heap(), dev, report, sizeof(report));
    CHECK(rc == 0, "%s: fsck: %s", what, report);
    return rc == 0;
}

static struct tfs_node *get(struct tfs *fs, const char *path)
{
    struct tfs_node *n = NULL;
    return tfs_resolve(fs, NULL, path, false, &n) == 0 ? n : NULL;
}

static int name_of(const char *path, struct tfs *fs, struct tfs_node **dir, const char **name)
{
    const char *slash = strrchr(path, '/');
    char d[512];
    size_t dl = (size_t)(slash - path);
    memcpy(d, path, dl);
    d[dl] = 0;
    *name = slash + 1;
    return tfs_resolve(fs, NULL, dl ? d : "/", true, dir);
}

static int mk(struct tfs *fs, const char *path, struct tfs_node **out)
{
    struct tfs_node *dir;
    const char *name;
    int rc = name_of(path, fs, &dir, &name);
    return rc ? rc : tfs_create(fs, dir, name, strlen(name), 0644, 0, 0, out);
}

static int md(struct tfs *fs, const char *path)
{
    struct tfs_node *dir;
    const char *name;
    int rc = name_of(path, fs, &dir, &name);
    return rc ? rc : tfs_mkdir(fs, dir, name, strlen(name), 0755, 0, 0, NULL);
}

static int rm(struct tfs *fs, const char *path)
{
    struct tfs_node *dir;
    const char *name;
    int rc = name_of(path, fs, &dir, &name);
    return rc ? rc : tfs_unlink(fs, dir, name, strlen(name));
}

static int rd(struct tfs *fs, const char *path)
{
    struct tfs_node *dir;
    const char *name;
    int rc = name_of(path, fs, &dir, &name);
    return rc ? rc : tfs_rmdir(fs, dir, name, strlen(name));
}

static int mv(struct tfs *fs, const char *from, const char *to, unsigned flags)
{
    struct tfs_node *d1, *d2;
    const char *n1, *n2;
    int rc = name_of(from, fs, &d1, &n1);
    if (!rc) rc = name_of(to, fs, &d2, &n2);
    return rc ? rc : tfs_rename(fs, d1, n1, strlen(n1), d2, n2, strlen(n2), flags);
}

static int64_t wr(struct tfs *fs, const char *path, uint64_t off, const char *s)
{
    struct tfs_node *n = get(fs, path);
    return n ? tfs_write(fs, n, off, s, strlen(s)) : -ENOENT;
}

static bool content_is(struct tfs *fs, const char *path, const char *want, size_t len)
{
    struct tfs_node *n = get(fs, path);
    if (!n) return false;
    struct tfs_stat st;
    tfs_stat(n, &st);
    if (st.size != len) return false;
    char *buf = malloc(len + 1);
    bool ok = tfs_read(fs, n, 0, buf, len + 1) == (int64_t)len && memcmp(buf, want, len) == 0;
    free(buf);
    return ok;
}

static uint32_t nlink_of(struct tfs *fs, const char *path)
{
    struct tfs_node *n = get(fs, path);
    struct tfs_stat st = { 0 };
    if (n) tfs_stat(n, &st);
    return n ? st.nlink : 0;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- semantics ---- */

static void test_namespace(void)
{
    struct memdev m;
    fresh(&m, 2048, 8);
    struct tfs *fs = mount_rw(&m, 64);
    if (!fs) return;
    struct tfs_node *root = tfs_root(fs), *f, *n;

    CHECK(mk(fs, "/a", &f) == 0, "create /a");
    CHECK(mk(fs, "/a", &n) == -EEXIST, "create twice");
    CHECK(tfs_create(fs, root, ".", 1, 0644, 0, 0, &n) == -EEXIST, "create .");
    char longname[300];
    memset(longname, 'x', sizeof(longname));
    CHECK(tfs_create(fs, root, longname, 256, 0644, 0, 0, &n) == -ENAMETOOLONG, "name too long");
    CHECK(tfs_create(fs, root, longname, 255, 0644, 0, 0, &n) == 0, "255-byte name");
    CHECK(tfs_create(fs, root, "a/b", 3, 0644, 0, 0, &n) == -EINVAL, "slash in name");
    CHECK(tfs_create(fs, f, "x", 1, 0644, 0, 0, &n) == -ENOTDIR, "create in a file");
    CHECK(wr(fs, "/a", 0, "hello world") == 11, "write");
    CHECK(content_is(fs, "/a", "hello world", 11), "read back");
    CHECK(wr(fs, "/a", 6, "WORLD!") == 6 && content_is(fs, "/a", "hello WORLD!", 12), "overwrite + extend");

    CHECK(md(fs, "/d") == 0 && md(fs, "/d/e") == 0, "mkdir");
    CHECK(md(fs, "/d") == -EEXIST, "mkdir twice");
    CHECK(nlink_of(fs, "/d") == 3 && nlink_of(fs, "/") == 3, "dir nlink %u %u", nlink_of(fs, "/d"), nlink_of(fs, "/"));
    CHECK(rd(fs, "/d") == -ENOTEMPTY, "rmdir non-empty");
    CHECK(rd(fs, "/a") == -ENOTDIR, "rmdir a file");
    CHECK(rm(fs, "/d") == -EISDIR, "unlink a dir");
    CHECK(rd(fs, "/d/e") == 0 && nlink_of(fs, "/d") == 2, "rmdir");
    CHECK(tfs_rmdir(fs, root, ".", 1) == -EINVAL, "rmdir .");

    /* hard links */
    struct tfs_node *d = get(fs, "/d");
    CHECK(tfs_link(fs, f, d, "a2", 2) == 0 && nlink_of(fs, "/a") == 2, "link");
    CHECK(tfs_link(fs, d, root, "d2", 2) == -EPERM, "link a dir");
    CHECK(rm(fs, "/a") == 0 && content_is(fs, "/d/a2", "hello WORLD!", 12) && nlink_of(fs, "/d/a2") == 1, "unlink one name");

    /* symlinks */
    CHECK(tfs_symlink(fs, root, "s", 1, "d/a2", 4, 0, 0, &n) == 0, "symlink");
    char t[64];
    CHECK(tfs_readlink(get(fs, "/s"), t, sizeof(t)) == 4 && memcmp(t, "d/a2", 4) == 0, "readlink");
    CHECK(tfs_resolve(fs, NULL, "/s", true, &n) == 0 && n == get(fs, "/d/a2"), "follow symlink");

    /* rename */
    CHECK(mk(fs, "/r1", &n) == 0 && wr(fs, "/r1", 0, "one") == 3, "r1");
    CHECK(mk(fs, "/r2", &n) == 0 && wr(fs, "/r2", 0, "two") == 3, "r2");
    CHECK(mv(fs, "/r1", "/r2", TFS_RENAME_NOREPLACE) == -EEXIST, "noreplace");
    CHECK(mv(fs, "/r1", "/r2", TFS_RENAME_EXCHANGE) == 0 && content_is(fs, "/r1", "two", 3) && content_is(fs, "/r2", "one", 3), "exchange");
    CHECK(mv(fs, "/r1", "/r2", 0) == 0 && !get(fs, "/r1") && content_is(fs, "/r2", "two", 3), "replace");
    CHECK(mv(fs, "/r2", "/d/r3", 0) == 0 && content_is(fs, "/d/r3", "two", 3), "move across dirs");
    CHECK(md(fs, "/d/sub") == 0 && mv(fs, "/d", "/d/sub/x", 0) == -EINVAL, "into own subtree");
    CHECK(mv(fs, "/d/sub", "/sub", 0) == 0 && nlink_of(fs, "/d") == 2 && nlink_of(fs, "/") == 4, "move dir: nlinks");
    CHECK(md(fs, "/e") == 0 && mk(fs, "/e/x", &n) == 0, "e/x");
    CHECK(mv(fs, "/sub", "/e", 0) == -ENOTEMPTY, "replace non-empty dir");
    CHECK(mv(fs, "/sub", "/s", 0) == -ENOTDIR, "dir over file");
    CHECK(mv(fs, "/s", "/sub", 0) == -EISDIR, "file over dir");
    CHECK(rm(fs, "/e/x") == 0 && mv(fs, "/sub", "/e", 0) == 0 && !get(fs, "/sub") && get(fs, "/e"), "replace empty dir");
    CHECK(mv(fs, "/nothing", "/x", 0) == -ENOENT, "rename missing");

    /* setattr */
    n = get(fs, "/d/a2");
    CHECK(tfs_setattr(fs, n, TFS_SET_MODE | TFS_SET_UID | TFS_SET_MTIME, 0600, 42, 0, 0, 12345) == 0, "setattr");
    struct tfs_stat st;
    tfs_stat(n, &st);
    CHECK((st.mode & 07777) == 0600 && (st.mode & TFS_S_IFMT) == TFS_S_IFREG && st.uid == 42 && st.mtime_ns == 12345, "setattr result");

    /* readdir skips removed entries */
    uint64_t cookie = 0;
    struct tfs_dirent de;
    int count = 0;
    while (tfs_readdir(fs, root, &cookie, &de) == 1) count++;
    CHECK(count == 2 + 4, "root has . .. xxx d s e: %d", count);

    CHECK(tfs_sync(fs) == 0, "sync");
    tfs_unmount(fs);
    fsck_clean(&m.dev, "namespace");
    fs = mount_rw(&m, 64);
    if (fs) {
        CHECK(content_is(fs, "/d/a2", "hello WORLD!", 12) && content_is(fs, "/d/r3", "two", 3), "contents after remount");
        CHECK(nlink_of(fs, "/") == 4 && nlink_of(fs, "/d") == 2 && get(fs, "/e") && !get(fs, "/a"), "tree after remount");
        n = get(fs, "/d/a2");
        tfs_stat(n, &st);
        CHECK((st.mode & 07777) == 0600 && st.uid == 42 && st.mtime_ns == 12345, "attrs after remount");
        tfs_unmount(fs);
    }
    /* read-only mount refuses changes */
    struct tfs_mount_options ro = { .flags = TFS_MOUNT_READONLY };
    if (tfs_mount_opts(host_heap(), &m.dev, &ro, &fs, err, sizeof(err)) == 0) {
        CHECK(mk(fs, "/z", &n) == -EROFS && wr(fs, "/d/a2", 0, "x") == -EROFS, "read-only mount gives EROFS");
        tfs_unmount(fs);
    }
    md_free(&m);
}

static void test_data(void)
{
    struct memdev m;
    fresh(&m, 4096, 8);
    struct tfs *fs = mount_rw(&m, 40);
    if (!fs) return;
    struct tfs_node *f;
    struct tfs_stat st;
    CHECK(mk(fs, "/f", &f) == 0, "create");
    /* A hole, then data: 3 blocks in, 100 bytes. */
    static char buf[40000], z[40000];
    memset(z, 0, sizeof(z));
    memset(buf, 'q', 100);
    CHECK(tfs_write(fs, f, 3 * 4096 + 10, buf, 100) == 100, "write after a hole");
    tfs_stat(f, &st);
    CHECK(st.size == 3 * 4096 + 110 && st.blocks == 8, "size %llu blocks %llu", (unsigned long long)st.size, (unsigned long long)st.blocks);
    CHECK(tfs_read(fs, f, 0, buf, sizeof(buf)) == 3 * 4096 + 110 && memcmp(buf, z, 3 * 4096 + 10) == 0 && buf[3 * 4096 + 10] == 'q', "hole reads zeros");
    CHECK(tfs_seek_data(fs, f, 0) == 3 * 4096, "seek_data %lld", (long long)tfs_seek_data(fs, f, 0));
    CHECK(tfs_seek_hole(fs, f, 0) == 0, "seek_hole in hole");
    CHECK(tfs_seek_hole(fs, f, 3 * 4096) == 3 * 4096 + 110, "seek_hole at EOF");
    CHECK(tfs_seek_data(fs, f, 3 * 4096 + 110) == -ENXIO && tfs_seek_hole(fs, f, 1 << 20) == -ENXIO, "ENXIO past EOF");

    /* truncate down in mid-block, then grow: the old bytes must not return */
    CHECK(tfs_truncate(fs, f, 3 * 4096 + 20) == 0, "truncate down");
    CHECK(tfs_truncate(fs, f, 5 * 4096) == 0, "truncate up");
    CHECK(tfs_read(fs, f, 3 * 4096, buf, 4096) == 4096 && buf[19] == 'q' && buf[20] == 0 && buf[109] == 0, "tail zeroed by truncate");
    CHECK(tfs_truncate(fs, f, 0) == 0, "truncate to 0");
    tfs_stat(f, &st);
    CHECK(st.size == 0 && st.blocks == 0, "empty after truncate: blocks %llu", (unsigned long long)st.blocks);

    /* fallocate: allocate, keep size, punch */
    CHECK(tfs_fallocate(fs, f, 0, 0, 8 * 4096) == 0, "fallocate");
    tfs_stat(f, &st);
    CHECK(st.size == 8 * 4096 && st.blocks == 64, "fallocate size/blocks");
    CHECK(tfs_read(fs, f, 0, buf, 8 * 4096) == 8 * 4096 && memcmp(buf, z, 8 * 4096) == 0, "fallocated reads zeros");
    CHECK(tfs_fallocate(fs, f, TFS_FALLOC_KEEP_SIZE, 8 * 4096, 4096) == 0, "keep size");
    tfs_stat(f, &st);
    CHECK(st.size == 8 * 4096 && st.blocks == 72, "keep size: size %llu blocks %llu", (unsigned long long)st.size, (unsigned long long)st.blocks);
    memset(buf, 'w', sizeof(buf));
    CHECK(tfs_write(fs, f, 0, buf, 8 * 4096) == 8 * 4096, "fill");
    CHECK(tfs_fallocate(fs, f, TFS_FALLOC_PUNCH_HOLE | TFS_FALLOC_KEEP_SIZE, 100, 3 * 4096) == 0, "punch");
    tfs_stat(f, &st);
    CHECK(st.size == 8 * 4096 && st.blocks == 72 - 16, "punch frees 2 whole blocks: %llu", (unsigned long long)st.blocks);
    CHECK(tfs_read(fs, f, 0, buf, 5 * 4096) == 5 * 4096 && buf[99] == 'w' && buf[100] == 0 && buf[3 * 4096 + 99] == 0 &&
              buf[3 * 4096 + 100] == 'w',
          "punched range reads zeros");
    CHECK(tfs_seek_hole(fs, f, 0) == 4096 && tfs_seek_data(fs, f, 4096) == 3 * 4096, "seek around the punched hole: %lld %lld",
          (long long)tfs_seek_hole(fs, f, 0), (long long)tfs_seek_data(fs, f, 4096));
    CHECK(tfs_fallocate(fs, f, 0x10, 0, 10) == -EOPNOTSUPP, "unsupported mode");
    CHECK(tfs_fallocate(fs, f, 0, 0, 0) == -EINVAL, "zero length");

    /* a big write through a small cache, then a remount */
    static uint8_t big[3 << 20], back[3 << 20];
    for (size_t i = 0; i < sizeof(big); i++) big[i] = (uint8_t)(i * 13 + (i >> 12));
    struct tfs_node *g;
    CHECK(mk(fs, "/big", &g) == 0 && tfs_write(fs, g, 1000, big, sizeof(big)) == (int64_t)sizeof(big), "big write");
    CHECK(tfs_read(fs, g, 1000, back, sizeof(back)) == (int64_t)sizeof(back) && memcmp(big, back, sizeof(big)) == 0, "big read back");
    CHECK(tfs_fsync(fs, g, false) == 0, "fsync");
    tfs_unmount(fs);
    fsck_clean(&m.dev, "data");
    fs = mount_rw(&m, 40);
    if (fs) {
        g = get(fs, "/big");
        memset(back, 0, sizeof(back));
        CHECK(g && tfs_read(fs, g, 1000, back, sizeof(back)) == (int64_t)sizeof(back) && memcmp(big, back, sizeof(big)) == 0, "big after remount");
        f = get(fs, "/f");
        tfs_stat(f, &st);
        CHECK(st.size == 8 * 4096 && st.blocks == 56, "f after remount: blocks %llu", (unsigned long long)st.blocks);
        CHECK(tfs_read(fs, f, 0, buf, 5 * 4096) == 5 * 4096 && buf[99] == 'w' && buf[100] == 0 && buf[3 * 4096 + 100] == 'w', "punch after remount");
        tfs_unmount(fs);
    }
    md_free(&m);
}

/* An unlinked file that is still referenced keeps its data until the last put. */
static void test_open_unlinked(void)
{
    struct memdev m;
    fresh(&m, 1024, 8);
    struct tfs *fs = mount_rw(&m, 64);
    if (!fs) return;
    struct tfs_statfs before, during, after;
    struct tfs_node *f;
    tfs_statfs(fs, &before);
    static char buf[40000];
    memset(buf, 'u', sizeof(buf));
    CHECK(mk(fs, "/u", &f) == 0 && tfs_write(fs, f, 0, buf, sizeof(buf)) == (int64_t)sizeof(buf), "write u");
    tfs_node_get(f);
    CHECK(rm(fs, "/u") == 0 && !get(fs, "/u"), "unlink open file");
    CHECK(tfs_write(fs, f, sizeof(buf), "tail", 4) == 4, "write after unlink");
    char back[8];
    CHECK(tfs_read(fs, f, 0, back, 4) == 4 && back[0] == 'u', "read after unlink");
    CHECK(tfs_sync(fs) == 0, "sync");
    tfs_statfs(fs, &during);
    CHECK(during.free_blocks < before.free_blocks - 9, "blocks still held");
    tfs_node_put(fs, f);
    CHECK(tfs_sync(fs) == 0, "sync after put");
    tfs_statfs(fs, &after);
    CHECK(after.free_blocks == before.free_blocks, "blocks back after the last put: %llu vs %llu",
          (unsigned long long)after.free_blocks, (unsigned long long)before.free_blocks);
    /* rmdir of a referenced dir */
    struct tfs_node *d;
    CHECK(md(fs, "/dd") == 0 && (d = get(fs, "/dd")) != NULL, "mkdir dd");
    tfs_node_get(d);
    CHECK(rd(fs, "/dd") == 0, "rmdir referenced dir");
    CHECK(tfs_create(fs, d, "x", 1, 0644, 0, 0, &f) == -ENOENT, "create in removed dir");
    tfs_node_put(fs, d);
    tfs_unmount(fs);
    fsck_clean(&m.dev, "open unlinked");
    md_free(&m);
}

static void test_big_dir(void)
{
    struct memdev m;
    fresh(&m, 65536, 16);   /* 256 MiB */
    struct tfs *fs = mount_rw(&m, 64);
    if (!fs) return;
    struct tfs_node *d, *n;
    CHECK(md(fs, "/big") == 0 && (d = get(fs, "/big")) != NULL, "mkdir");
    enum { N = 100000 };
    char name[32];
    double t0 = now_s();
    int bad = 0;
    for (int i = 0; i < N; i++) {
        int len = snprintf(name, sizeof(name), "file-%06d", i);
        if (tfs_create(fs, d, name, (size_t)len, 0644, 0, 0, &n)) bad++;
    }
    double t1 = now_s();
    for (int i = 0; i < N; i++) {
        int len = snprintf(name, sizeof(name), "file-%06d", (i * 7919) % N);
        if (tfs_lookup(fs, d, name, (size_t)len, &n)) bad++;
    }
    double t2 = now_s();
    CHECK(bad == 0, "%d creates/lookups failed", bad);
    CHECK(tfs_sync(fs) == 0, "sync");
    tfs_unmount(fs);
    double t3 = now_s();
    fs = mount_rw(&m, 64);
    double t4 = now_s();
    if (fs) {
        d = get(fs, "/big");
        bad = 0;
        for (int i = 0; i < N; i += 7) {
            int len = snprintf(name, sizeof(name), "file-%06d", i);
            if (tfs_lookup(fs, d, name, (size_t)len, &n)) bad++;
        }
        CHECK(bad == 0, "%d lookups failed after remount", bad);
        for (int i = 0; i < N; i += 2) {
            int len = snprintf(name, sizeof(name), "file-%06d", i);
            if (tfs_unlink(fs, d, name, (size_t)len)) bad++;
        }
        CHECK(bad == 0, "unlinks failed");
        tfs_unmount(fs);
    }
    fsck_clean(&m.dev, "big dir");
    printf("test_tfs_write: 100000 entries: create %.2fs, lookup %.3fs (%.0f ns each), sync+unmount %.2fs, mount %.2fs\n",
           t1 - t0, t2 - t1, (t2 - t1) * 1e9 / N, t3 - t2, t4 - t3);
    md_free(&m);
}

static void test_sparse(void)
{
    struct memdev m;
    fresh(&m, 1024, 8);   /* a 4 MiB filesystem */
    struct tfs *fs = mount_rw(&m, 64);
    if (!fs) return;
    struct tfs_node *f;
    char buf[4096];
    memset(buf, 'S', sizeof(buf));
    uint64_t off = (16ull << 30) - 4096;
    CHECK(mk(fs, "/sparse", &f) == 0 && tfs_write(fs, f, off, buf, 4096) == 4096, "write at 16G-4096");
    CHECK(tfs_sync(fs) == 0, "sync");
    tfs_unmount(fs);
    fsck_clean(&m.dev, "sparse");
    fs = mount_rw(&m, 64);
    if (fs) {
        struct tfs_stat st;
        f = get(fs, "/sparse");
        tfs_stat(f, &st);
        CHECK(st.size == 16ull << 30 && st.blocks == 8, "16 GiB sparse: size %llu blocks %llu", (unsigned long long)st.size,
              (unsigned long long)st.blocks);
        CHECK(tfs_read(fs, f, off - 2, buf, 4) == 4 && buf[0] == 0 && buf[1] == 0 && buf[2] == 'S', "read across the hole edge");
        CHECK(tfs_seek_data(fs, f, 0) == (int64_t)off, "seek_data");
        CHECK(tfs_write(fs, f, 1ull << 44, buf, 1) == -EFBIG, "past 16 TiB");
        tfs_unmount(fs);
    }
    md_free(&m);
}

static void test_enospc(void)
{
    struct memdev m;
    fresh(&m, 512, 8);   /* 2 MiB */
    struct tfs *fs = mount_rw(&m, 64);
    if (!fs) return;
    struct tfs_node *keep, *fill;
    CHECK(mk(fs, "/keep", &keep) == 0 && wr(fs, "/keep", 0, "precious") == 8 && tfs_sync(fs) == 0, "synced file");
    CHECK(mk(fs, "/fill", &fill) == 0, "create fill");
    static char chunk[65536];
    memset(chunk, 'F', sizeof(chunk));
    uint64_t off = 0;
    int64_t r;
    while ((r = tfs_write(fs, fill, off, chunk, sizeof(chunk))) > 0) off += (uint64_t)r;
    CHECK(r == -ENOSPC, "ENOSPC: %lld after %llu bytes", (long long)r, (unsigned long long)off);
    struct tfs_node *n;
    int made = 0;
    char name[16];
    for (int i = 0; i < 20; i++) {
        snprintf(name, sizeof(name), "n%d", i);
        if (tfs_create(fs, tfs_root(fs), name, strlen(name), 0644, 0, 0, &n) == 0) made++;
    }
    CHECK(tfs_sync(fs) == 0, "sync on a full disk");
    CHECK(rm(fs, "/fill") == 0 && tfs_sync(fs) == 0, "delete on a full disk");
    CHECK(tfs_write(fs, keep, 8, chunk, 4096) == 4096, "space is back");
    tfs_unmount(fs);
    if (fsck_clean(&m.dev, "enospc")) {
        fs = mount_rw(&m, 64);
        if (fs) {
            char buf[8];
            CHECK(tfs_read(fs, get(fs, "/keep"), 0, buf, 8) == 8 && memcmp(buf, "precious", 8) == 0, "synced data intact");
            tfs_unmount(fs);
        }
    }
    md_free(&m);
}

static void test_grow(void)
{
    struct memdev m;
    md_init(&m, 2048);
    CHECK(tfs_mkfs(&m.dev, 512, 8, err, sizeof(err)) == 0, "mkfs small");
    struct tfs *fs = mount_rw(&m, 64);
    if (!fs) return;
    struct tfs_statfs a, b;
    tfs_statfs(fs, &a);
    CHECK(tfs_grow(fs, 4096) == -ENOSPC && tfs_grow(fs, 100) == -EINVAL, "grow limits");
    CHECK(tfs_grow(fs, 2048) == 0, "grow");
    tfs_statfs(fs, &b);
    CHECK(b.blocks == 2048 && b.free_blocks == a.free_blocks + 1536, "statfs after grow");
    static char chunk[1 << 20];
    struct tfs_node *f;
    CHECK(mk(fs, "/f", &f) == 0 && tfs_write(fs, f, 0, chunk, sizeof(chunk)) == (int64_t)sizeof(chunk), "use the new space");
    tfs_unmount(fs);
    fsck_clean(&m.dev, "grow");
    md_free(&m);
}

/* Shrinking gives back free blocks at the end only: never a block in use
 * (file data, the log, the spare log area); a second grow works after it. */
static void test_shrink(void)
{
    struct memdev m;
    md_init(&m, 2048);
    CHECK(tfs_mkfs(&m.dev, 2048, 8, err, sizeof(err)) == 0, "mkfs");
    struct tfs *fs = mount_rw(&m, 64);
    if (!fs) return;
    static char chunk[1 << 20];
    memset(chunk, 's', sizeof(chunk));
    struct tfs_node *f;
    CHECK(mk(fs, "/f", &f) == 0 && tfs_write(fs, f, 0, chunk, sizeof(chunk)) == (int64_t)sizeof(chunk), "write 1 MiB");
    uint64_t end = tfs_blocks_in_use_end(fs);
    CHECK(end > 256 && end < 400, "in use up to block %llu", (unsigned long long)end);
    struct tfs_statfs a, b;
    tfs_statfs(fs, &a);
    CHECK(tfs_shrink(fs, 4096) == -EINVAL && tfs_shrink(fs, end - 1) == -ENOSPC, "shrink limits");
    CHECK(tfs_shrink(fs, end) == 0, "shrink to the last block in use");
    tfs_statfs(fs, &b);
    CHECK(b.blocks == end && b.free_blocks == a.free_blocks - (2048 - end), "statfs after shrink");
    CHECK(tfs_grow(fs, 1024) == 0, "grow after shrink");
    CHECK(tfs_write(fs, f, sizeof(chunk), chunk, sizeof(chunk)) == (int64_t)sizeof(chunk), "use the space again");
    tfs_unmount(fs);
    fsck_clean(&m.dev, "shrink");
    md_free(&m);
}

/* An image from the host writer, then changed by a writable mount. */
static void test_writer_image(void)
{
    struct manifest *mf = manifest_new(host_heap());
    manifest_add_dir(mf, "/etc", 0755, err, sizeof(err));
    manifest_add_symlink(mf, "/link", "etc", err, sizeof(err));
    /* A boot config, which compaction must carry over intact. */
    manifest_add_file(mf, "/p", "/bin/true", MANIFEST_MODE_FROM_HOST, err, sizeof(err));
    manifest_set_program(mf, "/p", err, sizeof(err));
    manifest_add_arg(mf, "p", err, sizeof(err));
    manifest_add_arg(mf, "two words", err, sizeof(err));
    manifest_add_env(mf, "K=V", err, sizeof(err));
    manifest_add_mount(mf, "/data", "/host/data.vol", err, sizeof(err));
    manifest_set_core(mf, "/var/crash/core", err, sizeof(err));
    CHECK(manifest_set_net(mf, "ip 10.0.2.15/24\ngateway 10.0.2.2\n", err, sizeof(err)) == 0, "net: %s", err);
    CHECK(manifest_set_kernel_options(mf, "selftest=", "wx_mapping") == 0, "kernel options");
    struct tfs_plan *plan;
    int rc = tfs_plan_build(mf, &plan, err, sizeof(err));
    CHECK(rc == 0, "plan: %s", err);
    if (rc) return;
    struct memdev m;
    md_init(&m, tfs_plan_blocks(plan));
    CHECK(tfs_plan_write(plan, &m.dev, err, sizeof(err)) == 0, "write: %s", err);
    tfs_plan_free(plan);
    manifest_free(mf);
    struct tfs *fs = mount_rw(&m, 64);
    if (fs) {
        struct tfs_node *n;
        struct tfs_statfs st;
        tfs_statfs(fs, &st);
        CHECK(st.avail_blocks >= 32, "a fresh image has room: %llu", (unsigned long long)st.avail_blocks);
        CHECK(mk(fs, "/etc/new", &n) == 0 && wr(fs, "/etc/new", 0, "data") == 4, "change a written image");
        /* force compactions: the mkfs log area moves into the data area */
        char name[16];
        for (int i = 0; i < 3000; i++) {
            snprintf(name, sizeof(name), "x%d", i);
            tfs_create(fs, get(fs, "/etc"), name, strlen(name), 0644, 0, 0, &n);
            tfs_unlink(fs, get(fs, "/etc"), name, strlen(name));
        }
        CHECK(tfs_unmount(fs) == 0, "unmount");
        fsck_clean(&m.dev, "writer image");
        fs = mount_rw(&m, 64);
        if (fs) {
            CHECK(content_is(fs, "/etc/new", "data", 4) && get(fs, "/link"), "after remount");
            const struct tfs_config *c = tfs_config(fs);
            CHECK(c && !strcmp(c->program, "/p") && c->argc == 2 && !strcmp(c->argv[1], "two words") &&
                      c->envc == 1 && !strcmp(c->envp[0], "K=V") && c->mountc == 1 &&
                      !strcmp(c->mounts[0], "/data") && !strcmp(c->mounts[1], "/host/data.vol") &&
                      c->core_path && !strcmp(c->core_path, "/var/crash/core") && c->net &&
                      !strcmp(c->net, "ip 10.0.2.15/24\ngateway 10.0.2.2\n"),
                  "the boot config survives compaction");
            /* The volume file does not exist here: its uuid is recorded as unknown (zeros). */
            CHECK(c && c->mount_uuids && !strcmp(c->mount_uuids, "00000000000000000000000000000000"),
                  "the volume uuids survive compaction: %s", c && c->mount_uuids ? c->mount_uuids : "(none)");
            CHECK(c && c->kernel_options && !strcmp(c->kernel_options, "selftest=wx_mapping"),
                  "the kernel options survive compaction: %s", c && c->kernel_options ? c->kernel_options : "(none)");
            tfs_unmount(fs);
        }
    }
    md_free(&m);
}

/* ---- injected write failures ---- */

static void test_write_failures(void)
{
    int errors_seen = 0;
    for (int k = 0; k < 60; k += 3) {
        struct memdev m;
        fresh(&m, 1024, 4);
        struct tfs *fs = mount_rw(&m, 32);
        if (!fs) continue;
        struct tfs_node *f;
        CHECK(mk(fs, "/base", &f) == 0 && wr(fs, "/base", 0, "synced") == 6 && tfs_sync(fs) == 0, "base");
        m.writes_before_failure = k;
        int rc = 0;
        char name[16], data[3000];
        memset(data, 'd', sizeof(data));
        for (int i = 0; i < 40 && rc >= 0; i++) {
            snprintf(name, sizeof(name), "f%d", i);
            rc = tfs_create(fs, tfs_root(fs), name, strlen(name), 0644, 0, 0, &f);
            if (rc >= 0) rc = (int)tfs_write(fs, f, 0, data, sizeof(data));
            if (rc >= 0 && i % 4 == 0) rc = tfs_sync(fs);
            if (rc >= 0 && i % 5 == 0) rc = rm(fs, "/f0") == -EIO ? -EIO : 0;
        }
        if (rc < 0) {
            errors_seen++;
            CHECK(rc == -EIO, "failure %d gives EIO: %d", k, rc);
            CHECK(mk(fs, "/after", &f) == -EIO, "broken filesystem refuses changes");
        }
        tfs_unmount(fs);
        m.writes_before_failure = -1;
        char what[32];
        snprintf(what, sizeof(what), "failure at %d", k);
        if (fsck_clean(&m.dev, what)) {
            fs = mount_rw(&m, 32);
            if (fs) {
                CHECK(content_is(fs, "/base", "synced", 6), "synced data survives failure %d", k);
                tfs_unmount(fs);
            }
        }
        md_free(&m);
    }
    CHECK(errors_seen > 5, "failures were injected: %d", errors_seen);
}

/* ---- crash simulation ---- */

#define REC 100
#define STEPS 200

struct model {
    uint64_t durable_events[STEPS];   /* events recorded when step k's sync returned; ~0 if not synced */
    int durable_state[STEPS];         /* the namespace state that sync made durable */
    char sig[4 * STEPS + 2][256];     /* root listing after each namespace op */
    uint64_t sig_events[4 * STEPS + 2];
    int nsig;
};

static void make_record(char *r, int k)
{
    memset(r, 'a' + k % 26, REC);
    snprintf(r, REC, "record %05d", k);
    r[REC - 1] = '\n';
}

static void listing(struct tfs *fs, char *out, size_t len)
{
    /* names sorted: the root holds only a few */
    char names[64][32];
    int n = 0;
    uint64_t cookie = 2;
    struct tfs_dirent de;
    while (tfs_readdir(fs, tfs_root(fs), &cookie, &de) == 1 && n < 64) snprintf(names[n++], 32, "%.31s", de.name);
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
            char t[32];
            memcpy(t, names[j], 32);
            memcpy(names[j], names[j - 1], 32);
            memcpy(names[j - 1], t, 32);
        }
    out[0] = 0;
    for (int i = 0; i < n; i++) {
        strncat(out, names[i], len - strlen(out) - 2);
        strncat(out, ",", len - strlen(out) - 1);
    }
}

static void note(struct model *md, struct tfs *fs, struct memdev *m)
{
    listing(fs, md->sig[md->nsig], sizeof(md->sig[0]));
    md->sig_events[md->nsig++] = m->nev;
}

static void workload(struct tfs *fs, struct memdev *m, struct model *md)
{
    struct tfs_node *log, *n;
    char r[REC], name[16], name2[16];
    note(md, fs, m);
    tfs_create(fs, tfs_root(fs), "log", 3, 0644, 0, 0, &log);
    note(md, fs, m);
    for (int k = 0; k < STEPS; k++) {
        make_record(r, k);
        tfs_write(fs, log, (uint64_t)k * REC, r, REC);
        snprintf(name, sizeof(name), "f%d", k);
        switch (k % 4) {
        case 0:
            tfs_create(fs, tfs_root(fs), name, strlen(name), 0644, 0, 0, &n);
            tfs_write(fs, n, 0, name, strlen(name));
            break;
        case 1:
            snprintf(name, sizeof(name), "/f%d", k - 1);
            snprintf(name2, sizeof(name2), "/g%d", k - 1);
            mv(fs, name, name2, 0);
            break;
        case 2:
            if (k >= 6) {
                snprintf(name2, sizeof(name2), "/g%d", k - 6);
                rm(fs, name2);
            }
            break;
        case 3:
            /* churn to fill the small log: create and delete */
            for (int i = 0; i < 100; i++) {
                snprintf(name2, sizeof(name2), "tmp%d", i);
                tfs_create(fs, tfs_root(fs), name2, strlen(name2), 0644, 0, 0, &n);
                tfs_unlink(fs, tfs_root(fs), name2, strlen(name2));
            }
            break;
        }
        note(md, fs, m);
        md->durable_events[k] = ~0ull;
        if (k % 3 == 2 || k == STEPS - 1) {
            if (tfs_fsync(fs, log, false) == 0) {
                md->durable_events[k] = m->nev;
                md->durable_state[k] = md->nsig - 1;
            }
        }
    }
}

/* The device as of `cut` events: everything before the last flush, plus a
 * random subset of the writes after it. */
static void build_state(uint8_t *out, const uint8_t *base, size_t len, struct memdev *m, size_t cut, unsigned *seed)
{
    memcpy(out, base, len);
    size_t last_flush = 0;
    for (size_t i = 0; i < cut; i++)
        if (!m->ev[i].count) last_flush = i + 1;
    for (size_t i = 0; i < cut; i++) {
        struct event *e = &m->ev[i];
        if (!e->count) continue;
        if (i >= last_flush && (rand_r(seed) & 1)) continue;
        memcpy(out + e->sector * 512, e->data, (size_t)e->count * 512);
    }
}

static bool sig_ok(struct model *md, const char *sig, size_t cut, int first)
{
    /* The visible namespace must be the state after some op no older than
     * the last one made durable, and not one that happened after the cut. */
    for (int i = first; i < md->nsig && md->sig_events[i] <= cut; i++)
        if (strcmp(md->sig[i], sig) == 0) return true;
    return false;
}

static void check_crash_state(uint8_t *img, uint64_t blocks, struct model *md, size_t cut, int *bad)
{
    struct memdev d;
    memset(&d, 0, sizeof(d));
    d.dev.sectors = blocks * 8;
    d.dev.read = md_read;
    d.dev.write = md_write;
    d.dev.flush = md_flush;
    d.dev.name = "crash";
    d.mem = img;
    d.writes_before_failure = -1;
    char report[4096];
    int rc = tfs_fsck(host_heap(), &d.dev, report, sizeof(report));
    if (rc) {
        if ((*bad)++ < 5) printf("FAIL: cut %zu: fsck: %s\n", cut, report);
        failures++;
        return;
    }
    struct tfs *fs;
    struct tfs_mount_options ro = { .flags = TFS_MOUNT_READONLY };
    if (tfs_mount_opts(host_heap(), &d.dev, &ro, &fs, err, sizeof(err))) {
        failures++;
        return;
    }
    int durable_state = 0;
    int durable_records = 0;
    for (int k = 0; k < STEPS; k++)
        if (md->durable_events[k] != ~0ull && md->durable_events[k] <= cut) {
            durable_records = k + 1;
            durable_state = md->durable_state[k];
        }
    struct tfs_node *log = get(fs, "/log");
    struct tfs_stat st = { 0 };
    if (log) tfs_stat(log, &st);
    bool ok = durable_records == 0 || (log && st.size >= (uint64_t)durable_records * REC);
    static char buf[REC * STEPS];
    int64_t got = log ? tfs_read(fs, log, 0, buf, sizeof(buf)) : 0;
    for (int k = 0; ok && k < got / REC; k++) {
        char r[REC];
        make_record(r, k);
        if (memcmp(buf + k * REC, r, REC) != 0) ok = false;
    }
    char sig[256];
    listing(fs, sig, sizeof(sig));
    bool names_ok = sig_ok(md, sig, cut, durable_state);
    checks++;
    if (!ok || !names_ok) {
        failures++;
        if ((*bad)++ < 5)
            printf("FAIL: cut %zu: %d records durable, log size %llu, records ok %d, names '%s' ok %d\n", cut, durable_records,
                   (unsigned long long)st.size, ok, sig, names_ok);
    }
    tfs_unmount(fs);
    /* Recovery: a writable mount can carry on from here. */
    if (cut % 16 == 0) {
        fs = NULL;
        if (tfs_mount_opts(host_heap(), &d.dev, NULL, &fs, err, sizeof(err)) == 0) {
            struct tfs_node *n;
            tfs_create(fs, tfs_root(fs), "after", 5, 0644, 0, 0, &n);
            if (n) tfs_write(fs, n, 0, "x", 1);
            rc = tfs_unmount(fs);
            CHECK(rc == 0, "cut %zu: unmount after recovery", cut);
            rc = tfs_fsck(host_heap(), &d.dev, report, sizeof(report));
            CHECK(rc == 0, "cut %zu: fsck after recovery: %s", cut, report);
        } else {
            CHECK(0, "cut %zu: writable mount: %s", cut, err);
        }
    }
}

static void test_crash(void)
{
    enum { BLOCKS = 512 };
    struct memdev m;
    fresh(&m, BLOCKS, 4);   /* a tiny log: compaction happens during the run */
    size_t len = (size_t)BLOCKS * 4096;
    uint8_t *base = malloc(len), *img = malloc(len);
    memcpy(base, m.mem, len);
    m.record = true;
    static struct model md;
    memset(&md, 0, sizeof(md));
    struct tfs *fs = mount_rw(&m, 32);
    if (!fs) return;
    workload(fs, &m, &md);
    tfs_unmount(fs);
    size_t total = m.nev;
    unsigned seed = 4242;
    int bad = 0;
    size_t tried = 0;
    for (size_t cut = 0; cut <= total; cut++) {
        for (int variant = 0; variant < 2; variant++) {
            build_state(img, base, len, &m, cut, &seed);
            check_crash_state(img, BLOCKS, &md, cut, &bad);
            tried++;
        }
    }
    uint64_t compactions = 0;
    for (size_t i = 0; i < total; i++)
        if (m.ev[i].count && m.ev[i].sector < 16) compactions++;
    printf("test_tfs_write: crash simulation: %zu events, %zu states checked, %llu superblock writes, %d bad\n", total, tried,
           (unsigned long long)compactions, bad);
    CHECK(compactions >= 4, "the workload compacted the log twice");
    free(base);
    free(img);
    md_free(&m);
}

/* ---- the page cache: lending blocks to mappings ---- */

static const void *borrowed;   /* what a pretend program mapping holds */
static bool still_mapped(const void *block) { return block == borrowed; }

static void test_page_cache(void)
{
    struct memdev m;
    fresh(&m, 4096, 16);
    struct tfs *fs = NULL;
    struct tfs_mount_options opt = { .cache_blocks = 48, .lent_in_use = still_mapped };
    CHECK(tfs_mount_opts(host_heap(), &m.dev, &opt, &fs, err, sizeof(err)) == 0, "mount: %s", err);
    if (!fs) return;
    struct tfs_node *f;
    CHECK(mk(fs, "/lent", &f) == 0, "create");
    static uint8_t block[4096];
    for (int i = 0; i < 64; i++) {
        memset(block, i, sizeof(block));
        CHECK(tfs_write(fs, f, (uint64_t)i * 4096, block, 4096) == 4096, "write block %d", i);
    }
    CHECK(tfs_write(fs, f, 64 * 4096, "tail", 4) == 4, "write the tail");
    CHECK(tfs_sync(fs) == 0, "sync");

    void *p = NULL;
    CHECK(tfs_lend_page(fs, f, 3, false, &p) == 0 && ((uint8_t *)p)[0] == 3, "lend block 3");
    borrowed = p;
    /* Twice the cache's size of other blocks: the mapped one must stay. */
    for (int round = 0; round < 2; round++)
        for (int i = 0; i < 64; i++) CHECK(tfs_read(fs, f, (uint64_t)i * 4096, block, 4096) == 4096, "read %d", i);
    CHECK(tfs_write(fs, f, 3 * 4096, "\xab", 1) == 1 && ((uint8_t *)p)[0] == 0xab,
          "a write to a mapped block did not reach the lent memory");
    void *again = NULL;
    CHECK(tfs_lend_page(fs, f, 3, false, &again) == 0 && again == p, "lending a mapped block twice gave other memory");

    /* Shrinking frees clean blocks, never the mapped one or recent ones. */
    uint64_t before, after, dirty;
    tfs_cache_usage(fs, &before, &dirty);
    size_t freed = tfs_reclaim(fs, 1000);
    tfs_cache_usage(fs, &after, &dirty);
    CHECK(freed > 0 && after == before - freed && after >= 32, "reclaim freed %zu of %llu blocks", freed,
          (unsigned long long)before);
    CHECK(tfs_write(fs, f, 3 * 4096 + 1, "\xcd", 1) == 1 && ((uint8_t *)p)[1] == 0xcd, "reclaim dropped a mapped block");

    /* Holes and blocks past the end are not lent: the caller copies. */
    CHECK(tfs_lend_page(fs, f, 65, false, &again) == -ENODATA, "lend past the end");
    CHECK(tfs_truncate(fs, f, 80 * 4096) == 0 && tfs_lend_page(fs, f, 70, false, &again) == -ENODATA, "lend a hole");
    /* ... unless a shared mapping is about to write there. */
    void *filled = NULL;
    CHECK(tfs_lend_page(fs, f, 71, true, &filled) == 0 && ((uint8_t *)filled)[0] == 0, "fill a hole for a mapping");
    CHECK(tfs_write(fs, f, 71 * 4096, "H", 1) == 1 && ((uint8_t *)filled)[0] == 'H', "a filled hole is not the file's block");
    CHECK(tfs_truncate(fs, f, 64 * 4096 + 4) == 0, "truncate back");

    /* A mapping wrote the last page, also past the end of the file. */
    uint8_t *last = NULL;
    CHECK(tfs_lend_page(fs, f, 64, false, (void **)&last) == 0 && memcmp(last, "tail", 4) == 0 && last[4] == 0, "lend the tail");
    borrowed = last;
    last[1] = 'A';
    last[100] = 'X';
    CHECK(tfs_page_written(fs, f, 64) == 0, "page written");
    CHECK(last[1] == 'A' && last[100] == 0, "bytes past the end were not zeroed");
    borrowed = NULL;
    CHECK(tfs_unmount(fs) == 0, "unmount");
    fs = mount_rw(&m, 32);
    if (!fs) return;
    char got[8] = { 0 };
    f = get(fs, "/lent");
    CHECK(f && tfs_read(fs, f, 64 * 4096, got, 8) == 4 && memcmp(got, "tAil", 4) == 0,
          "a page written through a mapping did not reach the disk");
    CHECK(f && tfs_read(fs, f, 3 * 4096, got, 2) == 2 && (uint8_t)got[0] == 0xab && (uint8_t)got[1] == 0xcd,
          "writes to a mapped block did not reach the disk");
    tfs_unmount(fs);
    fsck_clean(&m.dev, "page cache");
    md_free(&m);
}

/* The kernel's way in: a read-only mount (to read the boot config) made
 * writable in place. */
static void test_make_writable(void)
{
    struct memdev m;
    fresh(&m, 2048, 16);
    struct tfs *fs = NULL;
    CHECK(tfs_mount(host_heap(), &m.dev, &fs, err, sizeof(err)) == 0, "mount read-only: %s", err);
    if (!fs) return;
    struct tfs_node *f;
    CHECK(mk(fs, "/before", &f) == -EROFS, "a read-only mount created a file");
    struct tfs_mount_options opt = { .cache_blocks = 64 };
    CHECK(tfs_make_writable(fs, &opt, err, sizeof(err)) == 0, "make writable: %s", err);
    CHECK(tfs_make_writable(fs, &opt, err, sizeof(err)) == 0, "make writable twice");
    CHECK(mk(fs, "/after", &f) == 0 && tfs_write(fs, f, 0, "upgraded", 8) == 8, "write after the upgrade");
    CHECK(tfs_unmount(fs) == 0, "unmount");
    fs = NULL;
    CHECK(tfs_mount(host_heap(), &m.dev, &fs, err, sizeof(err)) == 0, "mount again: %s", err);
    char got[9] = { 0 };
    f = fs ? get(fs, "/after") : NULL;
    CHECK(f && tfs_read(fs, f, 0, got, 8) == 8 && memcmp(got, "upgraded", 8) == 0, "the write did not last");
    tfs_unmount(fs);
    fsck_clean(&m.dev, "make writable");
    md_free(&m);
}

int main(void)
{
    test_namespace();
    test_make_writable();
    test_page_cache();
    test_data();
    test_open_unlinked();
    test_sparse();
    test_enospc();
    test_grow();
    test_shrink();
    test_writer_image();
    test_write_failures();
    test_crash();
    test_big_dir();
    if (failures) {
        printf("test_tfs_write: %d of %d checks failed\n", failures, checks);
        return 1;
    }
    printf("test_tfs_write: %d checks ok\n", checks);
    return 0;
}
