/* Waiting on signals as Linux does it: sigsuspend and pause, sigtimedwait
 * (taking a signal without its handler, timeouts, the set unblocked for the
 * wait), sigqueue/rt_sigqueueinfo/rt_tgsigqueueinfo (values, si_code rules),
 * real-time signals queueing every instance in order and RLIMIT_SIGPENDING,
 * signalfd (records, non-blocking reads, mask updates, poll and epoll
 * wake-ups), and the sigmask arguments of ppoll, pselect6, epoll_pwait and
 * epoll_pwait2 (the handler of the signal that ended the wait runs under
 * the wait's mask; the old mask comes back after). Other threads send after
 * 100 ms to a thread that waits; every wait is bounded, and a watchdog ends
 * the program if anything hangs. Real-time signals print relative to
 * SIGRTMIN (musl's and glibc's differ). The same binary prints the same
 * lines on Linux. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "checks.h"

#define BAD_PTR ((void *)16)        /* never mapped */
#define RT(n) (SIGRTMIN + (n))

static pthread_t main_thread;
static volatile sig_atomic_t handled, handled_sig, usr2_blocked_in_handler;

static void block_only(const int *sigs)
{
    sigset_t s;
    sigemptyset(&s);
    for (; *sigs; sigs++) sigaddset(&s, *sigs);
    pthread_sigmask(SIG_SETMASK, &s, NULL);
}

static int blocked(int sig)
{
    sigset_t cur;
    pthread_sigmask(SIG_BLOCK, NULL, &cur);
    return sigismember(&cur, sig);
}

static void on_signal(int sig)
{
    handled++;
    handled_sig = sig;
    usr2_blocked_in_handler = blocked(SIGUSR2);
}

static void set_handler(int sig, int flags)
{
    struct sigaction sa = { .sa_handler = on_signal, .sa_flags = flags };
    sigemptyset(&sa.sa_mask);
    sigaction(sig, &sa, NULL);
}

/* --- Helpers: a thread that does one thing after 100 ms; a watchdog. --- */

struct later {
    pthread_t thread;
    void (*action)(void *);
    void *arg;
    volatile int repeat;    /* again every 100 ms until cleared */
};

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, ms % 1000 * 1000000 };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
}

static void *later_main(void *arg)
{
    struct later *l = arg;
    do {
        sleep_ms(100);
        l->action(l->arg);
    } while (l->repeat);
    return NULL;
}

/* Threads start with every signal blocked, so a signal sent to the process
 * can only go to the thread that is being tested. */
