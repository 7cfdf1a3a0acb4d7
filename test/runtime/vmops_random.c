/* Randomized memory-mapping operations: `vmops_random SEED DIR [OPS] [-v]`
 * performs OPS (default 400) operations chosen by SEED on three files in DIR
 * (created; must not exist) and up to eight mappings of them or of anonymous
 * memory: mmap (private or shared, any protection, at page offsets inside or
 * past the end of the file), MAP_FIXED over part of a mapping, munmap and
 * mprotect of any part, stores and loads through the mappings, pwrite,
 * ftruncate (down and up), hole punching, msync, madvise(DONTNEED), mremap
 * (grow) and pread into a mapping. A model of every page
 * (mapped? protection, file and offset) keeps loads and stores to pages that
 * allow them and to bytes inside the file (past its end is SIGBUS, or bytes
 * Linux and Pith may zero at different moments), so every result is defined
 * by Linux's semantics. It prints a digest of every operation's result and
 * every byte loaded, then each file's size and content hash and each
 * mapping's readable contents.
 * test/run-tests runs it inside the VM and on the host (the same static
 * binary): the two outputs must be identical. `-v` prints each operation
 * and its result, to find where two runs part. Every random choice is its
 * own statement: the order C evaluates arguments in is unspecified. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
#include <sys/stat.h>
#include <unistd.h>

#include "seeded_random.h"

#define PAGE 4096
#define NFILES 3
#define NSLOTS 8
#define MAX_PAGES 16        /* of one slot, grown by mremap */
#define MAX_FILE_PAGES 6
/* Each slot lives in its own stretch of addresses, far below where either
 * kernel places mmaps: a page a slot unmapped is never handed to anything
 * else, which would make the runs depend on where each kernel puts things. */
#define ARENA_BASE 0x200000000000ull
#define ARENA_BYTES (2ull * MAX_PAGES * PAGE)


static uint64_t digest = 1469598103934665603ull;
static void fold(const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) digest = (digest ^ b[i]) * 1099511628211ull;
}
static bool verbose;

/* One operation's outcome: the return value, or -errno. */
static void result(const char *what, long r)
{
    long v = r < 0 ? -errno : r;
    fold(what, strlen(what));
    fold(&v, sizeof v);
    if (verbose) printf("  -> %ld\n", v);
}

/* What one page of a slot is, as the program asked for it. */
struct page {
    bool mapped;
    int prot;       /* PROT_* */
    int file;       /* -1: anonymous */
    off_t off;      /* file offset of this page */
    bool shared;
};

/* A range of addresses the program mapped once; parts may since have been
 * unmapped, re-protected or mapped over. */
struct slot {
    char *addr;     /* NULL: free */
    unsigned npages;
    /* Still the one region mmap made (only whole-slot mprotects since).
     * mremap needs one region, and whether Linux joins split regions again
     * depends on its bookkeeping (VM_ACCOUNT, anon_vma), not on semantics. */
    bool pristine;
    struct page pg[MAX_PAGES];
};

static int fds[NFILES];
static struct slot slots[NSLOTS];

static int slot_index(const struct slot *s) { return (int)(s - slots); }

static off_t file_size(int f)
{
    struct stat st;
    return fstat(fds[f], &st) == 0 ? st.st_size : 0;
}

/* How many bytes of page i may be touched with access `prot`: none unless
 * mapped with that access; all of an anonymous page; the part inside the
 * file of a file page. */
static size_t touchable(const struct slot *s, unsigned i, int prot)
{
    const struct page *p = &s->pg[i];
    if (!p->mapped || (p->prot & prot) != prot) return 0;
    if (p->file < 0) return PAGE;
    off_t size = file_size(p->file);
    return p->off >= size ? 0 : (size_t)(size - p->off < PAGE ? size - p->off : PAGE);
}

/* A random span of page i (random too) that allows `prot`, at most `max`
 * bytes: false if the chosen page allows nothing. */
