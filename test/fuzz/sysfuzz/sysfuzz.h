/* Shared definitions of the in-guest syscall fuzzer (README.md has the design). */
#pragma once
#include <stdint.h>
#include <stddef.h>
#include <stdatomic.h>
#include "rng.h"

#define MAX_THREADS 16
#define PAGE 4096UL

/* Each thread owns a fixed stretch of address space, so its arguments are the
 * same numbers in every run (replay) and never point at the fuzzer's own data.
 *   data zone  (64 KiB, always mapped RW, never given to mm calls):
 *     page 0       leak sink: the only place calls that write user pointers
 *                  (get_robust_list, ARCH_GET_FS...) may write; never read as
 *                  a pointer source by any other call
 *     pages 1-8    blobs: a pointer argument's struct, filled just before the call
 *     pages 9-12   nested: what pointers inside a blob point to (leaf values only)
 *     pages 13-14  path strings
 *     page 15      slots (sigsets, timeouts, timer ids) and the tail: pointers
 *                  straddling the end of the mapping
 *   guard      (to +1 MiB, never mapped by the fuzzer)
 *   map zone   (4 MiB): the sacrificial arena for mmap/munmap/mprotect/mremap/
 *              madvise; mapped RW at start and re-mapped every REMAP_EVERY calls */
#define ZONE_BASE 0x100000000000ULL
#define ZONE_STRIDE 0x10000000ULL
#define DATA_SIZE (16 * PAGE)
#define MAP_OFFSET 0x100000ULL
#define MAP_SIZE 0x400000ULL
#define REMAP_EVERY 2048

#define LEAK_OFF (0 * PAGE)
#define BLOB_OFF (1 * PAGE)
#define BLOB_SIZE (8 * PAGE)
#define NEST_OFF (9 * PAGE)
#define NEST_SIZE (4 * PAGE)
#define STR_OFF (13 * PAGE)
#define SLOT_OFF (15 * PAGE)
#define TAIL_FILL 256

static inline uint64_t zone_data(unsigned t) { return ZONE_BASE + t * ZONE_STRIDE; }
static inline uint64_t zone_map(unsigned t) { return zone_data(t) + MAP_OFFSET; }

/* Fds the fuzzer hands out are numbers below this; any new fd at or above it
 * is closed at once so the table does not fill up. */
#define FD_POOL 48

/* The checksummed private state of one thread: verified before and after every
 * call, so a kernel that writes into another thread's memory is caught. */
struct fz_state {
    uint64_t seed;
    uint64_t rng;
    uint64_t index;         /* calls made so far */
    uint64_t calls_ok, calls_err, enosys, eintr;
    uint32_t thread;
    uint32_t live_timers;
    int32_t timers[4];
    uint64_t pattern[24];   /* a known pattern: any stray write shows */
    uint64_t sum;
};

/* The call being made (for the watchdog's and the failure report). */
struct fz_current {
    _Atomic uint64_t index;     /* calls started (the one in progress counts) */
    _Atomic uint64_t finished;  /* calls returned */
    _Atomic long nr;
    uint64_t args[6];
};

/* The last calls of a thread, for the report when the fuzzer itself faults. */
#define HISTORY 16
struct fz_past { long nr; uint64_t args[6]; long ret; uint64_t index; };

struct fz_thread {
    struct fz_past past[HISTORY];
    struct fz_state *st;    /* in one array for all threads (neighbours) */
    struct fz_current cur;
    _Atomic int tid;
    _Atomic int done;
    uint64_t calls;         /* how many to make */
    uint64_t skip;          /* replay: generate but do not make the first skip */
    int verbose;
};

struct fz_run {
    uint64_t seed, calls, from;
    unsigned threads;
    int verbose, replay_thread, no_signals, hang_seconds, hang_hold;
    int pid;
    struct fz_thread thr[MAX_THREADS];
    _Atomic int signaller_tid;
    _Atomic uint64_t signals_sent;
    _Atomic int failed;
};
extern struct fz_run run;

/* calls.c */
enum { SC_EXCLUDED = 1, SC_RET_FD = 2, SC_RET_ANY = 4 };
struct sc_def { const char *name; const char *kinds; unsigned flags; };
#define SC_TABLE 463
extern const struct sc_def sc_table[SC_TABLE];
const char *sc_name(long nr, char *buf, size_t n);
long pick_nr(uint64_t *rng);
int nr_excluded(long nr);

/* values.c: one argument of a kind (README: the kinds) */
struct fz_ctx { unsigned thread; uint64_t *rng; unsigned slot_base, slots; };
uint64_t gen_value(struct fz_ctx *c, char kind, int argi);
uint64_t gen_ptr(struct fz_ctx *c);
uint64_t gen_len(struct fz_ctx *c);
uint64_t gen_int(struct fz_ctx *c);
uint64_t gen_fd(struct fz_ctx *c);
uint64_t gen_signal(struct fz_ctx *c);
uint64_t gen_pid(struct fz_ctx *c);
uint64_t gen_leak_ptr(struct fz_ctx *c);
uint64_t gen_mm_addr(struct fz_ctx *c, int *in_zone);
uint64_t gen_mm_len(struct fz_ctx *c, uint64_t addr, int in_zone);
uint64_t gen_timeout(struct fz_ctx *c);
uint64_t gen_sigset(struct fz_ctx *c);
uint64_t slot_addr(unsigned thread, unsigned slot);
int fuzzer_owned(uint64_t v);
void zones_setup(unsigned thread);
void zone_remap(unsigned thread);

/* confine.c: per-call rules that keep the fuzzer alive, and tidying after */
void confine(struct fz_ctx *c, long nr, uint64_t a[6]);
void after_call(struct fz_ctx *c, struct fz_state *st, long nr, const uint64_t a[6], long ret);

/* state.c */
void state_init(struct fz_state *st, uint64_t seed, unsigned thread);
int state_ok(const struct fz_state *st);
void state_seal(struct fz_state *st);

/* raw.c */
long raw_syscall(long nr, const uint64_t a[6], int *clobbered);
long sys6(long nr, uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e, uint64_t f);

/* signals.c */
void signals_setup(void);
void fault_report_setup(void);
void signaller_start(void);
extern _Thread_local uint64_t signals_seen;

/* worker.c */
void *worker_main(void *arg);
void report_fail(unsigned thread, const char *what, long nr, const uint64_t a[6], long ret);
int result_ok(long nr, long ret);

/* fixture.c: the fds every run starts with */
void fixture_fds(void);

/* diff.c */
int diff_main(void);

/* out.c: log lines without stdio (async-safe, never buffered away) */
void out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