static void start_thread(struct later *l, void (*action)(void *), void *arg, int repeat)
{
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    l->action = action;
    l->arg = arg;
    l->repeat = repeat;
    CHECK(pthread_create(&l->thread, NULL, later_main, l) == 0);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

static void start_later(struct later *l, void (*action)(void *), void *arg) { start_thread(l, action, arg, 0); }

static void finish_later(struct later *l)
{
    l->repeat = 0;
    pthread_join(l->thread, NULL);
}

/* For a signal the waiter does not block: one sent before the wait began
 * would only run its handler, so the sender repeats until the wait ends. */
static void start_repeating(struct later *l, void (*action)(void *), void *arg)
{
    start_thread(l, action, arg, 1);
}

static void *watchdog(void *arg)
{
    (void)arg;
    sleep_ms(60000);
    printf("TIMEOUT: a wait did not end\n");
    fflush(stdout);
    _exit(3);
}

static void kill_main_usr1(void *arg) { (void)arg; pthread_kill(main_thread, SIGUSR1); }
static void kill_main_usr2(void *arg) { (void)arg; pthread_kill(main_thread, SIGUSR2); }
static void queue_to_process(void *arg)
{
    int *v = arg;   /* { signal, value } */
    sigqueue(getpid(), v[0], (union sigval){ .sival_int = v[1] });
}

static struct timespec ms_ts(long ms) { return (struct timespec){ ms / 1000, ms % 1000 * 1000000 }; }

static long sigtimedwait_raw(const sigset_t *set, siginfo_t *si, const struct timespec *ts, size_t size)
{
    return syscall(SYS_rt_sigtimedwait, set, si, ts, size);
}

/* Take every pending signal in set, without waiting. */
static int drain(const sigset_t *set)
{
    struct timespec zero = { 0, 0 };
    int n = 0;
    while (sigtimedwait_raw(set, NULL, &zero, 8) > 0) n++;
    return n;
}

static sigset_t set_of(int a, int b)
{
    sigset_t s;
    sigemptyset(&s);
    if (a) sigaddset(&s, a);
    if (b) sigaddset(&s, b);
    return s;
}

/* --- 1. sigsuspend and pause --- */

static void test_sigsuspend(void)
{
    set_handler(SIGUSR1, SA_RESTART);
    set_handler(SIGUSR2, SA_RESTART);
    block_only((int[]){ SIGUSR1, 0 });

    /* Woken by another thread; the handler runs under the temporary mask
     * (USR2 blocked), and the old one (USR1 blocked) is back after. */
    struct later l;
    start_later(&l, kill_main_usr1, NULL);
    sigset_t wait_mask = set_of(SIGUSR2, 0);
    handled = 0;
    errno = 0;
    int r = sigsuspend(&wait_mask);
    int e = errno;
    finish_later(&l);
    printf("sigsuspend: %d %s, handler %d sig %d, USR2 blocked in handler %d, after: USR1 blocked %d USR2 blocked %d\n",
           r, e == EINTR ? "EINTR" : "?", handled, handled_sig, usr2_blocked_in_handler, blocked(SIGUSR1),
           blocked(SIGUSR2));

    /* Already pending and blocked: the temporary mask lets it in at once. */
    raise(SIGUSR1);
    handled = 0;
    sigset_t none;
    sigemptyset(&none);
    errno = 0;
    r = sigsuspend(&none);
    printf("sigsuspend with USR1 pending: %d %s, handler %d\n", r, errno == EINTR ? "EINTR" : "?", handled);

    FAILS(syscall(SYS_rt_sigsuspend, &none, 4), EINVAL);
    FAILS(syscall(SYS_rt_sigsuspend, BAD_PTR, 8), EFAULT);
    CHECK(blocked(SIGUSR1) && !blocked(SIGUSR2));

    /* pause: SA_RESTART or not, a handler ends it with EINTR. */
    start_repeating(&l, kill_main_usr2, NULL);
    handled = 0;
    errno = 0;
    r = pause();
    e = errno;
    finish_later(&l);
    printf("pause: %d %s, handler ran %d sig %d\n", r, e == EINTR ? "EINTR" : "?", handled > 0, handled_sig);
    block_only((int[]){ 0 });
}

/* --- 2. sigtimedwait --- */

static void test_sigtimedwait(void)
{
    set_handler(SIGUSR1, 0);
    set_handler(SIGUSR2, 0);
    block_only((int[]){ SIGUSR1, SIGUSR2, 0 });
    sigset_t usr1 = set_of(SIGUSR1, 0), usr2 = set_of(SIGUSR2, 0);

    /* A pending signal is taken, its handler never runs. */
    handled = 0;
    raise(SIGUSR1);
    siginfo_t si;
    memset(&si, 0xff, sizeof si);
    /* Raw: glibc's wrapper turns SI_TKILL into SI_USER. */
    int r = (int)sigtimedwait_raw(&usr1, &si, NULL, 8);
    printf("sigwaitinfo: %d, si_signo %d si_code %s, handler %d, still pending %d\n", r, si.si_signo,
           si.si_code == SI_TKILL ? "SI_TKILL" : "?", handled, drain(&usr1));

    /* Nothing pending: a timeout is EAGAIN, a zero one polls. */
    struct timespec ts = ms_ts(100), zero = { 0, 0 };
    FAILS(sigtimedwait_raw(&usr1, &si, &ts, 8), EAGAIN);
    FAILS(sigtimedwait_raw(&usr1, &si, &zero, 8), EAGAIN);
    printf("sigtimedwait: nothing pending: EAGAIN after the timeout and at once with zero\n");

    /* Bad input. */
    struct timespec bad_ns = { 0, 1000000000 }, bad_s = { -1, 0 };
    FAILS(sigtimedwait_raw(&usr1, &si, &bad_ns, 8), EINVAL);
    FAILS(sigtimedwait_raw(&usr1, &si, &bad_s, 8), EINVAL);
    FAILS(sigtimedwait_raw(&usr1, &si, &zero, 4), EINVAL);
    FAILS(sigtimedwait_raw(BAD_PTR, &si, &zero, 8), EFAULT);
    FAILS(sigtimedwait_raw(&usr1, &si, BAD_PTR, 8), EFAULT);
    /* An info pointer that cannot be written: the signal is taken anyway. */
    raise(SIGUSR1);
    FAILS(sigtimedwait_raw(&usr1, BAD_PTR, &zero, 8), EFAULT);
    printf("sigtimedwait: bad input refused; bad info pointer still took the signal: %d\n", drain(&usr1) == 0);

    /* Another thread queues to the process while this one waits with USR2
     * blocked everywhere: the wait unblocks it, so this thread takes it. */
    struct later l;
    int msg[2] = { SIGUSR2, 42 };
    start_later(&l, queue_to_process, msg);
    ts = ms_ts(10000);
    memset(&si, 0, sizeof si);
    r = (int)sigtimedwait_raw(&usr2, &si, &ts, 8);
    finish_later(&l);
    printf("sigtimedwait woken by another thread: %d, si_code %s, value %d, pid ok %d, handler %d, USR2 blocked %d\n",
           r, si.si_code == SI_QUEUE ? "SI_QUEUE" : "?", si.si_value.sival_int, si.si_pid == getpid(), handled,
           blocked(SIGUSR2));

    /* A signal outside the set with a handler ends the wait: EINTR, even
     * with SA_RESTART. */
    set_handler(SIGUSR1, SA_RESTART);
    block_only((int[]){ SIGUSR2, 0 });
    start_repeating(&l, kill_main_usr1, NULL);
    handled = 0;
    r = (int)sigtimedwait_raw(&usr2, &si, &ts, 8);
    int e = errno;
    finish_later(&l);
    printf("sigtimedwait interrupted: %d %s, handler ran %d sig %d\n", r, e == EINTR ? "EINTR" : "?", handled > 0,
           handled_sig);
    block_only((int[]){ 0 });
}

/* --- 3. sigqueue, rt_sigqueueinfo, rt_tgsigqueueinfo, queueing order --- */

static volatile int worker_tid;
static volatile int worker_got, worker_value, worker_code;
static volatile int worker_eperm;

static void *queue_worker(void *arg)
{
    (void)arg;
    worker_tid = (int)syscall(SYS_gettid);
    /* Not the main thread: even to its own process, kill()-style siginfo is
     * refused (Linux compares with the caller's thread id). */
    siginfo_t si = { .si_signo = SIGUSR1, .si_code = SI_USER };
    worker_eperm = syscall(SYS_rt_sigqueueinfo, getpid(), SIGUSR1, &si) == -1 && errno == EPERM;
    sigset_t usr2 = set_of(SIGUSR2, 0);
    struct timespec ts = ms_ts(10000);
    siginfo_t got;
    memset(&got, 0, sizeof got);
    worker_got = (int)sigtimedwait_raw(&usr2, &got, &ts, 8);
    worker_value = got.si_value.sival_int;
    worker_code = got.si_code;
    return NULL;
}

static void print_taken(const char *what, const sigset_t *set)
{
    struct timespec zero = { 0, 0 };
    siginfo_t si;
    printf("%s:", what);
    for (int sig; (sig = (int)sigtimedwait_raw(set, &si, &zero, 8)) > 0;) {
        if (sig >= SIGRTMIN) printf(" rt+%d", sig - SIGRTMIN);
        else printf(" %d", sig);
        if (si.si_code == SI_QUEUE) printf("=%d", si.si_value.sival_int);
        else if (si.si_code == SI_USER) printf("(user)");
        else if (si.si_code == SI_TKILL) printf("(tkill)");
        else printf("(code %d)", si.si_code);
    }
    printf("\n");
}

static void test_queueing(void)
{
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, NULL);

    /* Real-time signals queue every instance; standard ones coalesce;
     * lowest number first, each number's instances in order. */
    sigqueue(getpid(), RT(1), (union sigval){ .sival_int = 7 });
    sigqueue(getpid(), RT(0), (union sigval){ .sival_int = 5 });
    sigqueue(getpid(), SIGUSR2, (union sigval){ .sival_int = 1 });
    sigqueue(getpid(), RT(1), (union sigval){ .sival_int = 8 });
    sigqueue(getpid(), SIGUSR2, (union sigval){ .sival_int = 2 });
    sigqueue(getpid(), RT(0), (union sigval){ .sival_int = 6 });
    kill(getpid(), RT(0));
    raise(RT(0));   /* sent to this thread: taken before the process's */
    sigset_t pend;
    sigpending(&pend);
    CHECK(sigismember(&pend, RT(0)) && sigismember(&pend, RT(1)) && sigismember(&pend, SIGUSR2));
    print_taken("queued, taken in order", &all);

    /* si_code rules: kill()/kernel-style codes only to oneself. */
    siginfo_t si;
    memset(&si, 0, sizeof si);
    si.si_code = SI_USER;
    FAILS(syscall(SYS_rt_sigqueueinfo, getpid() + 1, SIGUSR1, &si), EPERM);
    si.si_code = SI_TKILL;
    FAILS(syscall(SYS_rt_sigqueueinfo, getpid() + 1, SIGUSR1, &si), EPERM);
    si.si_code = SI_QUEUE;
    FAILS(syscall(SYS_rt_sigqueueinfo, 999999999, SIGUSR1, &si), ESRCH);
    FAILS(syscall(SYS_rt_sigqueueinfo, getpid(), 65, &si), EINVAL);
    FAILS(syscall(SYS_rt_sigqueueinfo, getpid(), -1, &si), EINVAL);
    FAILS(syscall(SYS_rt_sigqueueinfo, getpid(), SIGUSR1, BAD_PTR), EFAULT);
    CHECK(syscall(SYS_rt_sigqueueinfo, getpid(), 0, &si) == 0);
    /* An unknown si_code whose tail is not zero would lose data: E2BIG. */
    union {
        siginfo_t si;
        unsigned char bytes[128];
    } big;
    memset(&big, 0, sizeof big);
    big.si.si_code = -20;
    big.bytes[100] = 1;
    FAILS(syscall(SYS_rt_sigqueueinfo, getpid(), SIGUSR1, &big), E2BIG);
    /* To oneself, a made-up SI_USER is accepted as given. */
    si.si_code = SI_USER;
    si.si_value.sival_int = 3;
    CHECK(syscall(SYS_rt_sigqueueinfo, getpid(), RT(2), &si) == 0);
    si.si_code = SI_QUEUE;
    si.si_value.sival_int = 4;
    CHECK(syscall(SYS_rt_sigqueueinfo, getpid(), RT(2), &si) == 0);
    print_taken("rt_sigqueueinfo to itself", &all);

    /* rt_tgsigqueueinfo to a thread waiting in sigtimedwait. */
    pthread_t w;
    CHECK(pthread_create(&w, NULL, queue_worker, NULL) == 0);
    while (!worker_tid) sleep_ms(1);
    sleep_ms(100);
    si.si_code = SI_USER;
    FAILS(syscall(SYS_rt_tgsigqueueinfo, getpid(), worker_tid, SIGUSR2, &si), EPERM);
    si.si_code = SI_QUEUE;
    FAILS(syscall(SYS_rt_tgsigqueueinfo, getpid(), 0, SIGUSR2, &si), EINVAL);
    FAILS(syscall(SYS_rt_tgsigqueueinfo, 0, worker_tid, SIGUSR2, &si), EINVAL);
    FAILS(syscall(SYS_rt_tgsigqueueinfo, getpid() + 1, worker_tid, SIGUSR2, &si), ESRCH);
    FAILS(syscall(SYS_rt_tgsigqueueinfo, getpid(), worker_tid, 65, &si), EINVAL);
    si.si_value.sival_int = 99;
    CHECK(syscall(SYS_rt_tgsigqueueinfo, getpid(), worker_tid, SIGUSR2, &si) == 0);
    pthread_join(w, NULL);
    printf("rt_tgsigqueueinfo to a waiting thread: got %d code %s value %d; kill-style from a thread: EPERM %d\n",
           worker_got, worker_code == SI_QUEUE ? "SI_QUEUE" : "?", worker_value, worker_eperm);
}

