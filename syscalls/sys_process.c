/* Identity, limits and the end of the program. There is one process
 * (pid 1) and one user (root); threads come from sys_thread.c. */
#include "syscalls.h"
#include "../kernel/process.h"
#include "../kernel/usercopy.h"
#include "../kernel/cpu.h"
#include "../kernel/console.h"
#include "../kernel/mm.h"
#include "../kernel/clock.h"
#include "../kernel/percpu.h"
#include "../kernel/sched.h"
#include "../kernel/signal.h"
#include "../kernel/coredump.h"
#include "../klib/string.h"
#include "../klib/format.h"

#define ARCH_SET_GS 0x1001
#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003
#define ARCH_GET_GS 0x1004
#define PR_SET_NAME 15
#define PR_GET_NAME 16
#define PR_SET_VMA 0x53564d41
#define PR_SET_VMA_ANON_NAME 0
#define ANON_NAME_MAX 80 /* Linux's limit, with the terminating zero */

NORETURN static void exit_now(int status)
{
    if (kernel.trace) kprintf("[trace] exit_group(%d) = ?\n", status);
    process_exit(status);
}

/* exit (one thread) is in sys_thread.c. */
long sys_exit_group(int status) { exit_now(status); }

long sys_getpid(void) { return PROCESS_PID; }
long sys_gettid(void) { return current_thread()->tid; }
long sys_getppid(void) { return 0; }
long sys_getuid(void) { return 0; }
long sys_getgid(void) { return 0; }
long sys_geteuid(void) { return 0; }
long sys_getegid(void) { return 0; }
long sys_getpgrp(void) { return PROCESS_PID; }
long sys_getpgid(int pid) { return (pid == 0 || pid == PROCESS_PID) ? PROCESS_PID : -ESRCH; }
long sys_getsid(int pid) { return (pid == 0 || pid == PROCESS_PID) ? PROCESS_PID : -ESRCH; }

long sys_setpgid(int pid, int pgid)
{
    if (pid != 0 && pid != PROCESS_PID) return -ESRCH;
    return (pgid == 0 || pgid == PROCESS_PID) ? 0 : -EPERM;
}

static long put_ids(uint64_t r, uint64_t e, uint64_t s)
{
    uint32_t zero = 0;
    if (copy_to_user(r, &zero, 4) < 0 || copy_to_user(e, &zero, 4) < 0 || copy_to_user(s, &zero, 4) < 0)
        return -EFAULT;
    return 0;
}
long sys_getresuid(uint64_t r, uint64_t e, uint64_t s) { return put_ids(r, e, s); }
long sys_getresgid(uint64_t r, uint64_t e, uint64_t s) { return put_ids(r, e, s); }
long sys_getgroups(int size, uint64_t list) { return size < 0 ? -EINVAL : 0; }

struct utsname_k {
    char sysname[65], nodename[65], release[65], version[65], machine[65], domainname[65];
};

long sys_uname(uint64_t buf)
{
    struct utsname_k u;
    memset(&u, 0, sizeof u);
    memcpy(u.sysname, "Linux", 6);
    memcpy(u.nodename, "pith", 5);
    /* Programs check the release to pick features; claim a kernel whose ABI we follow. */
    memcpy(u.release, "6.1.0-pith", 11);
    memcpy(u.version, "#1 SMP Pith unikernel", 22);
    memcpy(u.machine, "x86_64", 7);
    memcpy(u.domainname, "(none)", 7);
    return copy_to_user(buf, &u, sizeof u) < 0 ? -EFAULT : 0;
}

long sys_arch_prctl(int code, uint64_t addr)
{
    struct thread *t = current_thread();
    switch (code) {
    case ARCH_SET_FS:
        if (addr >= USER_TOP) return -EPERM;
        t->fs_base = addr;
        cpu_set_fs_base(addr);
        return 0;
    case ARCH_GET_FS:
        return copy_to_user(addr, &t->fs_base, 8) < 0 ? -EFAULT : 0;
    default:
        return -EINVAL;
    }
}

long sys_set_tid_address(uint64_t addr)
{
    struct thread *t = current_thread();
    t->clear_child_tid = addr;
    return t->tid;
}

/* Linux's defaults for the first process (INIT_RLIMITS), except that the
 * fd table's size FD_MAX caps RLIMIT_NOFILE (Linux: 1024 soft, 4096 hard). */
