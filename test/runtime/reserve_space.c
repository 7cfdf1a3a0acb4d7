/* Reserving address space as Go and the JVM do at start-up: a huge
 * PROT_NONE mapping, a piece of it later made READ|WRITE and used, then
 * everything dropped. Linux answers each call in microseconds whatever the
 * size; only the pages touched cost anything. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int failures;

#define CHECK(cond)                                                 \
    do {                                                            \
        if (!(cond)) {                                              \
            printf("FAILED line %d: %s\n", __LINE__, #cond);        \
            failures++;                                             \
        }                                                           \
    } while (0)

#define PIECE (1ul << 20)

static unsigned char *reserve(size_t len)
{
    void *p = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    CHECK(p != MAP_FAILED);
    return p == MAP_FAILED ? NULL : p;
}

/* Make a piece at `off` usable, fill it, and check what it holds. */
static void use_piece(unsigned char *base, size_t off, unsigned char fill)
{
    unsigned char *piece = base + off;
    CHECK(mprotect(piece, PIECE, PROT_READ | PROT_WRITE) == 0);
    int zero = 1;
    for (size_t i = 0; i < PIECE; i += 4096)
        zero &= piece[i] == 0;
    CHECK(zero);
    memset(piece, fill, PIECE);
    CHECK(piece[0] == fill && piece[PIECE - 1] == fill);
}

int main(void)
{
    size_t tib = 1ul << 40, big = 64ul << 30;

    unsigned char *t = reserve(tib);
    if (t) {
        /* A piece in the middle, straddling a 512 GiB (PML4 entry) boundary
         * when the reservation crosses one. */
        use_piece(t, tib / 2 - PIECE / 2, 0x5a);
        /* Dropping the whole reservation's pages leaves the piece usable,
         * reading zeros again. */
        CHECK(madvise(t, tib, MADV_DONTNEED) == 0);
        CHECK(t[tib / 2] == 0);
        t[tib / 2] = 1;
        /* PROT_NONE over everything, then back: the touched page survives. */
        CHECK(mprotect(t, tib, PROT_NONE) == 0);
        CHECK(mprotect(t + tib / 2 - PIECE / 2, PIECE, PROT_READ) == 0);
        CHECK(t[tib / 2] == 1);
        CHECK(munmap(t, tib) == 0);
    }

    unsigned char *a = reserve(big), *b = reserve(big);
    if (a && b) {
        CHECK(a + big <= b || b + big <= a);
        use_piece(a, big - PIECE, 0xa1);
        use_piece(b, 0, 0xb2);
        CHECK(a[big - 1] == 0xa1 && b[0] == 0xb2);
        CHECK(munmap(a, big) == 0);
        CHECK(b[PIECE - 1] == 0xb2);
        CHECK(munmap(b, big) == 0);
    }

    /* The space is free again: the same reservation fits once more. */
    t = reserve(tib);
    if (t) CHECK(munmap(t, tib) == 0);

    if (!failures) printf("reserve_space ok\n");
    return failures != 0;
}
