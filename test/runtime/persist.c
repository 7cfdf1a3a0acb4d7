/* Persistence across boots (run by test/run-tests' persist test, twice on the
 * same image). Phase 1 (no /keep/marker yet): writes files, some fsync'd,
 * some not (the kernel syncs at exit), renames, links, unlinks, and creates
 * the marker. Phase 2: checks all of it came back, then prints "phase 2 ok".
 * Every failed check prints one "FAIL ..." line and makes the exit status 1. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static int failures;

#define CHECK(cond, ...)                         \
    do {                                         \
        if (!(cond)) {                           \
            failures++;                          \
            printf("FAIL line %d: ", __LINE__); \
            printf(__VA_ARGS__);                 \
            printf("\n");                        \
        }                                        \
    } while (0)

#define BIG_SIZE (3 * 1024 * 1024 + 123)

static unsigned char pattern(size_t i) { return (unsigned char)(i * 7 + (i >> 12)); }

static void write_file(const char *path, const void *data, size_t len, int do_fsync)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0, "open %s: %s", path, strerror(errno));
    if (fd < 0) return;
    CHECK(write(fd, data, len) == (ssize_t)len, "write %s: %s", path, strerror(errno));
    if (do_fsync) CHECK(fsync(fd) == 0, "fsync %s: %s", path, strerror(errno));
    CHECK(close(fd) == 0, "close %s", path);
}

static char *read_file(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0) return NULL;
    struct stat st;
    fstat(fd, &st);
    char *buf = malloc((size_t)st.st_size + 1);
    size_t done = 0;
    while (buf && done < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + done, (size_t)st.st_size - done);
        if (n <= 0) break;
        done += (size_t)n;
    }
    close(fd);
    if (buf) buf[done] = 0;
    *len = done;
    return buf;
}

static void expect_text(const char *path, const char *want)
{
    size_t len;
    char *got = read_file(path, &len);
    CHECK(got && strcmp(got, want) == 0, "%s: got '%s', want '%s'", path, got ? got : "(missing)", want);
    free(got);
}

static void phase1(void)
{
    CHECK(mkdir("/keep", 0755) == 0, "mkdir: %s", strerror(errno));
    CHECK(mkdir("/keep/sub", 0700) == 0, "mkdir sub: %s", strerror(errno));
    write_file("/keep/synced.txt", "durable by fsync\n", 17, 1);
    write_file("/keep/unsynced.txt", "durable by the exit sync\n", 25, 0);
    write_file("/keep/sub/gone.txt", "to be removed\n", 14, 1);
    CHECK(unlink("/keep/sub/gone.txt") == 0, "unlink");
    write_file("/keep/old-name", "renamed\n", 8, 0);
    CHECK(rename("/keep/old-name", "/keep/sub/new-name") == 0, "rename");
    CHECK(link("/keep/synced.txt", "/keep/sub/hardlink") == 0, "link");
    CHECK(symlink("../synced.txt", "/keep/sub/symlink") == 0, "symlink");
    CHECK(chmod("/keep/unsynced.txt", 0600) == 0, "chmod");

    char *big = malloc(BIG_SIZE);
    for (size_t i = 0; i < BIG_SIZE; i++) big[i] = (char)pattern(i);
    write_file("/keep/big.bin", big, BIG_SIZE, 0);
    free(big);
    /* A sparse file: one byte at 100 MiB. */
    int fd = open("/keep/sparse", O_WRONLY | O_CREAT, 0644);
    CHECK(fd >= 0 && pwrite(fd, "Z", 1, 100 << 20) == 1, "sparse write");
    close(fd);
    /* Appended in two runs of writes around an fdatasync. */
    fd = open("/keep/append.log", O_WRONLY | O_CREAT | O_APPEND, 0644);
    CHECK(write(fd, "one\n", 4) == 4 && fdatasync(fd) == 0 && write(fd, "two\n", 4) == 4, "append");
    close(fd);
    /* Stores through a shared mapping, left for the exit to write back: one
     * into a page of the page cache, one into a page made read-only after
     * the store, one into a hole. */
    static char zeros[8192];
    write_file("/keep/mapped", zeros, sizeof zeros, 1);
    fd = open("/keep/mapped", O_RDWR);
    CHECK(fd >= 0 && ftruncate(fd, 3 * 4096) == 0, "extend mapped");
    char *m = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(m != MAP_FAILED, "mmap shared");
    if (m != MAP_FAILED) {
        memcpy(m, "cached page", 11);
        memcpy(m + 4096, "then read-only", 14);
        CHECK(mprotect(m + 4096, 4096, PROT_READ) == 0, "mprotect");
        memcpy(m + 8192, "in a hole", 9);
    }
    close(fd);
    write_file("/keep/marker", "1\n", 2, 0);
    sync();
    printf("phase 1 done\n");
}

