#include "image_kernel.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../fs/mbr.h"

#define MBR_SIZE 512

static int copy_range(int in, int out, uint64_t off, uint64_t len, char *err, size_t errlen)
{
    static uint8_t buf[1 << 16];
    while (len > 0) {
        size_t want = len < sizeof buf ? (size_t)len : sizeof buf;
        ssize_t n = pread(in, buf, want, (off_t)off);
        if (n <= 0) {
            snprintf(err, errlen, "reading the kernel partition: %s", n < 0 ? strerror(errno) : "short file");
            return -1;
        }
        if (write(out, buf, (size_t)n) != n) {
            snprintf(err, errlen, "writing the kernel: %s", strerror(errno));
            return -1;
        }
        off += (uint64_t)n;
        len -= (uint64_t)n;
    }
    return 0;
}

int image_extract_kernel(const char *image_path, const char *out_path, char *err, size_t errlen)
{
    int in = open(image_path, O_RDONLY | O_CLOEXEC);
    if (in < 0) {
        snprintf(err, errlen, "%s", strerror(errno));
        return -1;
    }
    struct stat st;
    uint8_t mbr[MBR_SIZE];
    int rc = -1;
    if (fstat(in, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "not a regular file");
        goto out;
    }
    struct mbr_partition parts[4];
    if (pread(in, mbr, sizeof mbr, 0) != (ssize_t)sizeof mbr || !mbr_decode(mbr, parts)) {
        snprintf(err, errlen, "not a Pith image (no boot sector)");
        goto out;
    }
    uint64_t start = (uint64_t)parts[0].start_lba * MBR_SIZE, len = (uint64_t)parts[0].sectors * MBR_SIZE;
    if (parts[0].type != MBR_TYPE_PITH_KERNEL || len == 0) {
        snprintf(err, errlen, "not a Pith image (no kernel partition)");
        goto out;
    }
    if (start > (uint64_t)st.st_size || len > (uint64_t)st.st_size - start) {
        snprintf(err, errlen, "kernel partition extends beyond the end of the image");
        goto out;
    }
    int out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (out < 0) {
        snprintf(err, errlen, "%s: %s", out_path, strerror(errno));
        goto out;
    }
    rc = copy_range(in, out, start, len, err, errlen);
    if (close(out) != 0 && rc == 0) {
        snprintf(err, errlen, "writing the kernel: %s", strerror(errno));
        rc = -1;
    }
out:
    close(in);
    return rc;
}
