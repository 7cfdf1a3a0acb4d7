/* mmap, munmap, mprotect and brk behave as on Linux in the cases programs rely
 * on. Faults are tested separately (they end the program). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

static int failures;

#define CHECK(cond)                                                 \
    do {                                                            \
        if (!(cond)) {                                              \
            printf("FAILED line %d: %s\n", __LINE__, #cond);        \
            failures++;                                             \
        }                                                           \
    } while (0)

static void anonymous_mappings(void)
{
    size_t len = 1 << 20;
    unsigned char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(p != MAP_FAILED);
    if (p == MAP_FAILED)
        return;
    CHECK(((uintptr_t)p & 4095) == 0);
    int zero = 1;
    for (size_t i = 0; i < len; i += 4096)
        zero &= p[i] == 0;
    CHECK(zero);                                /* fresh memory reads as zeros */
    memset(p, 0xab, len);
    CHECK(p[len - 1] == 0xab);
    CHECK(munmap(p + 4096, 4096) == 0);        /* punch a hole */
    CHECK(p[0] == 0xab && p[8192] == 0xab);
    CHECK(munmap(p, len) == 0);
    CHECK(mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED && errno == EINVAL);
    CHECK(munmap((void *)1, 4096) == -1 && errno == EINVAL);
}

static void fixed_and_protect(void)
{
    unsigned char *p = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(p != MAP_FAILED);
    if (p == MAP_FAILED)
        return;
    p[4096] = 7;
    unsigned char *q = mmap(p + 4096, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    CHECK(q == p + 4096);
    CHECK(q[0] == 0);                            /* MAP_FIXED replaced the page */
    CHECK(mprotect(p, 4096, PROT_READ) == 0);
    CHECK(p[0] == 0);                            /* still readable */
    CHECK(mprotect(p, 4096, PROT_READ | PROT_WRITE) == 0);
    p[0] = 1;
    CHECK(p[0] == 1);
    errno = 0;   /* raw call: musl's mprotect rounds the address down itself */
    long r = syscall(SYS_mprotect, p + 1, 4096, PROT_READ);
    if (r != -1 || errno != EINVAL)
        printf("unaligned mprotect returned %ld errno %d\n", r, errno);
    CHECK(r == -1 && errno == EINVAL);
    CHECK(munmap(p, 3 * 4096) == 0);
}

/* The raw system call: musl's sbrk refuses non-zero increments, and the
 * kernel's brk semantics (returns the new break, or the old one on failure)
 * are what is being tested. */
static char *sys_brk(void *addr)
{
    return (char *)syscall(SYS_brk, addr);
}

static void program_break(void)
{
    char *start = sys_brk(0);
    CHECK(start != NULL);
    char *end = sys_brk(start + (1 << 20));
    CHECK(end == start + (1 << 20));
    if (end != start + (1 << 20))
        return;
    memset(start, 0x5a, 1 << 20);
    CHECK(start[(1 << 20) - 1] == 0x5a);
    CHECK(sys_brk(0) == end);
    CHECK(sys_brk(start) == start);              /* shrink back */
    CHECK(sys_brk(start + 4096) == start + 4096);
    CHECK(start[0] == 0);                        /* regrown memory is zeroed */
    CHECK(sys_brk(start) == start);
}

int main(void)
{
    anonymous_mappings();
    fixed_and_protect();
    program_break();
    printf(failures ? "memory FAILED (%d)\n" : "memory ok\n", failures);
    return failures != 0;
}