static void phase2(void)
{
    size_t mlen;
    char *mapped = read_file("/keep/mapped", &mlen);
    CHECK(mapped && mlen == 3 * 4096 && memcmp(mapped, "cached page", 11) == 0 &&
          memcmp(mapped + 4096, "then read-only", 14) == 0 && memcmp(mapped + 8192, "in a hole", 9) == 0,
          "stores through a shared mapping did not survive the reboot");
    free(mapped);
    expect_text("/keep/synced.txt", "durable by fsync\n");
    expect_text("/keep/unsynced.txt", "durable by the exit sync\n");
    expect_text("/keep/sub/new-name", "renamed\n");
    expect_text("/keep/sub/hardlink", "durable by fsync\n");
    expect_text("/keep/sub/symlink", "durable by fsync\n");
    expect_text("/keep/append.log", "one\ntwo\n");
    struct stat st;
    CHECK(access("/keep/sub/gone.txt", F_OK) != 0 && errno == ENOENT, "gone.txt came back");
    CHECK(access("/keep/old-name", F_OK) != 0, "old-name came back");
    CHECK(stat("/keep/synced.txt", &st) == 0 && st.st_nlink == 2, "nlink %lu", (unsigned long)st.st_nlink);
    CHECK(stat("/keep/unsynced.txt", &st) == 0 && (st.st_mode & 07777) == 0600, "mode %o", st.st_mode & 07777);
    CHECK(stat("/keep/sub", &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 07777) == 0700, "sub");
    char target[64];
    ssize_t n = readlink("/keep/sub/symlink", target, sizeof target);
    CHECK(n == 13 && memcmp(target, "../synced.txt", 13) == 0, "readlink");
    size_t len;
    char *big = read_file("/keep/big.bin", &len);
    CHECK(big && len == BIG_SIZE, "big.bin size %zu", big ? len : 0);
    size_t bad = 0;
    for (size_t i = 0; big && i < len; i++) bad += (unsigned char)big[i] != pattern(i);
    CHECK(bad == 0, "big.bin: %zu wrong bytes", bad);
    free(big);
    CHECK(stat("/keep/sparse", &st) == 0 && st.st_size == (100 << 20) + 1, "sparse size");
    CHECK(st.st_blocks <= 64, "sparse file allocated %lld blocks", (long long)st.st_blocks);
    char z = 0;
    int fd = open("/keep/sparse", O_RDONLY);
    CHECK(fd >= 0 && pread(fd, &z, 1, 100 << 20) == 1 && z == 'Z', "sparse byte");
    CHECK(fd >= 0 && pread(fd, &z, 1, 50 << 20) == 1 && z == 0, "sparse hole");
    close(fd);
    /* Leave a trace of this boot for the host to read with `pith image cat`. */
    write_file("/keep/phase2.txt", "phase 2 was here\n", 17, 1);
    if (!failures) printf("phase 2 ok\n");
}

int main(void)
{
    if (access("/keep/marker", F_OK) == 0) phase2();
    else phase1();
    return failures ? 1 : 0;
}