static bool pick_span(const struct slot *s, int prot, unsigned max, unsigned *i, size_t *at, size_t *n)
{
    *i = pick(s->npages);
    size_t room = touchable(s, *i, prot);
    if (!room) return false;
    *at = pick((unsigned)room);
    *n = 1 + pick(max);
    if (*n > room - *at) *n = room - *at;
    return true;
}

/* A random mapping: its protection, source and flags. */
struct source {
    int prot, file;
    off_t off;
    bool shared;
};

static struct source random_source(void)
{
    struct source src;
    unsigned p = pick(7);
    src.prot = p == 0 ? PROT_NONE : p < 3 ? PROT_READ : PROT_READ | PROT_WRITE;
    src.file = (int)pick(NFILES + 1) - 1;
    src.off = src.file < 0 ? 0 : (off_t)pick(5) * PAGE;
    src.shared = src.file >= 0 && pick(2);
    return src;
}

static char *arena(const struct slot *s) { return (char *)(uintptr_t)(ARENA_BASE + slot_index(s) * ARENA_BYTES); }

/* Map pages at `at`: over whatever is there when `over`, else only if free. */
static void *map(void *at, size_t pages, const struct source *src, bool over)
{
    int flags = (src->shared ? MAP_SHARED : MAP_PRIVATE) | (src->file < 0 ? MAP_ANONYMOUS : 0) |
                (over ? MAP_FIXED : MAP_FIXED_NOREPLACE);
    return mmap(at, pages * PAGE, src->prot, flags, src->file < 0 ? -1 : fds[src->file], src->off);
}

static void model_map(struct slot *s, unsigned from, unsigned to, const struct source *src)
{
    for (unsigned i = from; i < to; i++)
        s->pg[i] = (struct page){ true, src->prot, src->file, src->file < 0 ? 0 : src->off + (off_t)(i - from) * PAGE,
                                  src->shared };
}

static bool any_mapped(const struct slot *s)
{
    for (unsigned i = 0; i < s->npages; i++)
        if (s->pg[i].mapped) return true;
    return false;
}

/* A random range [*a, *b) of slot s. */
static void random_range(const struct slot *s, unsigned *a, unsigned *b)
{
    *a = pick(s->npages);
    *b = *a + 1 + pick(s->npages - *a);
}

static void op_map(void)
{
    struct slot *s = &slots[pick(NSLOTS)];
    if (s->addr) return;
    unsigned pages = 1 + pick(8);
    struct source src = random_source();
    if (verbose) printf("map slot %d: %u pages, file %d at %lld, prot %d, %s\n", slot_index(s), pages, src.file,
                        (long long)src.off, src.prot, src.shared ? "shared" : "private");
    void *p = map(arena(s), pages, &src, false);
    result("mmap", p == MAP_FAILED ? -1 : 0);
    if (p == MAP_FAILED) return;
    s->addr = p;
    s->npages = pages;
    s->pristine = true;
    model_map(s, 0, pages, &src);
}

static void op_map_over(struct slot *s)
{
    unsigned a, b;
    random_range(s, &a, &b);
    struct source src = random_source();
    if (verbose) printf("map over slot %d [%u,%u): file %d at %lld, prot %d, %s\n", slot_index(s), a, b, src.file,
                        (long long)src.off, src.prot, src.shared ? "shared" : "private");
    void *p = map(s->addr + (size_t)a * PAGE, b - a, &src, true);
    result("mmap fixed", p == MAP_FAILED ? -1 : 0);
    s->pristine = false;
    if (p != MAP_FAILED) model_map(s, a, b, &src);
}

static void op_unmap(struct slot *s)
{
    unsigned a, b;
    random_range(s, &a, &b);
    if (verbose) printf("munmap slot %d [%u,%u)\n", slot_index(s), a, b);
    result("munmap", munmap(s->addr + (size_t)a * PAGE, (size_t)(b - a) * PAGE));
    for (unsigned i = a; i < b; i++) s->pg[i].mapped = false;
    s->pristine = false;
    if (!any_mapped(s)) s->addr = NULL;
}

