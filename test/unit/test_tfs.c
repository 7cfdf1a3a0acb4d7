/* TFS round trip and robustness: write images with the real writer, mount
 * them with the real reader, and check that corrupted images fail to mount
 * with a message instead of crashing. */
#include "../../cli/file_blockdev.h"
#include "../../cli/host_heap.h"
#include "../../cli/image.h"
#include "../../cli/manifest.h"
#include "../../fs/mbr.h"
#include "../../fs/tfs.h"
#include "../../fs/tfs_format.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

static char dir[256];
static char err[1024];

/* ---- host fixtures ---- */

static uint8_t pattern(size_t i, int seed) { return (uint8_t)((i * 7 + (i >> 9) + (size_t)seed * 31) & 0xff); }

static void make_file(const char *name, size_t size, int seed, mode_t mode)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    uint8_t *buf = malloc(size + 1);
    for (size_t i = 0; i < size; i++) buf[i] = pattern(i, seed);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(buf, 1, size, f) != size || fclose(f) != 0) {
        printf("FAIL: cannot create %s\n", path);
        exit(1);
    }
    chmod(path, mode);
    free(buf);
}

static char *hp(const char *name)
{
    static char bufs[8][512];
    static int next;
    char *b = bufs[next++ % 8];
    snprintf(b, 512, "%s/%s", dir, name);
    return b;
}

static void setup_host(void)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof(dir), "%s/test_tfs.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        printf("FAIL: mkdtemp: %s\n", strerror(errno));
        exit(1);
    }
    make_file("empty", 0, 0, 0644);
    make_file("one", 1, 1, 0644);
    make_file("page", 4096, 2, 0644);
    make_file("page1", 4097, 3, 0600);
    make_file("big", (1u << 20) + 123, 4, 0755);
    mkdir(hp("tree"), 0750);
    mkdir(hp("tree/sub"), 0755);
    make_file("tree/a", 10, 5, 0644);
    make_file("tree/sub/b", 5000, 6, 0644);
    if (symlink("a", hp("tree/link")) != 0) printf("FAIL: symlink\n");
}

static void cleanup_host(void)
{
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0) printf("warning: could not remove %s\n", dir);
}

static struct manifest *base_manifest(void)
{
    struct manifest *m = manifest_new(host_heap());
    /* The smallest filesystem, not the 1 GiB of room an image without a
     * size gets: these tests read the whole image into memory. */
    manifest_set_min_size(m, 4096);
    int rc = 0;
    rc |= manifest_set_program(m, "/bin/prog", err, sizeof(err));
    rc |= manifest_add_arg(m, "prog", err, sizeof(err));
    rc |= manifest_add_arg(m, "two words", err, sizeof(err));
    rc |= manifest_add_arg(m, "", err, sizeof(err));
    rc |= manifest_add_env(m, "HOME=/", err, sizeof(err));
    rc |= manifest_add_env(m, "X=a=b", err, sizeof(err));
    rc |= manifest_add_file(m, "/bin/prog", hp("big"), MANIFEST_MODE_FROM_HOST, err, sizeof(err));
    rc |= manifest_add_file(m, "/f/empty", hp("empty"), MANIFEST_MODE_FROM_HOST, err, sizeof(err));
    rc |= manifest_add_file(m, "/f/one", hp("one"), 0444, err, sizeof(err));
    rc |= manifest_add_file(m, "/f/page", hp("page"), MANIFEST_MODE_FROM_HOST, err, sizeof(err));
    rc |= manifest_add_file(m, "/f/page1", hp("page1"), MANIFEST_MODE_FROM_HOST, err, sizeof(err));
    rc |= manifest_add_tree(m, "/data", hp("tree"), err, sizeof(err));
    rc |= manifest_add_dir(m, "/tmp", 01777, err, sizeof(err));
    rc |= manifest_add_dir(m, "/deep/er/still", MANIFEST_MODE_FROM_HOST, err, sizeof(err));
    rc |= manifest_add_symlink(m, "/bin/sh", "prog", err, sizeof(err));
    rc |= manifest_add_symlink(m, "/d2", "data", err, sizeof(err));
    rc |= manifest_add_symlink(m, "/loop1", "/loop2", err, sizeof(err));
    rc |= manifest_add_symlink(m, "/loop2", "loop1", err, sizeof(err));
    rc |= manifest_add_symlink(m, "/dangling", "/nowhere", err, sizeof(err));
    manifest_set_flags(m, MANIFEST_FLAG_TRACE);
    CHECK(rc == 0, "building manifest: %s", err);
    return m;
}

/* ---- image in memory ---- */

struct image {
    uint8_t *bytes;
    size_t len;
    uint64_t tfs_lba, tfs_sectors;
};

static bool load_image(const char *path, struct image *img)
{
    FILE *f = fopen(path, "rb");
    if (!f) return false;
    fseek(f, 0, SEEK_END);
    img->len = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    img->bytes = malloc(img->len);
    bool ok = fread(img->bytes, 1, img->len, f) == img->len;
    fclose(f);
    struct mbr_partition parts[4];
    ok = ok && mbr_decode(img->bytes, parts) && parts[1].type == MBR_TYPE_TFS;
    if (ok) {
        img->tfs_lba = parts[1].start_lba;
        img->tfs_sectors = parts[1].sectors;
    }
    return ok;
}

static uint8_t *tfs_bytes(struct image *img) { return img->bytes + img->tfs_lba * 512; }

