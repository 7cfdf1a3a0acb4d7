/* Pending signal instances (struct sig_queue, kernel/signal.h): standard
 * signals coalesce in one slot per number, real-time signals queue every
 * instance with its siginfo. Every instance holding a siginfo counts in
 * process.sig_queued against RLIMIT_SIGPENDING, as Linux counts its
 * sigqueue entries per user (one program here, so per process).
 *
 * Everything runs under the process's sig_lock. No allocation happens
 * under it: a sender brings a spare entry (allocated before locking) and
 * frees it afterwards if unused; taken and dropped entries are handed back
 * for sigqueue_free_list once the lock is released. */
#include "signal.h"
#include "process.h"
#include "../klib/errno.h"

/* Linux lets kernel-made and kill()-style siginfo (si_code >= 0) pass the
 * limit for standard signals; real-time signals never pass it. */
static bool may_count(struct process *p, const struct ksiginfo *info)
{
    if (info->signo < SIGRTMIN && info->code >= 0) return true;
    return p->sig_queued < p->rlimits[RLIMIT_SIGPENDING].cur;
}

int sigqueue_add(struct process *p, struct sig_queue *q, const struct ksiginfo *info, struct sig_entry **spare)
{
    int sig = info->signo;
    uint64_t bit = SIG_BIT(sig);
    if (sig < SIGRTMIN) {
        if (q->pending & bit) return 0;     /* standard signals do not queue */
        q->pending |= bit;
        if (may_count(p, info)) {
            q->info[sig - 1] = *info;
            q->counted |= bit;
            p->sig_queued++;
        } else {
            /* Over the limit: delivered, but its siginfo is lost (Linux). */
            q->info[sig - 1] = (struct ksiginfo){ .signo = sig, .code = SI_USER };
        }
        return 0;
    }
    if (*spare && may_count(p, info)) {
        struct sig_entry *e = *spare;
        *spare = NULL;
        e->next = NULL;
        e->info = *info;
        if (q->last) q->last->next = e;
        else q->first = e;
        q->last = e;
        q->pending |= bit;
        p->sig_queued++;
        return 0;
    }
    /* Linux: kill() still gets a real-time signal through, without its
     * siginfo; sigqueue and the rest learn that the queue is full. */
    if (info->code != SI_USER) return -EAGAIN;
    q->pending |= bit;
    return 0;
}

/* Unlink the first entry for sig; NULL if there is none. */
static struct sig_entry *unlink_first(struct sig_queue *q, int sig)
{
    struct sig_entry *prev = NULL;
    for (struct sig_entry *e = q->first; e; prev = e, e = e->next) {
        if (e->info.signo != sig) continue;
        if (prev) prev->next = e->next;
        else q->first = e->next;
        if (q->last == e) q->last = prev;
        e->next = NULL;
        return e;
    }
    return NULL;
}

static bool has_entry(const struct sig_queue *q, int sig)
{
    for (const struct sig_entry *e = q->first; e; e = e->next)
        if (e->info.signo == sig) return true;
    return false;
}

int sigqueue_take(struct process *p, struct sig_queue *q, int sig, struct ksiginfo *info, struct sig_entry **spent)
{
    uint64_t bit = SIG_BIT(sig);
    *spent = NULL;
    if (!(q->pending & bit)) return 0;
    if (sig < SIGRTMIN) {
        *info = q->info[sig - 1];
        q->pending &= ~bit;
        if (q->counted & bit) p->sig_queued--;
        q->counted &= ~bit;
        return sig;
    }
    struct sig_entry *e = unlink_first(q, sig);
    if (e) {
        *info = e->info;
        p->sig_queued--;
        *spent = e;
        if (!has_entry(q, sig)) q->pending &= ~bit;
    } else {
        /* The instance whose siginfo the limit cost: what Linux makes up. */
        *info = (struct ksiginfo){ .signo = sig, .code = SI_USER };
        q->pending &= ~bit;
    }
    return sig;
}

void sigqueue_drop(struct process *p, struct sig_queue *q, uint64_t sigs, struct sig_entry **dropped)
{
    for (uint64_t std = sigs & q->counted; std; std &= std - 1) p->sig_queued--;
    q->counted &= ~sigs;
    q->pending &= ~sigs;
    struct sig_entry **link = &q->first;
    q->last = NULL;
    while (*link) {
        struct sig_entry *e = *link;
        if (sigs & SIG_BIT(e->info.signo)) {
            *link = e->next;
            e->next = *dropped;
            *dropped = e;
            p->sig_queued--;
        } else {
            q->last = e;
            link = &e->next;
        }
    }
}

void sigqueue_free_list(struct process *p, struct sig_entry *list)
{
    while (list) {
        struct sig_entry *next = list->next;
        deallocate(p->heap, list, sizeof *list);
        list = next;
    }
}
