/* `pith image cp IMAGE:PATH DEST`: copy a file, symlink or directory tree out
 * of an image, like `cp -a` (modes and mtimes kept, symlinks copied as
 * symlinks, hard links become separate files). The copy is built inside a
 * temporary directory next to its final place and renamed there only when
 * complete, so a failure leaves nothing behind. */
#define _GNU_SOURCE
#include "cmd_image.h"
#include "image_handle.h"
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define S_TYPE(m) ((m) & 0170000)

struct cp_ctx {
    struct image_handle *img;
    char guest[PATH_MAX];   /* guest path of the node being copied, for messages */
    char failed[PATH_MAX + 64];
};

static bool cp_error(struct cp_ctx *c, const char *culprit, int err)
{
    snprintf(c->failed, sizeof c->failed, "%s: %s", culprit, strerror(err));
    return false;
}

static void set_times(int dirfd, const char *path, const struct tfs_stat *st)
{
    struct timespec ts[2] = {
        { (time_t)(st->atime_ns / 1000000000u), (long)(st->atime_ns % 1000000000u) },
        { (time_t)(st->mtime_ns / 1000000000u), (long)(st->mtime_ns % 1000000000u) },
    };
    utimensat(dirfd, path, ts, AT_SYMLINK_NOFOLLOW);
}

static bool copy_file(struct cp_ctx *c, struct tfs_node *n, const char *host, const struct tfs_stat *st)
{
    int fd = open(host, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return cp_error(c, host, errno);
    static char buf[1 << 16];
    uint64_t off = 0;
    for (;;) {
        /* Holes stay holes (a core file is mostly holes): only data is
         * written, and the size is set at the end. */
        int64_t data = tfs_seek_data(c->img->fs, n, off);
        if (data == -ENXIO) break;
        int64_t hole = data < 0 ? data : tfs_seek_hole(c->img->fs, n, (uint64_t)data);
        int64_t got = hole < 0 ? hole : 0;
        if (got == 0) {
            off = (uint64_t)data;
            got = tfs_read(c->img->fs, n, off, buf, MIN(sizeof buf, (uint64_t)hole - off));
        }
        if (got < 0) {
            close(fd);
            snprintf(c->failed, sizeof c->failed, "%s:%s: %s", c->img->path, c->guest, strerror((int)-got));
            return false;
        }
        if (got == 0) break;
        for (int64_t done = 0; done < got;) {
            ssize_t w = pwrite(fd, buf + done, (size_t)(got - done), (off_t)(off + (uint64_t)done));
            if (w < 0 && errno == EINTR) continue;
            if (w <= 0) {
                int e = w < 0 ? errno : EIO;
                close(fd);
                return cp_error(c, host, e);
            }
            done += w;
        }
        off += (uint64_t)got;
    }
    if (ftruncate(fd, (off_t)st->size) != 0 || fchmod(fd, st->mode & 07777) != 0 || close(fd) != 0)
        return cp_error(c, host, errno);
    set_times(AT_FDCWD, host, st);
    return true;
}

static bool copy_node(struct cp_ctx *c, struct tfs_node *n, const char *host);

static bool copy_dir(struct cp_ctx *c, struct tfs_node *dir, const char *host, const struct tfs_stat *st)
{
    if (mkdir(host, 0700) != 0) return cp_error(c, host, errno);
    size_t glen = strlen(c->guest), hlen = strlen(host);
    char *child_host = malloc(hlen + 258);
    if (!child_host) return cp_error(c, host, ENOMEM);
    uint64_t cookie = 0;
    struct tfs_dirent de;
    bool ok = true;
    int rc;
    while (ok && (rc = tfs_readdir(c->img->fs, dir, &cookie, &de)) == 1) {
        if (strcmp(de.name, ".") == 0 || strcmp(de.name, "..") == 0) continue;
        size_t nlen = strlen(de.name);
        if (glen + 1 + nlen >= sizeof c->guest || hlen + 1 + nlen >= PATH_MAX) {
            ok = cp_error(c, host, ENAMETOOLONG);
            break;
        }
        struct tfs_node *child;
        if ((rc = tfs_lookup(c->img->fs, dir, de.name, nlen, &child)) != 0) {
            snprintf(c->failed, sizeof c->failed, "%s:%s/%s: %s", c->img->path, c->guest, de.name, strerror(-rc));
            ok = false;
            break;
        }
        snprintf(c->guest + glen, sizeof c->guest - glen, "%s%s", glen && c->guest[glen - 1] == '/' ? "" : "/",
                 de.name);
        snprintf(child_host, hlen + 258, "%s/%s", host, de.name);
        ok = copy_node(c, child, child_host);
        c->guest[glen] = 0;
    }
    free(child_host);
    if (!ok) return false;
    /* Permissions last: a read-only directory must still receive its entries. */
    if (chmod(host, st->mode & 07777) != 0) return cp_error(c, host, errno);
    set_times(AT_FDCWD, host, st);
    return true;
}

static bool copy_node(struct cp_ctx *c, struct tfs_node *n, const char *host)
{
    struct tfs_stat st;
    tfs_stat(n, &st);
    switch (S_TYPE(st.mode)) {
    case 0100000:
        return copy_file(c, n, host, &st);
    case 0040000:
        return copy_dir(c, n, host, &st);
    case 0120000: {
        char target[4097];
        int len = tfs_readlink(n, target, sizeof target - 1);
        if (len < 0) len = 0;
        target[len] = 0;
        if (symlink(target, host) != 0) return cp_error(c, host, errno);
        set_times(AT_FDCWD, host, &st);
        return true;
    }
    default:
        return cp_error(c, host, EINVAL);
    }
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)ftw;
    if (flag == FTW_DP || flag == FTW_D) chmod(path, 0700), rmdir(path);
    else unlink(path);
    return 0;
}