static void op_protect(struct slot *s)
{
    unsigned a, b;
    random_range(s, &a, &b);
    /* Only wholly mapped ranges: where a hole stops Linux, it has already
     * changed the part before it. */
    for (unsigned i = a; i < b; i++)
        if (!s->pg[i].mapped) return;
    unsigned p = pick(4);
    int prot = p == 0 ? PROT_NONE : p == 1 ? PROT_READ : PROT_READ | PROT_WRITE;
    if (verbose) printf("mprotect slot %d [%u,%u) to %d\n", slot_index(s), a, b, prot);
    long r = mprotect(s->addr + (size_t)a * PAGE, (size_t)(b - a) * PAGE, prot);
    result("mprotect", r);
    if (a != 0 || b != s->npages) s->pristine = false;
    if (r == 0)
        for (unsigned i = a; i < b; i++) s->pg[i].prot = prot;
}

static void op_store(struct slot *s)
{
    unsigned i;
    size_t at, n;
    if (!pick_span(s, PROT_READ | PROT_WRITE, 64, &i, &at, &n)) return;
    for (size_t k = 0; k < n; k++) s->addr[(size_t)i * PAGE + at + k] = (char)next();
    if (verbose) printf("store slot %d page %u at %zu n %zu\n", slot_index(s), i, at, n);
    result("store", (long)n);
}

static void op_load(struct slot *s)
{
    unsigned i;
    size_t at, n;
    if (!pick_span(s, PROT_READ, 256, &i, &at, &n)) return;
    fold(s->addr + (size_t)i * PAGE + at, n);
    if (verbose) printf("load slot %d page %u at %zu n %zu: digest now %016llx\n", slot_index(s), i, at, n,
                        (unsigned long long)digest);
    result("load", (long)n);
}

static void pwrite_random(int f)
{
    static char buf[3 * PAGE];
    size_t n = 1 + pick(sizeof buf);
    for (size_t k = 0; k < n; k++) buf[k] = (char)next();
    unsigned off = pick(MAX_FILE_PAGES * PAGE);
    if (verbose) printf("pwrite file %d at %u n %zu\n", f, off, n);
    result("pwrite", pwrite(fds[f], buf, n, off));
}

static void op_pwrite(void) { pwrite_random((int)pick(NFILES)); }

static void op_truncate(void)
{
    int f = (int)pick(NFILES);
    unsigned size = pick(MAX_FILE_PAGES * PAGE);
    if (verbose) printf("ftruncate file %d to %u\n", f, size);
    result("ftruncate", ftruncate(fds[f], size));
}

static void op_punch(void)
{
    int f = (int)pick(NFILES);
    unsigned off = pick(MAX_FILE_PAGES * PAGE), len = 1 + pick(3 * PAGE);
    if (verbose) printf("punch file %d at %u len %u\n", f, off, len);
    result("punch", fallocate(fds[f], FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, len));
}

static void op_msync(struct slot *s)
{
    unsigned a, b;
    random_range(s, &a, &b);
    if (verbose) printf("msync slot %d [%u,%u)\n", slot_index(s), a, b);
    result("msync", msync(s->addr + (size_t)a * PAGE, (size_t)(b - a) * PAGE, MS_SYNC));
}

static void op_dontneed(struct slot *s)
{
    unsigned a, b;
    random_range(s, &a, &b);
    if (verbose) printf("madvise(DONTNEED) slot %d [%u,%u)\n", slot_index(s), a, b);
    result("madvise", madvise(s->addr + (size_t)a * PAGE, (size_t)(b - a) * PAGE, MADV_DONTNEED));
}

/* Grow a pristine slot (in place: its arena has room); its first page says
 * what the new pages are. */
