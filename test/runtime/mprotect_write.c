/* A page made read-only with mprotect must fault on write. */
#include <sys/mman.h>
#include <unistd.h>

int main(void)
{
    char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return 1;
    p[0] = 1;
    if (mprotect(p, 4096, PROT_READ) != 0)
        return 1;
    write(1, "writing protected page\n", 23);
    *(volatile char *)p = 2;
    write(1, "not killed\n", 11);
    return 0;
}