/* This user's queued signals now (SigQ), as Linux counts them per user. */
static long queued_now(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long n = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "SigQ:\t%ld/", &n) == 1) break;
    if (f) fclose(f);
    return n;
}

static void test_limit(void)
{
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, NULL);
    struct rlimit old, low;
    getrlimit(RLIMIT_SIGPENDING, &old);
    long base = queued_now();
    CHECK(base >= 0);
    low = (struct rlimit){ (rlim_t)base + 8, old.rlim_max };
    CHECK(setrlimit(RLIMIT_SIGPENDING, &low) == 0);
    int n = 0;
    errno = 0;
    while (n < 100 && sigqueue(getpid(), RT(0), (union sigval){ .sival_int = n }) == 0) n++;
    int e = errno;
    /* Over the limit: tgkill of a real-time signal fails too, kill() gets
     * through without its siginfo, a standard signal loses its value. */
    FAILS(syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), RT(3)), EAGAIN);
    CHECK(kill(getpid(), RT(2)) == 0);
    CHECK(sigqueue(getpid(), SIGUSR1, (union sigval){ .sival_int = 9 }) == 0);
    printf("RLIMIT_SIGPENDING 8: %d queued, then %s\n", n, e == EAGAIN ? "EAGAIN" : "?");
    print_taken("taken", &all);
    CHECK(queued_now() == base);
    setrlimit(RLIMIT_SIGPENDING, &old);
    block_only((int[]){ 0 });
}

