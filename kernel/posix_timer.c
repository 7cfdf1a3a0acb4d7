/* POSIX timers and ITIMER_REAL (kernel/posix_timer.h). Deadlines are kept
 * on the monotonic clock: Pith's realtime clock is monotonic plus a
 * constant (never set) and BOOTTIME is monotonic (the machine never
 * suspends), so a realtime target converts once when armed.
 *
 * A periodic timer keeps firing on its own grid while its signal waits
 * (blocked, or not yet delivered); each expiration that finds the previous
 * signal still queued adds to the overrun instead of sending again, and a
 * late interrupt counts the periods it missed. Linux re-arms at delivery
 * instead; the counts the program sees are the same. The timer's state
 * about its signal is its own (sig_queued, a generation carried in the
 * siginfo): nothing here reads the signal queues' entries. */
#include "posix_timer.h"
#include "process.h"
#include "signal.h"
#include "clock.h"
#include "console.h"
#include "cputime.h"
#include "../klib/errno.h"

#define CLOCK_REALTIME 0
#define CLOCK_MONOTONIC 1
#define CPUCLOCK_VIRT 1
#define SIGVTALRM 26
#define SIGPROF 27
#define OVERRUN_MAX 0x7fffffffu     /* Linux's DELAYTIMER_MAX: INT_MAX */

/* Which queue the timer's signal goes to, with p->sig_lock held; NULL if
 * its thread is gone. */

/* Where the timer's signal goes, with p->sig_lock held: its thread's
 * queue (and *thread with a reference, for the send after the lock) or the
 * process's; NULL if its thread is gone. */
static struct sig_queue *target_queue(struct process *p, struct ptimer *pt, struct thread **thread)
{
    *thread = NULL;
    if (pt->notify != SIGEV_THREAD_ID) return &p->shared_sig;
    *thread = process_thread_get(p, pt->tid);  /* the caller puts it */
    return *thread ? &(*thread)->sigq : NULL;
}

static void send_signal(struct process *p, struct ptimer *pt, uint64_t periods)
{
    if (pt->notify == SIGEV_NONE) return;
    if (pt->id < 0) {
        /* An interval timer: a kernel-sent SIGALRM, SIGVTALRM or SIGPROF,
         * which does not queue twice. */
        struct ksiginfo info = { .signo = pt->signo, .code = SI_KERNEL };
        signal_send_process(p, &info);
        return;
    }
    uint64_t flags = spin_lock_irqsave(&p->sig_lock);
    struct thread *thread;
    struct sig_queue *q = target_queue(p, pt, &thread);
    /* Still waiting (its number is pending where it went): an overrun.
     * A signal dropped on the way (ignored, flushed) leaves no pending
     * bit, and the next expiration sends again. */
    if (!q || (pt->sig_queued && (q->pending & SIG_BIT(pt->signo)))) {
        if (q) pt->overrun += periods;
        spin_unlock_irqrestore(&p->sig_lock, flags);
        thread_put(thread);
        return;
    }
    pt->sig_queued = true;
    pt->overrun = periods - 1;
    /* si_overrun's slot carries the setting's generation until delivery
     * fills in the count (posix_timer_dequeued). */
    struct ksiginfo info = { .signo = pt->signo, .code = SI_TIMER,
                             .w2 = (uint32_t)pt->id | (uint64_t)pt->generation << 32, .w3 = pt->value };
    spin_unlock_irqrestore(&p->sig_lock, flags);
    if (thread) signal_send_thread(thread, &info);
    else signal_send_process(p, &info);
    thread_put(thread);
}

/* A new setting: a signal of the old one still queued becomes stale and
 * is dropped at delivery, as Linux (6.13 on) does. */
static void new_generation(struct ptimer *pt)
{
    if (pt->id < 0) return;     /* interval timers send standard signals, never stale */
    struct process *p = pt->proc;
    uint64_t flags = spin_lock_irqsave(&p->sig_lock);
    pt->generation++;
    pt->sig_queued = false;
    pt->overrun = 0;
    spin_unlock_irqrestore(&p->sig_lock, flags);
}

/* A CPU timer's clock now; false if its thread is gone. With pt->lock
 * held (then threads_lock, a leaf). */
static bool cpu_now(struct ptimer *pt, uint64_t *ns)
{
    struct cputime c;
    if (pt->cpu_tid) {
        struct thread *t = process_thread_get(pt->proc, pt->cpu_tid);
        if (!t) return false;
        c = cputime_thread(t);
        thread_put(t);
    } else {
        c = cputime_process(pt->proc);
    }
    *ns = pt->cpu_which == CPUCLOCK_VIRT ? c.user_ns : cputime_total(c);
    return true;
}

