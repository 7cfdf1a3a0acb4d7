/* `pith image export NAME -o FILE.raw|FILE.tar.gz`: a stored image (or an
 * image file) written out for another tool or a cloud: the raw disk, or
 * GCP's format, one file disk.raw in a gzip'd tar. The image is read without
 * touching its holes (cli/sparse_file.h): the raw copy keeps them as holes,
 * and disk.raw is a GNU sparse member (as `tar --format=oldgnu -S` makes,
 * the form GCP's documentation asks for), so only the data is compressed and
 * `tar -x` gives a sparse file again. The output is built in a temp file
 * next to FILE and renamed over it only when complete. */
#define _GNU_SOURCE
#include "cmd_image.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image_store.h"
#include "pith_exit.h"
#include "sparse_file.h"
#include "targz_writer.h"

enum export_format { EXPORT_RAW, EXPORT_TARGZ };

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n > k && strcmp(s + n - k, suffix) == 0;
}

/* disk.raw as a GNU sparse member: only the image's data stretches are
 * read, compressed and stored; `tar -x` recreates the holes. */
static int write_targz(int src, uint64_t size, time_t mtime, int dst)
{
    static struct targz_writer t;
    static char buf[1 << 20];
    struct sparse_extent *map;
    size_t n;
    if (sparse_extents(src, size, &map, &n) != 0)
        return -1;
    int rc = targz_open(&t, dst);
    if (rc == 0 && targz_begin_sparse(&t, "disk.raw", size, map, n, 0644, mtime) != 0)
        rc = -1;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        for (uint64_t done = 0; rc == 0 && done < map[i].length;) {
            uint64_t want = map[i].length - done < sizeof buf ? map[i].length - done : sizeof buf;
            ssize_t got = pread(src, buf, (size_t)want, (off_t)(map[i].offset + done));
            if (got < 0 && errno == EINTR)
                continue;
            if (got <= 0) {
                if (got == 0)
                    errno = EIO;   /* the image shrank meanwhile */
                rc = -1;
            } else {
                rc = targz_write(&t, buf, (uint64_t)got);
                done += (uint64_t)got;
            }
        }
    }
    int saved = errno;
    free(map);
    if (rc == 0 && targz_end(&t) == 0)
        return targz_close(&t);
    targz_abandon(&t);
    errno = saved;
    return -1;
}

static int export_to(const char *image, const char *out, enum export_format fmt)
{
    int src = open(image, O_RDONLY | O_CLOEXEC);
    if (src < 0)
        return pith_complain(image, strerror(errno));
    struct stat st;
    if (fstat(src, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(src);
        return pith_complain(image, S_ISREG(st.st_mode) ? strerror(errno) : "not a regular file");
    }
    char tmp[PATH_MAX];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp-XXXXXX", out) >= sizeof tmp) {
        close(src);
        return pith_complain(out, "path too long");
    }
    int dst = mkostemp(tmp, O_CLOEXEC);
    if (dst < 0) {
        close(src);
        return pith_complain(out, strerror(errno));
    }
    int rc = fmt == EXPORT_RAW ? sparse_copy(src, dst, (uint64_t)st.st_size)
                               : write_targz(src, (uint64_t)st.st_size, st.st_mtime, dst);
    const char *culprit = out;
    if (rc == 0 && fsync(dst) != 0)
        rc = -1;
    int saved = errno;
    close(src);
    if (close(dst) != 0 && rc == 0) {
        rc = -1;
        saved = errno;
    }
    if (rc == 0) {
        mode_t mask = umask(0);
        umask(mask);
        chmod(tmp, 0666 & ~mask);
        if (rename(tmp, out) != 0) {
            rc = -1;
            saved = errno;
        }
    }
    if (rc != 0) {
        unlink(tmp);
        return pith_complain(culprit, strerror(saved ? saved : EIO));
    }
    return 0;
}

int image_export(int argc, char **argv)
{
    const char *name = NULL, *out = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            puts("usage: pith image export NAME -o FILE.raw|FILE.tar.gz\n\n"
                 "Write the stored image NAME (or an image file) out: FILE.raw is the raw disk\n"
                 "(sparse: holes stay holes); FILE.tar.gz is one file disk.raw in a gzip'd tar,\n"
                 "the format GCP imports. FILE is written whole or not at all.");
            return 0;
        }
        if ((strcmp(argv[i], "-o") == 0 || strcmp(argv[i], "--output") == 0) && i + 1 < argc)
            out = argv[++i];
        else if (strncmp(argv[i], "--output=", 9) == 0)
            out = argv[i] + 9;
        else if (argv[i][0] == '-' || name)
            return pith_complain("image export", "usage: pith image export NAME -o FILE.raw|FILE.tar.gz");
        else
            name = argv[i];
    }
    if (!name || !out || !*out)
        return pith_complain("image export", "usage: pith image export NAME -o FILE.raw|FILE.tar.gz");
    enum export_format fmt;
    if (ends_with(out, ".raw") || ends_with(out, ".img"))
        fmt = EXPORT_RAW;
    else if (ends_with(out, ".tar.gz") || ends_with(out, ".tgz"))
        fmt = EXPORT_TARGZ;
    else
        return pith_complain(out, "unknown format: name the file FILE.raw (a raw disk) or FILE.tar.gz (GCP's disk.raw in a tar.gz)");
    char image[PATH_MAX], why[512];
    if (image_resolve(name, image, sizeof image, why, sizeof why) != 0) {
        fprintf(stderr, "pith: %s\n", why);
        return PITH_EXIT_USAGE;
    }
    return export_to(image, out, fmt);
}
