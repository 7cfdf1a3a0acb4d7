/* If the fuzzer itself faults (SIGSEGV, SIGBUS), some call changed its
 * memory behind its back, which the confinement rules should make
 * impossible: print the fault, every thread's last calls and the mappings
 * of the zones, so the call can be found and replayed. */
#include "sysfuzz.h"
#include <signal.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

static void on_fault(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    out("sysfuzz: FAIL the fuzzer got signal %d at address %#lx (thread tid %ld)\n", sig,
        (unsigned long)si->si_addr, sys6(186, 0, 0, 0, 0, 0, 0));
    for (unsigned t = 0; t < run.threads; t++) {
        struct fz_thread *w = &run.thr[t];
        if (!w->st) continue;
        char nb[32];
        for (unsigned k = 0; k < HISTORY; k++) {
            struct fz_past *p = &w->past[(w->cur.finished + k) % HISTORY];
            if (!p->nr && !p->index) continue;
            out("sysfuzz:  %u:%lu %s(%#lx, %#lx, %#lx, %#lx, %#lx, %#lx) = %ld\n", t, p->index,
                sc_name(p->nr, nb, sizeof nb), p->args[0], p->args[1], p->args[2], p->args[3], p->args[4],
                p->args[5], p->ret);
        }
    }
    int fd = (int)sys6(2, (uint64_t)"/proc/self/maps", O_RDONLY, 0, 0, 0, 0);
    char buf[4096];
    long n;
    while (fd >= 0 && (n = sys6(0, (uint64_t)fd, (uint64_t)buf, sizeof buf - 1, 0, 0, 0)) > 0) {
        buf[n] = 0;
        out("%s", buf);
    }
    out("sysfuzz: seed=%lu threads=%u\n", run.seed, run.threads);
    _Exit(1);
}

void fault_report_setup(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGBUS, &sa, NULL);
}
