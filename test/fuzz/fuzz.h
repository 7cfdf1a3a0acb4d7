/* What every harness in test/fuzz/ shares: the libFuzzer entry point each
 * one defines, and a sparse block device over the input. The same harness
 * is linked with libFuzzer (clang, `make fuzz`) and with replay_main.c
 * (gcc, `make test`), so nothing here may depend on either. */
#pragma once
#define _GNU_SOURCE
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../../cli/file_blockdev.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A harness hit something the product code must never do (a state the
 * parser promised would not happen): abort, so both drivers report it. */
#define FUZZ_ASSERT(cond)                                                   \
    do {                                                                    \
        if (!(cond)) {                                                      \
            fprintf(stderr, "fuzz: %s:%d: %s\n", __FILE__, __LINE__, #cond); \
            abort();                                                        \
        }                                                                   \
    } while (0)

/* A disk of `sectors` sectors whose first bytes are data[0..size) and the
 * rest zeros (file_blockdev reads past a file's end as zeros), so a small
 * input can stand for a large, mostly empty image. One memfd per process,
 * rewritten per input; writes by the code under test land in it too. */
static inline void fuzz_disk(struct file_blockdev *fb, const uint8_t *data, size_t size, uint64_t sectors)
{
    static int fd = -1;
    if (fd < 0) {
        fd = memfd_create("fuzz-disk", MFD_CLOEXEC);
        FUZZ_ASSERT(fd >= 0);
    }
    FUZZ_ASSERT(ftruncate(fd, 0) == 0);
    size_t done = 0;
    while (done < size) {
        ssize_t n = pwrite(fd, data + done, size - done, (off_t)done);
        FUZZ_ASSERT(n > 0);
        done += (size_t)n;
    }
    file_blockdev_init_fd(fb, fd, 0, sectors, "fuzz");
}
