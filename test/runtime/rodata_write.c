/* Writing to the program's read-only data must kill it with SIGSEGV. */
#include <unistd.h>

static const char message[] = "read-only";

int main(void)
{
    write(1, "writing read-only memory\n", 25);
    *(volatile char *)message = 'X';
    write(1, "not killed\n", 11);
    return 0;
}
