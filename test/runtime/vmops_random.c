/* Randomized memory-mapping operations: `vmops_random SEED DIR [OPS] [-v]`
 * performs OPS (default 400) operations chosen by SEED on three files in DIR
 * (created; must not exist) and up to eight mappings of them or of anonymous
 * memory: mmap (private or shared, read-only or read-write, at page offsets
 * inside or past the end), munmap (whole or the tail), mprotect, stores and
 * loads through the mappings, pwrite, ftruncate (down and up), hole punching,
 * msync, madvise(DONTNEED), mremap (grow, moving if it must) and pread into a
 * mapping. Loads and stores only touch bytes inside the file (past its end is
 * SIGBUS, or bytes Linux and Pith may zero at different moments), so every
 * result is defined by Linux's page-cache semantics. It prints a digest of
 * every operation's result and of every byte loaded, then each file's size
 * and content hash and each mapping's contents.
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
#include <sys/stat.h>
#include <unistd.h>

#define PAGE 4096
#define NFILES 3
#define NSLOTS 8
#define MAX_FILE_PAGES 6

static uint64_t rng;
static uint64_t next(void)
{
    /* xorshift64*: the same sequence on every machine and libc. */
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 2685821657736338717ull;
}
static unsigned pick(unsigned n) { return (unsigned)(next() % n); }

static uint64_t digest = 1469598103934665603ull;
static void fold(const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) digest = (digest ^ b[i]) * 1099511628211ull;
}
static bool verbose;

/* One operation's outcome: the return value, or -errno. */
static void result(int op, long r)
{
    long v = r < 0 ? -errno : r;
    fold(&op, sizeof op);
    fold(&v, sizeof v);
    if (verbose) printf("op %d -> %ld\n", op, v);
}

struct slot {
    char *addr;
    unsigned pages;
    int file;        /* -1: anonymous */
    off_t off;
    bool shared, writable;
};

static int fds[NFILES];
static struct slot slots[NSLOTS];

static off_t file_size(int f)
{
    struct stat st;
    return fstat(fds[f], &st) == 0 ? st.st_size : 0;
}

/* How many bytes of page i of slot s may be touched: all of an anonymous
 * page, the part inside the file of a file page (0 past the end). */
static size_t touchable(const struct slot *s, unsigned i)
{
    if (s->file < 0) return PAGE;
    off_t at = s->off + (off_t)i * PAGE, size = file_size(s->file);
    return at >= size ? 0 : (size_t)(size - at < PAGE ? size - at : PAGE);
}

static struct slot *any_slot(void)
{
    struct slot *s = &slots[pick(NSLOTS)];
    return s->addr ? s : NULL;
}

static void op_map(void)
{
    struct slot *s = &slots[pick(NSLOTS)];
    if (s->addr) return;
    s->pages = 1 + pick(6);
    s->file = (int)pick(NFILES + 1) - 1;
    s->off = s->file < 0 ? 0 : (off_t)pick(5) * PAGE;
    s->shared = s->file >= 0 && pick(2);
    s->writable = pick(3) != 0;
    int prot = PROT_READ | (s->writable ? PROT_WRITE : 0);
    int flags = (s->shared ? MAP_SHARED : MAP_PRIVATE) | (s->file < 0 ? MAP_ANONYMOUS : 0);
    void *p = mmap(NULL, (size_t)s->pages * PAGE, prot, flags, s->file < 0 ? -1 : fds[s->file], s->off);
    if (verbose) printf("map slot %d file %d off %lld pages %u shared %d w %d\n", (int)(s - slots), s->file, (long long)s->off, s->pages, s->shared, s->writable);
    result(0, p == MAP_FAILED ? -1 : 0);
    s->addr = p == MAP_FAILED ? NULL : p;
}

static void op_unmap(struct slot *s)
{
    unsigned keep = s->pages > 1 && pick(2) ? 1 + pick(s->pages - 1) : 0;
    if (verbose) printf("unmap slot %d keep %u\n", (int)(s - slots), keep);
    result(1, munmap(s->addr + (size_t)keep * PAGE, (size_t)(s->pages - keep) * PAGE));
    s->pages = keep;
    if (!keep) s->addr = NULL;
}

static void op_protect(struct slot *s)
{
    s->writable = pick(2);
    if (verbose) printf("protect slot %d w %d\n", (int)(s - slots), s->writable);
    result(2, mprotect(s->addr, (size_t)s->pages * PAGE, PROT_READ | (s->writable ? PROT_WRITE : 0)));
}

