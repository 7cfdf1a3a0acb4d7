#pragma once
#include "../klib/types.h"

/* Exit codes the kernel itself powers off with (the program's own status is 0-255). */
enum {
    EXIT_KERNEL_PANIC = 250,   /* a kernel bug: panic() */
    EXIT_BAD_IMAGE = 251,      /* the image / filesystem failed a check */
    EXIT_LOADER_ERROR = 252,   /* the program could not be loaded */
};

NORETURN void panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Power the machine off, making `pith` exit with `code`. */
NORETURN void machine_exit(int code);
