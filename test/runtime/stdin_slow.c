/* Reads all of stdin after a pause (args: "slow"), and prints how many
 * bytes came and their FNV-1a hash: input that arrives while the program
 * is not reading must wait for it, never be dropped (cli_stdin runs it on
 * 20,000 random bytes and compares with the same binary on the host). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "slow") == 0) {
        struct timespec pause = { 1, 0 };
        nanosleep(&pause, NULL);
    }
    uint64_t hash = 0xcbf29ce484222325ull, total = 0;
    unsigned char buf[1000];
    ssize_t n;
    while ((n = read(0, buf, sizeof buf)) > 0) {
        for (ssize_t i = 0; i < n; i++) hash = (hash ^ buf[i]) * 0x100000001b3ull;
        total += (uint64_t)n;
    }
    printf("stdin: %llu bytes, fnv1a %016llx\n", (unsigned long long)total, (unsigned long long)hash);
    return n < 0;
}
