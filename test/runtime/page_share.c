/* File mappings share the page cache instead of copying it, seen through
 * /proc/self/pagemap: the program's own text is the page cache's page (the
 * same frame a fresh mapping of the executable gets), two private mappings
 * of a file share one frame, a write gives the writer its own copy and
 * leaves the file and the other mapping alone, and an untouched private
 * page sees later write()s to the file, as on Linux. A MAP_SHARED mapping
 * writes the page cache's page itself: read() sees its stores at once and
 * it sees write()s at once.
 *
 * Runs on Linux too; an unprivileged reader sees frames as 0 there, and the
 * frame comparisons are then skipped (said on one line). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PAGE 4096
#define PM_PRESENT (1ull << 63)
#define PM_FILE (1ull << 61)
#define PM_PFN ((1ull << 55) - 1)

static int failures;
#define CHECK(cond, ...) do { if (!(cond)) { failures++; printf("FAIL line %d: ", __LINE__); printf(__VA_ARGS__); printf(" (errno %d %s)\n", errno, strerror(errno)); } } while (0)

static int pagemap_fd;
static int frames_visible;

static uint64_t pagemap(const volatile void *addr)
{
    uint64_t e = 0;
    off_t off = (off_t)((uintptr_t)addr / PAGE * 8);
    if (pread(pagemap_fd, &e, sizeof e, off) != sizeof e) return 0;
    return e;
}

static uint64_t frame(const volatile void *addr) { return pagemap(addr) & PM_PFN; }

/* The file offset /proc/self/maps gives for the page holding addr. */
static int mapping_of(const void *addr, char *path, size_t pathlen, off_t *offset)
{
    FILE *m = fopen("/proc/self/maps", "r");
    if (!m) return -1;
    char line[512];
    int found = -1;
    while (fgets(line, sizeof line, m)) {
        unsigned long lo, hi, off;
        char perms[8], file[400] = "";
        if (sscanf(line, "%lx-%lx %7s %lx %*s %*s %399s", &lo, &hi, perms, &off, file) < 4) continue;
        uintptr_t a = (uintptr_t)addr;
        if (a < lo || a >= hi) continue;
        snprintf(path, pathlen, "%s", file);
        *offset = (off_t)(off + (a / PAGE * PAGE - lo));
        found = 0;
    }
    fclose(m);
    return found;
}

/* A field of /proc/self/status in kB, or -1. */
static long status_kb(const char *field)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long v = -1;
    size_t n = strlen(field);
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, field, n) == 0) v = strtol(line + n, NULL, 10);
    if (f) fclose(f);
    return v;
}

static void check_text(void)
{
    const volatile char *text = (const volatile char *)(uintptr_t)&check_text;
    (void)*text;
    uint64_t e = pagemap(text);
    CHECK(e & PM_PRESENT, "own text page not present in pagemap (%llx)", (unsigned long long)e);
    CHECK(e & PM_FILE, "own text page is not a file page (%llx)", (unsigned long long)e);
    CHECK(status_kb("RssFile:") > 0 && status_kb("RssAnon:") > 0, "RssFile %ld kB, RssAnon %ld kB",
          status_kb("RssFile:"), status_kb("RssAnon:"));
    frames_visible = frame(text) != 0;
    if (!frames_visible) {
        printf("skip: frame numbers are hidden from this reader\n");
        return;
    }
    char path[400];
    off_t off = 0;
    CHECK(mapping_of((const void *)text, path, sizeof path, &off) == 0, "own text not in /proc/self/maps");
    int fd = open("/proc/self/exe", O_RDONLY);
    CHECK(fd >= 0, "open /proc/self/exe");
    const volatile char *again = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd, off);
    CHECK(again != MAP_FAILED, "mmap the executable");
    if (again == MAP_FAILED) return;
    CHECK(again[(uintptr_t)text % PAGE] == *text, "a mapping of the executable reads other bytes");
    CHECK(frame(again) == frame(text), "the executable's text and a new mapping of it are different frames");
    printf("text shared with the page cache: %s\n", frame(again) == frame(text) ? "yes" : "no");
    munmap((void *)again, PAGE);
    close(fd);
}

