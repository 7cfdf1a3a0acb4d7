/* `pith image` (cli/cmd_image*.c, image_handle.c): ls, cat, cp,
 * fsck and resize on images written by image_write, their output and exit
 * statuses, bad input (missing image, not an image, corrupted superblock,
 * missing path, bad size, shrinking below the data) and that failures leave
 * nothing behind. The test image has no size: it gets 1 GiB of room, sparse. */
#define _GNU_SOURCE
#include "../../cli/host_heap.h"
#include "../../cli/image.h"
#include "../../cli/cmd_image.h"
#include "../../cli/image_handle.h"
#include "../../cli/image_space.h"
#include "../../cli/manifest.h"
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

static char dir[256];
static char out_text[1 << 16], err_text[1 << 12];

static void slurp(const char *path, char *buf, size_t len)
{
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, len - 1, f) : 0;
    buf[n] = 0;
    if (f) fclose(f);
}

/* Run `pith image ARGS...` in-process with stdout/stderr captured. */
static int run(const char *first, ...)
{
    char *argv[16];
    int argc = 0;
    argv[argc++] = "image";
    va_list ap;
    va_start(ap, first);
    for (const char *a = first; a && argc < 15; a = va_arg(ap, const char *)) argv[argc++] = (char *)a;
    va_end(ap);
    argv[argc] = NULL;
    char outp[300], errp[300];
    snprintf(outp, sizeof outp, "%s/stdout", dir);
    snprintf(errp, sizeof errp, "%s/stderr", dir);
    fflush(stdout);
    fflush(stderr);
    int save1 = dup(1), save2 = dup(2);
    int o = open(outp, O_WRONLY | O_CREAT | O_TRUNC, 0600), e = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(o, 1);
    dup2(e, 2);
    close(o);
    close(e);
    int rc = image_main(argc, argv);
    fflush(stdout);
    fflush(stderr);
    dup2(save1, 1);
    dup2(save2, 2);
    close(save1);
    close(save2);
    slurp(outp, out_text, sizeof out_text);
    slurp(errp, err_text, sizeof err_text);
    unlink(outp);
    unlink(errp);
    return rc;
}

static void write_host(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
}

static int lines(const char *s)
{
    int n = 0;
    for (; *s; s++) n += *s == '\n';
    return n;
}

static bool make_image(const char *img)
{
    char src[300], text[2048], err[512];
    snprintf(src, sizeof src, "%s/src", dir);
    mkdir(src, 0755);
    char p[400];
    snprintf(p, sizeof p, "%s/prog", src);
    write_host(p, "#!/bin/sh\n");
    chmod(p, 0755);
    snprintf(p, sizeof p, "%s/tree", src);
    mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/tree/a.txt", src);
    write_host(p, "alpha\n");
    snprintf(p, sizeof p, "%s/tree/sub", src);
    mkdir(p, 0750);
    snprintf(p, sizeof p, "%s/tree/sub/b.txt", src);
    write_host(p, "bravo bravo\n");
    snprintf(text, sizeof text,
             "program /bin/prog\nfile /bin/prog %s/prog\ntree /t %s/tree\nsymlink /t/link sub/b.txt\n"
             "file /big %s/prog mode 600\n", src, src, src);
    struct manifest *m;
    if (manifest_parse(host_heap(), text, strlen(text), "t.m", NULL, &m, err, sizeof err) != 0) {
        printf("manifest: %s\n", err);
        return false;
    }
    struct boot_blobs boot = { 0 };
    int rc = image_write(img, &boot, m, err, sizeof err);
    manifest_free(m);
    if (rc != 0) printf("image_write: %s\n", err);
    return rc == 0;
}

static bool exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

