/* Reads a file added to the image with -f and prints it, then checks that
 * open reports a missing file as ENOENT. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: readfile PATH\n");
        return 2;
    }
    int fd = open(argv[1], O_RDONLY);
    if (fd < 0) {
        printf("open %s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    char buf[4096];
    ssize_t n;
    long total = 0;
    while ((n = read(fd, buf, sizeof buf)) > 0) {
        fwrite(buf, 1, (size_t)n, stdout);
        total += n;
    }
    close(fd);
    printf("read %ld bytes\n", total);
    if (open("/no/such/file", O_RDONLY) >= 0 || errno != ENOENT) {
        printf("missing file: expected ENOENT, got %s\n", strerror(errno));
        return 1;
    }
    return n < 0 ? 1 : 0;
}