static void op_store(struct slot *s)
{
    if (!s->writable) return;
    unsigned i = pick(s->pages);
    size_t room = touchable(s, i);
    if (!room) return;
    size_t at = pick((unsigned)room), n = 1 + pick(64);
    if (n > room - at) n = room - at;
    for (size_t k = 0; k < n; k++) s->addr[(size_t)i * PAGE + at + k] = (char)next();
    if (verbose) printf("store slot %d page %u at %zu n %zu\n", (int)(s - slots), i, at, n);
    result(3, (long)n);
}

static void op_load(struct slot *s)
{
    unsigned i = pick(s->pages);
    size_t room = touchable(s, i);
    if (!room) return;
    size_t at = pick((unsigned)room), n = 1 + pick(256);
    if (n > room - at) n = room - at;
    fold(s->addr + (size_t)i * PAGE + at, n);
    if (verbose) printf("load slot %d page %u at %zu n %zu: digest now %016llx\n", (int)(s - slots), i, at, n,
                        (unsigned long long)digest);
    result(4, (long)n);
}

static void pwrite_random(int f)
{
    static char buf[3 * PAGE];
    size_t n = 1 + pick(sizeof buf);
    for (size_t k = 0; k < n; k++) buf[k] = (char)next();
    unsigned o = pick(MAX_FILE_PAGES * PAGE);
    if (verbose) printf("pwrite file %d off %u n %zu\n", f, o, n);
    result(5, pwrite(fds[f], buf, n, o));
}

static void op_pwrite(void) { pwrite_random((int)pick(NFILES)); }

static void op_truncate(void)
{
    int f = (int)pick(NFILES); unsigned sz = pick(MAX_FILE_PAGES * PAGE);
    if (verbose) printf("truncate file %d to %u\n", f, sz);
    result(6, ftruncate(fds[f], sz));
}

static void op_punch(void)
{
    int f = (int)pick(NFILES); unsigned o = pick(MAX_FILE_PAGES * PAGE), l = 1 + pick(3 * PAGE);
    if (verbose) printf("punch file %d off %u len %u\n", f, o, l);
    result(11, fallocate(fds[f], FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, o, l));
}

static void op_msync(struct slot *s) { if (verbose) printf("msync slot %d\n", (int)(s - slots)); result(7, msync(s->addr, (size_t)s->pages * PAGE, MS_SYNC)); }

static void op_dontneed(struct slot *s) { if (verbose) printf("dontneed slot %d\n", (int)(s - slots)); result(8, madvise(s->addr, (size_t)s->pages * PAGE, MADV_DONTNEED)); }

static void op_remap(struct slot *s)
{
    unsigned grow = 1 + pick(2);
    void *p = mremap(s->addr, (size_t)s->pages * PAGE, (size_t)(s->pages + grow) * PAGE, MREMAP_MAYMOVE);
    if (verbose) printf("remap slot %d grow %u\n", (int)(s - slots), grow);
    result(9, p == MAP_FAILED ? -1 : 0);
    if (p != MAP_FAILED) {
        s->addr = p;
        s->pages += grow;
    }
}

/* The kernel writing into a mapping: read(2)'s copy-out. */
static void op_pread_into(struct slot *s)
{
    if (!s->writable) return;
    unsigned i = pick(s->pages);
    size_t room = touchable(s, i);
    if (!room) return;
    size_t at = pick((unsigned)room), n = 1 + pick(512);
    if (n > room - at) n = room - at;
    int f = (int)pick(NFILES); unsigned o = pick(MAX_FILE_PAGES * PAGE);
    if (verbose) printf("pread_into slot %d page %u at %zu n %zu from file %d off %u\n", (int)(s - slots), i, at, n, f, o);
    result(10, pread(fds[f], s->addr + (size_t)i * PAGE + at, n, o));
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
        for (unsigned p = 0; p < s->pages; p++) fold(s->addr + (size_t)p * PAGE, touchable(s, p));
        printf("mapping %d: %u pages of %s%d at %lld, %s: %016llx\n", i, s->pages, s->file < 0 ? "anon" : "file ",
               s->file < 0 ? 0 : s->file, (long long)s->off, s->shared ? "shared" : "private",
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
        unsigned kind = pick(13);
        struct slot *s = kind == 0 || kind == 5 || kind == 6 || kind == 11 ? NULL : any_slot();
        switch (kind) {
        case 0: op_map(); break;
        case 5: op_pwrite(); break;
        case 6: op_truncate(); break;
        case 11: op_punch(); break;
        default:
            if (!s) break;
            switch (kind) {
            case 1: op_unmap(s); break;
            case 2: op_protect(s); break;
            case 3: case 12: op_store(s); break;
            case 4: op_load(s); break;
            case 7: op_msync(s); break;
            case 8: op_dontneed(s); break;
            case 9: op_remap(s); break;
            case 10: op_pread_into(s); break;
            }
        }
    }
    dump();
    return 0;
}
