/* One fuzzing thread: draw a call, confine it, make it, judge the result,
 * check that nothing touched this thread's state, tidy up, repeat. */
#include "sysfuzz.h"
#include <signal.h>
#include <string.h>
#include <time.h>
#include <stdio.h>
#include <pthread.h>

static const char *kinds_of(long nr)
{
    uint32_t low = (uint32_t)nr & ~0x40000000u;
    if (low < SC_TABLE && sc_table[low].name) return sc_table[low].kinds;
    return "vvvvvv";
}

/* Linux's errno values run 1..133; 41 and 58 are unused, and the 512+
 * restart codes must never reach a program. */
int result_ok(long nr, long ret)
{
    if (ret >= 0) return 1;
    if (ret >= -4095) {
        long e = -ret;
        return e <= 133 && e != 41 && e != 58;
    }
    uint32_t low = (uint32_t)nr & ~0x40000000u;
    return low < SC_TABLE && (sc_table[low].flags & SC_RET_ANY);
}

/* name(args) = ret, with path arguments spelled out when they are ours */
static void describe(char *buf, size_t n, long nr, const uint64_t a[6], long ret)
{
    char nb[32];
    int len = snprintf(buf, n, "%s(%#lx, %#lx, %#lx, %#lx, %#lx, %#lx) = %ld", sc_name(nr, nb, sizeof nb),
                       a[0], a[1], a[2], a[3], a[4], a[5], ret);
    const char *k = kinds_of(nr);
    for (int i = 0; i < 6 && k[i] && len > 0 && (size_t)len < n; i++) {
        unsigned t = (unsigned)((a[i] - ZONE_BASE) / ZONE_STRIDE);
        if (k[i] != 's' || a[i] < ZONE_BASE || t >= MAX_THREADS) continue;
        uint64_t off = a[i] - zone_data(t);
        if (off < STR_OFF || off >= SLOT_OFF) continue;
        len += snprintf(buf + len, n - (size_t)len, " [%d:%.40s]", i, (const char *)a[i]);
    }
}

static _Atomic int fail_lines;

void report_fail(unsigned thread, const char *what, long nr, const uint64_t a[6], long ret)
{
    char d[400];
    describe(d, sizeof d, nr, a, ret);
    run.failed = 1;
    if (fail_lines++ > 30) return;
    uint64_t idx = run.thr[thread].cur.index;
    out("sysfuzz: FAIL thread %u call %lu: %s: %s\n", thread, idx ? idx - 1 : 0, what, d);
    out("sysfuzz: replay: sysfuzz --seed %lu --threads %u --replay %u --calls %lu -v\n",
        run.seed, run.threads, thread, idx);
}

void *worker_main(void *arg)
{
    struct fz_thread *w = arg;
    struct fz_state *st = w->st;
    unsigned t = st->thread;
    w->tid = (int)sys6(186, 0, 0, 0, 0, 0, 0);
    sigset_t mine;
    sigemptyset(&mine);
    sigaddset(&mine, SIGUSR1);
    sigaddset(&mine, SIGALRM);
    if (!run.no_signals) pthread_sigmask(SIG_UNBLOCK, &mine, NULL);

    /* state_init ran in main; the generator state lives in st->rng */
    while (st->index < w->calls) {
        if (!state_ok(st)) { report_fail(t, "state block corrupted before the call", -1, (uint64_t[6]){0}, 0); _Exit(1); }
        uint64_t rng = st->rng;
        struct fz_ctx c = { t, &rng, (unsigned)rng_below(&rng, 40), 0 };
        long nr = pick_nr(&rng);
        const char *k = kinds_of(nr);
        uint64_t a[6] = { 0 };
        int in_zone = 0;
        for (int i = 0; i < 6; i++) {
            if (!k[i]) { a[i] = rng_chance(&rng, 7, 8) ? 0 : gen_int(&c); continue; }
            if (k[i] == 'a') a[i] = gen_mm_addr(&c, &in_zone);
            else if (k[i] == 'L') a[i] = gen_mm_len(&c, a[i - 1], in_zone);
            else a[i] = gen_value(&c, k[i], i);
        }
        confine(&c, (long)((uint32_t)nr & ~0x40000000u), a);
        if (nr_excluded(nr)) { st->rng = rng; continue; } /* cannot happen: pick_nr checks */

        uint64_t index = st->index;
        st->rng = rng;
        st->index++;
        state_seal(st);
        memcpy(w->cur.args, a, sizeof a);
        w->cur.nr = nr;
        w->cur.index = index + 1;
        if (index < w->skip) { w->cur.finished = index + 1; continue; }

        int clobbered = 0;
        struct timespec t0, t1;
        if (w->verbose) clock_gettime(CLOCK_MONOTONIC, &t0);
        long ret = raw_syscall(nr, a, &clobbered);
        if (w->verbose) clock_gettime(CLOCK_MONOTONIC, &t1);
        w->cur.finished = index + 1;
        struct fz_past *past = &w->past[index % HISTORY];
        past->nr = nr, past->ret = ret, past->index = index;
        memcpy(past->args, a, sizeof a);

        if (!state_ok(st)) { report_fail(t, "state block corrupted during the call", nr, a, ret); _Exit(1); }
        if (clobbered) {
            char what[64];
            snprintf(what, sizeof what, "argument registers changed (mask %#x)", clobbered);
            report_fail(t, what, nr, a, ret);
        }
        if (!result_ok(nr, ret)) report_fail(t, "result is neither a value nor -errno", nr, a, ret);
        if (w->verbose) {
            char d[400];
            describe(d, sizeof d, nr, a, ret);
            long us = (t1.tv_sec - t0.tv_sec) * 1000000 + (t1.tv_nsec - t0.tv_nsec) / 1000;
            out("%u:%lu %s (%ld us)\n", t, index, d, us);
        }
        if (ret >= 0) st->calls_ok++;
        else st->calls_err++;
        if (ret == -38) st->enosys++;
        if (ret == -4) st->eintr++;
        after_call(&c, st, nr, a, ret);
        state_seal(st);
    }
    w->done = 1;
    /* stay: a thread's exit would run the libc's exit path (robust list,
     * clear_child_tid) over whatever the fuzzed calls left there */
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    for (;;) { struct timespec ts = { 1, 0 }; nanosleep(&ts, NULL); }
}
