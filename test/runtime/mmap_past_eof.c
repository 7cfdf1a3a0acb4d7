/* Pages of a file mapping past the end of the file, as on Linux: the partial
 * last page reads the file's tail and then zeros; punching a hole drops the
 * mapped pages there (they read zeros again); truncating drops every page
 * past the new end, private copies included, and touching one raises SIGBUS
 * (exit 135). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PAGE 4096

int main(void)
{
    static char buf[3 * PAGE];
    memset(buf, 'a', PAGE);
    memset(buf + PAGE, 'b', PAGE);
    memset(buf + 2 * PAGE, 'c', PAGE);
    int fd = open("past_eof.dat", O_CREAT | O_TRUNC | O_RDWR, 0644);
    if (fd < 0 || write(fd, buf, sizeof buf) != (ssize_t)sizeof buf) {
        perror("past_eof.dat");
        return 1;
    }
    volatile char *p = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    p[PAGE] = 'W';   /* a private copy of page 1 */
    printf("mapped: %c%c%c\n", p[0], p[PAGE], p[2 * PAGE]);
    if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, PAGE) != 0) perror("punch");
    printf("after punching page 0: %d\n", p[0]);
    if (ftruncate(fd, 5) != 0) perror("ftruncate");
    printf("after truncating to 5 bytes: %d %d\n", p[0], p[5]);
    fflush(stdout);
    printf("past the end: %d\n", p[PAGE]);
    return 0;
}