static void check_private_mappings(const char *dir)
{
    char path[512];
    snprintf(path, sizeof path, "%s/page_share.dat", dir);
    int fd = open(path, O_CREAT | O_TRUNC | O_RDWR, 0644);
    CHECK(fd >= 0, "create %s", path);
    /* Two and a half pages: 'a' page, 'b' page, then half a page of 'c'. */
    static char buf[PAGE * 2 + PAGE / 2];
    memset(buf, 'a', PAGE);
    memset(buf + PAGE, 'b', PAGE);
    memset(buf + 2 * PAGE, 'c', PAGE / 2);
    CHECK(write(fd, buf, sizeof buf) == (ssize_t)sizeof buf, "write the data file");

    volatile char *a = mmap(NULL, 3 * PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
    volatile char *b = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    CHECK(a != MAP_FAILED && b != MAP_FAILED, "mmap the data file twice");
    if (a == MAP_FAILED || b == MAP_FAILED) return;
    CHECK(a[0] == 'a' && b[0] == 'a' && a[PAGE] == 'b' && b[PAGE + 7] == 'b', "mapped bytes differ from the file");
    CHECK(a[2 * PAGE] == 'c' && a[2 * PAGE + PAGE / 2 - 1] == 'c' && a[2 * PAGE + PAGE / 2] == 0 &&
          a[3 * PAGE - 1] == 0, "the last page is not the file's tail followed by zeros");
    CHECK(pagemap(a) & PM_FILE, "a read private file page is not the page cache's");
    if (frames_visible) {
        CHECK(frame(a) == frame(b), "two private mappings of one file page use two frames");
        CHECK(frame(a + PAGE) == frame(b + PAGE), "second page: two frames");
        printf("two mappings share one frame: %s\n", frame(a) == frame(b) ? "yes" : "no");
    }

    /* Writing gives the writer its own copy. */
    uint64_t before = frame(b);
    b[0] = 'X';
    CHECK(b[0] == 'X' && a[0] == 'a', "a write to one private mapping shows in the other");
    CHECK(!(pagemap(b) & PM_FILE), "a written private page is still the page cache's");
    if (frames_visible) CHECK(frame(b) != before, "a written private page kept its frame");
    char c = 0;
    CHECK(pread(fd, &c, 1, 0) == 1 && c == 'a', "a write to a private mapping reached the file");

    /* The kernel writing into the mapping (read(2) into it) copies too. */
    int fd2 = open(path, O_RDONLY);
    CHECK(fd2 >= 0 && pread(fd2, (char *)b + PAGE, 3, 2 * PAGE) == 3, "read(2) into a private file mapping");
    CHECK(b[PAGE] == 'c' && a[PAGE] == 'b', "read(2) into one mapping changed the other");
    CHECK(pread(fd, &c, 1, PAGE) == 1 && c == 'b', "read(2) into a private mapping reached the file");
    close(fd2);

    /* A page nobody wrote follows the file, as on Linux. */
    CHECK(pwrite(fd, "Z", 1, 2 * PAGE + 5) == 1, "pwrite");
    CHECK(a[2 * PAGE + 5] == 'Z' && b[2 * PAGE + 5] == 'Z', "an untouched private page missed a write(2) to its file");

    /* mprotect to writable does not open the shared page to writes. */
    volatile char *r = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd, PAGE);
    CHECK(r != MAP_FAILED && r[0] == 'b', "mmap one page");
    CHECK(mprotect((void *)r, PAGE, PROT_READ | PROT_WRITE) == 0, "mprotect");
    r[1] = 'Y';
    CHECK(r[1] == 'Y' && a[PAGE + 1] == 'b', "writing after mprotect changed another mapping");
    CHECK(pread(fd, &c, 1, PAGE + 1) == 1 && c == 'b', "writing after mprotect changed the file");

    /* MADV_DONTNEED drops the private copy: the file's bytes come back. */
    CHECK(madvise((void *)b, PAGE, MADV_DONTNEED) == 0, "madvise");
    CHECK(b[0] == 'a', "after MADV_DONTNEED a private file page reads %c, not the file's a", b[0]);

    /* The mapping outlives the name and the descriptor. */
    close(fd);
    CHECK(unlink(path) == 0, "unlink");
    CHECK(a[0] == 'a' && a[PAGE] == 'b' && a[2 * PAGE] == 'c', "mapping broken by close+unlink");
    munmap((void *)a, 3 * PAGE);
    munmap((void *)b, 3 * PAGE);
    munmap((void *)r, PAGE);
}

