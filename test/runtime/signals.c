/* Signals as Linux delivers them: handlers with siginfo, masks and pending
 * sets, raise/kill/tgkill, the alternate stack, SA_RESETHAND, SA_NODEFER,
 * recovering from SIGSEGV (siglongjmp, and editing the saved RIP), SIGFPE
 * from a division by zero, SIGPIPE, EINTR and SA_RESTART on a blocked read,
 * and FPU state kept across a handler. Every line is deterministic: the
 * same binary prints the same on Linux. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

static volatile sig_atomic_t got_sig, got_code, got_pid_ok, depth, max_depth, hits;

static void on_info(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    got_sig = sig;
    got_code = si->si_code;
    got_pid_ok = si->si_pid == getpid();
}

static void handlers_and_info(void)
{
    struct sigaction sa = { .sa_sigaction = on_info, .sa_flags = SA_SIGINFO };
    sigaction(SIGUSR1, &sa, NULL);
    raise(SIGUSR1);
    printf("raise: sig %d code %s pid ok %d\n", got_sig, got_code == SI_TKILL ? "SI_TKILL" : "?", got_pid_ok);
    got_sig = 0;
    kill(getpid(), SIGUSR1);
    printf("kill: sig %d code %s pid ok %d\n", got_sig, got_code == SI_USER ? "SI_USER" : "?", got_pid_ok);
    got_sig = 0;
    syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), SIGUSR1);
    printf("tgkill: sig %d code %s\n", got_sig, got_code == SI_TKILL ? "SI_TKILL" : "?");
}

static void masks_and_pending(void)
{
    sigset_t block, pend, old;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    sigprocmask(SIG_BLOCK, &block, &old);
    got_sig = 0;
    raise(SIGUSR1);
    sigpending(&pend);
    printf("blocked: handler ran %d, pending %d\n", got_sig != 0, sigismember(&pend, SIGUSR1));
    sigprocmask(SIG_SETMASK, &old, NULL);
    sigpending(&pend);
    printf("unblocked: handler ran %d, pending %d\n", got_sig == SIGUSR1, sigismember(&pend, SIGUSR1));
}

static char altstack[65536];
static volatile int on_alt;

static void on_alt_handler(int sig)
{
    (void)sig;
    char local;
    on_alt = (uintptr_t)&local >= (uintptr_t)altstack && (uintptr_t)&local < (uintptr_t)altstack + sizeof altstack;
}

static void alt_stack(void)
{
    stack_t ss = { .ss_sp = altstack, .ss_size = sizeof altstack }, old;
    int r = sigaltstack(&ss, &old);
    printf("sigaltstack: %d, old disabled %d\n", r, (old.ss_flags & SS_DISABLE) != 0);
    stack_t small = { .ss_sp = altstack, .ss_size = 100 };
    errno = 0;
    r = sigaltstack(&small, NULL);
    printf("small stack: %d %s\n", r, errno == ENOMEM ? "ENOMEM" : "?");
    stack_t bad = { .ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0x40 };
    errno = 0;
    r = sigaltstack(&bad, NULL);
    printf("bad flags: %d %s\n", r, errno == EINVAL ? "EINVAL" : "?");
    struct sigaction sa = { .sa_handler = on_alt_handler, .sa_flags = SA_ONSTACK };
    sigaction(SIGUSR2, &sa, NULL);
    raise(SIGUSR2);
    printf("handler on the alternate stack: %d\n", on_alt);
    ss.ss_flags = SS_DISABLE;
    sigaltstack(&ss, NULL);
    on_alt = -1;
    raise(SIGUSR2);
    printf("after disabling: on it %d\n", on_alt);
}

static void counting(int sig)
{
    (void)sig;
    hits++;
}

static void nested(int sig)
{
    depth++;
    hits++;
    if (depth > max_depth) max_depth = depth;
    if (hits < 3) raise(sig);   /* deferred: runs after this handler returns */
    depth--;
}

static void reset_and_nodefer(void)
{
    struct sigaction sa = { .sa_handler = counting, .sa_flags = SA_RESETHAND };
    sigaction(SIGUSR2, &sa, NULL);
    raise(SIGUSR2);
    struct sigaction now;
    sigaction(SIGUSR2, NULL, &now);
    printf("SA_RESETHAND: hits %d, now default %d\n", hits, now.sa_handler == SIG_DFL);
    sa = (struct sigaction){ .sa_handler = nested, .sa_flags = SA_NODEFER };
    sigaction(SIGUSR2, &sa, NULL);
    hits = 0;
    raise(SIGUSR2);
    printf("SA_NODEFER: runs %d, nested depth %d\n", hits, max_depth);
    max_depth = depth = hits = 0;
    sa.sa_flags = 0;
    sigaction(SIGUSR2, &sa, NULL);
    raise(SIGUSR2);
    printf("deferred: runs %d, nested depth %d\n", hits, max_depth);
}

static sigjmp_buf jump;
static volatile void *fault_addr;
static volatile int fault_code;

static void segv_jump(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)uc;
    fault_addr = si->si_addr;
    fault_code = si->si_code;
    siglongjmp(jump, 1);
}

/* The faulting instruction is a 3-byte "movl $0,(%rax)"-free load:
 * "mov (%rax), %eax" is 2 bytes (8b 00); the handler skips it. */
static void segv_skip(int sig, siginfo_t *si, void *ucv)
{
    (void)sig;
    (void)si;
    ucontext_t *uc = ucv;
    uc->uc_mcontext.gregs[REG_RIP] += 2;
    uc->uc_mcontext.gregs[REG_RAX] = 1234;
}

