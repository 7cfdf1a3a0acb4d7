/* `pith image ls|cat|fsck IMAGE ...`: read-only looks into an image or volume. */
#include "cmd_image.h"
#include "host_heap.h"
#include "image_handle.h"
#include "image_space.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---- ls ---- */

static void mode_string(uint32_t mode, char out[11])
{
    static const char rwx[] = "rwxrwxrwx";
    uint32_t type = mode & 0170000;
    out[0] = type == 0040000 ? 'd' : type == 0120000 ? 'l' : '-';
    for (int i = 0; i < 9; i++) out[1 + i] = mode & (0400u >> i) ? rwx[i] : '-';
    if (mode & 04000) out[3] = out[3] == 'x' ? 's' : 'S';
    if (mode & 02000) out[6] = out[6] == 'x' ? 's' : 'S';
    if (mode & 01000) out[9] = out[9] == 'x' ? 't' : 'T';
    out[10] = 0;
}

static void ls_line(struct tfs_node *n, const char *name)
{
    struct tfs_stat st;
    tfs_stat(n, &st);
    char mode[11], when[32];
    mode_string(st.mode, mode);
    time_t secs = (time_t)(st.mtime_ns / 1000000000u);
    struct tm tm;
    if (gmtime_r(&secs, &tm)) strftime(when, sizeof when, "%Y-%m-%d %H:%M", &tm);
    else snprintf(when, sizeof when, "?");
    printf("%s %3u %10llu %s %s", mode, st.nlink, (unsigned long long)st.size, when, name);
    if ((st.mode & 0170000) == 0120000) {
        char target[4096];
        int len = tfs_readlink(n, target, sizeof target);
        if (len > 0) printf(" -> %.*s", len, target);
    }
    putchar('\n');
}

int image_ls(int argc, char **argv)
{
    if (argc < 2 || argc > 3) return image_fail("image ls", "usage: pith image ls IMAGE [PATH]");
    const char *path = argc == 3 ? argv[2] : "/";
    struct image_handle img;
    if (!image_open_mounted(&img, argv[1])) return IMAGE_EXIT_BAD_INPUT;
    struct tfs_node *n;
    int rc = tfs_resolve(img.fs, tfs_root(img.fs), path, false, &n);
    if (rc != 0) {
        image_fail_path(&img, path, strerror(-rc));
        image_close(&img);
        return IMAGE_EXIT_BAD_INPUT;
    }
    if (argc == 2) {
        /* The whole image was asked for: say how full it is, as ls -l
         * starts with its total. */
        char space[128];
        image_space_line(img.fs, space, sizeof space);
        printf("%s\n", space);
    }
    if ((tfs_mode(n) & 0170000) != 0040000) {
        ls_line(n, path);
    } else {
        uint64_t cookie = 0;
        struct tfs_dirent de;
        while ((rc = tfs_readdir(img.fs, n, &cookie, &de)) == 1) {
            if (strcmp(de.name, ".") == 0 || strcmp(de.name, "..") == 0) continue;
            struct tfs_node *child;
            if (tfs_lookup(img.fs, n, de.name, strlen(de.name), &child) == 0) ls_line(child, de.name);
        }
    }
    image_close(&img);
    if (fflush(stdout) != 0) return image_fail("stdout", strerror(errno));
    return IMAGE_EXIT_OK;
}

/* ---- cat ---- */

static bool write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        p += n;
        len -= (size_t)n;
    }
    return true;
}

int image_cat(int argc, char **argv)
{
    if (argc != 3) return image_fail("image cat", "usage: pith image cat IMAGE PATH");
    const char *path = argv[2];
    struct image_handle img;
    if (!image_open_mounted(&img, argv[1])) return IMAGE_EXIT_BAD_INPUT;
    struct tfs_node *n;
    int rc = tfs_resolve(img.fs, tfs_root(img.fs), path, true, &n);
    if (rc == 0 && (tfs_mode(n) & 0170000) != 0100000) rc = -EISDIR;
    if (rc != 0) {
        image_fail_path(&img, path, strerror(-rc));
        image_close(&img);
        return IMAGE_EXIT_BAD_INPUT;
    }
    static char buf[1 << 16];
    uint64_t off = 0;
    int status = IMAGE_EXIT_OK;
    for (;;) {
        int64_t got = tfs_read(img.fs, n, off, buf, sizeof buf);
        if (got < 0) {
            status = image_fail_path(&img, path, strerror((int)-got));
            break;
        }
        if (got == 0) break;
        if (!write_all(STDOUT_FILENO, buf, (size_t)got)) {
            status = image_fail("stdout", strerror(errno));
            break;
        }
        off += (uint64_t)got;
    }
    image_close(&img);
    return status;
}

/* ---- fsck ---- */

int image_fsck(int argc, char **argv)
{
    if (argc != 2) return image_fail("image fsck", "usage: pith image fsck IMAGE");
    struct image_handle img;
    if (!image_open(&img, argv[1], false)) return IMAGE_EXIT_BAD_INPUT;
    static char report[1 << 16];
    report[0] = 0;
    int rc = tfs_fsck(host_heap(), &img.part.dev, report, sizeof report);
    if (rc == 0) {
        /* fsck has unmounted; a read-only mount of the clean filesystem
         * gives the space line (the same numbers ls shows). */
        char space[128] = "";
        if (tfs_mount(host_heap(), &img.part.dev, &img.fs, report, sizeof report) == 0)
            image_space_line(img.fs, space, sizeof space);
        image_close(&img);
        printf("clean\n%s%s", space, space[0] ? "\n" : "");
        return IMAGE_EXIT_OK;
    }
    image_close(&img);
    if (!report[0]) snprintf(report, sizeof report, "tfs: %s", strerror(-rc));
    /* The lines as tfs_fsck wrote them: the first is the same message the
     * kernel prints when it refuses to mount the image. */
    size_t len = strlen(report);
    printf("%s%s", report, len && report[len - 1] == '\n' ? "" : "\n");
    return IMAGE_EXIT_PROBLEMS;
}
