/* The checks the runtime test programs share: a failed one prints one
 * "FAILED line N: condition (errno E)" line (which the .expect files forbid)
 * and is counted in `failures` for the program's own summary and exit. */
#pragma once
#include <errno.h>
#include <stdio.h>

static int failures;

#define CHECK(cond)                                                                     \
    do {                                                                                \
        if (!(cond)) {                                                                  \
            printf("FAILED line %d: %s (errno %d)\n", __LINE__, #cond, errno);          \
            failures++;                                                                 \
        }                                                                               \
    } while (0)

/* A call that must fail with exactly this errno (errno is cleared first, so
 * a stale value cannot pass). */
#define FAILS(call, err) CHECK((errno = 0, (call)) == -1 && errno == (err))