static void test_read_commands(const char *img)
{
    CHECK(run("ls", img, NULL) == 0, "ls /: %s", err_text);
    CHECK(strstr(out_text, " prog\n") == NULL && strstr(out_text, " bin\n") && strstr(out_text, " t\n"),
          "ls / output: %s", out_text);
    CHECK(run("ls", img, "/t", NULL) == 0, "ls /t: %s", err_text);
    CHECK(strstr(out_text, "-rw-r--r--   1          6 ") && strstr(out_text, " a.txt\n"), "ls /t: %s", out_text);
    CHECK(strstr(out_text, "drwxr-x---   2 "), "ls /t sub mode: %s", out_text);
    CHECK(strstr(out_text, " link -> sub/b.txt\n") && out_text[0] && strstr(out_text, "\nlrwxrwxrwx"),
          "ls symlink: %s", out_text);
    CHECK(lines(out_text) == 3, "ls /t: %d lines", lines(out_text));
    CHECK(run("ls", img, "/t/a.txt", NULL) == 0 && lines(out_text) == 1 && strstr(out_text, " /t/a.txt\n"),
          "ls file: %s", out_text);

    CHECK(run("cat", img, "/t/sub/b.txt", NULL) == 0 && strcmp(out_text, "bravo bravo\n") == 0, "cat: '%s'",
          out_text);
    CHECK(run("cat", img, "/t/link", NULL) == 0 && strcmp(out_text, "bravo bravo\n") == 0, "cat via symlink");
    CHECK(run("cat", img, "/t", NULL) == 2 && lines(err_text) == 1 && strstr(err_text, ":/t: Is a directory"),
          "cat dir: %s", err_text);
    CHECK(run("cat", img, "/nope", NULL) == 2 && strstr(err_text, "pith: ") == err_text &&
              strstr(err_text, ":/nope: No such file or directory") && !out_text[0],
          "cat missing: %s", err_text);
    CHECK(run("ls", img, "/nope", NULL) == 2 && lines(err_text) == 1, "ls missing: %s", err_text);

    CHECK(run("fsck", img, NULL) == 0 && strncmp(out_text, "clean\nused ", 11) == 0 &&
              strstr(out_text, " of 1.0 GiB (1023 MiB free)\n") && lines(out_text) == 2,
          "fsck: %s %s", out_text, err_text);
}

/* Without a size the filesystem has 1 GiB of room, which costs the host
 * nothing until written; ls without PATH starts with the space line. */
static void test_room(const char *img)
{
    struct stat st;
    CHECK(stat(img, &st) == 0 && st.st_size >= (1 << 30) && st.st_blocks * 512 < (4 << 20),
          "room: %lld bytes, %lld allocated", (long long)st.st_size, (long long)st.st_blocks * 512);
    CHECK(run("ls", img, NULL) == 0 && strncmp(out_text, "used ", 5) == 0 && strstr(out_text, " of 1.0 GiB ("),
          "ls space line: %s", out_text);
    CHECK(run("ls", img, "/", NULL) == 0 && strncmp(out_text, "used ", 5) != 0, "ls / has no space line: %s", out_text);
    CHECK(image_room_blocks(1000) == (1 << 30) / 4096 && image_room_blocks(200000) == 200000 + (1 << 30) / 4096,
          "room rule");
}

static void test_cp(const char *img)
{
    char src[400], dst[400], p[900], buf[64];
    snprintf(src, sizeof src, "%s:/t", img);
    snprintf(dst, sizeof dst, "%s/out", dir);
    CHECK(run("cp", src, dst, NULL) == 0, "cp tree: %s", err_text);
    snprintf(p, sizeof p, "%s/sub/b.txt", dst);
    slurp(p, buf, sizeof buf);
    CHECK(strcmp(buf, "bravo bravo\n") == 0, "cp tree content '%s'", buf);
    snprintf(p, sizeof p, "%s/link", dst);
    ssize_t n = readlink(p, buf, sizeof buf - 1);
    CHECK(n == 9 && memcmp(buf, "sub/b.txt", 9) == 0, "cp symlink");
    struct stat st;
    snprintf(p, sizeof p, "%s/sub", dst);
    CHECK(stat(p, &st) == 0 && (st.st_mode & 07777) == 0750, "cp dir mode %o", st.st_mode & 07777);

    /* Into an existing directory: lands under its own name. */
    snprintf(src, sizeof src, "%s:/t/a.txt", img);
    CHECK(run("cp", src, dst, NULL) == 0, "cp file into dir: %s", err_text);
    snprintf(p, sizeof p, "%s/a.txt", dst);
    slurp(p, buf, sizeof buf);
    CHECK(strcmp(buf, "alpha\n") == 0, "cp into dir");
    snprintf(src, sizeof src, "%s:/big", img);
    snprintf(p, sizeof p, "%s/big.copy", dir);
    CHECK(run("cp", src, p, NULL) == 0 && stat(p, &st) == 0 && (st.st_mode & 07777) == 0600, "cp mode 600");

    /* Failures leave nothing: a missing source, a destination that cannot be created. */
    snprintf(src, sizeof src, "%s:/missing", img);
    snprintf(p, sizeof p, "%s/x", dir);
    CHECK(run("cp", src, p, NULL) == 2 && lines(err_text) == 1 && !exists(p), "cp missing: %s", err_text);
    CHECK(run("cp", img, p, NULL) == 2 && lines(err_text) == 1, "cp without :/PATH: %s", err_text);
    snprintf(src, sizeof src, "%s:/t", img);
    snprintf(p, sizeof p, "%s/nodir/x", dir);
    CHECK(run("cp", src, p, NULL) == 2 && lines(err_text) == 1, "cp into missing dir: %s", err_text);
    /* A tree onto a non-empty directory of the same name fails, leaving no temp dir. */
    snprintf(p, sizeof p, "mkdir -p %s/busy/t && touch %s/busy/t/keep", dir, dir);
    CHECK(system(p) == 0, "mkdir");
    snprintf(p, sizeof p, "%s/busy", dir);
    CHECK(run("cp", src, p, NULL) == 2 && lines(err_text) == 1, "cp onto non-empty dir: %s", err_text);
    snprintf(p, sizeof p, "ls -A %s | grep -c pith-cp", dir);
    FILE *f = popen(p, "r");
    int leftovers = -1;
    if (f && fscanf(f, "%d", &leftovers) != 1) leftovers = -1;
    if (f) pclose(f);
    CHECK(leftovers == 0, "temp directories left behind: %d", leftovers);
}

