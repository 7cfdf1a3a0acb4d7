/* Clocks must move forward, nanosleep must sleep at least as long as asked
 * (and not wildly longer), and the wall clock must be a plausible date. */
#include <stdio.h>
#include <time.h>

static long long ns(clockid_t c)
{
    struct timespec t;
    if (clock_gettime(c, &t) != 0)
        return -1;
    return (long long)t.tv_sec * 1000000000ll + t.tv_nsec;
}

int main(void)
{
    int bad = 0;
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
    struct timespec req = { 0, 50 * 1000 * 1000 };
    long long before = ns(CLOCK_MONOTONIC);
    if (nanosleep(&req, NULL) != 0) {
        printf("nanosleep failed\n");
        bad = 1;
    }
    long long slept = ns(CLOCK_MONOTONIC) - before;
    printf("slept %lld ms\n", slept / 1000000);
    /* Generous upper bound: TCG on a loaded host is slow. */
    if (slept < 50 * 1000000ll || slept > 5000 * 1000000ll) {
        printf("nanosleep(50ms) took %lld ns\n", slept);
        bad = 1;
    }
    if (time(NULL) < 1577836800) {
        printf("time() implausible\n");
        bad = 1;
    }
    printf(bad ? "clock FAILED\n" : "clock ok\n");
    return bad;
}
