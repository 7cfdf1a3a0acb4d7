/* Touching a page of a file mapping that lies wholly past the end of the
 * file raises SIGBUS (exit 135), as on Linux; the partial last page reads
 * the file's tail and then zeros. */
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

int main(void)
{
    int fd = open("past_eof.dat", O_CREAT | O_TRUNC | O_RDWR, 0644);
    if (fd < 0 || write(fd, "short", 5) != 5) {
        perror("past_eof.dat");
        return 1;
    }
    volatile char *p = mmap(NULL, 3 * 4096, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    printf("tail: %c%c, then %d\n", p[0], p[4], p[5]);
    fflush(stdout);
    printf("past the end: %d\n", p[4096]);
    return 0;
}