/* --- 4. signalfd --- */

static void test_signalfd(void)
{
    block_only((int[]){ SIGUSR1, SIGUSR2, 0 });
    sigset_t mask = set_of(SIGUSR1, 0);
    int sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    CHECK(sfd >= 0);
    CHECK(fcntl(sfd, F_GETFD) == FD_CLOEXEC);
    CHECK(fcntl(sfd, F_GETFL) & O_NONBLOCK);
    struct signalfd_siginfo rec[3];
    FAILS(read(sfd, rec, sizeof rec), EAGAIN);
    struct pollfd pfd = { sfd, POLLIN, 0 };
    int idle = poll(&pfd, 1, 0);

    raise(SIGUSR1);
    pfd.revents = 0;
    int ready = poll(&pfd, 1, 0);
    int revents = pfd.revents;
    memset(rec, 0, sizeof rec);
    ssize_t got = read(sfd, rec, sizeof rec);
    printf("signalfd: idle poll %d, after raise poll %d revents %#x; read %zd: signo %u code %s pid ok %d\n", idle,
           ready, revents, got, rec[0].ssi_signo, rec[0].ssi_code == SI_TKILL ? "SI_TKILL" : "?",
           rec[0].ssi_pid == (uint32_t)getpid());
    FAILS(read(sfd, rec, sizeof rec), EAGAIN);
    FAILS(read(sfd, rec, 100), EINVAL);
    FAILS(write(sfd, rec, sizeof rec[0]), EINVAL);

    /* A new mask for the same fd: USR1 no longer shows, USR2 does. */
    sigset_t mask2 = set_of(SIGUSR2, 0);
    CHECK(signalfd(sfd, &mask2, 0) == sfd);
    raise(SIGUSR1);
    pfd.revents = 0;
    idle = poll(&pfd, 1, 0);
    sigqueue(getpid(), SIGUSR2, (union sigval){ .sival_int = 77 });
    memset(rec, 0, sizeof rec);
    got = read(sfd, rec, sizeof rec);
    printf("signalfd new mask: USR1 poll %d; read %zd: signo %u code %s int %d pid ok %d\n", idle, got,
           rec[0].ssi_signo, rec[0].ssi_code == SI_QUEUE ? "SI_QUEUE" : "?", rec[0].ssi_int,
           rec[0].ssi_pid == (uint32_t)getpid());
    sigset_t usr1 = set_of(SIGUSR1, 0);
    CHECK(drain(&usr1) == 1);

    /* Several records in one read, in queue order. */
    block_only((int[]){ SIGUSR1, SIGUSR2, RT(0), 0 });
    sigset_t rt = set_of(RT(0), 0);
    CHECK(signalfd(sfd, &rt, 0) == sfd);
    sigqueue(getpid(), RT(0), (union sigval){ .sival_int = 1 });
    sigqueue(getpid(), RT(0), (union sigval){ .sival_int = 2 });
    got = read(sfd, rec, sizeof rec);
    printf("signalfd two records: read %zd: rt+%d=%d rt+%d=%d\n", got, (int)rec[0].ssi_signo - SIGRTMIN,
           rec[0].ssi_int, (int)rec[1].ssi_signo - SIGRTMIN, rec[1].ssi_int);

    /* epoll wakes when another thread sends a signal in the mask. */
    int ep = epoll_create1(0);
    struct epoll_event ev = { .events = EPOLLIN, .data.u32 = 5 }, out[2];
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev) == 0);
    CHECK(epoll_wait(ep, out, 2, 0) == 0);
    struct later l;
    int msg[2] = { RT(0), 3 };
    start_later(&l, queue_to_process, msg);
    int n = epoll_wait(ep, out, 2, 10000);
    finish_later(&l);
    got = read(sfd, rec, sizeof rec);
    printf("signalfd in epoll woken by another thread: %d event %#x data %u; read %zd value %d\n", n, out[0].events,
           out[0].data.u32, got, rec[0].ssi_int);

    /* A blocking read waits for another thread's signal. */
    int bfd = signalfd(-1, &rt, 0);
    msg[1] = 4;
    start_later(&l, queue_to_process, msg);
    got = read(bfd, rec, sizeof rec);
    finish_later(&l);
    printf("blocking signalfd read woken by another thread: %zd value %d\n", got, rec[0].ssi_int);

    /* Bad input. */
    FAILS(signalfd(sfd, BAD_PTR, 0), EFAULT);
    FAILS(syscall(SYS_signalfd4, -1, &rt, 4, 0), EINVAL);
    FAILS(syscall(SYS_signalfd4, -1, &rt, 8, 1), EINVAL);
    FAILS(syscall(SYS_signalfd4, ep, &rt, 8, 0), EINVAL);
    FAILS(syscall(SYS_signalfd4, 999, &rt, 8, 0), EBADF);
    FAILS(syscall(SYS_signalfd, -1, &rt, 16), EINVAL);
    close(bfd);
    close(ep);
    close(sfd);
    block_only((int[]){ 0 });
}