static void remove_tree(const char *path)
{
    /* A directory copied read-only must become writable before its
     * entries can go: chmod on the way down (pre-order pass), remove on the
     * way up. */
    struct stat st;
    if (lstat(path, &st) != 0) return;
    if (S_ISDIR(st.st_mode)) {
        chmod(path, 0700);
        nftw(path, remove_entry, 16, FTW_PHYS);   /* pre-order: makes dirs writable, removes files */
        nftw(path, remove_entry, 16, FTW_PHYS | FTW_DEPTH);
    } else {
        unlink(path);
    }
}

int image_cp(int argc, char **argv)
{
    if (argc != 3) return image_fail("image cp", "usage: pith image cp IMAGE:PATH DEST");
    /* Split at the last ":/": the guest path is absolute, the image path may hold ':'. */
    const char *src = argv[1], *dest = argv[2];
    const char *colon = NULL;
    for (const char *p = src; (p = strstr(p, ":/")) != NULL; p++) colon = p;
    if (!colon || colon == src) return image_fail(src, "expected IMAGE:/PATH (the path in the image is absolute)");
    char *image_path = strndup(src, (size_t)(colon - src));
    const char *guest = colon + 1;
    if (!image_path) return image_fail(src, strerror(ENOMEM));
    if (strlen(guest) >= PATH_MAX) {
        free(image_path);
        return image_fail(src, strerror(ENAMETOOLONG));
    }

    struct image_handle img;
    if (!image_open_mounted(&img, image_path)) {
        free(image_path);
        return IMAGE_EXIT_BAD_INPUT;
    }
    int status = IMAGE_EXIT_BAD_INPUT;
    char *final = NULL, *tmpdir = NULL, *staged = NULL;
    struct tfs_node *n;
    int rc = tfs_resolve(img.fs, tfs_root(img.fs), guest, false, &n);
    if (rc != 0) {
        image_fail_path(&img, guest, strerror(-rc));
        goto out;
    }

    /* Where the copy lands: DEST, or DEST/NAME when DEST is a directory (cp). */
    char gcopy[PATH_MAX];
    snprintf(gcopy, sizeof gcopy, "%s", guest);
    while (strlen(gcopy) > 1 && gcopy[strlen(gcopy) - 1] == '/') gcopy[strlen(gcopy) - 1] = 0;
    const char *base = strrchr(gcopy, '/') + 1;
    struct stat dst;
    if (stat(dest, &dst) == 0 && S_ISDIR(dst.st_mode)) {
        if (!*base) {
            image_fail(dest, "already exists (copying the whole image needs a new directory name)");
            goto out;
        }
        if (asprintf(&final, "%s/%s", dest, base) < 0) final = NULL;
    } else {
        final = strdup(dest);
    }
    if (!final) {
        image_fail(dest, strerror(ENOMEM));
        goto out;
    }
    char *fcopy = strdup(final);
    if (!fcopy || asprintf(&tmpdir, "%s/.pith-cp-XXXXXX", dirname(fcopy)) < 0) tmpdir = NULL;
    free(fcopy);
    if (!tmpdir || !mkdtemp(tmpdir)) {
        image_fail(dest, strerror(errno ? errno : ENOMEM));
        free(tmpdir);
        tmpdir = NULL;
        goto out;
    }
    if (asprintf(&staged, "%s/copy", tmpdir) < 0) {
        staged = NULL;
        image_fail(dest, strerror(ENOMEM));
        goto out;
    }

    struct cp_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx) {
        image_fail(dest, strerror(ENOMEM));
        goto out;
    }
    ctx->img = &img;
    snprintf(ctx->guest, sizeof ctx->guest, "%s", gcopy);
    if (!copy_node(ctx, n, staged)) {
        fprintf(stderr, "pith: %s\n", ctx->failed);
        free(ctx);
        goto out;
    }
    free(ctx);
    if (rename(staged, final) != 0) {
        image_fail(final, strerror(errno));
        goto out;
    }
    status = IMAGE_EXIT_OK;
out:
    if (tmpdir) {
        remove_tree(tmpdir);
        free(tmpdir);
    }
    free(staged);
    free(final);
    image_close(&img);
    free(image_path);
    return status;
}
