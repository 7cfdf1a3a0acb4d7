/* Every way a single thread can block, each with a way out: sleeps (never
 * short, not wildly long), absolute sleeps on both clocks, futex waits that
 * time out or find the wrong value, and pipes filled and drained past their
 * capacity without blocking. Each line printed is deterministic, so the same
 * binary on the host must print the same (test/runtime/blocking.expect). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_WAIT_BITSET 9
#define FUTEX_PRIVATE_FLAG 128
#define FUTEX_CLOCK_REALTIME 256
#define FUTEX_BITSET_MATCH_ANY 0xffffffffu

#define MS 1000000ll
/* Generous: TCG on a loaded host may stretch any wait by a lot. */
#define LATE_NS (3000 * MS)

static int failures;

static void check(int ok, const char *what)
{
    printf("%s: %s\n", what, ok ? "ok" : "FAILED");
    if (!ok)
        failures++;
}

static long long now_ns(clockid_t c)
{
    struct timespec t;
    clock_gettime(c, &t);
    return (long long)t.tv_sec * 1000000000ll + t.tv_nsec;
}

static struct timespec ts_of(long long ns)
{
    return (struct timespec){ ns / 1000000000ll, ns % 1000000000ll };
}

/* Did an interval that should last want_ns end in [want_ns, want_ns + LATE_NS]? */
static int on_time(long long took, long long want_ns, const char *what)
{
    if (took >= want_ns && took <= want_ns + LATE_NS)
        return 1;
    fprintf(stderr, "%s: wanted %lld ns, took %lld ns\n", what, want_ns, took);
    return 0;
}

static void sleeps(void)
{
    int ok = 1;
    for (long long want = 0; want <= 32 * MS; want = want ? want * 2 : MS / 2) {
        struct timespec req = ts_of(want);
        long long t0 = now_ns(CLOCK_MONOTONIC);
        ok &= nanosleep(&req, NULL) == 0;
        ok &= on_time(now_ns(CLOCK_MONOTONIC) - t0, want, "nanosleep");
    }
    check(ok, "nanosleep 0 .. 32 ms, never short");

    struct timespec bad = { 0, 1000000000 };
    check(nanosleep(&bad, NULL) == -1 && errno == EINVAL, "nanosleep tv_nsec 1e9 is EINVAL");
    bad = (struct timespec){ -1, 0 };
    check(nanosleep(&bad, NULL) == -1 && errno == EINVAL, "nanosleep negative is EINVAL");

    struct timespec rel = ts_of(5 * MS);
    long long t0 = now_ns(CLOCK_MONOTONIC);
    int r = clock_nanosleep(CLOCK_MONOTONIC, 0, &rel, NULL);
    check(r == 0 && on_time(now_ns(CLOCK_MONOTONIC) - t0, 5 * MS, "relative"), "clock_nanosleep relative");
}

/* TIMER_ABSTIME: wake at or after the instant, whatever the clock. */
static void absolute_sleeps(void)
{
    static const clockid_t clocks[] = { CLOCK_MONOTONIC, CLOCK_REALTIME, CLOCK_BOOTTIME };
    static const char *names[] = { "MONOTONIC", "REALTIME", "BOOTTIME" };
    for (int i = 0; i < 3; i++) {
        long long target = now_ns(clocks[i]) + 20 * MS;
        struct timespec abs = ts_of(target);
        int r = clock_nanosleep(clocks[i], TIMER_ABSTIME, &abs, NULL);
        long long after = now_ns(clocks[i]);
        char what[64];
        snprintf(what, sizeof what, "clock_nanosleep ABSTIME %s", names[i]);
        check(r == 0 && after >= target && after - target <= LATE_NS, what);
    }
    /* An instant already past returns at once. (Half of now, not now less
     * a constant: a machine just booted has a small monotonic clock.) */
    struct timespec past = ts_of(now_ns(CLOCK_MONOTONIC) / 2);
    long long t0 = now_ns(CLOCK_MONOTONIC);
    int r = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &past, NULL);
    check(r == 0 && now_ns(CLOCK_MONOTONIC) - t0 < LATE_NS, "clock_nanosleep ABSTIME in the past");
    struct timespec rel = ts_of(MS);
    check(clock_nanosleep(12345, 0, &rel, NULL) == EINVAL, "clock_nanosleep unknown clock is EINVAL");
}

static long futex(int *uaddr, int op, int val, const struct timespec *timeout, unsigned val3)
{
    return syscall(SYS_futex, uaddr, op, val, timeout, NULL, val3);
}

