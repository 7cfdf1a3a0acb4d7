/* The program pith boots to learn whether an accelerator really runs Pith on
 * this host (cli/accel.c). An empty guest proves nothing: nested KVM hosts
 * start one and then fail on what a real kernel does. So this walks the
 * paths that failed there: ring 3 and back (system calls), copies from and
 * to user memory with SMAP on (write, clock_gettime), page-table updates
 * (mmap, touching fresh pages, munmap) and the timer (nanosleep).
 * No libc: it must be tiny and build with any gcc. */
typedef unsigned long u64;

static long sys(long n, long a, long b, long c, long d, long e, long f)
{
    long r;
    register long r10 __asm__("r10") = d, r8 __asm__("r8") = e, r9 __asm__("r9") = f;
    __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return r;
}

enum { SYS_write = 1, SYS_mmap = 9, SYS_munmap = 11, SYS_nanosleep = 35, SYS_exit = 60, SYS_clock_gettime = 228 };

static void say(const char *s)
{
    u64 n = 0;
    while (s[n]) n++;
    sys(SYS_write, 1, (long)s, (long)n, 0, 0, 0);
}

static void fail(const char *what)
{
    say("pith-probe failed: ");
    say(what);
    say("\n");
    sys(SYS_exit, 1, 0, 0, 0, 0, 0);
}

__attribute__((force_align_arg_pointer, noreturn)) void _start(void)
{
    struct { long sec, nsec; } t0, t1, nap = { 0, 5 * 1000 * 1000 };
    if (sys(SYS_clock_gettime, 1, (long)&t0, 0, 0, 0, 0) != 0) fail("clock_gettime");
    enum { PAGES = 64, PAGE = 4096 };
    long m = sys(SYS_mmap, 0, PAGES * PAGE, 3, 0x22, -1, 0);   /* PROT_READ|WRITE, MAP_PRIVATE|ANONYMOUS */
    if (m < 0 && m > -4096) fail("mmap");
    volatile char *p = (volatile char *)m;
    for (int i = 0; i < PAGES; i++) p[i * PAGE] = (char)i;
    for (int i = 0; i < PAGES; i++)
        if (p[i * PAGE] != (char)i) fail("page contents");
    if (sys(SYS_munmap, m, PAGES * PAGE, 0, 0, 0, 0) != 0) fail("munmap");
    if (sys(SYS_nanosleep, (long)&nap, 0, 0, 0, 0, 0) != 0) fail("nanosleep");
    if (sys(SYS_clock_gettime, 1, (long)&t1, 0, 0, 0, 0) != 0) fail("clock_gettime");
    long slept = (t1.sec - t0.sec) * 1000000000L + (t1.nsec - t0.nsec);
    if (slept < 5 * 1000 * 1000) fail("the timer woke the sleeper early");
    say("pith-probe ok\n");
    sys(SYS_exit, 0, 0, 0, 0, 0, 0);
    for (;;) {}
}
