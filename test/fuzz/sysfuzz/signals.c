/* Signals: SIGUSR1 and SIGALRM are caught (no SA_RESTART, so a blocked call
 * returns EINTR), every other signal that would end or stop the process is
 * ignored, and a signaller thread sends SIGUSR1/SIGALRM to workers, at once
 * to one that sits in the same call since its last look (this is what ends
 * calls that would block forever) and now and then to any. */
#include "sysfuzz.h"
#include <signal.h>
#include <string.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

_Thread_local uint64_t signals_seen;

static void on_signal(int sig)
{
    (void)sig;
    signals_seen++;
}

void signals_setup(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGALRM, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    for (int s = 1; s <= 64; s++) {
        switch (s) {
        case SIGKILL: case SIGSTOP: case SIGUSR1: case SIGALRM:
        case SIGSEGV: case SIGBUS: case SIGILL: case SIGFPE: case SIGTRAP: case SIGABRT: case SIGSYS:
        case 32: case 33: case 34: /* the libc's own */
            continue;
        }
        sigaction(s, &sa, NULL);
    }
}

static void *signaller(void *arg)
{
    (void)arg;
    uint64_t last[MAX_THREADS] = { 0 };
    uint64_t rng = rng_seed_for(run.seed, 1000);
    run.signaller_tid = (int)sys6(186, 0, 0, 0, 0, 0, 0);
    for (unsigned round = 0;; round++) {
        struct timespec ts = { 0, 300000 };
        nanosleep(&ts, NULL);
        int all_done = 1;
        for (unsigned t = 0; t < run.threads; t++) {
            struct fz_thread *w = &run.thr[t];
            if (w->done || !w->tid) continue;
            all_done = 0;
            uint64_t started = w->cur.index;
            int in_call = started != w->cur.finished;
            int stuck = in_call && started == last[t];
            last[t] = started;
            if (stuck || rng_below(&rng, 16) == 0) {
                int sig = rng_below(&rng, 2) ? SIGUSR1 : SIGALRM;
                sys6(234, (uint64_t)run.pid, (uint64_t)w->tid, (uint64_t)sig, 0, 0, 0);
                run.signals_sent++;
            }
        }
        if (all_done && round > 10) return NULL;
    }
}

void signaller_start(void)
{
    pthread_t th;
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setstacksize(&at, 64 * 1024);
    pthread_create(&th, &at, signaller, NULL);
}
