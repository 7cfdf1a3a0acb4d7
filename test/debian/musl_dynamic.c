/* A dynamically linked musl program: the interpreter /lib/ld-musl-x86_64.so.1
 * is musl's libc itself. Uses a few libc paths that go through the dynamic
 * symbol table (stdio, qsort, strtod, getenv). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int by_value(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    double v[8];
    int n = 0;
    for (int i = 1; i < argc && n < 8; i++) v[n++] = strtod(argv[i], NULL);
    qsort(v, (size_t)n, sizeof v[0], by_value);
    printf("musl dynamic:");
    for (int i = 0; i < n; i++) printf(" %g", v[i]);
    printf("\nPATH=%s\n", getenv("PATH") ? getenv("PATH") : "(unset)");
    return strcmp(argv[0], "") == 0;
}
