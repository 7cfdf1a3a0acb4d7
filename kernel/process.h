/* The one process and its threads. Pith runs a single program; these
 * structures hold what Linux keeps per process and per thread. */
#pragma once
#include "../klib/types.h"
#include "../klib/heap.h"
#include "vm.h"
#include "../fs/vfs.h"
#include "sched.h"
#include "signal.h"
#include "cputime.h"
#include "posix_timer.h"

#define PATH_MAX_LEN 4096
#define NSIG 64
#define PROCESS_PID 1

struct tfs;
struct pseudo_node;
struct mem_node;
struct tfs_node;

struct sigaction_k {
    uint64_t handler, flags, restorer, mask;
};

struct thread {
    struct process *proc;       /* NULL for a CPU's idle thread */
    int tid;
    uint64_t kstack_base, kstack_top;
    /* The scheduler's (kernel/sched.c), under the run queue lock of cpu. */
    enum thread_state state;
    struct cpu *cpu;            /* whose run queue it belongs to */
    uint64_t affinity;          /* CPUs it may run on (bit = cpu id; sched_set_affinity) */
    uint32_t refs;              /* 1 while it lives, +1 per process_thread_get */
    struct thread *run_next;    /* in that run queue */
    uint64_t saved_rsp;         /* while switched out: where context_switch left it */
    uint64_t stack_canary;      /* its stack protector guard (kernel/stack_guard.c) */
    uint64_t usercopy_fixup;    /* while switched out: its cpu's fixup, blocked mid-copy */
    /* The program's x87/SSE/AVX state (kernel/fpu.h: an XSAVE area, or
     * FXSAVE's where the CPU has no XSAVE), saved on every switch away and
     * restored on every switch in. */
    uint8_t *fpu;
    struct thread *proc_next;   /* in proc->threads, under proc->threads_lock */
    uint64_t clear_child_tid;
    uint64_t robust_list, robust_len;
    uint64_t sigmask;
    /* Signals (kernel/signal.c), under proc->sig_lock: those sent to this
     * thread, its alternate stack, and the wait a signal must end. */
    struct sig_queue sigq;
    struct sig_altstack altstack;
    struct waiter *waiting;
    /* The thread's own: the mask a wait replaced (signal_wait_mask), back
     * once the call returns or a handler's frame has saved it. */
    uint64_t saved_sigmask;
    bool eintr_final;               /* this call's -EINTR must not restart (signal_eintr_final) */
    bool restore_sigmask;
    uint64_t fault_trapno, fault_err, fault_addr;   /* the fault a queued SIGSEGV etc. came from */
    uint64_t fs_base;
    struct thread_cputime cputime;  /* kernel/cputime.c */
    /* Its comm (prctl PR_SET_NAME, /proc/self/task/TID/comm); "" = the
     * executable's name. The main thread's is the process's `name`. */
    char comm[16];
    /* Data moving between the program and a file passes through here: big
     * enough that a large read or write reaches the file system in few calls. */
    char *io_buffer;
};

#define THREAD_IO_BUFFER (64 * 1024)

/* Resource limits (getrlimit/setrlimit/prlimit64), Linux's numbering. */
#define RLIMIT_CPU 0
#define RLIMIT_FSIZE 1
#define RLIMIT_DATA 2
#define RLIMIT_STACK 3
#define RLIMIT_CORE 4
#define RLIMIT_RSS 5
#define RLIMIT_NPROC 6
#define RLIMIT_NOFILE 7
#define RLIMIT_MEMLOCK 8
#define RLIMIT_AS 9
#define RLIMIT_LOCKS 10
#define RLIMIT_SIGPENDING 11
#define RLIMIT_MSGQUEUE 12
#define RLIMIT_NICE 13
#define RLIMIT_RTPRIO 14
#define RLIMIT_RTTIME 15
#define RLIMIT_NLIMITS 16
#define RLIM_INFINITY (~0ul)

struct rlimit_k {
    uint64_t cur, max;      /* soft, hard; the layout of Linux's struct rlimit64 */
};