/* Mount `img` (truncated to `sectors` if nonzero) through the MBR. */
static int mount_mem(struct image *img, uint64_t sectors, struct file_blockdev *fb, struct part_blockdev *part,
                     struct tfs **fs)
{
    file_blockdev_init_mem(fb, img->bytes, sectors ? sectors : img->len / 512, "mem");
    int rc = mbr_open_partition(&fb->dev, MBR_TYPE_TFS, part, err, sizeof(err));
    if (rc) return rc;
    return tfs_mount(host_heap(), &part->dev, fs, err, sizeof(err));
}

/* ---- round trip ---- */

static struct tfs_node *res(struct tfs *fs, const char *path, bool follow, int *rc)
{
    struct tfs_node *n = NULL;
    *rc = tfs_resolve(fs, NULL, path, follow, &n);
    return *rc ? NULL : n;
}

static void check_file(struct tfs *fs, const char *guest, size_t size, int seed)
{
    int rc;
    struct tfs_node *n = res(fs, guest, true, &rc);
    CHECK(n, "resolve %s: %d", guest, rc);
    if (!n) return;
    struct tfs_stat st;
    tfs_stat(n, &st);
    CHECK(st.size == size, "%s size %llu, want %zu", guest, (unsigned long long)st.size, size);
    CHECK(st.blocks == (size + 4095) / 4096 * 8, "%s blocks %llu", guest, (unsigned long long)st.blocks);
    uint8_t *buf = malloc(size + 100);
    int64_t got = tfs_read(fs, n, 0, buf, size + 100);
    CHECK(got == (int64_t)size, "%s read %lld, want %zu", guest, (long long)got, size);
    bool same = true;
    for (size_t i = 0; i < size && same; i++) same = buf[i] == pattern(i, seed);
    CHECK(same, "%s content differs", guest);
    /* odd offsets and lengths, across block boundaries */
    static const size_t offs[] = { 1, 511, 513, 4095, 4096, 4097, 8191, 65537, 1000003 };
    for (size_t k = 0; k < ARRAY_SIZE(offs); k++) {
        size_t off = offs[k];
        size_t want = off >= size ? 0 : MIN((size_t)7777, size - off);
        got = tfs_read(fs, n, off, buf, 7777);
        bool ok = got == (int64_t)want;
        for (size_t i = 0; ok && i < want; i++) ok = buf[i] == pattern(off + i, seed);
        CHECK(ok, "%s read at %zu: got %lld want %zu", guest, off, (long long)got, want);
    }
    CHECK(tfs_read(fs, n, size, buf, 10) == 0, "%s read at EOF", guest);
    CHECK(tfs_read(fs, n, (uint64_t)size + 12345, buf, 10) == 0, "%s read past EOF", guest);
    free(buf);
}

static bool dir_has(struct tfs *fs, struct tfs_node *d, const char *name, uint32_t type)
{
    uint64_t cookie = 0;
    struct tfs_dirent de;
    int rc;
    while ((rc = tfs_readdir(fs, d, &cookie, &de)) == 1)
        if (strcmp(de.name, name) == 0) return (de.mode & TFS_S_IFMT) == type;
    return false;
}

