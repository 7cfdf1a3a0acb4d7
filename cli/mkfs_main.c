/* mkfs: write a Pith disk image from a manifest.
 *   mkfs -o IMAGE [--stage1 F] [--stage2 F] [--kernel F] MANIFEST
 * Boot blobs left out are written as zeros (a data-only image). Any failure
 * prints one line and exits 2, leaving no image behind. */
#include "image.h"
#include "host_heap.h"
#include "manifest.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BLOB_MAX (256u << 20)

static void die(const char *fmt, const char *a, const char *b)
{
    fprintf(stderr, "mkfs: ");
    fprintf(stderr, fmt, a, b);
    fputc('\n', stderr);
    exit(2);
}

static void usage(const char *why)
{
    die("%s%s (usage: mkfs -o IMAGE [--stage1 F] [--stage2 F] [--kernel F] MANIFEST)", why, "");
}

static void *read_blob(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) die("%s: %s", path, strerror(errno));
    if (!S_ISREG(st.st_mode)) die("%s: %s", path, "not a regular file");
    if (st.st_size > (off_t)BLOB_MAX) die("%s: %s", path, "too large");
    size_t size = (size_t)st.st_size, done = 0;
    char *buf = malloc(size ? size : 1);
    if (!buf) die("%s: %s", path, "out of memory");
    while (done < size) {
        ssize_t n = read(fd, buf + done, size - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) die("%s: %s", path, strerror(errno));
        if (n == 0) die("%s: %s", path, "file shrank while reading");
        done += (size_t)n;
    }
    close(fd);
    *len = size;
    return buf;
}

int main(int argc, char **argv)
{
    const char *out = NULL, *stage1 = NULL, *stage2 = NULL, *kernel = NULL, *manifest_path = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char **slot = NULL;
        if (strcmp(a, "-o") == 0) slot = &out;
        else if (strcmp(a, "--stage1") == 0) slot = &stage1;
        else if (strcmp(a, "--stage2") == 0) slot = &stage2;
        else if (strcmp(a, "--kernel") == 0) slot = &kernel;
        else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            printf("usage: mkfs -o IMAGE [--stage1 F] [--stage2 F] [--kernel F] MANIFEST\n");
            return 0;
        } else if (a[0] == '-' && a[1]) {
            die("unknown option %s%s", a, "");
        } else if (manifest_path) {
            usage("more than one manifest given");
        } else {
            manifest_path = a;
            continue;
        }
        if (i + 1 >= argc) die("%s needs an argument%s", a, "");
        if (*slot) die("%s given twice%s", a, "");
        *slot = argv[++i];
    }
    if (!out) usage("no output image (-o)");
    if (!manifest_path) usage("no manifest");

    char err[1024];
    struct manifest *m;
    if (manifest_load_file(host_heap(), manifest_path, &m, err, sizeof(err))) die("%s%s", err, "");
    struct boot_blobs boot = { 0 };
    if (stage1) boot.stage1 = read_blob(stage1, &boot.stage1_len);
    if (stage2) boot.stage2 = read_blob(stage2, &boot.stage2_len);
    if (kernel) boot.kernel = read_blob(kernel, &boot.kernel_len);
    if (image_write(out, &boot, m, err, sizeof(err))) die("%s%s", err, "");
    manifest_free(m);
    free((void *)boot.stage1);
    free((void *)boot.stage2);
    free((void *)boot.kernel);
    return 0;
}