void rlimits_init(struct process *p)
{
    for (int r = 0; r < RLIMIT_NLIMITS; r++) p->rlimits[r] = (struct rlimit_k){ RLIM_INFINITY, RLIM_INFINITY };
    /* The loader maps a fixed stack of this size (loader/layout.h). */
    p->rlimits[RLIMIT_STACK].cur = 8ul << 20;
    p->rlimits[RLIMIT_CORE].cur = coredump_initial_limit(p);
    p->rlimits[RLIMIT_NOFILE] = (struct rlimit_k){ FD_MAX, FD_MAX };
    /* Linux sizes these from memory: half its thread limit, one thread per 32 pages. */
    uint64_t tasks = MAX(pages_total_count() / 64, 10);
    p->rlimits[RLIMIT_NPROC] = (struct rlimit_k){ tasks, tasks };
    p->rlimits[RLIMIT_SIGPENDING] = (struct rlimit_k){ tasks, tasks };
    p->rlimits[RLIMIT_MEMLOCK] = (struct rlimit_k){ 8ul << 20, 8ul << 20 };
    p->rlimits[RLIMIT_MSGQUEUE] = (struct rlimit_k){ 819200, 819200 };
    p->rlimits[RLIMIT_NICE] = (struct rlimit_k){ 0, 0 };
    p->rlimits[RLIMIT_RTPRIO] = (struct rlimit_k){ 0, 0 };
    p->fds.nofile = FD_MAX;
}

/* getrlimit, setrlimit and prlimit64 are this one call. The program runs as
 * root with every capability, so raising a hard limit is allowed, as
 * CAP_SYS_RESOURCE allows it on Linux. */
long sys_prlimit64(int pid, int resource, uint64_t new_rlim, uint64_t old_rlim)
{
    struct rlimit_k want;
    /* Linux reads the new limits before it looks at anything else. */
    if (new_rlim && copy_from_user(&want, new_rlim, sizeof want) < 0) return -EFAULT;
    if (pid != 0 && pid != PROCESS_PID && pid != current_thread()->tid) return -ESRCH;
    if (resource < 0 || resource >= RLIMIT_NLIMITS) return -EINVAL;
    struct process *p = current_process();
    struct rlimit_k old = p->rlimits[resource];
    if (new_rlim) {
        if (want.cur > want.max) return -EINVAL;
        /* Linux refuses a hard NOFILE above fs.nr_open; ours is the table's size. */
        if (resource == RLIMIT_NOFILE && want.max > FD_MAX) return -EPERM;
        p->rlimits[resource] = want;
        if (resource == RLIMIT_NOFILE) p->fds.nofile = (int)want.cur;
    }
    /* As on Linux, a bad old pointer fails the call after the change is made. */
    if (old_rlim && copy_to_user(old_rlim, &old, sizeof old) < 0) return -EFAULT;
    return 0;
}

long sys_getrlimit(int resource, uint64_t rlim)
{
    if (!rlim) return -EFAULT;  /* prlimit64 treats NULL as "not wanted"; getrlimit has to write */
    return sys_prlimit64(0, resource, 0, rlim);
}

long sys_setrlimit(int resource, uint64_t rlim)
{
    if (!rlim) return -EFAULT;
    return sys_prlimit64(0, resource, rlim, 0);
}

long sys_sched_yield(void)
{
    sched_yield();
    return 0;
}

long sys_umask(int mask)
{
    struct process *p = current_process();
    long old = p->umask;
    p->umask = (uint32_t)mask & 0777;
    return old;
}

struct sysinfo_k {
    int64_t uptime;
    uint64_t loads[3], totalram, freeram, sharedram, bufferram, totalswap, freeswap;
    uint16_t procs, pad;
    uint64_t totalhigh, freehigh;
    uint32_t mem_unit;
    char reserved[4];
};

long sys_sysinfo(uint64_t info)
{
    struct sysinfo_k s;
    memset(&s, 0, sizeof s);
    s.uptime = (int64_t)(clock_monotonic_ns() / 1000000000);
    s.totalram = pages_total_count() * PAGE_SIZE;
    s.freeram = pages_free_count() * PAGE_SIZE;
    s.procs = 1;
    s.mem_unit = 1;
    return copy_to_user(info, &s, sizeof s) < 0 ? -EFAULT : 0;
}

/* prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, addr, len, name): /proc/self/maps
 * then shows the anonymous memory as [anon:name]; a NULL name clears it. */