static void test_round_trip(const char *image_path)
{
    struct image img = { 0 };
    CHECK(load_image(image_path, &img), "load %s", image_path);
    if (!img.bytes) return;
    CHECK(img.tfs_lba % 8 == 0 && img.tfs_lba >= 64 + 6, "tfs partition at LBA %llu", (unsigned long long)img.tfs_lba);
    CHECK(img.bytes[510] == 0x55 && img.bytes[511] == 0xAA, "MBR signature");
    CHECK(img.bytes[446 + 4] == MBR_TYPE_PITH_KERNEL && img.bytes[446 + 8] == 64, "kernel partition entry");
    CHECK(memcmp(img.bytes + 64 * 512, "KERNEL", 6) == 0, "kernel bytes at LBA 64");
    CHECK(memcmp(img.bytes + 512, "STAGE2", 6) == 0, "stage2 bytes at LBA 1");
    CHECK(img.bytes[0] == 0xEB && img.bytes[439] == 0x39, "stage1 bytes 0..439 copied");
    /* The EFI system partition: entry 2, on a MiB boundary after the kernel, before the TFS. */
    const uint8_t *e2 = img.bytes + 446 + 32;
    uint32_t esp_lba = e2[8] | e2[9] << 8 | e2[10] << 16 | (uint32_t)e2[11] << 24;
    uint32_t esp_sectors = e2[12] | e2[13] << 8 | e2[14] << 16 | (uint32_t)e2[15] << 24;
    CHECK(e2[4] == MBR_TYPE_ESP && esp_lba % 2048 == 0 && esp_lba >= 64 + 6 && esp_sectors == 4,
          "ESP entry: type %x LBA %u sectors %u", e2[4], esp_lba, esp_sectors);
    CHECK(img.tfs_lba >= esp_lba + esp_sectors, "TFS after the ESP");
    CHECK(memcmp(img.bytes + esp_lba * 512ull, "FATESP", 6) == 0 &&
          memcmp(img.bytes + esp_lba * 512ull + 1536, "ESPEND", 6) == 0, "ESP bytes");

    struct file_blockdev fb;
    struct part_blockdev part;
    struct tfs *fs = NULL;
    int rc = mount_mem(&img, 0, &fb, &part, &fs);
    CHECK(rc == 0, "mount: %d %s", rc, err);
    if (rc) return;

    struct tfs_node *root = tfs_root(fs), *n, *m;
    struct tfs_stat st;
    tfs_stat(root, &st);
    CHECK(st.mode == (TFS_S_IFDIR | 0755), "root mode 0%o", st.mode);
    CHECK(st.nlink == 2 + 5, "root nlink %u", st.nlink);   /* "." and the parent link, plus bin f data tmp deep */

    CHECK(tfs_lookup(fs, root, "bin", 3, &n) == 0 && (tfs_mode(n) & TFS_S_IFMT) == TFS_S_IFDIR, "lookup bin");
    CHECK(tfs_lookup(fs, root, "nope", 4, &n) == -ENOENT, "lookup missing");
    CHECK(tfs_lookup(fs, root, "..", 2, &n) == 0 && n == root, "root/.. is root");
    n = res(fs, "/f/one", true, &rc);
    CHECK(n && tfs_lookup(fs, n, "x", 1, &m) == -ENOTDIR, "lookup in a file");

    check_file(fs, "/f/empty", 0, 0);
    check_file(fs, "/f/one", 1, 1);
    check_file(fs, "/f/page", 4096, 2);
    check_file(fs, "/f/page1", 4097, 3);
    check_file(fs, "/bin/prog", (1u << 20) + 123, 4);
    check_file(fs, "/data/sub/b", 5000, 6);
    check_file(fs, "/bin/sh", (1u << 20) + 123, 4);

    n = res(fs, "/f/one", true, &rc);
    tfs_stat(n, &st);
    CHECK(st.mode == (TFS_S_IFREG | 0444), "explicit mode: 0%o", st.mode);
    n = res(fs, "/f/page1", true, &rc);
    tfs_stat(n, &st);
    CHECK(st.mode == (TFS_S_IFREG | 0600) && st.nlink == 1, "host mode: 0%o", st.mode);
    n = res(fs, "/bin/prog", true, &rc);
    tfs_stat(n, &st);
    CHECK(st.mode == (TFS_S_IFREG | 0755) && st.mtime_ns != 0, "prog mode 0%o", st.mode);
    n = res(fs, "/tmp", true, &rc);
    CHECK(n && tfs_mode(n) == (TFS_S_IFDIR | 01777), "dir mode");
    n = res(fs, "/data", true, &rc);
    CHECK(n && tfs_mode(n) == (TFS_S_IFDIR | 0750), "tree root takes the host dir's mode");
    n = res(fs, "/deep/er/still", true, &rc);
    CHECK(n && tfs_mode(n) == (TFS_S_IFDIR | 0755), "implicit parents, default dir mode");

    /* symlinks */
    n = res(fs, "/bin/sh", false, &rc);
    char link[64];
    CHECK(n && (tfs_mode(n) & TFS_S_IFMT) == TFS_S_IFLNK, "lstat symlink");
    CHECK(n && tfs_readlink(n, link, sizeof(link)) == 4 && memcmp(link, "prog", 4) == 0, "readlink");
    CHECK(n && tfs_readlink(n, link, 2) == 2, "readlink truncates");
    tfs_stat(n, &st);
    CHECK(st.size == 4, "symlink size");
    CHECK(tfs_readlink(root, link, sizeof(link)) == -EINVAL, "readlink on a dir");
    m = res(fs, "/bin/prog", true, &rc);
    CHECK(res(fs, "/bin/sh", true, &rc) == m, "follow symlink");
    CHECK(res(fs, "/data/link", true, &rc) == res(fs, "/data/a", true, &rc), "tree symlink");
    CHECK(res(fs, "/d2/sub/b", true, &rc) == res(fs, "/data/sub/b", true, &rc) && rc == 0, "symlink to dir in the middle");
    CHECK(!res(fs, "/loop1", true, &rc) && rc == -ELOOP, "symlink loop: %d", rc);
    CHECK(res(fs, "/loop1", false, &rc) != NULL, "loop without following the last");
    CHECK(!res(fs, "/loop1/x", false, &rc) && rc == -ELOOP, "loop in the middle");
    CHECK(!res(fs, "/dangling", true, &rc) && rc == -ENOENT, "dangling symlink");
    CHECK(!res(fs, "/dangling/", false, &rc) && rc == -ENOENT, "dangling with trailing slash");

    /* . and .. and relative paths */
    CHECK(res(fs, "/data/../bin/./sh", true, &rc) == m, "dots");
    CHECK(res(fs, "/../../bin//prog", true, &rc) == m, ".. above root");
    CHECK(res(fs, "/", true, &rc) == root, "/");
    struct tfs_node *data = res(fs, "/data", true, &rc);
    struct tfs_node *b = res(fs, "/data/sub/b", true, &rc);
    struct tfs_node *out;
    CHECK(tfs_resolve(fs, data, "sub/b", true, &out) == 0 && out == b, "relative");
    CHECK(tfs_resolve(fs, data, "sub/../sub/./b", true, &out) == 0 && out == b, "relative with dots");
    CHECK(tfs_resolve(fs, data, ".", true, &out) == 0 && out == data, ".");
    CHECK(tfs_resolve(fs, data, "", true, &out) == -ENOENT, "empty path");
    CHECK(tfs_resolve(fs, data, "/bin/prog/", true, &out) == -ENOTDIR, "trailing slash on a file");
    CHECK(tfs_resolve(fs, data, "/bin/prog/x", true, &out) == -ENOTDIR, "file in the middle");
    CHECK(tfs_resolve(fs, data, "/data/", true, &out) == 0 && out == data, "trailing slash on a dir");
    CHECK(tfs_resolve(fs, data, "/d2/", false, &out) == 0 && out == data, "trailing slash follows symlink");
    char longname[300];
    memset(longname, 'a', 299);
    longname[299] = 0;
    CHECK(tfs_resolve(fs, data, longname, true, &out) == -ENAMETOOLONG, "long name");

    /* readdir */
    uint64_t cookie = 0;
    struct tfs_dirent de;
    const char *want[] = { ".", "..", "a", "link", "sub" };
    int count = 0;
    while ((rc = tfs_readdir(fs, data, &cookie, &de)) == 1) {
        CHECK(count < 5 && strcmp(de.name, want[count]) == 0, "readdir entry %d: %s", count, de.name);
        count++;
    }
    CHECK(rc == 0 && count == 5, "readdir count %d rc %d", count, rc);
    CHECK(tfs_readdir(fs, data, &cookie, &de) == 0, "readdir stays at the end");
    CHECK(dir_has(fs, root, "loop1", TFS_S_IFLNK) && dir_has(fs, root, "bin", TFS_S_IFDIR), "root listing");
    cookie = 0;
    CHECK(tfs_readdir(fs, b, &cookie, &de) == -ENOTDIR, "readdir on a file");
    CHECK(tfs_read(fs, data, 0, &de, 1) == -EISDIR, "read on a dir");

    /* config */
    const struct tfs_config *c = tfs_config(fs);
    CHECK(c != NULL, "config present");
    if (c) {
        CHECK(strcmp(c->program, "/bin/prog") == 0, "program %s", c->program);
        CHECK(c->argc == 3 && strcmp(c->argv[0], "prog") == 0 && strcmp(c->argv[1], "two words") == 0 &&
                  strcmp(c->argv[2], "") == 0 && c->argv[3] == NULL, "argv");
        CHECK(c->envc == 2 && strcmp(c->envp[0], "HOME=/") == 0 && strcmp(c->envp[1], "X=a=b") == 0 &&
                  c->envp[2] == NULL, "envp");
        CHECK(c->flags == TFS_CONFIG_TRACE, "flags %u", c->flags);
        CHECK(c->net == NULL && c->core_path == NULL && c->kernel_options == NULL, "no net, core or kernel options: NULL");
    }
    tfs_unmount(fs);

    /* A damaged primary superblock falls back to the copy. */
    tfs_bytes(&img)[0] ^= 0xff;
    rc = mount_mem(&img, 0, &fb, &part, &fs);
    CHECK(rc == 0, "mount with only the backup superblock: %s", err);
    if (!rc) tfs_unmount(fs);
    free(img.bytes);
}

