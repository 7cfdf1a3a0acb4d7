/* stopwatch: time a command's milestones as seen on its standard output.
 *   stopwatch [-m MARKER] [-o FILE] -- COMMAND [ARGS...]
 * Prints "FIRST_MS MARKER_MS EXIT_MS STATUS": milliseconds from start to the
 * first byte of output, to the first appearance of MARKER (-1 if it never
 * appears or no -m), and to the command's exit; STATUS is its exit status.
 * The output itself goes to FILE (default: discarded). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
    const char *marker = NULL, *outfile = "/dev/null";
    int i = 1;
    for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
        if (strcmp(argv[i], "-m") == 0 && i + 1 < argc)
            marker = argv[++i];
        else if (strcmp(argv[i], "-o") == 0 && i + 1 < argc)
            outfile = argv[++i];
        else {
            fprintf(stderr, "usage: stopwatch [-m MARKER] [-o FILE] -- COMMAND [ARGS...]\n");
            return 2;
        }
    }
    if (i + 1 >= argc) {
        fprintf(stderr, "stopwatch: no command\n");
        return 2;
    }
    FILE *out = fopen(outfile, "w");
    if (!out) {
        perror(outfile);
        return 2;
    }
    int p[2];
    if (pipe(p) != 0)
        return 2;
    double start = now_ms();
    pid_t pid = fork();
    if (pid == 0) {
        dup2(p[1], 1);
        close(p[0]);
        close(p[1]);
        int null = open("/dev/null", O_RDONLY);
        dup2(null, 0);
        execvp(argv[i + 1], argv + i + 1);
        perror(argv[i + 1]);
        _exit(127);
    }
    close(p[1]);

    /* Keep the tail of the output so a marker split across reads is found. */
    size_t mlen = marker ? strlen(marker) : 0;
    char window[8192 + 256];
    size_t have = 0;
    double first = -1, seen = -1;
    char buf[8192];
    ssize_t n;
    while ((n = read(p[0], buf, sizeof buf)) > 0) {
        double t = now_ms();
        if (first < 0)
            first = t - start;
        fwrite(buf, 1, (size_t)n, out);
        if (marker && seen < 0) {
            if (have + (size_t)n > sizeof window) {
                size_t keep = mlen < have ? mlen : have;
                memmove(window, window + have - keep, keep);
                have = keep;
            }
            size_t take = (size_t)n < sizeof window - have ? (size_t)n : sizeof window - have;
            memcpy(window + have, buf, take);
            have += take;
            if (memmem(window, have, marker, mlen))
                seen = t - start;
        }
    }
    int status;
    waitpid(pid, &status, 0);
    double end = now_ms() - start;
    fclose(out);
    printf("%.0f %.0f %.0f %d\n", first, seen, end,
           WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
    return 0;
}