static void test_bad_images(void)
{
    char p[400];
    CHECK(run("ls", "/nonexistent/img", NULL) == 2 && strcmp(err_text, "pith: /nonexistent/img: No such file or directory\n") == 0,
          "missing image: %s", err_text);
    snprintf(p, sizeof p, "%s/text", dir);
    write_host(p, "hello, this is not an image\n");
    CHECK(run("ls", p, NULL) == 2 && lines(err_text) == 1, "text file: %s", err_text);
    CHECK(run("fsck", p, NULL) == 2 && lines(err_text) == 1, "fsck of a tiny file: %s", err_text);
    snprintf(p, sizeof p, "%s/garbage", dir);
    FILE *g = fopen(p, "w");
    for (int i = 0; i < 10000; i++) fputs("garbage ", g);
    fclose(g);
    CHECK(run("fsck", p, NULL) == 1 && strstr(out_text, "tfs: "), "fsck of garbage: %s", out_text);
    CHECK(run("ls", dir, NULL) == 2 && lines(err_text) == 1, "directory as image: %s", err_text);
    CHECK(run("frob", p, NULL) == 2 && lines(err_text) == 1, "unknown subcommand");
    /* Without an image, ls lists the image store (empty here). */
    setenv("XDG_DATA_HOME", dir, 1);
    CHECK(run("ls", NULL) == 0 && lines(out_text) == 1 && !strncmp(out_text, "NAME ", 5) && !err_text[0],
          "ls without image: the store's header: %s%s", out_text, err_text);
    CHECK(run("rm", "nosuch", NULL) == 2 && lines(err_text) == 1 && strstr(err_text, "no stored image"),
          "rm of nothing: %s", err_text);
    CHECK(run("ls", "nosuch", NULL) == 2 && strstr(err_text, "no such file, and no stored image"),
          "ls of an unknown name: %s", err_text);
    unsetenv("XDG_DATA_HOME");
}

static bool corrupt(const char *img, off_t partition_off, off_t where, uint8_t xor_with)
{
    int fd = open(img, O_RDWR);
    uint8_t b;
    bool ok = fd >= 0 && pread(fd, &b, 1, partition_off + where) == 1;
    b ^= xor_with;
    ok = ok && pwrite(fd, &b, 1, partition_off + where) == 1;
    if (fd >= 0) close(fd);
    return ok;
}

static off_t tfs_offset(const char *img)
{
    uint8_t s0[512];
    int fd = open(img, O_RDONLY);
    ssize_t n = pread(fd, s0, 512, 0);
    close(fd);
    struct mbr_partition parts[4];
    if (n != 512 || !mbr_decode(s0, parts)) return -1;
    return (off_t)parts[1].start_lba * 512;
}

