/* `make run` boots this: it shows what an unmodified Linux program learns about
 * its world through ordinary system calls. */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv)
{
    printf("Hello from a Linux program running on Pith!\n\n");

    struct utsname u;
    if (uname(&u) == 0)
        printf("uname:    %s %s %s %s (host %s)\n", u.sysname, u.release, u.version, u.machine, u.nodename);

    printf("argv:    ");
    for (int i = 0; i < argc; i++)
        printf(" [%s]", argv[i]);
    printf("\nenviron: ");
    for (char **e = environ; *e; e++)
        printf(" %s", *e);
    printf("\n");

    struct timespec now, up;
    if (clock_gettime(CLOCK_REALTIME, &now) == 0) {
        struct tm tm;
        char when[64];
        gmtime_r(&now.tv_sec, &tm);
        strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", &tm);
        printf("time:     %s\n", when);
    }
    if (clock_gettime(CLOCK_MONOTONIC, &up) == 0)
        printf("uptime:   %lld.%03ld s\n", (long long)up.tv_sec, up.tv_nsec / 1000000);

    cpu_set_t cpus;
    if (sched_getaffinity(0, sizeof cpus, &cpus) == 0)
        printf("cpus:     %d\n", CPU_COUNT(&cpus));
    printf("pid:      %d (parent %d)\n", (int)getpid(), (int)getppid());
    printf("\nGoodbye.\n");
    return 0;
}
