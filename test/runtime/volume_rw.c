/* The guest half of the volume tests (test/cli/tests.sh): a volume mounted at
 * /data keeps what one run wrote for the next run, and is a filesystem of its
 * own: rename between it and / fails with EXDEV.
 *   volume_rw write TEXT   write TEXT to /data/x, check EXDEV both ways
 *   volume_rw read         print /data/x */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int fail(const char *what)
{
    printf("volume_rw: %s: %s\n", what, strerror(errno));
    return 1;
}

static int make_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return -1;
    ssize_t n = write(fd, text, strlen(text));
    int rc = n == (ssize_t)strlen(text) && fsync(fd) == 0 ? 0 : -1;
    return close(fd) == 0 ? rc : -1;
}

static int expect_exdev(const char *from, const char *to)
{
    errno = 0;
    if (rename(from, to) == 0) {
        printf("volume_rw: rename %s %s succeeded, expected EXDEV\n", from, to);
        return 1;
    }
    if (errno != EXDEV) return fail("rename across volumes");
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "write") == 0) {
        if (make_file("/data/x", argv[2]) != 0) return fail("/data/x");
        if (make_file("/data/y", "y") != 0) return fail("/data/y");
        if (make_file("/tmp/z", "z") != 0) return fail("/tmp/z");
        if (expect_exdev("/data/y", "/y") || expect_exdev("/tmp/z", "/data/z")) return 1;
        if (rename("/data/y", "/data/y2") != 0) return fail("rename inside the volume");
        printf("exdev ok\nwrite ok\n");
        return 0;
    }
    if (argc == 2 && strcmp(argv[1], "read") == 0) {
        char buf[256];
        int fd = open("/data/x", O_RDONLY);
        if (fd < 0) return fail("/data/x");
        ssize_t n = read(fd, buf, sizeof buf - 1);
        if (n < 0) return fail("read /data/x");
        buf[n] = 0;
        printf("read: %s\n", buf);
        return 0;
    }
    printf("usage: volume_rw write TEXT | volume_rw read\n");
    return 2;
}
