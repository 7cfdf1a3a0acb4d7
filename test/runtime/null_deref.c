/* A null pointer dereference must kill the program with SIGSEGV. */
#include <unistd.h>

int main(int argc, char **argv)
{
    (void)argv;
    write(1, "dereferencing null\n", 19);
    volatile int *p = (volatile int *)(long)(argc - 1);   /* 0, opaque to the compiler */
    int v = *p;
    write(1, "not killed\n", 11);
    return v;
}
