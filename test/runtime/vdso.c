/* The vDSO: AT_SYSINFO_EHDR points at an ELF image, /proc/self/maps shows
 * [vdso] and [vvar], the clocks read through it (vdso.expect runs with
 * --trace and requires that no clock_gettime system call appears), the
 * legacy vsyscall page answers, and prctl(PR_SET_VMA) names anonymous memory. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/time.h>
#include <time.h>

#ifndef PR_SET_VMA
#define PR_SET_VMA 0x53564d41
#define PR_SET_VMA_ANON_NAME 0
#endif

static int bad;

static void fail(const char *what)
{
    printf("FAIL: %s\n", what);
    bad = 1;
}

static char maps[65536];

static void read_maps(void)
{
    FILE *f = fopen("/proc/self/maps", "r");
    size_t n = f ? fread(maps, 1, sizeof maps - 1, f) : 0;
    maps[n] = 0;
    if (f) fclose(f);
}

/* The start address of the maps line naming `name`, or 0. */
static unsigned long maps_start_of(const char *name)
{
    char *hit = strstr(maps, name);
    if (!hit) return 0;
    while (hit > maps && hit[-1] != '\n') hit--;
    return strtoul(hit, NULL, 16);
}

static long long ns(clockid_t c)
{
    struct timespec t;
    if (clock_gettime(c, &t) != 0) return -1;
    return (long long)t.tv_sec * 1000000000ll + t.tv_nsec;
}

int main(void)
{
    unsigned long ehdr = getauxval(AT_SYSINFO_EHDR);
    if (!ehdr) fail("no AT_SYSINFO_EHDR");
    else if (memcmp((const void *)ehdr, "\177ELF", 4) != 0) fail("AT_SYSINFO_EHDR is not an ELF image");

    read_maps();
    unsigned long vdso = maps_start_of(" [vdso]"), vvar = maps_start_of(" [vvar]");
    if (!vdso || vdso != ehdr) fail("maps: no [vdso] at AT_SYSINFO_EHDR");
    if (!vvar || vvar + 4096 != vdso) fail("maps: no [vvar] right below [vdso]");
    if (vvar && mprotect((void *)vvar, 4096, PROT_READ | PROT_WRITE) == 0) fail("[vvar] became writable");

    /* Many calls, none of them a system call (the trace shows any). */
    long long prev = ns(CLOCK_MONOTONIC);
    for (int i = 0; i < 100000; i++) {
        long long t = ns(CLOCK_MONOTONIC);
        if (t < prev) {
            fail("CLOCK_MONOTONIC went backwards");
            break;
        }
        prev = t;
    }
    if (ns(CLOCK_BOOTTIME) < prev || ns(CLOCK_MONOTONIC_COARSE) < prev) fail("BOOTTIME/COARSE behind MONOTONIC");
    long long real = ns(CLOCK_REALTIME), now = (long long)time(NULL) * 1000000000ll;
    if (real < now - 3000000000ll || real > now + 3000000000ll) fail("CLOCK_REALTIME far from time()");
    struct timeval tv;
    gettimeofday(&tv, NULL);
    if (tv.tv_sec < now / 1000000000ll - 3 || tv.tv_sec > now / 1000000000ll + 3) fail("gettimeofday far from time()");

    /* The legacy vsyscall entries. */
    typedef long (*gtod_fn)(struct timeval *, void *);
    typedef long (*time_fn)(long *);
    typedef long (*getcpu_fn)(unsigned *, unsigned *, void *);
    struct timeval vtv = { 0, 0 };
    long r = ((gtod_fn)0xffffffffff600000ul)(&vtv, NULL);
    if (r != 0 || vtv.tv_sec < now / 1000000000ll - 3 || vtv.tv_sec > now / 1000000000ll + 3)
        fail("vsyscall gettimeofday");
    long vt = 0;
    r = ((time_fn)0xffffffffff600400ul)(&vt);
    if (r != vt || vt < now / 1000000000ll - 3) fail("vsyscall time");
    unsigned cpu = 99, node = 99;
    r = ((getcpu_fn)0xffffffffff600800ul)(&cpu, &node, NULL);
    if (r != 0 || cpu != 0 || node != 0) fail("vsyscall getcpu");

    /* Naming anonymous memory. */
    char *buf = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (buf == MAP_FAILED) fail("mmap");
    else {
        if (prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, (unsigned long)buf + 4096, 4096, "mybuf") != 0)
            fail("prctl(PR_SET_VMA)");
        if (prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, (unsigned long)buf, 4096, "bad[name") == 0 || errno != EINVAL)
            fail("prctl(PR_SET_VMA) accepted a '['");
        if (prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, vdso, 4096, "x") == 0) fail("prctl(PR_SET_VMA) renamed [vdso]");
        read_maps();
        if (maps_start_of(" [anon:mybuf]") != (unsigned long)buf + 4096) fail("maps: no [anon:mybuf] at the named page");
    }

    if (bad) {
        fputs(maps, stdout);
        return 1;
    }
    printf("vdso ok\n");
    return 0;
}