/* --- 5. The sigmask of ppoll, pselect6, epoll_pwait, epoll_pwait2 --- */

struct masked_wait {
    const char *name;
    int (*call)(int fd, const sigset_t *mask, int ms);
};

static int do_ppoll(int fd, const sigset_t *mask, int ms)
{
    struct pollfd p = { fd, POLLIN, 0 };
    struct timespec ts = ms_ts(ms);
    return ppoll(&p, 1, &ts, mask);
}

static int do_pselect(int fd, const sigset_t *mask, int ms)
{
    fd_set in;
    FD_ZERO(&in);
    FD_SET(fd, &in);
    struct timespec ts = ms_ts(ms);
    struct { const sigset_t *p; size_t size; } arg = { mask, 8 };
    return (int)syscall(SYS_pselect6, fd + 1, &in, NULL, NULL, &ts, &arg);
}

static int epfd_for(int fd)
{
    int ep = epoll_create1(0);
    struct epoll_event ev = { .events = EPOLLIN };
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    return ep;
}

static int do_epoll_pwait(int fd, const sigset_t *mask, int ms)
{
    int ep = epfd_for(fd);
    struct epoll_event out;
    int r = (int)syscall(SYS_epoll_pwait, ep, &out, 1, ms, mask, 8);
    int e = errno;
    close(ep);
    errno = e;
    return r;
}

