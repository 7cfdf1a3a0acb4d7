/* sysfuzz: random system calls with hostile arguments from several threads
 * while signals arrive (README.md). Usage:
 *   sysfuzz --seed S --calls N --threads T      N calls in all, split over T threads
 *   sysfuzz --seed S --threads T --replay I --calls N [-v]
 *                                   thread I's first N calls alone (its sequence
 *                                   depends only on S and I)
 *                                   (--from K: draw but do not make its first K calls)
 *   sysfuzz --diff                  the fixed, deterministic list (diff.c)
 * Ends with "sysfuzz: done ..." (exit 0) or FAIL lines (exit 1); a hang is
 * reported by the watchdog (exit 2). */
#include "sysfuzz.h"
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/utsname.h>

struct fz_run run = { .seed = 1, .calls = 10000, .threads = 4, .replay_thread = -1, .hang_seconds = 60 };
static struct fz_state states[MAX_THREADS];

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void usage(void)
{
    out("usage: sysfuzz [--seed S] [--calls N] [--threads T] [--replay I] [-v] [--no-signals] "
        "[--from K] [--hang-seconds S] [--hang-hold] | --diff\n");
    _Exit(64);
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--diff")) return diff_main();
        else if (!strcmp(a, "-v")) run.verbose = 1;
        else if (!strcmp(a, "--no-signals")) run.no_signals = 1;
        else if (!strcmp(a, "--hang-hold")) run.hang_hold = 1;
        else if (!v) usage();
        else if (!strcmp(a, "--seed")) run.seed = strtoull(v, NULL, 0), i++;
        else if (!strcmp(a, "--calls")) run.calls = strtoull(v, NULL, 0), i++;
        else if (!strcmp(a, "--threads")) run.threads = (unsigned)atoi(v), i++;
        else if (!strcmp(a, "--replay")) run.replay_thread = atoi(v), i++;
        else if (!strcmp(a, "--from")) run.from = strtoull(v, NULL, 0), i++;
        else if (!strcmp(a, "--hang-seconds")) run.hang_seconds = atoi(v), i++;
        else usage();
    }
    /* Never on a real machine: as root these calls could kill every process
     * (kill -1), reset the clock or the host name. Only inside Pith. */
    struct utsname u;
    if (uname(&u) != 0 || !strstr(u.version, "Pith")) {
        out("sysfuzz: refusing to fuzz outside Pith (uname says %s %s); --diff is safe anywhere\n", u.release, u.version);
        return 64;
    }
    if (run.threads < 1 || run.threads > MAX_THREADS) usage();
    if (run.replay_thread >= (int)run.threads) usage();
    run.pid = getpid();

    fixture_fds();
    signals_setup();
    fault_report_setup();
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);   /* workers unblock their two */

    unsigned first = 0, last = run.threads;
    if (run.replay_thread >= 0) first = (unsigned)run.replay_thread, last = first + 1;
    for (unsigned t = first; t < last; t++) {
        zones_setup(t);
        state_init(&states[t], run.seed, t);
        struct fz_thread *w = &run.thr[t];
        w->st = &states[t];
        w->verbose = run.verbose;
        w->skip = run.from;
        w->calls = run.replay_thread >= 0 ? run.calls
                                          : run.calls / run.threads + (t < run.calls % run.threads);
    }
    out("sysfuzz: seed=%lu calls=%lu threads=%u%s\n", run.seed, run.calls, run.threads,
        run.replay_thread >= 0 ? " (replay of one thread)" : "");
    double start = now();
    for (unsigned t = first; t < last; t++) {
        pthread_t th;
        pthread_attr_t at;
        pthread_attr_init(&at);
        pthread_attr_setstacksize(&at, 256 * 1024);
        if (pthread_create(&th, &at, worker_main, &run.thr[t])) { out("sysfuzz: pthread_create failed\n"); return 3; }
    }
    for (unsigned t = 0; t < run.threads; t++)   /* the others count as done */
        if (t < first || t >= last) run.thr[t].done = 1;
    if (!run.no_signals) signaller_start();

    uint64_t seen[MAX_THREADS] = { 0 };
    double since[MAX_THREADS];
    for (unsigned t = 0; t < MAX_THREADS; t++) since[t] = start;
    for (;;) {
        struct timespec ts = { 0, 100000000 };
        nanosleep(&ts, NULL);
        int all_done = 1;
        double tnow = now();
        for (unsigned t = first; t < last; t++) {
            struct fz_thread *w = &run.thr[t];
            if (w->done) continue;
            all_done = 0;
            uint64_t progress = w->cur.index + w->cur.finished;
            if (progress != seen[t]) { seen[t] = progress; since[t] = tnow; continue; }
            if (tnow - since[t] > run.hang_seconds) {
                /* Every thread that stalled, not only the first found: a
                 * call stuck in the kernel keeps the threads queued behind
                 * it on its CPU from running, and any of them may be the
                 * first one looked at. */
                for (unsigned u = first; u < last; u++) {
                    struct fz_thread *x = &run.thr[u];
                    if (x->done || tnow - since[u] <= run.hang_seconds / 2.0) continue;
                    uint64_t a[6];
                    memcpy(a, x->cur.args, sizeof a);
                    char what[80];
                    snprintf(what, sizeof what, "HANG: %s for %.0f s",
                             x->cur.index != x->cur.finished ? "the call did not return" : "no progress between calls",
                             tnow - since[u]);
                    report_fail(u, what, x->cur.nr, a, 0);
                }
                out("sysfuzz: hang seed=%lu threads=%u\n", run.seed, run.threads);
                /* Keep the machine as it is for a debugger (gdb on QEMU's
                 * stub, the monitor): the stuck thread stays stuck. */
                if (run.hang_hold) {
                    out("sysfuzz: holding (--hang-hold): thread %u is tid %d\n", t, w->tid);
                    for (;;) pause();
                }
                _Exit(2);
            }
        }
        if (all_done) break;
    }
    uint64_t ok = 0, err = 0, enosys = 0, eintr = 0, n = 0;
    for (unsigned t = first; t < last; t++) {
        if (!state_ok(&states[t])) report_fail(t, "state block corrupted at the end", -1, (uint64_t[6]){ 0 }, 0);
        ok += states[t].calls_ok, err += states[t].calls_err;
        enosys += states[t].enosys, eintr += states[t].eintr, n += states[t].index;
    }
    out("sysfuzz: done seed=%lu threads=%u calls=%lu ok=%lu errors=%lu enosys=%lu eintr=%lu signals=%lu "
        "seconds=%.1f failures=%d\n", run.seed, run.threads, n, ok, err, enosys, eintr,
        (unsigned long)run.signals_sent, now() - start, run.failed ? 1 : 0);
    _Exit(run.failed ? 1 : 0);
}