/* ---- corruption ---- */

/* Walk the committed log; returns the byte offset (from the TFS start) of
 * the first record of `type`, or 0. */
static size_t find_record(struct image *img, uint16_t type)
{
    uint8_t *t = tfs_bytes(img);
    uint64_t start = tfs_get64(t + TFS_SB_LOG_START) * 4096, bytes = tfs_get64(t + TFS_SB_LOG_BYTES);
    for (uint64_t pos = 0; pos + TFS_REC_HEADER_SIZE <= bytes;) {
        uint8_t *h = t + start + pos;
        if (tfs_get16(h) == type) return start + pos;
        pos = ALIGN_UP(pos + TFS_REC_HEADER_SIZE + tfs_get32(h + TFS_REC_LEN), 8u);
    }
    return 0;
}

static void reseal_record(uint8_t *h)
{
    uint32_t len = tfs_get32(h + TFS_REC_LEN);
    tfs_put32(h + TFS_REC_CRC, 0);
    tfs_put32(h + TFS_REC_CRC, tfs_crc32c(tfs_crc32c(0, h, TFS_REC_HEADER_SIZE), h + TFS_REC_HEADER_SIZE, len));
}

static void reseal_super(uint8_t *sb) { tfs_put32(sb + TFS_SB_CRC, tfs_crc32c(0, sb, TFS_SB_CRC)); }

static void expect_mount_error(struct image *img, uint64_t sectors, const char *want, const char *what)
{
    struct file_blockdev fb;
    struct part_blockdev part;
    struct tfs *fs = NULL;
    err[0] = 0;
    int rc = mount_mem(img, sectors, &fb, &part, &fs);
    CHECK(rc < 0 && !fs, "%s: mounted anyway", what);
    CHECK(strstr(err, want) != NULL, "%s: message '%s' lacks '%s'", what, err, want);
    if (!rc) tfs_unmount(fs);
}

