/* Writing through a shared mapping into holes of a file on a full disk:
 * the page that cannot get a block raises SIGBUS (exit 135) with a message
 * saying why, as Linux raises SIGBUS. */
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#define SIZE (256u << 20)   /* far more than the image has free */

int main(void)
{
    int fd = open("holes.dat", O_CREAT | O_TRUNC | O_RDWR, 0644);
    if (fd < 0 || ftruncate(fd, SIZE) != 0) {
        perror("holes.dat");
        return 1;
    }
    volatile char *p = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    printf("filling holes\n");
    fflush(stdout);
    for (unsigned i = 0; i < SIZE; i += 4096) p[i] = 'x';
    printf("all written\n");
    return 0;
}