static void op_remap(struct slot *s)
{
    unsigned grow = 1 + pick(2);
    if (s->npages + grow > MAX_PAGES || !s->pristine) return;
    if (verbose) printf("mremap slot %d by %u\n", slot_index(s), grow);
    void *p = mremap(s->addr, (size_t)s->npages * PAGE, (size_t)(s->npages + grow) * PAGE, MREMAP_MAYMOVE);
    result("mremap", p == MAP_FAILED ? -1 : 0);
    if (p == MAP_FAILED) return;
    s->addr = p;
    struct source src = { s->pg[0].prot, s->pg[0].file, s->pg[0].off, s->pg[0].shared };
    s->npages += grow;
    model_map(s, 0, s->npages, &src);
}

/* The kernel writing into a mapping: read(2)'s copy-out. */
static void op_pread_into(struct slot *s)
{
    unsigned i;
    size_t at, n;
    if (!pick_span(s, PROT_READ | PROT_WRITE, 512, &i, &at, &n)) return;
    int f = (int)pick(NFILES);
    unsigned off = pick(MAX_FILE_PAGES * PAGE);
    if (verbose) printf("pread file %d at %u n %zu into slot %d page %u at %zu\n", f, off, n, slot_index(s), i, at);
    result("pread", pread(fds[f], s->addr + (size_t)i * PAGE + at, n, off));
}

static void dump(void)
{
    printf("digest %016llx\n", (unsigned long long)digest);
    static char buf[MAX_FILE_PAGES * PAGE * 2];
    for (int f = 0; f < NFILES; f++) {
        off_t size = file_size(f);
        ssize_t n = pread(fds[f], buf, sizeof buf, 0);
        digest = 1469598103934665603ull;
        if (n > 0) fold(buf, (size_t)n);
        printf("file %d size %lld hash %016llx\n", f, (long long)size, (unsigned long long)digest);
    }
    for (int i = 0; i < NSLOTS; i++) {
        struct slot *s = &slots[i];
        if (!s->addr) continue;
        digest = 1469598103934665603ull;
        unsigned mapped = 0;
        for (unsigned p = 0; p < s->npages; p++) {
            mapped += s->pg[p].mapped;
            fold(s->addr + (size_t)p * PAGE, touchable(s, p, PROT_READ));
        }
        printf("slot %d: %u of %u pages mapped, contents %016llx\n", i, mapped, s->npages,
               (unsigned long long)digest);
    }
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: vmops_random SEED DIR [OPS] [-v]\n");
        return 2;
    }
    rng = strtoull(argv[1], NULL, 10) * 0x9E3779B97F4A7C15ull + 1;
    const char *dir = argv[2];
    int ops = argc > 3 && argv[3][0] != '-' ? atoi(argv[3]) : 400;
    verbose = argc > 3 && strcmp(argv[argc - 1], "-v") == 0;
    if (mkdir(dir, 0755) != 0) {
        perror(dir);
        return 1;
    }
    for (int f = 0; f < NFILES; f++) {
        char path[512];
        snprintf(path, sizeof path, "%s/f%d", dir, f);
        fds[f] = open(path, O_CREAT | O_EXCL | O_RDWR, 0644);
        if (fds[f] < 0) {
            perror(path);
            return 1;
        }
        pwrite_random(f);
    }
    for (int i = 0; i < ops; i++) {
        unsigned kind = pick(15);
        if (kind == 0) op_map();
        else if (kind == 1) op_pwrite();
        else if (kind == 2) op_truncate();
        else if (kind == 3) op_punch();
        else {
            struct slot *s = &slots[pick(NSLOTS)];
            if (!s->addr) continue;
            switch (kind) {
            case 4: op_map_over(s); break;
            case 5: op_unmap(s); break;
            case 6: op_protect(s); break;
            case 7: case 8: op_store(s); break;
            case 9: case 10: op_load(s); break;
            case 11: op_msync(s); break;
            case 12: op_dontneed(s); break;
            case 13: op_remap(s); break;
            case 14: op_pread_into(s); break;
            }
        }
    }
    dump();
    return 0;
}