static long set_vma_anon_name(struct process *p, uint64_t attr, uint64_t addr, uint64_t len, uint64_t uname)
{
    if (attr != PR_SET_VMA_ANON_NAME) return -EINVAL;
    if (addr & (PAGE_SIZE - 1)) return -EINVAL;
    const char *label = NULL;
    if (uname) {
        char name[ANON_NAME_MAX];
        long n = copy_string_from_user(name, uname, sizeof name);
        if (n == -EFAULT) return n;
        if (n < 0) return -EINVAL; /* longer than Linux allows */
        /* Linux refuses what would make the maps line ambiguous. */
        for (const char *c = name; *c; c++)
            if (*c < 0x20 || *c > 0x7e || *c == '\\' || *c == '`' || *c == '$' || *c == '[' || *c == ']')
                return -EINVAL;
        char full[ANON_NAME_MAX + 8];
        format_sn(full, sizeof full, "[anon:%s]", name);
        label = name_intern(full);
        if (!label) return -ENOMEM;
    }
    if (len == 0) return 0;
    return vm_name_anon(&p->vm, addr, len, label);
}

long sys_prctl(int option, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5)
{
    struct process *p = current_process();
    switch (option) {
    case PR_SET_NAME: {
        /* The calling thread's comm (the main thread's is the process's). */
        char name[16];
        long n = copy_string_from_user(name, a2, sizeof name);
        if (n == -EFAULT) return n;
        name[15] = 0;
        thread_set_comm(p, current_thread()->tid, name, strlen(name));
        return 0;
    }
    case PR_GET_NAME: {
        char name[16];
        thread_comm(p, current_thread()->tid, name);
        return copy_to_user(a2, name, sizeof name) < 0 ? -EFAULT : 0;
    }
    case PR_SET_VMA:
        return set_vma_anon_name(p, a2, a3, a4, a5);
    default:
        return -EINVAL;
    }
}

long sys_getrandom(uint64_t buf, uint64_t len, unsigned flags)
{
    if (flags & ~7u) return -EINVAL;
    /* As Linux: at most MAX_RW_COUNT a call, and a signal ends it with what
     * was done; a page at a time, with the CPU offered between pages (a
     * gigabyte of RDRAND takes minutes under TCG). */
    len = MIN(len, MAX_RW_COUNT);
    uint64_t done = 0, block[32];
    while (done < len) {
        if (done && !(done & 4095)) {
            if (signal_pending_current()) break;
            sched_preempt_point();
        }
        size_t chunk = MIN(len - done, sizeof block);
        for (size_t i = 0; i * 8 < chunk; i++) block[i] = cpu_random64();
        if (copy_to_user(buf + done, block, chunk) < 0) return done ? (long)done : -EFAULT;
        done += chunk;
    }
    return (long)done;
}

#define TICKS_PER_SECOND 100

long sys_times(uint64_t buf)
{
    struct cputime c = cputime_process(current_process());
    uint64_t tick = 1000000000 / TICKS_PER_SECOND;
    /* No children: their times are 0. */
    uint64_t tms[4] = { c.user_ns / tick, c.sys_ns / tick, 0, 0 };
    if (buf && copy_to_user(buf, tms, sizeof tms) < 0) return -EFAULT;
    return (long)(clock_monotonic_ns() / tick);
}

#define RUSAGE_SELF 0
#define RUSAGE_CHILDREN (-1)
#define RUSAGE_THREAD 1

long sys_getrusage(int who, uint64_t buf)
{
    if (who != RUSAGE_SELF && who != RUSAGE_CHILDREN && who != RUSAGE_THREAD) return -EINVAL;
    int64_t ru[18];
    memset(ru, 0, sizeof ru);
    if (who != RUSAGE_CHILDREN) {   /* no children: all zero */
        struct cputime c = who == RUSAGE_SELF ? cputime_process(current_process()) : cputime_thread(current_thread());
        ru[0] = (int64_t)(c.user_ns / 1000000000);
        ru[1] = (int64_t)(c.user_ns % 1000000000 / 1000);
        ru[2] = (int64_t)(c.sys_ns / 1000000000);
        ru[3] = (int64_t)(c.sys_ns % 1000000000 / 1000);
        ru[4] = (int64_t)((pages_total_count() - pages_free_count()) * PAGE_SIZE / 1024); /* maxrss, KiB */
    }
    return copy_to_user(buf, ru, sizeof ru) < 0 ? -EFAULT : 0;
}

#define PER_LINUX 0
#define PERSONALITY_QUERY 0xffffffffu

long sys_personality(unsigned persona)
{
    if (persona == PERSONALITY_QUERY || persona == PER_LINUX) return PER_LINUX;
    return -EINVAL;
}
