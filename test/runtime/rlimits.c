/* Resource limits as Linux keeps and enforces them: getrlimit/setrlimit/
 * prlimit64 on every resource, RLIMIT_NOFILE on fd allocation and dup2,
 * RLIMIT_AS and RLIMIT_DATA on mmap and brk, and the errors. Every line is
 * the same on Linux (run this binary on the host to compare); the last one
 * says whether every check got what Linux gives. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

static int failures;

/* Raw calls: the same errors whatever the libc wrapper would do. */
static long sys(long n, long a, long b, long c, long d)
{
    long r = syscall(n, a, b, c, d);
    return r < 0 ? -errno : r;
}

static const char *err(long r)
{
    switch (r) {
    case 0: return "0";
    case -EINVAL: return "EINVAL";
    case -EFAULT: return "EFAULT";
    case -ESRCH: return "ESRCH";
    case -EPERM: return "EPERM";
    case -EMFILE: return "EMFILE";
    case -EBADF: return "EBADF";
    case -ENOMEM: return "ENOMEM";
    default: return r > 0 ? "positive" : "other error";
    }
}

static void check(const char *what, long got, long want)
{
    printf("%s: %s%s\n", what, err(got), got == want ? "" : " (unexpected)");
    if (got != want) failures++;
}

static void check_bool(const char *what, int got, int want)
{
    printf("%s: %s%s\n", what, got ? "yes" : "no", !got == !want ? "" : " (unexpected)");
    if (!got != !want) failures++;
}

static long set(int res, rlim_t cur, rlim_t max)
{
    struct rlimit r = { cur, max };
    return sys(SYS_setrlimit, res, (long)&r, 0, 0);
}

