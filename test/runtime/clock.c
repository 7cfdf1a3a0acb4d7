/* Clocks must move forward, nanosleep must sleep at least as long as asked
 * (and not wildly longer), timed futex waits must time out, and the wall
 * clock must be a plausible date. Also prints which clock and timer the
 * kernel chose (/sys, as Linux shows them) and what CPUID offered, so
 * test/clock/tests.sh can check each path under different CPU models. */
#include <cpuid.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define FUTEX_WAIT_PRIVATE 128 /* FUTEX_WAIT | FUTEX_PRIVATE_FLAG; musl has no linux/futex.h */

static int bad;

static long long ns(clockid_t c)
{
    struct timespec t;
    if (clock_gettime(c, &t) != 0)
        return -1;
    return (long long)t.tv_sec * 1000000000ll + t.tv_nsec;
}

/* Prints "LABEL: first line of PATH" (or "LABEL: missing"). */
static void show_file(const char *label, const char *path)
{
    char line[128] = "missing";
    FILE *f = fopen(path, "r");
    if (f) {
        if (!fgets(line, sizeof line, f))
            strcpy(line, "empty");
        fclose(f);
        line[strcspn(line, "\n")] = '\0';
    }
    printf("%s: %s\n", label, line);
}

static void show_cpuid(void)
{
    unsigned a, b, c, d;
    __cpuid(1, a, b, c, d);
    printf("cpuid tsc-deadline: %u\n", (c >> 24) & 1);
    char sig[13] = "none";
    if (c & (1u << 31)) {
        __cpuid(0x40000000, a, b, c, d);
        memcpy(sig, &b, 4);
        memcpy(sig + 4, &c, 4);
        memcpy(sig + 8, &d, 4);
        sig[12] = '\0';
    }
    printf("cpuid hypervisor: %s\n", sig);
}

/* nanosleep(want_ns) must take at least want_ns and at most max_ns. */
static long long check_sleep(long long want_ns, long long max_ns)
{
    struct timespec req = { want_ns / 1000000000ll, want_ns % 1000000000ll };
    long long before = ns(CLOCK_MONOTONIC);
    if (nanosleep(&req, NULL) != 0) {
        printf("nanosleep failed\n");
        bad = 1;
    }
    long long slept = ns(CLOCK_MONOTONIC) - before;
    if (slept < want_ns || slept > max_ns) {
        printf("nanosleep(%lld ns) took %lld ns\n", want_ns, slept);
        bad = 1;
    }
    return slept;
}

/* A futex wait on a value nobody changes must end in ETIMEDOUT, on time. */
static void check_futex_timeout(void)
{
    int word = 0;
    struct timespec timeout = { 0, 10 * 1000 * 1000 };
    long long before = ns(CLOCK_MONOTONIC);
    long r = syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 0, &timeout, NULL, 0);
    long long waited = ns(CLOCK_MONOTONIC) - before;
    if (r != -1 || errno != ETIMEDOUT || waited < 10 * 1000000ll || waited > 5000 * 1000000ll) {
        printf("futex wait (10 ms): %ld errno %d after %lld ns\n", r, errno, waited);
        bad = 1;
    }
}

int main(void)
{
    show_file("clocksource", "/sys/devices/system/clocksource/clocksource0/current_clocksource");
    show_file("available", "/sys/devices/system/clocksource/clocksource0/available_clocksource");
    show_file("clockevent", "/sys/devices/system/clockevents/clockevent0/current_device");
    show_cpuid();

    long long real = ns(CLOCK_REALTIME);
    if (real < 1577836800ll * 1000000000ll) {   /* 2020-01-01 */
        printf("CLOCK_REALTIME implausible: %lld\n", real);
        bad = 1;
    }
    long long t0 = ns(CLOCK_MONOTONIC), prev = t0;
    for (int i = 0; i < 1000; i++) {
        long long t = ns(CLOCK_MONOTONIC);
        if (t < prev) {
            printf("CLOCK_MONOTONIC went backwards\n");
            bad = 1;
            break;
        }
        prev = t;
    }
    /* Generous upper bounds: TCG on a loaded host is slow. */
    long long slept = check_sleep(50 * 1000000ll, 5000 * 1000000ll);
    printf("slept %lld ms\n", slept / 1000000);
    /* Many short sleeps: the timer is armed again and again. */
    for (int i = 0; i < 20; i++)
        check_sleep(1000000ll, 2000 * 1000000ll);
    check_futex_timeout();
    if (time(NULL) < 1577836800) {
        printf("time() implausible\n");
        bad = 1;
    }
    printf(bad ? "clock FAILED\n" : "clock ok\n");
    return bad;
}
