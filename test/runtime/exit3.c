/* The exit status must travel from the guest to pith's own status. */
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
    printf("exiting with 3\n");
    exit(3);
}
