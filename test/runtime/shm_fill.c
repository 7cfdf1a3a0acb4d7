/* Filling /dev/shm: memfs is bounded (half of the machine's memory), so a
 * program that writes until it is full gets ENOSPC, gets the room back by
 * unlinking, and a store to a shared mapping with no room left is SIGBUS,
 * as on Linux's tmpfs, while the kernel keeps running. Not compared with
 * Linux: there it would fill the host's /dev/shm. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define CHUNK (1 << 20)

/* Write until the first error; its errno. */
static int fill(const char *path)
{
    static char chunk[CHUNK];
    memset(chunk, 0x5a, sizeof chunk);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) return errno;
    for (;;) {
        ssize_t n = write(fd, chunk, sizeof chunk);
        if (n < 0) {
            int e = errno;
            close(fd);
            return e;
        }
    }
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    int e = fill("/dev/shm/a");
    printf("fill: write stopped with %s\n", e == ENOSPC ? "ENOSPC" : strerror(e));
    if (unlink("/dev/shm/a") != 0) return 1;
    int fd = open("/dev/shm/b", O_RDWR | O_CREAT, 0600);
    char one[CHUNK] = { 1 };
    if (fd < 0 || write(fd, one, sizeof one) != sizeof one) return 1;
    printf("fill: room comes back after unlink\n");
    e = fill("/dev/shm/a");
    printf("fill: full again: %s\n", e == ENOSPC ? "ENOSPC" : strerror(e));
    int m = open("/dev/shm/mapped", O_RDWR | O_CREAT, 0600);
    if (m < 0 || ftruncate(m, 64 << 20) != 0) return 1;
    char *p = mmap(NULL, 64 << 20, PROT_READ | PROT_WRITE, MAP_SHARED, m, 0);
    if (p == MAP_FAILED) return 1;
    printf("fill: storing into a shared mapping with no room left\n");
    for (size_t off = 0; off < (64 << 20); off += 4096) p[off] = 1;
    printf("fill: all stored\n");
    return 0;
}
