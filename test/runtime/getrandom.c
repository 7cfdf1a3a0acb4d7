/* getrandom(2): bytes that differ from call to call, Linux's errors, and a
 * short count (not EFAULT) when the buffer ends in an unmapped page after
 * some bytes were written. The same lines on Linux. */
#define _GNU_SOURCE
#include "checks.h"
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <unistd.h>

int main(void)
{
    unsigned char a[64], b[64];
    CHECK(getrandom(a, sizeof a, 0) == (ssize_t)sizeof a);
    CHECK(getrandom(b, sizeof b, GRND_NONBLOCK) == (ssize_t)sizeof b);
    printf("two draws differ: %s\n", memcmp(a, b, sizeof a) ? "yes" : "no");
    CHECK(getrandom(a, 0, 0) == 0);
    FAILS(getrandom(a, sizeof a, 0x80), EINVAL);
    void *volatile low = (void *)8;
    FAILS(getrandom(low, 16, 0), EFAULT);

    /* 1 MiB of writable memory followed by an unmapped page: a 1 GiB request
     * fills the MiB and says so. */
    size_t mib = 1 << 20;
    unsigned char *m = mmap(NULL, mib + 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(m != MAP_FAILED);
    CHECK(munmap(m + mib, 4096) == 0);
    volatile size_t gib = 1ul << 30;    /* more than m holds, on purpose */
    ssize_t n = getrandom(m, gib, 0);
    printf("1 GiB into 1 MiB then a hole: %zd\n", n);
    size_t zeros = 0;
    for (size_t i = 0; i < mib; i++) zeros += m[i] == 0;
    printf("zero bytes about 1 in 256: %s\n", zeros > mib / 512 && zeros < mib / 128 ? "yes" : "no");
    printf("getrandom: %s\n", failures ? "FAILED" : "ok");
    return failures != 0;
}