static void test_corrupt(const char *good)
{
    char img[300], cmd[1200];
    snprintf(img, sizeof img, "%s/bad.img", dir);
    off_t off = tfs_offset(good);
    CHECK(off > 0, "no TFS partition");
    /* Both superblocks broken: fsck and ls report it. */
    snprintf(cmd, sizeof cmd, "cp %s %s", good, img);
    CHECK(system(cmd) == 0, "cp");
    CHECK(corrupt(img, off, 0, 0xff) && corrupt(img, off, 4096, 0xff), "corrupting");
    CHECK(run("fsck", img, NULL) == 1 && strstr(out_text, "tfs: "), "fsck bad magic: %s", out_text);
    CHECK(run("ls", img, NULL) == 2 && lines(err_text) == 1 && strstr(err_text, "tfs: "), "ls bad magic: %s", err_text);
    CHECK(run("resize", img, "8M", NULL) == 2, "resize of a broken image");
    struct stat st1, st2;
    CHECK(stat(good, &st1) == 0 && stat(img, &st2) == 0 && st1.st_size == st2.st_size,
          "failed resize changed the size");
    /* One superblock broken: the other copy still mounts. */
    snprintf(cmd, sizeof cmd, "cp %s %s", good, img);
    CHECK(system(cmd) == 0, "cp");
    CHECK(corrupt(img, off, 100, 0x55), "corrupting");
    CHECK(run("fsck", img, NULL) == 0, "one superblock copy suffices: %s", out_text);
    /* A log byte flipped: the record fails its checksum. */
    snprintf(cmd, sizeof cmd, "cp %s %s", good, img);
    CHECK(system(cmd) == 0, "cp");
    CHECK(corrupt(img, off, 2 * 4096 + 30, 0x01), "corrupting");
    CHECK(run("fsck", img, NULL) == 1 && strstr(out_text, "tfs: log record"), "fsck bad log: %s", out_text);
    /* Truncated image. */
    snprintf(cmd, sizeof cmd, "cp %s %s && truncate -s %lld %s", good, img, (long long)off + 8192, img);
    CHECK(system(cmd) == 0, "truncate");
    CHECK(run("fsck", img, NULL) != 0, "truncated image passes fsck");
    CHECK(run("cat", img, "/t/a.txt", NULL) == 2 && lines(err_text) == 1, "cat on truncated: %s", err_text);
}