static void test_corruption(const char *image_path)
{
    struct image orig = { 0 }, img;
    if (!load_image(image_path, &orig)) {
        CHECK(0, "load image");
        return;
    }
    img = orig;
    img.bytes = malloc(orig.len);
#define RESET() memcpy(img.bytes, orig.bytes, orig.len)

    RESET();
    memcpy(tfs_bytes(&img), "XXXX", 4);
    memcpy(tfs_bytes(&img) + 4096, "XXXX", 4);
    expect_mount_error(&img, 0, "tfs: superblock: bad magic", "bad magic");

    RESET();
    tfs_bytes(&img)[100] ^= 1;
    tfs_bytes(&img)[4096 + 100] ^= 1;
    expect_mount_error(&img, 0, "superblock: bad checksum", "superblock checksum");

    RESET();
    expect_mount_error(&img, img.len / 512 - 100, "outside the disk", "truncated image (MBR)");
    {
        /* The partition itself shorter than the filesystem says. */
        struct file_blockdev fb;
        struct tfs *fs = NULL;
        file_blockdev_init_mem(&fb, tfs_bytes(&img), img.tfs_sectors - 8, "short");
        int rc = tfs_mount(host_heap(), &fb.dev, &fs, err, sizeof(err));
        CHECK(rc < 0 && strstr(err, "larger than the disk"), "truncated filesystem: %s", err);
        file_blockdev_init_mem(&fb, tfs_bytes(&img), 9, "tiny");
        rc = tfs_mount(host_heap(), &fb.dev, &fs, err, sizeof(err));
        CHECK(rc < 0, "tiny device");
        file_blockdev_init_mem(&fb, tfs_bytes(&img), 3, "tinier");
        rc = tfs_mount(host_heap(), &fb.dev, &fs, err, sizeof(err));
        CHECK(rc < 0 && strstr(err, "too small"), "tinier device: %s", err);
    }

    RESET();
    size_t off = find_record(&img, TFS_REC_DIRENT_ADD);
    CHECK(off, "found a dirent record");
    tfs_bytes(&img)[off + TFS_REC_HEADER_SIZE + TFS_DIRENT_NAME] ^= 0x20;
    expect_mount_error(&img, 0, "bad checksum", "flipped byte in a log record");
    CHECK(strncmp(err, "tfs: log record ", 16) == 0 && strstr(err, " at block 2"), "message names the record: %s", err);

    RESET();
    off = find_record(&img, TFS_REC_EXTENT);
    CHECK(off, "found an extent record");
    tfs_put64(tfs_bytes(&img) + off + TFS_REC_HEADER_SIZE + TFS_EXTENT_DISK_BLOCK, 1ull << 40);
    reseal_record(tfs_bytes(&img) + off);
    expect_mount_error(&img, 0, "extent outside the disk", "extent outside the disk");

    RESET();
    tfs_put64(tfs_bytes(&img) + off + TFS_REC_HEADER_SIZE + TFS_EXTENT_DISK_BLOCK, 1);
    reseal_record(tfs_bytes(&img) + off);
    expect_mount_error(&img, 0, "extent outside the disk", "extent over the superblock");

    RESET();
    off = find_record(&img, TFS_REC_INODE);
    tfs_put16(tfs_bytes(&img) + off, 99);
    reseal_record(tfs_bytes(&img) + off);
    expect_mount_error(&img, 0, "unknown record type 99", "unknown record type");

    RESET();
    tfs_put32(tfs_bytes(&img) + off + TFS_REC_LEN, 1u << 30);
    expect_mount_error(&img, 0, "record too large", "huge record length");

    RESET();
    off = find_record(&img, TFS_REC_DIRENT_ADD);
    uint8_t *p = tfs_bytes(&img) + off + TFS_REC_HEADER_SIZE;
    p[TFS_DIRENT_NAME] = '/';
    reseal_record(tfs_bytes(&img) + off);
    expect_mount_error(&img, 0, "name contains '/'", "slash in a name");

    RESET();
    tfs_put16(p + TFS_DIRENT_NAMELEN, 300);
    reseal_record(tfs_bytes(&img) + off);
    expect_mount_error(&img, 0, "name length does not match", "name length");

    RESET();
    off = find_record(&img, TFS_REC_INODE);
    tfs_put64(tfs_bytes(&img) + off + TFS_REC_SEQ, 77);
    reseal_record(tfs_bytes(&img) + off);
    expect_mount_error(&img, 0, "wrong sequence number", "sequence number");

    /* superblock fields with a valid checksum */
    uint8_t *sb = tfs_bytes(&img), *sb2 = sb + 4096;
    struct { int field; uint64_t value; const char *want; } bad_sb[] = {
        { TFS_SB_LOG_START, 1ull << 50, "log area outside the disk" },
        { TFS_SB_LOG_BLOCKS, 0, "log area outside the disk" },
        { TFS_SB_LOG_BYTES, 1ull << 40, "log length larger" },
        { TFS_SB_LOG_RECORDS, 1ull << 40, "record count larger" },
        { TFS_SB_LOG_RECORDS, 3, "does not match" },
        { TFS_SB_ROOT_INO, 5, "root directory (inode 5) missing" },
        { TFS_SB_DATA_START, 3, "data area overlaps" },
        { TFS_SB_BLOCK_COUNT, 1ull << 60, "larger than the disk" },
    };
    for (size_t i = 0; i < ARRAY_SIZE(bad_sb); i++) {
        RESET();
        tfs_put64(sb + bad_sb[i].field, bad_sb[i].value);
        reseal_super(sb);
        memcpy(sb2, sb, 4096);
        expect_mount_error(&img, 0, bad_sb[i].want, bad_sb[i].want);
    }

    /* Random damage must never crash or read out of bounds (run under
     * -fsanitize=address to make that strict). Half the cases reseal the
     * checksum so the semantic checks get exercised too. */
    srand(12345);
    uint64_t log_start = tfs_get64(orig.bytes + orig.tfs_lba * 512 + TFS_SB_LOG_START) * 4096;
    uint64_t log_bytes = tfs_get64(orig.bytes + orig.tfs_lba * 512 + TFS_SB_LOG_BYTES);
    int mounted = 0;
    for (int iter = 0; iter < 400; iter++) {
        RESET();
        uint8_t *t = tfs_bytes(&img);
        uint64_t pos = (uint64_t)rand() % log_bytes;
        t[log_start + pos] ^= (uint8_t)(1 + rand() % 255);
        if (iter & 1) {
            /* reseal the record holding pos */
            uint64_t r = 0;
            while (r + TFS_REC_HEADER_SIZE <= log_bytes) {
                uint64_t next = ALIGN_UP(r + TFS_REC_HEADER_SIZE + tfs_get32(t + log_start + r + TFS_REC_LEN), 8u);
                if (next > pos || next > log_bytes) break;
                r = next;
            }
            if (tfs_get32(t + log_start + r + TFS_REC_LEN) < (1u << 20) &&
                r + TFS_REC_HEADER_SIZE + tfs_get32(t + log_start + r + TFS_REC_LEN) <= log_bytes)
                reseal_record(t + log_start + r);
        }
        struct file_blockdev fb;
        struct part_blockdev part;
        struct tfs *fs = NULL;
        if (mount_mem(&img, 0, &fb, &part, &fs) == 0) {
            mounted++;
            /* walk everything */
            struct tfs_node *stack[64];
            int sp = 0;
            stack[sp++] = tfs_root(fs);
            char buf[8192];
            while (sp) {
                struct tfs_node *d = stack[--sp];
                uint64_t cookie = 2;
                struct tfs_dirent de;
                while (tfs_readdir(fs, d, &cookie, &de) == 1) {
                    struct tfs_node *c;
                    if (tfs_lookup(fs, d, de.name, strlen(de.name), &c)) continue;
                    if ((tfs_mode(c) & TFS_S_IFMT) == TFS_S_IFDIR && sp < 64) stack[sp++] = c;
                    else tfs_read(fs, c, 4000, buf, sizeof(buf));
                    tfs_resolve(fs, d, de.name, true, &c);
                }
            }
            tfs_unmount(fs);
        } else {
            CHECK(strncmp(err, "tfs: ", 5) == 0, "fuzz %d: odd message '%s'", iter, err);
        }
    }
    CHECK(mounted < 400, "fuzzing never broke the image?");
    free(img.bytes);
    free(orig.bytes);
}