/* The time on pt's own clock (monotonic for the wall clocks). */
static uint64_t timer_now(struct ptimer *pt)
{
    uint64_t now = 0;
    if (!pt->cpu) return clock_monotonic_ns();
    cpu_now(pt, &now);
    return now;
}

/* Whether the check tick must watch pt: a CPU timer that notifies. */
static bool watched(const struct ptimer *pt) { return pt->cpu && pt->notify != SIGEV_NONE; }

/* With pt->lock held: armed changes, and the count of watched ones. */
static void set_armed(struct ptimer *pt, bool on)
{
    if (watched(pt) && pt->armed != on)
        __atomic_add_fetch(&pt->proc->timers.cpu_armed, on ? 1u : (unsigned)-1, __ATOMIC_RELAXED);
    pt->armed = on;
}

/* A CPU timer's entry, added by the check tick once its clock passed the
 * expiration (or a stale run after a new setting). */
static void cpu_expired(struct timer *t)
{
    struct ptimer *pt = container_of(t, struct ptimer, timer);
    uint64_t flags = spin_lock_irqsave(&pt->lock), now;
    pt->kicked = false;
    if (!pt->armed || !cpu_now(pt, &now) || now < pt->next_ns) {
        spin_unlock_irqrestore(&pt->lock, flags);
        return;
    }
    uint64_t periods = 1;
    if (pt->interval_ns) {
        periods += (now - pt->next_ns) / pt->interval_ns;
        pt->next_ns += periods * pt->interval_ns;
    } else {
        set_armed(pt, false);
    }
    spin_unlock_irqrestore(&pt->lock, flags);
    send_signal(pt->proc, pt, periods);
}

static void check_one(struct ptimer *pt, struct thread *t)
{
    if (!watched(pt) || (pt->cpu_tid && pt->cpu_tid != t->tid)) return;
    spin_lock(&pt->lock);   /* from the timer interrupt: interrupts are off */
    uint64_t now;
    if (pt->armed && !pt->kicked && cpu_now(pt, &now) && now >= pt->next_ns) {
        pt->kicked = true;
        timer_add(&pt->timer, clock_monotonic_ns(), cpu_expired);
    }
    spin_unlock(&pt->lock);
}

bool posix_cpu_timers_armed(struct process *p)
{
    return __atomic_load_n(&p->timers.cpu_armed, __ATOMIC_RELAXED) != 0;
}

bool posix_cpu_timers_check(struct process *p, struct thread *t)
{
    struct process_timers *pts = &p->timers;
    if (!posix_cpu_timers_armed(p)) return false;
    spin_lock(&pts->lock);
    for (struct ptimer *pt = pts->list; pt; pt = pt->next) check_one(pt, t);
    check_one(&pts->itimers[1], t);
    check_one(&pts->itimers[2], t);
    spin_unlock(&pts->lock);
    return posix_cpu_timers_armed(p);
}

static void expired(struct timer *t)
{
    struct ptimer *pt = container_of(t, struct ptimer, timer);
    uint64_t flags = spin_lock_irqsave(&pt->lock);
    /* Disarmed since this run was due: set and delete clear armed before
     * they cancel, so only a stale run gets here. */
    if (!pt->armed) {
        spin_unlock_irqrestore(&pt->lock, flags);
        return;
    }
    uint64_t now = clock_monotonic_ns(), periods = 1;
    if (pt->interval_ns) {
        periods += now > pt->next_ns ? (now - pt->next_ns) / pt->interval_ns : 0;
        pt->next_ns += periods * pt->interval_ns;
        timer_add(&pt->timer, pt->next_ns, expired);
    } else {
        pt->armed = false;
    }
    spin_unlock_irqrestore(&pt->lock, flags);
    send_signal(pt->proc, pt, periods);
}

/* Stop the entry: no callback runs or is pending afterwards. */
static void disarm(struct ptimer *pt)
{
    uint64_t flags = spin_lock_irqsave(&pt->lock);
    set_armed(pt, false);
    spin_unlock_irqrestore(&pt->lock, flags);
    /* Without the lock: cancel waits for a running callback, which takes it. */
    timer_cancel(&pt->timer);
    flags = spin_lock_irqsave(&pt->lock);
    pt->kicked = false;
    spin_unlock_irqrestore(&pt->lock, flags);
}

