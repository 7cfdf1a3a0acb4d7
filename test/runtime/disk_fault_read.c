/* Disk faults under reads (test/disk/faults.sh boots it over a disk whose
 * sector under one block of FILE fails every read; no .expect of its own).
 *
 *   disk_fault_read make FILE BLOCKS   write FILE: BLOCKS 4 KiB blocks, each
 *                                      starting "pith-fault-block NNNN" (so the
 *                                      host can find block N in the image)
 *   disk_fault_read read FILE          pread(2) it 4 KiB at a time (a failed
 *                                      block is reported and skipped), then
 *                                      all at once (a short read)
 *   disk_fault_read map FILE           load every page of a shared mapping;
 *                                      SIGBUS is caught and the page skipped
 *   disk_fault_read crash FILE         the same without a handler: SIGBUS
 *                                      kills the program (and dumps core)
 *
 * Each prints one line per block that failed and a summary, so the output is
 * the same wherever the bad sector is; on Linux over a failing disk (dm-error,
 * a bad sector) read gives EIO and a mapping's load SIGBUS with BUS_ADRERR,
 * and the program keeps running. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define BLOCK 4096

static sigjmp_buf recover;
static volatile void *bus_addr;
static volatile int bus_code;

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)uc;
    bus_addr = si->si_addr;
    bus_code = si->si_code;
    siglongjmp(recover, 1);
}

static void fill_block(char *b, long n)
{
    memset(b, 'a' + (int)(n % 26), BLOCK);
    int len = snprintf(b, BLOCK, "pith-fault-block %04ld ", n);
    b[len] = ' ';
}

static int make(const char *path, long blocks)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        printf("open %s: %s\n", path, strerror(errno));
        return 1;
    }
    char b[BLOCK];
    for (long n = 0; n < blocks; n++) {
        fill_block(b, n);
        if (write(fd, b, BLOCK) != BLOCK) {
            printf("write block %ld: %s\n", n, strerror(errno));
            return 1;
        }
    }
    return close(fd) == 0 ? 0 : 1;
}

/* Whether block n holds what make wrote. */
static int intact(const char *b, long n)
{
    char want[BLOCK];
    fill_block(want, n);
    return memcmp(b, want, BLOCK) == 0;
}

static int read_all(int fd, long blocks)
{
    char b[BLOCK];
    long good = 0, bad = 0;
    for (long n = 0; n < blocks; n++) {
        ssize_t got = pread(fd, b, BLOCK, (off_t)n * BLOCK);
        if (got < 0) {
            printf("read block %ld: %s\n", n, strerror(errno));
            bad++;
        } else if (got != BLOCK || !intact(b, n)) {
            printf("read block %ld: wrong data (%zd bytes)\n", n, got);
            bad++;
        } else {
            good++;
        }
    }
    printf("read: %ld blocks intact, %ld failed\n", good, bad);
    /* One read of the whole file: Linux returns what came before the bad
     * block (a short read), and EIO only for a read that starts on it. */
    char *all = malloc((size_t)blocks * BLOCK);
    ssize_t got = all ? pread(fd, all, (size_t)blocks * BLOCK, 0) : -1;
    if (got < 0) printf("read of the whole file: %s\n", strerror(errno));
    else printf("read of the whole file: %ld blocks\n", (long)(got / BLOCK));
    free(all);
    return 0;
}

static int map_all(int fd, long blocks, bool catch)
{
    char *m = mmap(NULL, (size_t)blocks * BLOCK, PROT_READ, MAP_SHARED, fd, 0);
    if (m == MAP_FAILED) {
        printf("mmap: %s\n", strerror(errno));
        return 1;
    }
    struct sigaction sa = {.sa_sigaction = on_sigbus, .sa_flags = SA_SIGINFO | SA_NODEFER};
    if (catch) sigaction(SIGBUS, &sa, NULL);
    long good = 0, bad = 0;
    for (volatile long n = 0; n < blocks; n++) {
        char *page = m + n * BLOCK;
        if (sigsetjmp(recover, 1)) {
            printf("load block %ld: SIGBUS, %s, at the page's address: %s\n", (long)n,
                   bus_code == BUS_ADRERR ? "BUS_ADRERR" : "another code",
                   bus_addr == page ? "yes" : "no");
            bad++;
            continue;
        }
        if (intact(page, n)) good++;
        else {
            printf("load block %ld: wrong data\n", (long)n);
            bad++;
        }
    }
    printf("map: %ld blocks intact, %ld failed\n", good, bad);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "make") == 0) return make(argv[2], atol(argv[3]));
    bool reading = argc == 3 && strcmp(argv[1], "read") == 0;
    bool mapping = argc == 3 && (strcmp(argv[1], "map") == 0 || strcmp(argv[1], "crash") == 0);
    if (!reading && !mapping) {
        printf("usage: disk_fault_read make FILE BLOCKS | read FILE | map FILE | crash FILE\n");
        return 2;
    }
    int fd = open(argv[2], O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        printf("open %s: %s\n", argv[2], strerror(errno));
        return 1;
    }
    long blocks = (long)(st.st_size / BLOCK);
    return reading ? read_all(fd, blocks) : map_all(fd, blocks, strcmp(argv[1], "map") == 0);
}