/* ---- hand-made logs: semantics the writer never produces ---- */

struct builder {
    uint8_t *disk;
    uint64_t blocks, pos, records, seq;
};

static void b_init(struct builder *b, uint64_t blocks)
{
    b->blocks = blocks;
    b->disk = calloc(blocks, 4096);
    b->pos = 0;
    b->records = 0;
    b->seq = 1;
}

static void b_rec(struct builder *b, uint16_t type, const void *payload, uint32_t len)
{
    uint8_t *h = b->disk + 2 * 4096 + b->pos;
    tfs_put16(h, type);
    tfs_put32(h + TFS_REC_LEN, len);
    tfs_put64(h + TFS_REC_SEQ, b->seq++);
    memcpy(h + TFS_REC_HEADER_SIZE, payload, len);
    reseal_record(h);
    b->pos = ALIGN_UP(b->pos + TFS_REC_HEADER_SIZE + len, 8u);
    b->records++;
}

static void b_inode(struct builder *b, uint64_t ino, uint32_t mode, uint64_t size)
{
    uint8_t p[TFS_INODE_LEN] = { 0 };
    tfs_put64(p, ino);
    tfs_put32(p + TFS_INODE_MODE, mode);
    tfs_put32(p + TFS_INODE_NLINK, 1);
    tfs_put64(p + TFS_INODE_SIZE, size);
    b_rec(b, TFS_REC_INODE, p, sizeof(p));
}

static void b_dirent(struct builder *b, uint64_t dir, uint64_t child, const char *name)
{
    uint8_t p[300];
    size_t n = strlen(name);
    tfs_put64(p, dir);
    tfs_put64(p + 8, child);
    tfs_put16(p + 16, (uint16_t)n);
    memcpy(p + 18, name, n);
    b_rec(b, TFS_REC_DIRENT_ADD, p, (uint32_t)(18 + n));
}

static void b_extent(struct builder *b, uint64_t ino, uint64_t fblock, uint64_t dblock, uint64_t count)
{
    uint8_t p[32];
    tfs_put64(p, ino);
    tfs_put64(p + 8, fblock);
    tfs_put64(p + 16, dblock);
    tfs_put64(p + 24, count);
    b_rec(b, TFS_REC_EXTENT, p, sizeof(p));
}

/* Log area is blocks 2..9, data from block 10. commit: records covered by the superblock. */
static int b_mount(struct builder *b, uint64_t commit, struct tfs **fs)
{
    uint8_t *sb = b->disk;
    memcpy(sb, TFS_MAGIC, 8);
    tfs_put32(sb + TFS_SB_VERSION, 1);
    tfs_put32(sb + TFS_SB_BLOCK_SIZE, 4096);
    tfs_put64(sb + TFS_SB_BLOCK_COUNT, b->blocks);
    tfs_put64(sb + TFS_SB_LOG_START, 2);
    tfs_put64(sb + TFS_SB_LOG_BLOCKS, 8);
    /* committed bytes: walk `commit` records */
    uint64_t pos = 0;
    for (uint64_t i = 0; i < commit; i++)
        pos = ALIGN_UP(pos + TFS_REC_HEADER_SIZE + tfs_get32(b->disk + 2 * 4096 + pos + TFS_REC_LEN), 8u);
    tfs_put64(sb + TFS_SB_LOG_BYTES, pos);
    tfs_put64(sb + TFS_SB_LOG_RECORDS, commit);
    tfs_put64(sb + TFS_SB_FIRST_SEQ, 1);
    tfs_put64(sb + TFS_SB_ROOT_INO, 1);
    tfs_put64(sb + TFS_SB_DATA_START, 10);
    reseal_super(sb);
    memcpy(b->disk + 4096, sb, 4096);
    static struct file_blockdev fb;
    file_blockdev_init_mem(&fb, b->disk, b->blocks * 8, "built");
    err[0] = 0;
    return tfs_mount(host_heap(), &fb.dev, fs, err, sizeof(err));
}

#define D (TFS_S_IFDIR | 0755)
#define F (TFS_S_IFREG | 0644)

/* Each bad log and the words its mount error must contain. */
static const char *const bad_logs[] = {
    "removal of missing name", "directory 2 linked twice", "directory loop", "not linked into the tree",
    "duplicate name 'a'", "directory 1 linked twice", "names unknown inode 7", "not a directory",
    "name is . or ..", "has no target", "unsupported mode", "changes type", "not a regular file",
    "not supported by this reader", "config strings do not match", "root directory (inode 1) missing",
};