/* With pt->lock held: what timer_gettime reports. */
static void current_spec(struct ptimer *pt, struct ptimer_spec *out)
{
    uint64_t now = timer_now(pt);
    out->interval_ns = pt->interval_ns;
    out->value_ns = 0;
    if (!pt->armed) return;
    uint64_t next = pt->next_ns;
    if (next <= now && pt->interval_ns) next += ((now - next) / pt->interval_ns + 1) * pt->interval_ns;
    if (next > now) out->value_ns = next - now;
    /* A one-shot due but not yet fired: a signal timer reads 1 ns left
     * (its signal is still to come); SIGEV_NONE has expired: 0. */
    else if (pt->notify != SIGEV_NONE) out->value_ns = 1;
}

/* Arm (or disarm, value 0) pt; old gets the previous setting. */
static long arm(struct ptimer *pt, int clock, int flags, const struct ptimer_spec *spec, struct ptimer_spec *old)
{
    /* Two threads setting one timer must not both add its entry. */
    uint64_t set_irq = spin_lock_irqsave(&pt->set_lock);
    uint64_t irq = spin_lock_irqsave(&pt->lock);
    if (old) current_spec(pt, old);
    spin_unlock_irqrestore(&pt->lock, irq);
    disarm(pt);
    new_generation(pt);

    irq = spin_lock_irqsave(&pt->lock);
    if (pt->deleted) {
        spin_unlock_irqrestore(&pt->lock, irq);
        spin_unlock_irqrestore(&pt->set_lock, set_irq);
        return -EINVAL;
    }
    pt->interval_ns = spec->value_ns ? spec->interval_ns : 0;
    if (spec->value_ns) {
        uint64_t now = timer_now(pt), target = spec->value_ns;
        if (!(flags & TIMER_ABSTIME)) target = now + (target < UINT64_MAX / 2 - now ? target : UINT64_MAX / 2 - now);
        else if (!pt->cpu && clock == CLOCK_REALTIME) {
            uint64_t real = clock_realtime_ns();
            target = target > real ? now + (target - real) : now;
        }
        pt->next_ns = target;
        set_armed(pt, true);
        /* SIGEV_NONE never fires: timer_gettime works out where it is. A
         * CPU timer's entry is added by the check tick when it is due. */
        if (pt->notify != SIGEV_NONE && !pt->cpu) timer_add(&pt->timer, target, expired);
    }
    bool tick = watched(pt) && pt->armed;
    spin_unlock_irqrestore(&pt->lock, irq);
    spin_unlock_irqrestore(&pt->set_lock, set_irq);
    if (tick) cputime_check_start();    /* the caller may spin from now on */
    return 0;
}

/* The timer named id, with a reference the caller puts; NULL if none. */
static struct ptimer *get(struct process *p, int id)
{
    struct process_timers *pts = &p->timers;
    uint64_t flags = spin_lock_irqsave(&pts->lock);
    struct ptimer *pt = pts->list;
    while (pt && pt->id != id) pt = pt->next;
    if (pt) pt->refs++;
    spin_unlock_irqrestore(&pts->lock, flags);
    return pt;
}

static void put(struct process *p, struct ptimer *pt)
{
    struct process_timers *pts = &p->timers;
    uint64_t flags = spin_lock_irqsave(&pts->lock);
    bool last = --pt->refs == 0;
    spin_unlock_irqrestore(&pts->lock, flags);
    if (!last) return;
    disarm(pt);     /* a set racing with the delete may have re-armed it */
    deallocate(p->heap, pt, sizeof *pt);
}

static bool id_in_use(struct process_timers *pts, int id)
{
    for (struct ptimer *pt = pts->list; pt; pt = pt->next)
        if (pt->id == id) return true;
    return false;
}

long ptimer_create(struct process *p, int clock, const struct cpu_clock_ref *cpu, const struct ptimer_event *ev, int *id)
{
    struct process_timers *pts = &p->timers;
    struct ptimer *pt = allocate_zero(p->heap, sizeof *pt);
    if (!pt) return -EAGAIN;
    pt->clock = clock;
    if (cpu) {
        pt->cpu = true;
        pt->cpu_tid = cpu->tid;
        pt->cpu_which = cpu->which;
    }
    pt->refs = 1;
    pt->proc = p;
    uint64_t flags = spin_lock_irqsave(&pts->lock);
    /* Linux counts each timer's preallocated signal against RLIMIT_SIGPENDING. */
    if (pts->count >= p->rlimits[RLIMIT_SIGPENDING].cur) {
        spin_unlock_irqrestore(&pts->lock, flags);
        deallocate(p->heap, pt, sizeof *pt);
        return -EAGAIN;
    }
    /* Ids count up from 0 per process, skipping those still in use. */
    while (id_in_use(pts, pts->next_id)) pts->next_id = (pts->next_id + 1) & 0x7fffffff;
    pt->id = pts->next_id;
    pts->next_id = (pts->next_id + 1) & 0x7fffffff;
    if (ev) {
        pt->notify = ev->notify;
        pt->signo = ev->signo;
        pt->tid = ev->tid;
        pt->value = ev->value;
    } else {
        pt->notify = SIGEV_SIGNAL;
        pt->signo = SIGALRM;
        pt->value = (uint64_t)pt->id;
    }
    pt->next = pts->list;
    pts->list = pt;
    pts->count++;
    *id = pt->id;
    spin_unlock_irqrestore(&pts->lock, flags);
    return 0;
}

