/* Crash consistency (test/run-tests' crash_N tests kill QEMU while this runs):
 * appends numbered records to /crash/log, fsyncs after each, and only then
 * prints the record's number on stdout. Every number that reached stdout was
 * durable, so after the kill the log must hold at least that many records,
 * each complete and in order. Record lengths vary so records straddle block
 * boundaries.
 *
 * `crash_append --mmap` stores the records through a MAP_SHARED mapping of a
 * file grown with ftruncate (holes) instead of write(2), and fsyncs the file
 * without msync: fsync must make what the mapping wrote durable, as on
 * Linux. The file's unused tail reads as zero bytes.
 *
 * `--keep-going` (test/disk/faults.sh, a failing disk): after a failed fsync,
 * go on with the next records (up to three more failures), so a filesystem
 * that acknowledges a later fsync while an earlier record was lost is caught:
 * the log would have a gap. A failed write still ends the run (it may have
 * appended part of a record). Options come before the record count. */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAPPED_BYTES (4u << 20)

static char *mapped;   /* --mmap: the log's mapping */
static size_t mapped_used;

/* Append one record: write(2), or a store through the mapping. */
static int append(int fd, const char *rec, size_t len)
{
    if (!mapped) return write(fd, rec, len) == (ssize_t)len ? 0 : -1;
    if (len > MAPPED_BYTES - mapped_used) {
        errno = ENOSPC;
        return -1;
    }
    memcpy(mapped + mapped_used, rec, len);
    mapped_used += len;
    return 0;
}

int main(int argc, char **argv)
{
    bool use_mmap = false, keep_going = false;
    for (; argc > 1 && strncmp(argv[1], "--", 2) == 0; argc--, argv++) {
        if (strcmp(argv[1], "--mmap") == 0) use_mmap = true;
        else if (strcmp(argv[1], "--keep-going") == 0) keep_going = true;
    }
    int failures = 0;
    long max = argc > 1 ? atol(argv[1]) : 1000000;
    if (mkdir("/crash", 0755) != 0 && errno != EEXIST) {
        printf("mkdir /crash: %s\n", strerror(errno));
        return 1;
    }
    int fd = use_mmap ? open("/crash/log", O_RDWR | O_CREAT | O_TRUNC, 0644)
                      : open("/crash/log", O_WRONLY | O_CREAT | O_APPEND | O_TRUNC, 0644);
    if (fd < 0) {
        printf("open /crash/log: %s\n", strerror(errno));
        return 1;
    }
    if (use_mmap) {
        void *m = ftruncate(fd, MAPPED_BYTES) == 0
                      ? mmap(NULL, MAPPED_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) : MAP_FAILED;
        if (m == MAP_FAILED) {
            printf("map /crash/log: %s\n", strerror(errno));
            return 1;
        }
        mapped = m;
    }
    char rec[256];
    for (long i = 1; i <= max; i++) {
        /* "record N " then a filler of 0..99 letters, then newline. */
        int len = snprintf(rec, sizeof rec, "record %ld ", i);
        int fill = (int)((i * 37) % 100);
        memset(rec + len, 'a' + (int)(i % 26), (size_t)fill);
        len += fill;
        rec[len++] = '\n';
        if (append(fd, rec, (size_t)len) != 0) {
            printf("write %ld: %s\n", i, strerror(errno));
            return 1;
        }
        if (fsync(fd) != 0) {
            printf("fsync %ld: %s\n", i, strerror(errno));
            if (!keep_going || ++failures > 3) return 1;
            continue;
        }
        printf("R %ld\n", i);
        fflush(stdout);
    }
    return 0;
}