static void build_bad_log(size_t i, struct builder *b)
{
    switch (i) {
    case 0: b_inode(b, 1, D, 0); b_rec(b, TFS_REC_DIRENT_DEL, "\1\0\0\0\0\0\0\0\1\0x", 11); break;
    case 1: b_inode(b, 1, D, 0); b_inode(b, 2, D, 0); b_dirent(b, 1, 2, "a"); b_dirent(b, 1, 2, "b"); break;
    case 2: b_inode(b, 1, D, 0); b_inode(b, 2, D, 0); b_inode(b, 3, D, 0); b_dirent(b, 2, 3, "a"); b_dirent(b, 3, 2, "b"); break;
    case 3: b_inode(b, 1, D, 0); b_inode(b, 2, D, 0); break;
    case 4: b_inode(b, 1, D, 0); b_inode(b, 2, F, 0); b_inode(b, 3, F, 0); b_dirent(b, 1, 2, "a"); b_dirent(b, 1, 3, "a"); break;
    case 5: b_inode(b, 1, D, 0); b_dirent(b, 1, 1, "self"); break;
    case 6: b_inode(b, 1, D, 0); b_dirent(b, 1, 7, "x"); break;
    case 7: b_inode(b, 1, D, 0); b_inode(b, 2, F, 0); b_dirent(b, 2, 1, "x"); break;
    case 8: b_inode(b, 1, D, 0); b_inode(b, 2, F, 0); b_dirent(b, 1, 2, ".."); break;
    case 9: b_inode(b, 1, D, 0); b_inode(b, 2, TFS_S_IFLNK | 0777, 0); b_dirent(b, 1, 2, "l"); break;
    case 10: b_inode(b, 1, D, 0); b_inode(b, 2, 0020644, 0); break;
    case 11: b_inode(b, 1, D, 0); b_inode(b, 1, F, 0); break;
    case 12: b_inode(b, 1, D, 0); b_extent(b, 1, 0, 10, 1); break;
    case 13: b_inode(b, 1, D, 0); b_rec(b, TFS_REC_LOG_CONTINUE, "1234567812345678", 16); break;
    case 14: b_inode(b, 1, D, 0); b_rec(b, TFS_REC_CONFIG, "\0\0\0\0\1\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0/p\0", 27); break;
    case 15: b_inode(b, 2, D, 0); break;
    }
}

static void test_handmade(void)
{
    struct builder b;
    struct tfs *fs;

    /* sparse 16 GiB file, holes read as zeros, and a tail record past the commit point */
    b_init(&b, 16);
    b_inode(&b, 1, D, 0);
    b_inode(&b, 2, F, 16ull << 30);
    b_dirent(&b, 1, 2, "sparse");
    b_extent(&b, 2, (16ull << 30) / 4096 - 1, 10, 1);
    b_extent(&b, 2, 3, 11, 2);
    memset(b.disk + 10 * 4096, 'Z', 4096);
    memset(b.disk + 11 * 4096, 'A', 8192);
    b_inode(&b, 3, F, 5);   /* tail: replayed although not committed */
    b_dirent(&b, 1, 3, "tail");
    int rc = b_mount(&b, 5, &fs);
    CHECK(rc == 0, "sparse image mounts: %s", err);
    if (!rc) {
        struct tfs_node *n;
        CHECK(tfs_resolve(fs, NULL, "/sparse", true, &n) == 0, "sparse lookup");
        struct tfs_stat st;
        tfs_stat(n, &st);
        CHECK(st.size == 16ull << 30 && st.blocks == 24, "sparse stat size %llu blocks %llu",
              (unsigned long long)st.size, (unsigned long long)st.blocks);
        char buf[10000];
        CHECK(tfs_read(fs, n, 0, buf, 100) == 100 && buf[0] == 0 && buf[99] == 0, "hole reads zeros");
        CHECK(tfs_read(fs, n, 3 * 4096 - 5, buf, 10) == 10 && buf[4] == 0 && buf[5] == 'A', "hole then data");
        CHECK(tfs_read(fs, n, 5 * 4096 - 2, buf, 4) == 4 && buf[1] == 'A' && buf[2] == 0, "data then hole");
        CHECK(tfs_read(fs, n, (16ull << 30) - 3, buf, 100) == 3 && buf[0] == 'Z', "end of a 16 GiB file");
        CHECK(tfs_resolve(fs, NULL, "/tail", true, &n) == 0, "tail record replayed");
        tfs_unmount(fs);
    }
    /* a torn tail record is ignored */
    uint8_t *last = b.disk + 2 * 4096 + b.pos - 8;
    last[0] ^= 0xff;
    rc = b_mount(&b, 5, &fs);
    CHECK(rc == 0, "torn tail ignored: %s", err);
    if (!rc) {
        struct tfs_node *n;
        CHECK(tfs_resolve(fs, NULL, "/tail", true, &n) == -ENOENT, "torn tail record not replayed");
        tfs_unmount(fs);
    }
    free(b.disk);

    for (size_t i = 0; i < ARRAY_SIZE(bad_logs); i++) {
        b_init(&b, 16);
        build_bad_log(i, &b);
        fs = NULL;
        rc = b_mount(&b, b.records, &fs);
        CHECK(rc < 0 && strstr(err, bad_logs[i]), "case '%s': rc %d, message '%s'", bad_logs[i], rc, err);
        if (!rc) tfs_unmount(fs);
        free(b.disk);
    }
}

/* ---- image writer failures ---- */

static bool leftovers(const char *prefix)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    bool found = false;
    while (d && (de = readdir(d)))
        if (strncmp(de->d_name, prefix, strlen(prefix)) == 0) found = true;
    if (d) closedir(d);
    return found;
}