long ptimer_delete(struct process *p, int id)
{
    struct process_timers *pts = &p->timers;
    uint64_t flags = spin_lock_irqsave(&pts->lock);
    struct ptimer **link = &pts->list;
    while (*link && (*link)->id != id) link = &(*link)->next;
    struct ptimer *pt = *link;
    if (pt) {
        *link = pt->next;
        pts->count--;
    }
    spin_unlock_irqrestore(&pts->lock, flags);
    if (!pt) return -EINVAL;
    flags = spin_lock_irqsave(&pt->lock);
    pt->deleted = true;
    spin_unlock_irqrestore(&pt->lock, flags);
    disarm(pt);     /* its queued signal is now stale: no timer has its id */
    put(p, pt);     /* the list's reference; frees it unless a set holds one */
    return 0;
}

long ptimer_set(struct process *p, int id, int flags, const struct ptimer_spec *spec, struct ptimer_spec *old)
{
    struct ptimer *pt = get(p, id);
    if (!pt) return -EINVAL;
    long r = arm(pt, pt->clock, flags, spec, old);
    put(p, pt);
    return r;
}

long ptimer_get(struct process *p, int id, struct ptimer_spec *cur)
{
    struct ptimer *pt = get(p, id);
    if (!pt) return -EINVAL;
    uint64_t flags = spin_lock_irqsave(&pt->lock);
    current_spec(pt, cur);
    spin_unlock_irqrestore(&pt->lock, flags);
    put(p, pt);
    return 0;
}

long ptimer_overrun(struct process *p, int id)
{
    struct ptimer *pt = get(p, id);
    if (!pt) return -EINVAL;
    uint64_t flags = spin_lock_irqsave(&p->sig_lock);
    uint64_t n = pt->overrun_last;
    spin_unlock_irqrestore(&p->sig_lock, flags);
    put(p, pt);
    return (long)(n > OVERRUN_MAX ? OVERRUN_MAX : n);
}

bool posix_timer_dequeued(struct process *p, struct ksiginfo *info)
{
    struct process_timers *pts = &p->timers;
    int id = (int32_t)info->w2;
    uint32_t generation = (uint32_t)(info->w2 >> 32);
    spin_lock(&pts->lock);     /* sig_lock is held with interrupts off */
    struct ptimer *pt = pts->list;
    while (pt && pt->id != id) pt = pt->next;
    bool current = pt && pt->generation == generation;
    if (current) {
        uint64_t n = pt->overrun > OVERRUN_MAX ? OVERRUN_MAX : pt->overrun;
        info->w2 = (uint32_t)id | n << 32;
        pt->overrun_last = n;
        pt->overrun = 0;
        pt->sig_queued = false;
    }
    spin_unlock(&pts->lock);
    return current;
}

/* The interval timer which (0 REAL, 1 VIRTUAL, 2 PROF), set up on first use. */
static struct ptimer *itimer(struct process *p, int which)
{
    static const int signals[3] = { SIGALRM, SIGVTALRM, SIGPROF };
    struct ptimer *pt = &p->timers.itimers[which];
    pt->id = -1 - which;
    pt->proc = p;
    pt->notify = SIGEV_SIGNAL;
    pt->signo = signals[which];
    pt->clock = CLOCK_MONOTONIC;
    pt->cpu = which != 0;
    pt->cpu_which = which == 1 ? CPUCLOCK_VIRT : 0;
    return pt;
}

void itimer_set(struct process *p, int which, const struct ptimer_spec *spec, struct ptimer_spec *old)
{
    struct ptimer *pt = itimer(p, which);
    arm(pt, pt->clock, 0, spec, old);
}

void itimer_get(struct process *p, int which, struct ptimer_spec *cur)
{
    struct ptimer *pt = itimer(p, which);
    uint64_t flags = spin_lock_irqsave(&pt->lock);
    current_spec(pt, cur);
    spin_unlock_irqrestore(&pt->lock, flags);
}
