/* Crash consistency (test/run-tests' crash_N tests kill QEMU while this runs):
 * appends numbered records to /crash/log, fsyncs after each, and only then
 * prints the record's number on stdout. Every number that reached stdout was
 * durable, so after the kill the log must hold at least that many records,
 * each complete and in order. Record lengths vary so records straddle block
 * boundaries. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    long max = argc > 1 ? atol(argv[1]) : 1000000;
    if (mkdir("/crash", 0755) != 0 && errno != EEXIST) {
        printf("mkdir /crash: %s\n", strerror(errno));
        return 1;
    }
    int fd = open("/crash/log", O_WRONLY | O_CREAT | O_APPEND | O_TRUNC, 0644);
    if (fd < 0) {
        printf("open /crash/log: %s\n", strerror(errno));
        return 1;
    }
    char rec[256];
    for (long i = 1; i <= max; i++) {
        /* "record N " then a filler of 0..99 letters, then newline. */
        int len = snprintf(rec, sizeof rec, "record %ld ", i);
        int fill = (int)((i * 37) % 100);
        memset(rec + len, 'a' + (int)(i % 26), (size_t)fill);
        len += fill;
        rec[len++] = '\n';
        if (write(fd, rec, (size_t)len) != len) {
            printf("write %ld: %s\n", i, strerror(errno));
            return 1;
        }
        if (fsync(fd) != 0) {
            printf("fsync %ld: %s\n", i, strerror(errno));
            return 1;
        }
        printf("R %ld\n", i);
        fflush(stdout);
    }
    return 0;
}
