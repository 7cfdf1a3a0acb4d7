/* File system benchmark, the same static binary in Pith and in a Linux guest
 * (bench/fs):   fsbench DIR [FILE_MIB [NFILES [NREADS]]]
 *   sequential write of a FILE_MIB (default 256) MiB file in 1 MiB writes,
 *     fsync included, in MB/s;
 *   sequential read of it, in MB/s;
 *   create + write 1 KiB + fsync + close of NFILES (default 10000) small
 *     files, per second;
 *   NREADS (default 20000) random 4 KiB preads from the big file, per second.
 * Before each read phase the file's cached pages are dropped where the
 * system allows it (posix_fadvise DONTNEED, /proc/sys/vm/drop_caches), so the
 * reads reach the disk. Prints one "fsbench NAME VALUE" line per result. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
    printf("fsbench: %s: %s\n", what, strerror(errno));
    exit(1);
}

static void drop_cache(int fd)
{
    posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    int d = open("/proc/sys/vm/drop_caches", O_WRONLY);
    if (d >= 0) {
        if (write(d, "3\n", 2) < 0) { /* not supported: the reads may hit the cache */ }
        close(d);
    }
}

static char chunk[1 << 20];

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: fsbench DIR [FILE_MIB [NFILES [NREADS]]]\n");
        return 2;
    }
    const char *dir = argv[1];
    long mib = argc > 2 ? atol(argv[2]) : 256;
    long nfiles = argc > 3 ? atol(argv[3]) : 10000;
    long nreads = argc > 4 ? atol(argv[4]) : 20000;
    char path[512];
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) die("mkdir");
    for (size_t i = 0; i < sizeof chunk; i++) chunk[i] = (char)(i * 131 + (i >> 9));

    snprintf(path, sizeof path, "%s/big", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) die("create big");
    double t0 = now();
    for (long i = 0; i < mib; i++)
        if (write(fd, chunk, sizeof chunk) != (ssize_t)sizeof chunk) die("write big");
    if (fsync(fd) != 0) die("fsync big");
    double t1 = now();
    printf("fsbench seq_write_MBps %.1f\n", (double)mib * 1.048576 / (t1 - t0));
    fflush(stdout);

    drop_cache(fd);
    t0 = now();
    for (long i = 0; i < mib; i++)
        if (pread(fd, chunk, sizeof chunk, (off_t)i << 20) != (ssize_t)sizeof chunk) die("read big");
    t1 = now();
    printf("fsbench seq_read_MBps %.1f\n", (double)mib * 1.048576 / (t1 - t0));
    fflush(stdout);

    snprintf(path, sizeof path, "%s/small", dir);
    if (mkdir(path, 0755) != 0 && errno != EEXIST) die("mkdir small");
    t0 = now();
    for (long i = 0; i < nfiles; i++) {
        snprintf(path, sizeof path, "%s/small/f%06ld", dir, i);
        int f = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (f < 0) die("create small");
        if (write(f, chunk, 1024) != 1024) die("write small");
        if (fsync(f) != 0) die("fsync small");
        close(f);
    }
    t1 = now();
    printf("fsbench create_fsync_per_s %.0f\n", (double)nfiles / (t1 - t0));
    fflush(stdout);

    drop_cache(fd);
    posix_fadvise(fd, 0, 0, POSIX_FADV_RANDOM);
    uint64_t x = 88172645463325252ull, blocks = (uint64_t)mib * 256;
    t0 = now();
    for (long i = 0; i < nreads; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        if (pread(fd, chunk, 4096, (off_t)((x % blocks) * 4096)) != 4096) die("random read");
    }
    t1 = now();
    printf("fsbench rand_read_4k_per_s %.0f\n", (double)nreads / (t1 - t0));
    close(fd);
    printf("fsbench done\n");
    return 0;
}