static int do_epoll_pwait2(int fd, const sigset_t *mask, int ms)
{
    int ep = epfd_for(fd);
    struct epoll_event out;
    struct timespec ts = ms_ts(ms);
    int r = (int)syscall(SYS_epoll_pwait2, ep, &out, 1, &ts, mask, 8);
    int e = errno;
    close(ep);
    errno = e;
    return r;
}

static void test_wait_masks(void)
{
    static const struct masked_wait calls[] = {
        { "ppoll", do_ppoll },
        { "pselect6", do_pselect },
        { "epoll_pwait", do_epoll_pwait },
        { "epoll_pwait2", do_epoll_pwait2 },
    };
    set_handler(SIGUSR1, SA_RESTART);
    set_handler(SIGUSR2, SA_RESTART);
    int p[2];
    CHECK(pipe(p) == 0);
    sigset_t wait_mask = set_of(SIGUSR2, 0);    /* USR1 let in, USR2 kept out */
    for (unsigned i = 0; i < sizeof calls / sizeof calls[0]; i++) {
        const struct masked_wait *c = &calls[i];
        block_only((int[]){ SIGUSR1, 0 });
        /* Pending before the call: the mask lets it in, the wait ends. */
        raise(SIGUSR1);
        handled = 0;
        usr2_blocked_in_handler = -1;
        errno = 0;
        int r = c->call(p[0], &wait_mask, 10000);
        int e = errno;
        printf("%s, USR1 pending: %d %s, handler %d, USR2 blocked in handler %d, after: USR1 blocked %d USR2 blocked "
               "%d\n",
               c->name, r, e == EINTR ? "EINTR" : "?", handled, usr2_blocked_in_handler, blocked(SIGUSR1),
               blocked(SIGUSR2));
        /* Sent by another thread during the wait. */
        struct later l;
        start_later(&l, kill_main_usr1, NULL);
        handled = 0;
        errno = 0;
        r = c->call(p[0], &wait_mask, 10000);
        e = errno;
        finish_later(&l);
        printf("%s, USR1 from a thread: %d %s, handler %d, after: USR1 blocked %d\n", c->name, r,
               e == EINTR ? "EINTR" : "?", handled, blocked(SIGUSR1));
        /* Ready at once: the old mask is back before any handler could run. */
        raise(SIGUSR1);
        CHECK(write(p[1], "x", 1) == 1);
        handled = 0;
        r = c->call(p[0], &wait_mask, 10000);
        char b;
        CHECK(read(p[0], &b, 1) == 1);
        sigset_t pend;
        sigpending(&pend);
        printf("%s, ready with USR1 pending: %d, handler %d, still pending %d\n", c->name, r, handled,
               sigismember(&pend, SIGUSR1));
        sigset_t usr1 = set_of(SIGUSR1, 0);
        drain(&usr1);
    }
    /* Bad masks. */
    struct pollfd pf = { p[0], POLLIN, 0 };
    struct timespec zero = { 0, 0 };
    FAILS(syscall(SYS_ppoll, &pf, 1, &zero, &wait_mask, 4), EINVAL);
    FAILS(syscall(SYS_ppoll, &pf, 1, &zero, BAD_PTR, 8), EFAULT);
    fd_set in;
    FD_ZERO(&in);
    struct { const sigset_t *p; size_t size; } arg = { &wait_mask, 16 };
    FAILS(syscall(SYS_pselect6, 1, &in, NULL, NULL, &zero, &arg), EINVAL);
    arg = (typeof(arg)){ BAD_PTR, 8 };
    FAILS(syscall(SYS_pselect6, 1, &in, NULL, NULL, &zero, &arg), EFAULT);
    FAILS(syscall(SYS_pselect6, 1, &in, NULL, NULL, &zero, BAD_PTR), EFAULT);
    int ep = epfd_for(p[0]);
    struct epoll_event out;
    FAILS(syscall(SYS_epoll_pwait, ep, &out, 1, 0, &wait_mask, 4), EINVAL);
    FAILS(syscall(SYS_epoll_pwait2, ep, &out, 1, &zero, BAD_PTR, 8), EFAULT);
    CHECK(blocked(SIGUSR1));
    close(ep);
    close(p[0]);
    close(p[1]);
    block_only((int[]){ 0 });
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    main_thread = pthread_self();
    pthread_t dog;
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_create(&dog, NULL, watchdog, NULL);
    pthread_detach(dog);
    pthread_sigmask(SIG_SETMASK, &old, NULL);

    test_sigsuspend();
    test_sigtimedwait();
    test_queueing();
    test_limit();
    test_signalfd();
    test_wait_masks();
    printf("sigwait: %d failures\n", failures);
    return failures != 0;
}