static void futexes(void)
{
    int word = 7;
    struct timespec ten_ms = ts_of(10 * MS);
    long long t0 = now_ns(CLOCK_MONOTONIC);
    long r = futex(&word, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, 7, &ten_ms, 0);
    check(r == -1 && errno == ETIMEDOUT && on_time(now_ns(CLOCK_MONOTONIC) - t0, 10 * MS, "futex"),
          "futex WAIT times out (ETIMEDOUT)");

    t0 = now_ns(CLOCK_MONOTONIC);
    r = futex(&word, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, 8, &ten_ms, 0);
    check(r == -1 && errno == EAGAIN && now_ns(CLOCK_MONOTONIC) - t0 < 10 * MS, "futex WAIT wrong value (EAGAIN)");
    r = futex(&word, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, 8, NULL, 0);
    check(r == -1 && errno == EAGAIN, "futex WAIT wrong value, no timeout (EAGAIN)");

    struct timespec zero = { 0, 0 };
    r = futex(&word, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, 7, &zero, 0);
    check(r == -1 && errno == ETIMEDOUT, "futex WAIT zero timeout (ETIMEDOUT)");

    /* The bitset form takes an absolute time on the chosen clock. */
    long long target = now_ns(CLOCK_MONOTONIC) + 10 * MS;
    struct timespec abs = ts_of(target);
    r = futex(&word, FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG, 7, &abs, FUTEX_BITSET_MATCH_ANY);
    long long after = now_ns(CLOCK_MONOTONIC);
    check(r == -1 && errno == ETIMEDOUT && after >= target && after - target <= LATE_NS,
          "futex WAIT_BITSET absolute MONOTONIC");
    target = now_ns(CLOCK_REALTIME) + 10 * MS;
    abs = ts_of(target);
    r = futex(&word, FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME, 7, &abs,
              FUTEX_BITSET_MATCH_ANY);
    after = now_ns(CLOCK_REALTIME);
    check(r == -1 && errno == ETIMEDOUT && after >= target && after - target <= LATE_NS,
          "futex WAIT_BITSET absolute REALTIME");

    check(futex(&word, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, INT_MAX, NULL, 0) == 0, "futex WAKE finds nobody");
    r = futex((int *)((char *)&word + 1), FUTEX_WAIT | FUTEX_PRIVATE_FLAG, 7, &ten_ms, 0);
    check(r == -1 && errno == EINVAL, "futex WAIT misaligned (EINVAL)");
    struct timespec bad = { 0, -1 };
    r = futex(&word, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, 7, &bad, 0);
    check(r == -1 && errno == EINVAL, "futex WAIT bad timeout (EINVAL)");
}

/* One thread cannot block on a pipe and live, but it can fill one to the
 * brim without blocking, drain it, and see EOF and EPIPE. */
static void pipes(void)
{
    int fd[2];
    if (pipe2(fd, O_NONBLOCK) != 0) {
        check(0, "pipe2");
        return;
    }
    static unsigned char chunk[4096], back[10000];
    long total = 0;
    for (int i = 0; i < 1000; i++) {
        for (size_t j = 0; j < sizeof chunk; j++)
            chunk[j] = (unsigned char)(total + j);   /* the byte's offset in the stream */
        ssize_t n = write(fd[1], chunk, sizeof chunk);
        if (n < 0)
            break;
        total += n;
    }
    int full_errno = errno;
    printf("pipe took %ld bytes before EAGAIN\n", total);
    check(full_errno == EAGAIN && total == 65536, "pipe full is EAGAIN at 64 KiB");

    long got = 0;
    int pattern_ok = 1;
    ssize_t n;
    while ((n = read(fd[0], back, sizeof back)) > 0) {
        for (ssize_t j = 0; j < n; j++)
            pattern_ok &= back[j] == (unsigned char)(got + j);   /* the byte's offset in the stream */
        got += n;
    }
    check(n == -1 && errno == EAGAIN && got == total, "pipe drained in 10000-byte reads, then EAGAIN");
    check(pattern_ok, "pipe bytes come back in order");

    /* Blocking ends with data or an end closed return at once. */
    fcntl(fd[0], F_SETFL, 0);
    fcntl(fd[1], F_SETFL, 0);
    check(write(fd[1], "abc", 3) == 3 && read(fd[0], back, sizeof back) == 3, "blocking read with data");
    close(fd[1]);
    check(read(fd[0], back, sizeof back) == 0, "blocking read after last writer closed is EOF");
    close(fd[0]);

    signal(SIGPIPE, SIG_IGN);
    if (pipe(fd) != 0) {
        check(0, "pipe");
        return;
    }
    close(fd[0]);
    check(write(fd[1], "x", 1) == -1 && errno == EPIPE, "write after last reader closed is EPIPE");
    close(fd[1]);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    sleeps();
    absolute_sleeps();
    futexes();
    pipes();
    printf(failures ? "blocking: %d FAILED\n" : "blocking: all checks passed\n", failures);
    return failures != 0;
}
