/* Reading kernel memory from user mode must kill the program with SIGSEGV. */
#include <unistd.h>

int main(void)
{
    write(1, "reading kernel memory\n", 22);
    long v = *(volatile long *)0xffffffff80100000ul;
    write(1, "not killed\n", 11);
    return (int)v;
}
