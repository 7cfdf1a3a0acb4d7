/* Touching more memory than the machine has ends the program the way
 * Linux's OOM killer would (SIGKILL, exit 137), with a message saying so,
 * not a segmentation fault or a hang. */
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

int main(void)
{
    size_t size = 256u << 20;   /* far more than the test machine's -m */
    char *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    write(1, "touching\n", 9);
    for (size_t i = 0; i < size; i += 4096) p[i] = 1;
    write(1, "all touched\n", 12);
    return 0;
}