static void segv_recovery(void)
{
    struct sigaction sa = { .sa_sigaction = segv_jump, .sa_flags = SA_SIGINFO };
    sigaction(SIGSEGV, &sa, NULL);
    volatile int *volatile bad = (int *)16;
    if (sigsetjmp(jump, 1) == 0) {
        *bad = 1;
        printf("no fault?\n");
    }
    printf("siglongjmp out of SIGSEGV: addr %p code %s\n", (void *)fault_addr,
           fault_code == SEGV_MAPERR ? "SEGV_MAPERR" : "?");
    char *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (sigsetjmp(jump, 1) == 0) ro[8] = 1;
    printf("write to read-only page: offset %ld code %s\n", (long)((char *)fault_addr - ro),
           fault_code == SEGV_ACCERR ? "SEGV_ACCERR" : "?");
    sa.sa_sigaction = segv_skip;
    sigaction(SIGSEGV, &sa, NULL);
    long v;
    __asm__ volatile("mov $16, %%rax\n\tmov (%%rax), %%eax" : "=a"(v) : : "memory");
    printf("handler skipped the load: rax %ld\n", v);
    signal(SIGSEGV, SIG_DFL);
}

static void fpe_jump(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    got_sig = sig;
    fault_code = si->si_code;
    siglongjmp(jump, 1);
}

static void divide_by_zero(void)
{
    struct sigaction sa = { .sa_sigaction = fpe_jump, .sa_flags = SA_SIGINFO };
    sigaction(SIGFPE, &sa, NULL);
    volatile int zero = 0, x = 7;
    if (sigsetjmp(jump, 1) == 0) x = x / zero;
    printf("SIGFPE: sig %d code %s\n", got_sig, fault_code == FPE_INTDIV ? "FPE_INTDIV" : "?");
}

static void broken_pipe(void)
{
    struct sigaction sa = { .sa_sigaction = on_info, .sa_flags = SA_SIGINFO };
    sigaction(SIGPIPE, &sa, NULL);
    int fds[2];
    pipe(fds);
    close(fds[0]);
    got_sig = 0;
    errno = 0;
    ssize_t r = write(fds[1], "x", 1);
    printf("pipe without reader: write %zd %s, SIGPIPE %d\n", r, errno == EPIPE ? "EPIPE" : "?", got_sig == SIGPIPE);
    close(fds[1]);
}

static int rfd[2];
static pthread_t reader;
static volatile ssize_t read_result;
static volatile int read_errno;

static void *read_blocked(void *arg)
{
    (void)arg;
    char c;
    errno = 0;
    read_result = read(rfd[0], &c, 1);
    read_errno = errno;
    return NULL;
}

static void interrupted_read(int restart)
{
    struct sigaction sa = { .sa_handler = counting, .sa_flags = restart ? SA_RESTART : 0 };
    sigaction(SIGUSR1, &sa, NULL);
    pipe(rfd);
    hits = 0;
    pthread_create(&reader, NULL, read_blocked, NULL);
    usleep(100000);         /* the reader is blocked in read by now */
    pthread_kill(reader, SIGUSR1);
    usleep(100000);
    if (restart) write(rfd[1], "y", 1);   /* the restarted read gets it */
    pthread_join(reader, NULL);
    printf("%s: handler %d, read %zd %s\n", restart ? "SA_RESTART" : "no SA_RESTART", hits, read_result,
           read_result < 0 ? (read_errno == EINTR ? "EINTR" : "?") : "");
    close(rfd[0]);
    close(rfd[1]);
}

/* A sleeping thread is woken by a signal even under SA_RESTART (Linux: a
 * handler always ends nanosleep) and learns how much time was left. */
static pthread_t sleeper;
static volatile long sleep_result, sleep_errno, rem_ok;

static void *sleep_long(void *arg)
{
    (void)arg;
    struct timespec req = { 2, 0 }, rem = { -1, -1 };
    errno = 0;
    sleep_result = nanosleep(&req, &rem);
    sleep_errno = errno;
    rem_ok = rem.tv_sec >= 0 && rem.tv_nsec >= 0 && rem.tv_sec < 2 && (rem.tv_sec > 0 || rem.tv_nsec > 0);
    return NULL;
}

static void interrupted_sleep(void)
{
    struct sigaction sa = { .sa_handler = counting, .sa_flags = SA_RESTART };
    sigaction(SIGUSR1, &sa, NULL);
    hits = 0;
    pthread_create(&sleeper, NULL, sleep_long, NULL);
    usleep(100000);
    pthread_kill(sleeper, SIGUSR1);
    pthread_join(sleeper, NULL);
    printf("nanosleep: handler %d, result %ld %s, rem left %ld\n", hits, sleep_result,
           sleep_errno == EINTR ? "EINTR" : "?", rem_ok);
}

static volatile double handler_sum;

static void fpu_user(int sig)
{
    (void)sig;
    volatile double a = 1.5, b = 2.25;
    handler_sum = a * b + a / b;
}

static void fpu_preserved(void)
{
    signal(SIGUSR2, fpu_user);
    volatile double x = 3.0;
    double kept = x * 7.0;      /* lives in an xmm register across raise */
    double before = kept;
    raise(SIGUSR2);
    kept = kept + 0.0;
    printf("fpu: value kept %d, handler computed %.4f\n", kept == before, handler_sum);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    handlers_and_info();
    masks_and_pending();
    alt_stack();
    reset_and_nodefer();
    segv_recovery();
    divide_by_zero();
    broken_pipe();
    interrupted_read(0);
    interrupted_read(1);
    interrupted_sleep();
    fpu_preserved();
    printf("signals done\n");
    return 0;
}
