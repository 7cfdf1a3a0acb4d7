/* Many small regions: 100,000 one-page anonymous mappings whose protections
 * alternate so no two neighbours merge, each touched once, a fault in the
 * middle of them, then all unmapped. The kernel must find a region, and room
 * for a new one, without walking every region. The costs of one mmap plus
 * fault with few and with many regions go to the log for a person to compare;
 * nothing here asserts a time (TCG is too noisy for that). */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

#define COUNT 100000
#define PAGE 4096ul

static int failures;

#define CHECK(cond)                                                 \
    do {                                                            \
        if (!(cond)) {                                              \
            printf("FAILED line %d: %s\n", __LINE__, #cond);        \
            failures++;                                             \
        }                                                           \
    } while (0)

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int prot_of(size_t i) { return i % 2 ? PROT_READ | PROT_WRITE : PROT_READ | PROT_WRITE | PROT_EXEC; }

/* One new mapping and its first touch, averaged over a few rounds, in ns. */
static uint64_t map_and_fault_ns(void)
{
    enum { ROUNDS = 20 };
    unsigned char *p[ROUNDS];
    uint64_t t0 = now_ns();
    for (int i = 0; i < ROUNDS; i++) {
        p[i] = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        CHECK(p[i] != MAP_FAILED);
        if (p[i] != MAP_FAILED) p[i][0] = 1;
    }
    uint64_t t = (now_ns() - t0) / ROUNDS;
    for (int i = 0; i < ROUNDS; i++)
        if (p[i] != MAP_FAILED) munmap(p[i], PAGE);
    return t;
}

/* Linux refuses more than vm.max_map_count regions (65,530 by default):
 * unless told how many (Pith's test asks for 100,000; Pith shows Linux's
 * limit but has none), stay below it, so the program runs there too. */
static size_t how_many(int argc, char **argv)
{
    if (argc > 1) {
        size_t n = strtoul(argv[1], NULL, 10);
        return n && n <= COUNT ? n : COUNT;
    }
    FILE *f = fopen("/proc/sys/vm/max_map_count", "r");
    unsigned long limit = 0;
    if (!f) return COUNT;
    if (fscanf(f, "%lu", &limit) != 1) limit = 0;
    fclose(f);
    return limit > 1000 && limit - 1000 < COUNT ? limit - 1000 : COUNT;
}

int main(int argc, char **argv)
{
    static unsigned char *maps[COUNT];
    size_t count = how_many(argc, argv);
    unsigned char *few[10];
    for (int i = 0; i < 10; i++) {
        few[i] = mmap(NULL, PAGE, prot_of(i), MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        CHECK(few[i] != MAP_FAILED);
    }
    uint64_t with_few = map_and_fault_ns();
    for (int i = 0; i < 10; i++) munmap(few[i], PAGE);

    uint64_t t0 = now_ns();
    size_t made = 0;
    for (; made < count; made++) {
        maps[made] = mmap(NULL, PAGE, prot_of(made), MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (maps[made] == MAP_FAILED) break;
        maps[made][0] = (unsigned char)made;
    }
    CHECK(made == count);
    uint64_t t_made = now_ns();

    uint64_t with_many = map_and_fault_ns();
    /* A region in the middle: its page is there, and a fresh page of it faults in. */
    size_t mid = made / 2;
    CHECK(mid < made && maps[mid][0] == (unsigned char)mid);
    CHECK(mprotect(maps[mid], PAGE, PROT_READ | PROT_WRITE) == 0);
    CHECK(munmap(maps[mid], PAGE) == 0);
    unsigned char *again = mmap(maps[mid], PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    CHECK(again == maps[mid]);
    if (again != MAP_FAILED) CHECK(again[PAGE - 1] == 0);
    for (size_t i = 0; i < made; i += 997) CHECK(maps[i][0] == (unsigned char)i);

    uint64_t t1 = now_ns();
    for (size_t i = 0; i < made; i++) CHECK(munmap(maps[i], PAGE) == 0);
    uint64_t t_unmapped = now_ns();

    fprintf(stderr, "many_maps: %zu mappings made and touched in %llu ms, unmapped in %llu ms\n", made,
            (unsigned long long)((t_made - t0) / 1000000), (unsigned long long)((t_unmapped - t1) / 1000000));
    fprintf(stderr, "many_maps: one mmap+fault: %llu ns with 10 regions, %llu ns with %zu\n",
            (unsigned long long)with_few, (unsigned long long)with_many, made);
    if (failures) return 1;
    printf("many_maps ok\n");
    return 0;
}
