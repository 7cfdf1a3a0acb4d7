/* For the host-side test clock_sleep_idle (test/clock/tests.sh): sleeps
 * 3 s, then spins 2 s, printing a line at each boundary so the host can
 * measure QEMU's CPU time over each phase. The spin proves the measurement
 * sees the guest's CPU use; the sleep must cost the host next to nothing. */
#include <stdio.h>
#include <time.h>

static long long now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000ll + t.tv_nsec / 1000000;
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    printf("sleep begins\n");
    struct timespec three = { 3, 0 };
    nanosleep(&three, NULL);
    printf("sleep ends\n");
    long long end = now_ms() + 2000;
    volatile unsigned long x = 1;
    while (now_ms() < end)
        for (int i = 0; i < 100000; i++) x = x * 6364136223846793005ul + 1;
    printf("spin ends\n");
    /* Alive a little longer, so the host reads QEMU's times before it exits. */
    struct timespec one = { 1, 0 };
    nanosleep(&one, NULL);
    return 0;
}
