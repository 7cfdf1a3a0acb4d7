/* Writes MB megabytes to /big (test/cli/tests.sh, `pith run --size`):
 * prints "big_write ok N" and exits 0, or on ENOSPC "big_write enospc after
 * N bytes" and exits 3 - never a crash. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    long mb = argc > 1 ? atol(argv[1]) : 20;
    static char chunk[65536];
    memset(chunk, 'p', sizeof chunk);
    int fd = open("/big", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        printf("big_write: open: %s\n", strerror(errno));
        return 1;
    }
    long long done = 0, want = (long long)mb << 20;
    while (done < want) {
        ssize_t n = write(fd, chunk, sizeof chunk);
        if (n < 0) {
            int e = errno;
            printf("big_write: write: %s\n", strerror(e));
            if (e != ENOSPC) return 1;
            printf("big_write enospc after %lld bytes\n", done);
            close(fd);
            return 3;
        }
        done += n;
    }
    if (fsync(fd) != 0 || close(fd) != 0) {
        printf("big_write: fsync/close: %s\n", strerror(errno));
        return errno == ENOSPC ? 3 : 1;
    }
    printf("big_write ok %lld\n", done);
    return 0;
}