static void test_image_errors(void)
{
    struct boot_blobs boot = { 0 };
    char out[600];
    snprintf(out, sizeof(out), "%s/bad.img", dir);
    struct manifest *m = manifest_new(host_heap());
    manifest_set_program(m, "/prog", err, sizeof(err));
    manifest_add_file(m, "/prog", hp("missing-file"), MANIFEST_MODE_FROM_HOST, err, sizeof(err));
    int rc = image_write(out, &boot, m, err, sizeof(err));
    CHECK(rc < 0 && strstr(err, "missing-file: No such file or directory"), "missing host file: %s", err);
    manifest_free(m);

    m = manifest_new(host_heap());
    manifest_set_program(m, "/prog", err, sizeof(err));
    manifest_add_file(m, "/prog", hp("tree"), MANIFEST_MODE_FROM_HOST, err, sizeof(err));
    rc = image_write(out, &boot, m, err, sizeof(err));
    CHECK(rc < 0 && strstr(err, "tree: is a directory"), "directory as file: %s", err);
    manifest_free(m);

    m = manifest_new(host_heap());
    manifest_set_program(m, "/nothere", err, sizeof(err));
    manifest_add_file(m, "/prog", hp("big"), MANIFEST_MODE_FROM_HOST, err, sizeof(err));
    rc = image_write(out, &boot, m, err, sizeof(err));
    CHECK(rc < 0 && strstr(err, "program /nothere: not found"), "missing program: %s", err);
    manifest_set_program(m, "/prog", err, sizeof(err));
    manifest_add_file(m, "/x", hp("one"), 0644, err, sizeof(err));
    manifest_add_file(m, "/x/y", hp("one"), 0644, err, sizeof(err));
    rc = image_write(out, &boot, m, err, sizeof(err));
    CHECK(rc < 0 && strstr(err, "/x: is a file, not a directory"), "file as parent: %s", err);
    manifest_free(m);

    m = manifest_new(host_heap());
    manifest_set_program(m, "/prog", err, sizeof(err));
    manifest_add_file(m, "/prog", hp("one"), 0644, err, sizeof(err));
    rc = image_write(out, &boot, m, err, sizeof(err));
    CHECK(rc < 0 && strstr(err, "not executable"), "program not executable: %s", err);
    manifest_free(m);

    m = manifest_new(host_heap());
    manifest_set_program(m, "/prog", err, sizeof(err));
    manifest_add_file(m, "/prog", hp("big"), MANIFEST_MODE_FROM_HOST, err, sizeof(err));
    manifest_add_tree(m, "/t", hp("tree"), err, sizeof(err));
    manifest_add_file(m, "/t/a", hp("one"), 0644, err, sizeof(err));
    rc = image_write(out, &boot, m, err, sizeof(err));
    CHECK(rc < 0 && strstr(err, "duplicate path /t/a"), "tree collision: %s", err);

    static uint8_t big_stage2[64 * 512];
    struct boot_blobs big = { .stage2 = big_stage2, .stage2_len = sizeof(big_stage2) };
    rc = image_write(out, &big, m, err, sizeof(err));
    CHECK(rc < 0 && strstr(err, "stage2"), "stage2 too big: %s", err);
    manifest_free(m);

    /* injected write failures at every point leave nothing behind */
    m = manifest_new(host_heap());
    manifest_set_program(m, "/prog", err, sizeof(err));
    manifest_add_file(m, "/prog", hp("big"), MANIFEST_MODE_FROM_HOST, err, sizeof(err));
    manifest_add_file(m, "/p", hp("page"), MANIFEST_MODE_FROM_HOST, err, sizeof(err));
    for (int k = 0; k < 5; k++) {
        struct image_options opt = { .tfs_writes_before_failure = k };
        rc = image_write_opts(out, &boot, m, &opt, err, sizeof(err));
        CHECK(rc < 0 && strstr(err, "write error"), "injected failure %d: rc %d %s", k, rc, err);
    }
    CHECK(access(out, F_OK) != 0, "no image left after failures");
    CHECK(!leftovers("bad.img"), "no temp files left after failures");
    rc = image_write(out, &boot, m, err, sizeof(err));
    CHECK(rc == 0 && access(out, F_OK) == 0, "image after failures: %s", err);
    manifest_free(m);
}

int main(void)
{
    setup_host();
    char image[600];
    snprintf(image, sizeof(image), "%s/good.img", dir);
    static uint8_t stage1[512], stage2[3000], kernel[3000], esp[2048];
    stage1[0] = 0xEB;
    memset(stage1 + 1, 0x39, 439);
    stage1[510] = 0x12;   /* must be replaced by the signature */
    memcpy(stage2, "STAGE2", 6);
    memcpy(kernel, "KERNEL", 6);
    memcpy(esp, "FATESP", 6);
    memcpy(esp + 1536, "ESPEND", 6);
    struct boot_blobs boot = { stage1, sizeof(stage1), stage2, sizeof(stage2), kernel, sizeof(kernel), esp, sizeof(esp) };
    struct manifest *m = base_manifest();
    int rc = image_write(image, &boot, m, err, sizeof(err));
    CHECK(rc == 0, "image_write: %s", err);
    manifest_free(m);
    if (rc == 0) {
        test_round_trip(image);
        test_corruption(image);
    }
    test_handmade();
    test_image_errors();
    cleanup_host();
    if (failures) {
        printf("test_tfs: %d of %d checks failed\n", failures, checks);
        return 1;
    }
    printf("test_tfs: %d checks ok\n", checks);
    return 0;
}