static void test_resize(const char *good)
{
    char img[300], cmd[900];
    snprintf(img, sizeof img, "%s/grow.img", dir);
    snprintf(cmd, sizeof cmd, "cp %s %s", good, img);
    CHECK(system(cmd) == 0, "cp");
    struct stat st;
    stat(img, &st);
    off_t old = st.st_size;
    CHECK(run("resize", img, "1K", NULL) == 2 && lines(err_text) == 1 && strstr(err_text, "smallest size is"),
          "shrink below the data: %s", err_text);
    CHECK(run("resize", img, "12Q", NULL) == 2 && lines(err_text) == 1, "bad size: %s", err_text);
    CHECK(run("resize", img, "-5", NULL) == 2, "negative size");
    CHECK(stat(img, &st) == 0 && st.st_size == old, "size changed by a refused resize");
    /* From the 1 GiB of room down to 16M. */
    CHECK(run("resize", img, "16M", NULL) == 0, "resize: %s", err_text);
    CHECK(stat(img, &st) == 0 && st.st_size == 16 << 20, "size after resize %lld", (long long)st.st_size);
    CHECK(run("fsck", img, NULL) == 0, "fsck after resize: %s", out_text);
    CHECK(run("cat", img, "/t/a.txt", NULL) == 0 && strcmp(out_text, "alpha\n") == 0, "data after resize");

    /* The new space is usable: fill the grown filesystem with a 12 MiB file. */
    struct image_handle h;
    CHECK(image_open(&h, img, true), "open");
    struct tfs_mount_options opt = { 0 };
    char err[512];
    int rc = tfs_mount_opts(host_heap(), &h.part.dev, &opt, &h.fs, err, sizeof err);
    CHECK(rc == 0, "mount: %s", err);
    if (rc == 0) {
        struct tfs_statfs sf;
        tfs_statfs(h.fs, &sf);
        CHECK(sf.blocks == (uint64_t)((16 << 20) - tfs_offset(img)) / 4096, "blocks %llu",
              (unsigned long long)sf.blocks);
        struct tfs_node *f;
        CHECK(tfs_create(h.fs, tfs_root(h.fs), "fill", 4, 0644, 0, 0, &f) == 0, "create");
        static char chunk[1 << 20];
        memset(chunk, 'x', sizeof chunk);
        int64_t total = 0;
        for (int i = 0; i < 12; i++) {
            int64_t n = tfs_write(h.fs, f, (uint64_t)total, chunk, sizeof chunk);
            if (n <= 0) break;
            total += n;
        }
        CHECK(total == 12 << 20, "wrote %lld into the grown space", (long long)total);
        CHECK(tfs_unmount(h.fs) == 0, "unmount");
        h.fs = NULL;
    }
    image_close(&h);
    CHECK(run("fsck", img, NULL) == 0, "fsck after filling: %s", out_text);
    CHECK(run("ls", img, "/fill", NULL) == 0 && strstr(out_text, "   12582912 "), "ls fill: %s", out_text);
    /* Grow again; a bare filesystem (no partition table) cannot be resized. */
    CHECK(run("resize", img, "20M", NULL) == 0, "second resize: %s", err_text);
    CHECK(run("fsck", img, NULL) == 0, "fsck after second resize: %s", out_text);
    /* Down again to just past the data, and back up to 1G. */
    CHECK(run("resize", img, "12M", NULL) == 2 && strstr(err_text, "smallest size is"), "shrink into the data: %s", err_text);
    CHECK(run("resize", img, "16M", NULL) == 0 && stat(img, &st) == 0 && st.st_size == 16 << 20, "shrink: %s", err_text);
    CHECK(run("fsck", img, NULL) == 0 && strstr(out_text, " of 15 MiB ("), "fsck after shrink: %s", out_text);
    CHECK(run("resize", img, "1G", NULL) == 0 && run("fsck", img, NULL) == 0 && strstr(out_text, " of 1023 MiB ("),
          "grow to 1G: %s %s", err_text, out_text);
    CHECK(run("cat", img, "/t/a.txt", NULL) == 0 && strcmp(out_text, "alpha\n") == 0, "data after shrink and grow");
    char p[400];
    snprintf(p, sizeof p, "%s/text", dir);
    write_host(p, "not an image\n");
    CHECK(run("resize", p, "1M", NULL) == 2 && lines(err_text) == 1, "resize a text file: %s", err_text);
    CHECK(stat(p, &st) == 0 && st.st_size == 13, "text file changed");
}

static void test_human_size(void)
{
    char t[32];
    image_human_size(512, t, sizeof t);
    CHECK(strcmp(t, "512 B") == 0, "512: %s", t);
    image_human_size(1258291, t, sizeof t);
    CHECK(strcmp(t, "1.1 MiB") == 0, "1.2 MiB rounded down: %s", t);
    image_human_size((1ull << 30) - 1, t, sizeof t);
    CHECK(strcmp(t, "1023 MiB") == 0, "just under 1 GiB: %s", t);
    image_human_size(1ull << 30, t, sizeof t);
    CHECK(strcmp(t, "1.0 GiB") == 0, "1 GiB: %s", t);
    image_human_size(UINT64_MAX, t, sizeof t);
    CHECK(strcmp(t, "15 EiB") == 0, "largest: %s", t);
}

static void test_parse_size(void)
{
    uint64_t v;
    CHECK(image_parse_size("4096", &v) && v == 4096, "4096");
    CHECK(image_parse_size("64M", &v) && v == 64u << 20, "64M");
    CHECK(image_parse_size("1G", &v) && v == 1u << 30, "1G");
    CHECK(image_parse_size("2MiB", &v) && v == 2u << 20, "2MiB");
    CHECK(!image_parse_size("", &v) && !image_parse_size("0", &v) && !image_parse_size("M", &v) &&
              !image_parse_size("5X", &v) && !image_parse_size("99999999999T", &v),
          "bad sizes accepted");
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/test_image_cmd.XXXXXX");
    if (!mkdtemp(dir)) return 1;
    char img[300];
    snprintf(img, sizeof img, "%s/a.img", dir);
    if (make_image(img)) {
        test_read_commands(img);
        test_room(img);
        test_cp(img);
        test_bad_images();
        test_corrupt(img);
        test_resize(img);
    } else {
        CHECK(false, "could not make the test image");
    }
    test_parse_size();
    test_human_size();
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) printf("cannot remove %s\n", dir);
    return check_report("test_image_cmd");
}