static void check_shared_mapping(const char *dir)
{
    char path[512];
    snprintf(path, sizeof path, "%s/page_share_shared.dat", dir);
    int fd = open(path, O_CREAT | O_TRUNC | O_RDWR, 0644);
    CHECK(fd >= 0, "create %s", path);
    static char buf[2 * PAGE];
    memset(buf, 'p', PAGE);
    memset(buf + PAGE, 'q', PAGE);
    CHECK(write(fd, buf, sizeof buf) == (ssize_t)sizeof buf, "write the shared data file");
    volatile char *sh = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    volatile char *pr = mmap(NULL, 2 * PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
    CHECK(sh != MAP_FAILED && pr != MAP_FAILED, "mmap shared and private");
    if (sh == MAP_FAILED || pr == MAP_FAILED) return;
    CHECK(sh[0] == 'p' && pr[0] == 'p' && sh[PAGE] == 'q', "mapped bytes differ from the file");
    CHECK(pagemap(sh) & PM_FILE, "a shared file page is not the page cache's");
    if (frames_visible) {
        CHECK(frame(sh) == frame(pr), "a shared and a private mapping of one page use two frames");
        printf("shared and private mappings share one frame: %s\n", frame(sh) == frame(pr) ? "yes" : "no");
    }
    sh[1] = 'S';
    /* Making a written page read-only must not lose the write. */
    sh[PAGE + 9] = 'P';
    CHECK(mprotect((char *)sh + PAGE, PAGE, PROT_READ) == 0, "mprotect shared read-only");
    char c = 0;
    CHECK(pread(fd, &c, 1, 1) == 1 && c == 'S', "read(2) does not see a store through a shared mapping (%c)", c);
    CHECK(pr[1] == 'S', "an untouched private page missed a store through a shared mapping");
    CHECK(pwrite(fd, "W", 1, PAGE + 2) == 1 && sh[PAGE + 2] == 'W', "a shared mapping missed a write(2)");
    /* Push every other block out of the cache: mapped pages must stay. */
    char big[512];
    snprintf(big, sizeof big, "%s/page_share_big.dat", dir);
    int bfd = open(big, O_CREAT | O_TRUNC | O_RDWR, 0644);
    static char chunk[64 * 1024];
    memset(chunk, 'z', sizeof chunk);
    int written = 0;
    for (int i = 0; i < 48 * 16 && bfd >= 0; i++, written++)   /* 48 MiB: more than the test machine's cache */
        if (write(bfd, chunk, sizeof chunk) != (ssize_t)sizeof chunk) break;
    CHECK(written == 48 * 16, "could write only %d KiB of the cache-filling file", written * 64);
    close(bfd);
    unlink(big);
    CHECK(pwrite(fd, "V", 1, 3) == 1 && sh[3] == 'V' && pr[3] == 'V', "after cache pressure a mapping missed a write(2)");
    CHECK(msync((void *)sh, 2 * PAGE, MS_SYNC) == 0, "msync");
    /* Holes (the file grown by ftruncate) are coherent too once written:
     * one read first, one written straight away. */
    CHECK(ftruncate(fd, 6 * PAGE) == 0, "ftruncate to grow");
    volatile char *h = mmap(NULL, 6 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    volatile char *hp = mmap(NULL, 6 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    CHECK(h != MAP_FAILED && hp != MAP_FAILED, "mmap the grown file");
    if (h != MAP_FAILED && hp != MAP_FAILED) {
        CHECK(h[2 * PAGE] == 0 && h[3 * PAGE + 9] == 0, "a hole does not read as zeros");
        /* Holes both mappings have read, then filled by write(2): both see it.
         * One the private mapping wrote first stays its own. */
        CHECK(h[4 * PAGE] == 0 && hp[4 * PAGE] == 0 && hp[5 * PAGE] == 0, "holes read as zeros");
        hp[5 * PAGE + 1] = 'P';
        CHECK(pwrite(fd, "q", 1, 4 * PAGE + 7) == 1 && pwrite(fd, "r", 1, 5 * PAGE + 7) == 1, "pwrite into holes");
        CHECK(h[4 * PAGE + 7] == 'q' && hp[4 * PAGE + 7] == 'q', "a hole filled by write(2) still reads zeros in a mapping");
        CHECK(h[5 * PAGE + 7] == 'r' && h[5 * PAGE + 1] == 0, "the shared mapping misses a write(2) into a hole");
        CHECK(hp[5 * PAGE + 1] == 'P' && hp[5 * PAGE + 7] == 0, "a private page written before the hole was filled changed");
        munmap((void *)hp, 6 * PAGE);
        h[2 * PAGE + 1] = 'h';
        h[3 * PAGE + 2] = 'j';
        CHECK(pread(fd, &c, 1, 2 * PAGE + 1) == 1 && c == 'h', "read(2) misses a store into a hole that was read first");
        CHECK(pread(fd, &c, 1, 3 * PAGE + 2) == 1 && c == 'j', "read(2) misses a store into a hole");
        CHECK(pwrite(fd, "k", 1, 3 * PAGE + 3) == 1 && h[3 * PAGE + 3] == 'k', "a filled hole's page misses write(2)");
        munmap((void *)h, 6 * PAGE);
    }
    /* A shared mapping of a file opened read-only cannot be made writable. */
    int ro = open(path, O_RDONLY);
    void *rom = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, ro, 0);
    CHECK(rom != MAP_FAILED && mprotect(rom, PAGE, PROT_READ | PROT_WRITE) < 0 && errno == EACCES,
          "mprotect(PROT_WRITE) of a read-only file's shared mapping");
    if (rom != MAP_FAILED) munmap(rom, PAGE);
    close(ro);
    CHECK(fsync(fd) == 0, "fsync");
    munmap((void *)sh, 2 * PAGE);
    munmap((void *)pr, 2 * PAGE);
    close(fd);
    fd = open(path, O_RDONLY);
    CHECK(fd >= 0 && pread(fd, buf, 4, 0) == 4 && memcmp(buf, "pSpV", 4) == 0, "the store did not reach the file");
    CHECK(fd >= 0 && pread(fd, buf, 1, PAGE + 9) == 1 && buf[0] == 'P', "a store before mprotect(PROT_READ) was lost");
    close(fd);
    unlink(path);
}

/* mremap keeps a file mapping a file mapping, grown in place or moved. */
static void check_mremap(const char *dir)
{
    char path[512];
    snprintf(path, sizeof path, "%s/page_share_mremap.dat", dir);
    int fd = open(path, O_CREAT | O_TRUNC | O_RDWR, 0644);
    static char buf[3 * PAGE];
    memset(buf, 'x', PAGE);
    memset(buf + PAGE, 'y', PAGE);
    memset(buf + 2 * PAGE, 'z', PAGE);
    CHECK(fd >= 0 && write(fd, buf, sizeof buf) == (ssize_t)sizeof buf, "write the mremap file");

    volatile char *m = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
    CHECK(m != MAP_FAILED, "mmap one page");
    m = mremap((void *)m, PAGE, 3 * PAGE, MREMAP_MAYMOVE);
    CHECK(m != MAP_FAILED && m[0] == 'x' && m[PAGE] == 'y' && m[2 * PAGE] == 'z',
          "a grown private file mapping does not show the file");
    if (m != MAP_FAILED) munmap((void *)m, 3 * PAGE);

    /* A shared mapping with a written page, forced to move by a neighbour. */
    volatile char *s = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(s != MAP_FAILED, "mmap shared");
    if (s == MAP_FAILED) return;
    CHECK(mmap((char *)s + PAGE, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != MAP_FAILED,
          "map a neighbour");
    s[0] = 'S';
    volatile char *moved = mremap((void *)s, PAGE, 3 * PAGE, MREMAP_MAYMOVE);
    CHECK(moved != MAP_FAILED && moved != s, "mremap did not move the shared mapping");
    if (moved == MAP_FAILED) return;
    CHECK(moved[0] == 'S' && moved[PAGE] == 'y', "a moved shared mapping lost its pages");
    moved[2 * PAGE] = 'T';
    CHECK(msync((void *)moved, 3 * PAGE, MS_SYNC) == 0, "msync the moved mapping");
    munmap((void *)moved, 3 * PAGE);
    munmap((char *)s + PAGE, PAGE);
    char c0 = 0, c2 = 0;
    CHECK(pread(fd, &c0, 1, 0) == 1 && pread(fd, &c2, 1, 2 * PAGE) == 1 && c0 == 'S' && c2 == 'T',
          "stores through a moved shared mapping did not reach the file (%c %c)", c0, c2);
    close(fd);
    unlink(path);
}

/* mincore: a file page counts when the page cache has it, touched or not;
 * an anonymous page once touched. */
static void check_mincore(const char *dir)
{
    char path[512];
    snprintf(path, sizeof path, "%s/page_share_mincore.dat", dir);
    int fd = open(path, O_CREAT | O_TRUNC | O_RDWR, 0644);
    static char buf[3 * PAGE];
    memset(buf, 'm', sizeof buf);
    CHECK(fd >= 0 && write(fd, buf, sizeof buf) == (ssize_t)sizeof buf, "write");
    unsigned char vec[3] = { 9, 9, 9 };
    void *f = mmap(NULL, 3 * PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
    CHECK(f != MAP_FAILED && mincore(f, 3 * PAGE, vec) == 0 && (vec[0] & 1) && (vec[1] & 1) && (vec[2] & 1),
          "mincore of a just-written file's untouched mapping: %d %d %d", vec[0], vec[1], vec[2]);
    volatile char *a = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(a != MAP_FAILED, "mmap anon");
    if (a != MAP_FAILED) {
        a[0] = 1;
        CHECK(mincore((void *)a, 2 * PAGE, vec) == 0 && (vec[0] & 1) && !(vec[1] & 1), "mincore of anonymous memory: %d %d",
              vec[0], vec[1]);
        munmap((void *)a, 2 * PAGE);
    }
    if (f != MAP_FAILED) munmap(f, 3 * PAGE);
    close(fd);
    unlink(path);
}

/* /dev/zero maps as anonymous memory, private or shared. */
static void check_dev_zero(void)
{
    int z = open("/dev/zero", O_RDWR);
    CHECK(z >= 0, "open /dev/zero");
    volatile char *p = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, z, 0);
    volatile char *s = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, z, 0);
    CHECK(p != MAP_FAILED && s != MAP_FAILED, "mmap /dev/zero");
    if (p != MAP_FAILED && s != MAP_FAILED) {
        CHECK(p[0] == 0 && p[PAGE + 5] == 0 && s[9] == 0, "/dev/zero mapping is not zeros");
        p[1] = 'z';
        s[2] = 'y';
        CHECK(p[1] == 'z' && s[2] == 'y', "/dev/zero mapping does not keep stores");
    }
    close(z);
}

/* Bad arguments get Linux's errors, nothing else. */
static void check_bad_args(const char *dir)
{
    char path[512];
    snprintf(path, sizeof path, "%s/page_share_bad.dat", dir);
    int fd = open(path, O_CREAT | O_TRUNC | O_RDWR, 0644);
    CHECK(fd >= 0 && write(fd, "x", 1) == 1, "create");
    errno = 0;
    CHECK(mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd, 100) == MAP_FAILED && errno == EINVAL, "unaligned offset");
    errno = 0;
    CHECK(mmap(NULL, 0, PROT_READ, MAP_PRIVATE, fd, 0) == MAP_FAILED && errno == EINVAL, "zero length");
    errno = 0;
    CHECK(mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, 999, 0) == MAP_FAILED && errno == EBADF, "bad fd");
    int dfd = open(dir, O_RDONLY | O_DIRECTORY);
    errno = 0;
    CHECK(mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, dfd, 0) == MAP_FAILED && errno == ENODEV, "a directory");
    close(dfd);
    int wo = open(path, O_WRONLY);
    errno = 0;
    CHECK(mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, wo, 0) == MAP_FAILED && errno == EACCES, "write-only fd");
    close(wo);
    char *m = mmap(NULL, 3 * PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
    CHECK(m != MAP_FAILED, "mmap");
    if (m == MAP_FAILED) return;
    CHECK(munmap(m + PAGE, PAGE) == 0, "punch a gap");
    errno = 0;
    CHECK(mprotect(m, 3 * PAGE, PROT_READ) < 0 && errno == ENOMEM, "mprotect over a gap");
    errno = 0;
    CHECK(madvise(m, 3 * PAGE, MADV_DONTNEED) < 0 && errno == ENOMEM, "madvise over a gap");
    errno = 0;
    CHECK(msync(m, 3 * PAGE, MS_SYNC) < 0 && errno == ENOMEM, "msync over a gap");
    errno = 0;
    CHECK(mremap(m, 3 * PAGE, 4 * PAGE, MREMAP_MAYMOVE) == MAP_FAILED && errno == EFAULT, "mremap over a gap");
    errno = 0;
    CHECK(mremap(m + 1, PAGE, 2 * PAGE, MREMAP_MAYMOVE) == MAP_FAILED && errno == EINVAL, "mremap unaligned");
    munmap(m, 3 * PAGE);
    close(fd);
    unlink(path);
}

int main(int argc, char **argv)
{
    pagemap_fd = open("/proc/self/pagemap", O_RDONLY);
    CHECK(pagemap_fd >= 0, "open /proc/self/pagemap");
    uint64_t e;
    CHECK(pread(pagemap_fd, &e, 4, 0) < 0 && errno == EINVAL, "pagemap must refuse partial entries");
    check_text();
    check_private_mappings(argc > 1 ? argv[1] : ".");
    check_shared_mapping(argc > 1 ? argv[1] : ".");
    check_mremap(argc > 1 ? argv[1] : ".");
    check_bad_args(argc > 1 ? argv[1] : ".");
    check_dev_zero();
    check_mincore(argc > 1 ? argv[1] : ".");
    printf(failures ? "page share: %d failed\n" : "page share ok\n", failures);
    return failures != 0;
}
