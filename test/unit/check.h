/* The one check macro every host unit test uses: count checks, print one
 * "FAIL: file:line: message" line per failure, and report at the end. */
#pragma once
#include <stdio.h>

static int checks, failures;

#define CHECK(cond, ...)                                          \
    do {                                                          \
        checks++;                                                 \
        if (!(cond)) {                                            \
            failures++;                                           \
            printf("FAIL: %s:%d: ", __FILE__, __LINE__);          \
            printf(__VA_ARGS__);                                  \
            printf("\n");                                         \
        }                                                         \
    } while (0)

/* A check whose condition is its own message. */
#define CHECK_THAT(cond) CHECK(cond, "%s", #cond)

/* End of main: the summary line, and the exit status. */
static inline int check_report(const char *name)
{
    if (failures) {
        printf("%s: %d of %d checks failed\n", name, failures, checks);
        return 1;
    }
    printf("%s: %d checks ok\n", name, checks);
    return 0;
}