struct process {
    struct heap *heap;
    struct vm vm;
    struct fdtable fds;
    struct tfs *fs;
    struct spinlock cwd_lock;   /* the five cwd fields below: chdir on one CPU, walks and getcwd on others */
    struct tfs_node *cwd;       /* NULL while cwd_pseudo is the working directory */
    struct tfs *cwd_fs;         /* the volume cwd is on */
    struct pseudo_node *cwd_pseudo;   /* a directory under /dev, /proc or /sys */
    struct mem_node *cwd_mem;         /* a directory under /dev/shm (held) */
    char cwd_path[PATH_MAX_LEN];
    char exe_path[PATH_MAX_LEN];
    struct tfs_node *text_nodes[2];   /* the program and its interpreter: no writes while it runs (ETXTBSY) */
    struct thread *main_thread;
    struct spinlock threads_lock;   /* threads, live_threads, next_tid */
    struct thread *threads;         /* every live thread, newest first */
    unsigned live_threads;
    int next_tid;
    struct spinlock sig_lock;       /* sigactions, shared_sig, every thread's sigq/altstack/waiting/sigmask */
    struct sigaction_k sigactions[NSIG];
    struct sig_queue shared_sig;    /* sent to the process (kill), for any thread */
    uint64_t sig_queued;            /* instances holding a siginfo, against RLIMIT_SIGPENDING */
    struct wait_queue signal_arrived;   /* woken on every send: signalfd readers and pollers */
    uint32_t umask;
    char name[16];
    uint64_t start_ns;
    struct cputime exited_cputime;  /* threads gone, under threads_lock (kernel/cputime.c) */
    struct process_timers timers;   /* POSIX timers and ITIMER_REAL (kernel/posix_timer.c) */
    struct rlimit_k rlimits[RLIMIT_NLIMITS];
};

/* The kernel's shared copy of a path (never freed). */
const char *name_intern(const char *s);

struct process *process_create(struct heap *h, struct tfs *fs, uint64_t page_root);
/* The limits a process starts with, as Linux gives them (syscalls/sys_process.c). */
void rlimits_init(struct process *p);
/* A thread of p, not yet runnable; NULL (and nothing kept) when memory is
 * short. thread_destroy gives back all it holds. */
struct thread *thread_create(struct process *p, int tid);
void thread_destroy(struct thread *t);
/* The frame of the system call or trap that entered the kernel from ring 3. */
struct trap_frame *thread_user_frame(struct thread *t);
/* Count t among p's threads (for exit, tkill, /proc/self/task). */
void process_add_thread(struct process *p, struct thread *t);
/* Call fn for each live thread of p, under its lock (fn must not block). */
void process_for_each_thread(struct process *p, void (*fn)(struct thread *, void *), void *arg);
bool process_has_thread(struct process *p, int tid);
/* A thread's comm as Linux shows it (at most 15 bytes, NUL-terminated):
 * what PR_SET_NAME gave it, else the executable's file name. False if no
 * live thread has that tid. */
bool thread_comm(struct process *p, int tid, char out[16]);
/* Set it (the first 15 bytes of name); false if no live thread has that tid. */
bool thread_set_comm(struct process *p, int tid, const char *name, size_t len);
/* The process's comm: its main thread's, even after that thread exits. */
void process_comm(struct process *p, char out[16]);
/* exit(2): this thread ends; the last one ends the program with status. */
NORETURN void thread_exit(int status);
static inline struct vm *process_vm(struct process *p) { return &p->vm; }
struct thread *current_thread(void);
/* The live thread with this id, with a reference (thread_put it), or NULL.
 * A thread found this way may exit meanwhile, on another CPU, but is not
 * freed until the last reference goes. */
struct thread *process_thread_get(struct process *p, int tid);
void thread_put(struct thread *t);
/* Run the thread in ring 3 from a fresh frame. */
NORETURN void thread_enter_user(struct thread *t, uint64_t rip, uint64_t rsp);

/* The program ends: power off with its status (0-255), or as a signal would. */
NORETURN void process_exit(int status);
NORETURN void process_exit_signal(int sig);
/* Write every filesystem back: mapped pages, the root, the volumes. */
int sync_all_filesystems(void);

#include "kernel.h"
static inline struct process *current_process(void) { return kernel.process; }

/* Is n the running program or its interpreter? Linux refuses to open those
 * for writing or truncate them (ETXTBSY): the text would change under it. */
static inline bool process_runs_node(const struct process *p, const struct tfs_node *n)
{
    return n && (n == p->text_nodes[0] || n == p->text_nodes[1]);
}