static void *map(size_t len, int prot)
{
    return mmap(NULL, len, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);   /* no buffer to allocate under a small RLIMIT_DATA */
    struct rlimit orig[16];
    char what[80];

    /* Every resource reads back the same through getrlimit and prlimit64. */
    for (int res = 0; res < 16; res++) {
        struct rlimit viaprl;
        snprintf(what, sizeof what, "getrlimit %d", res);
        check(what, sys(SYS_getrlimit, res, (long)&orig[res], 0, 0), 0);
        long r = sys(SYS_prlimit64, 0, res, 0, (long)&viaprl);
        snprintf(what, sizeof what, "resource %d: prlimit64 agrees, soft <= hard", res);
        check_bool(what, r == 0 && !memcmp(&viaprl, &orig[res], sizeof viaprl) &&
                   orig[res].rlim_cur <= orig[res].rlim_max, 1);
    }
    const int unlimited[] = { RLIMIT_CPU, RLIMIT_FSIZE, RLIMIT_DATA, RLIMIT_RSS, RLIMIT_AS, RLIMIT_LOCKS, RLIMIT_RTTIME };
    for (size_t i = 0; i < sizeof unlimited / sizeof *unlimited; i++) {
        int res = unlimited[i];
        snprintf(what, sizeof what, "resource %d unlimited", res);
        check_bool(what, orig[res].rlim_cur == RLIM_INFINITY && orig[res].rlim_max == RLIM_INFINITY, 1);
    }
    check_bool("stack hard unlimited", orig[RLIMIT_STACK].rlim_max == RLIM_INFINITY, 1);

    /* A changed limit is kept; prlimit64 hands back the old one. */
    check("set core 4096", set(RLIMIT_CORE, 4096, orig[RLIMIT_CORE].rlim_max), 0);
    struct rlimit newer = { 0, orig[RLIMIT_CORE].rlim_max }, older;
    check("prlimit64 core back", sys(SYS_prlimit64, 0, RLIMIT_CORE, (long)&newer, (long)&older), 0);
    check_bool("prlimit64 old core is 4096", older.rlim_cur == 4096, 1);
    check("set core as it was", set(RLIMIT_CORE, orig[RLIMIT_CORE].rlim_cur, orig[RLIMIT_CORE].rlim_max), 0);

    /* The errors. */
    struct rlimit r;
    check("soft > hard", set(RLIMIT_CORE, 2, 1), -EINVAL);
    check("getrlimit resource 16", sys(SYS_getrlimit, 16, (long)&r, 0, 0), -EINVAL);
    check("setrlimit resource 99", sys(SYS_setrlimit, 99, (long)&r, 0, 0), -EINVAL);
    check("getrlimit bad pointer", sys(SYS_getrlimit, RLIMIT_CORE, 8, 0, 0), -EFAULT);
    check("setrlimit bad pointer", sys(SYS_setrlimit, RLIMIT_CORE, 8, 0, 0), -EFAULT);
    check("prlimit64 other pid", sys(SYS_prlimit64, 0x3fffffff, RLIMIT_CORE, 0, (long)&r), -ESRCH);
    check("prlimit64 own pid", sys(SYS_prlimit64, getpid(), RLIMIT_CORE, 0, (long)&r), 0);
    check("nofile hard above nr_open", set(RLIMIT_NOFILE, 1 << 21, 1 << 21), -EPERM);

    /* RLIMIT_NOFILE: 0-2 are open, so 3..15 can be had and 16 cannot. */
    check("nofile down to 16", set(RLIMIT_NOFILE, 16, orig[RLIMIT_NOFILE].rlim_max), 0);
    int fd, last = -1;
    while ((fd = open("/dev/null", O_RDONLY)) >= 0) last = fd;
    printf("nofile 16: last fd %d, then %s\n", last, err(-errno));
    if (last != 15 || errno != EMFILE) failures++;
    check("dup2 to fd 20", dup2(0, 20) < 0 ? -errno : 0, -EBADF);
    check("F_DUPFD from 20", fcntl(0, F_DUPFD, 20) < 0 ? -errno : 0, -EINVAL);
    check("dup with the table full", dup(0) < 0 ? -errno : 0, -EMFILE);
    for (fd = 3; fd <= last; fd++) close(fd);
    /* Only the soft limit moves: raising a hard one needs CAP_SYS_RESOURCE,
     * which Pith's program has and a host's container may not. */
    check("nofile raised back", set(RLIMIT_NOFILE, orig[RLIMIT_NOFILE].rlim_cur, orig[RLIMIT_NOFILE].rlim_max), 0);
    check("dup2 to fd 20 again", dup2(0, 20) < 0 ? -errno : 0, 0);
    close(20);
    getrlimit(RLIMIT_NOFILE, &r);
    check_bool("nofile as it was", !memcmp(&r, &orig[RLIMIT_NOFILE], sizeof r), 1);

    /* RLIMIT_AS: the whole address space. */
    check("as down to 64 MiB", set(RLIMIT_AS, 64 << 20, orig[RLIMIT_AS].rlim_max), 0);
    void *p = map(256 << 20, PROT_NONE);
    check("as 64 MiB: mmap 256 MiB", p == MAP_FAILED ? -errno : 0, -ENOMEM);
    p = map(1 << 20, PROT_READ | PROT_WRITE);
    check("as 64 MiB: mmap 1 MiB", p == MAP_FAILED ? -errno : 0, 0);
    if (p != MAP_FAILED) munmap(p, 1 << 20);
    check("as raised back", set(RLIMIT_AS, orig[RLIMIT_AS].rlim_cur, orig[RLIMIT_AS].rlim_max), 0);
    p = map(256 << 20, PROT_NONE);
    check("as back: mmap 256 MiB", p == MAP_FAILED ? -errno : 0, 0);
    if (p != MAP_FAILED) munmap(p, 256 << 20);

    /* RLIMIT_DATA: private writable memory, the heap included. */
    check("data down to 16 MiB", set(RLIMIT_DATA, 16 << 20, orig[RLIMIT_DATA].rlim_max), 0);
    p = map(64 << 20, PROT_READ | PROT_WRITE);
    check("data 16 MiB: mmap 64 MiB writable", p == MAP_FAILED ? -errno : 0, -ENOMEM);
    p = map(64 << 20, PROT_READ);
    check("data 16 MiB: mmap 64 MiB read-only", p == MAP_FAILED ? -errno : 0, 0);
    if (p != MAP_FAILED) munmap(p, 64 << 20);
    long brk0 = syscall(SYS_brk, 0);
    check_bool("data 16 MiB: brk grows 64 MiB", syscall(SYS_brk, brk0 + (64 << 20)) != brk0, 0);
    check("data raised back", set(RLIMIT_DATA, orig[RLIMIT_DATA].rlim_cur, orig[RLIMIT_DATA].rlim_max), 0);
    check_bool("data back: brk grows 64 MiB", syscall(SYS_brk, brk0 + (64 << 20)) != brk0, 1);
    syscall(SYS_brk, brk0);

    printf("rlimits: %s\n", failures ? "FAILED" : "all checks passed");
    return failures != 0;
}
