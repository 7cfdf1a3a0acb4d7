/* A full disk (test/run-tests' enospc test, on a small image): write files of
 * 256 KiB until the filesystem says ENOSPC, check that the error is ENOSPC
 * (not a crash, not EIO), that fsync still works, that deleting a file makes
 * room again, and that writes succeed after it. Prints "enospc ok". */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

static char chunk[64 * 1024];

int main(void)
{
    memset(chunk, 'f', sizeof chunk);
    if (mkdir("/fill", 0755) != 0) {
        printf("mkdir: %s\n", strerror(errno));
        return 1;
    }
    int files = 0, err = 0;
    long long total = 0;
    char name[64];
    while (!err && files < 10000) {
        snprintf(name, sizeof name, "/fill/f%04d", files);
        int fd = open(name, O_WRONLY | O_CREAT, 0644);
        if (fd < 0) {
            err = errno;
            break;
        }
        files++;
        for (int i = 0; i < 4; i++) {
            ssize_t n = write(fd, chunk, sizeof chunk);
            if (n < 0) {
                err = errno;
                break;
            }
            total += n;
            if (n < (ssize_t)sizeof chunk) {   /* short write: the next one says why */
                n = write(fd, chunk, sizeof chunk);
                err = n < 0 ? errno : 0;
                if (!err) {
                    printf("write after a short write succeeded\n");
                    return 1;
                }
                break;
            }
        }
        if (fsync(fd) != 0) {
            printf("fsync on a full disk: %s\n", strerror(errno));
            return 1;
        }
        close(fd);
    }
    printf("wrote %lld bytes in %d files, then: %s\n", total, files, strerror(err));
    if (err != ENOSPC) {
        printf("expected ENOSPC\n");
        return 1;
    }
    struct statfs sf;
    if (statfs("/", &sf) == 0) printf("statfs: %llu blocks available\n", (unsigned long long)sf.f_bavail);
    /* Deleting makes room. */
    for (int i = 0; i < files / 2; i++) {
        snprintf(name, sizeof name, "/fill/f%04d", i);
        if (unlink(name) != 0) {
            printf("unlink %s on a full disk: %s\n", name, strerror(errno));
            return 1;
        }
    }
    sync();
    int fd = open("/fill/after", O_WRONLY | O_CREAT, 0644);
    if (fd < 0 || write(fd, chunk, sizeof chunk) != (ssize_t)sizeof chunk || fsync(fd) != 0) {
        printf("write after freeing space: %s\n", strerror(errno));
        return 1;
    }
    close(fd);
    printf("enospc ok\n");
    return 0;
}
