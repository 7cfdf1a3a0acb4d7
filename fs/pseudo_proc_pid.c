/* /proc/1: the one process as Linux describes it. Runtimes parse maps (to
 * find their stack), stat and status (memory and thread counts), fd/ (to
 * close inherited descriptors) and exe (to find themselves). */
#include "pseudo_internal.h"
#include "tfs.h"
#include "../kernel/process.h"
#include "../kernel/paging.h"
#include "../kernel/mm.h"
#include "../kernel/clock.h"
#include "../klib/errno.h"
#include "../klib/string.h"
#include "../klib/format.h"

#define SIG_IGN_HANDLER 1

static struct process *proc(void) { return current_process(); }

/* Whom stat and status describe: the process (/proc/1) or one of its
 * threads (/proc/1/task/TID), which Linux shows with the thread's own id,
 * name and signal mask. */
struct task_view {
    int pid;
    char comm[16];
    uint64_t sigmask, sigpending;
    struct cputime cpu;     /* the process's, or the thread's own */
};

static void signals_of(struct thread *t, void *arg)
{
    struct task_view *v = arg;
    if (t->tid != v->pid) return;
    v->sigmask = t->sigmask;
    v->sigpending = t->sigq.pending;
    v->cpu = cputime_thread(t);
}

/* tid 0: the process as /proc/1 shows it (the reader's mask and pending set, as before). */
static bool task_view(int tid, struct task_view *v)
{
    struct process *p = proc();
    if (!tid) {
        struct thread *th = current_thread();
        *v = (struct task_view){ .pid = PROCESS_PID, .sigmask = th ? th->sigmask : 0,
                                 .sigpending = th ? th->sigq.pending : 0, .cpu = cputime_process(p) };
        process_comm(p, v->comm);
        return true;
    }
    *v = (struct task_view){ .pid = tid };
    if (!thread_comm(p, tid, v->comm)) return false;
    process_for_each_thread(p, signals_of, v);
    return true;
}

uint64_t pseudo_resident_pages(uint64_t *file)
{
    uint64_t *pml4 = phys_to_virt(proc()->vm.root & PTE_ADDR_MASK), count = 0, shared = 0;
    /* Only the lower half is the program's; leaves must be user pages. */
    for (int i = 0; i < 256; i++) {
        if (!(pml4[i] & PTE_P)) continue;
        uint64_t *pdpt = phys_to_virt(pml4[i] & PTE_ADDR_MASK);
        for (int j = 0; j < 512; j++) {
            if (!(pdpt[j] & PTE_P)) continue;
            if (pdpt[j] & PTE_PS) {
                if (pdpt[j] & PTE_U) count += 512 * 512;
                continue;
            }
            uint64_t *pd = phys_to_virt(pdpt[j] & PTE_ADDR_MASK);
            for (int k = 0; k < 512; k++) {
                if (!(pd[k] & PTE_P)) continue;
                if (pd[k] & PTE_PS) {
                    if (pd[k] & PTE_U) count += 512;
                    continue;
                }
                uint64_t *pt = phys_to_virt(pd[k] & PTE_ADDR_MASK);
                for (int l = 0; l < 512; l++) {
                    if (!(pt[l] & (PTE_P | PTE_HIDDEN)) || !(pt[l] & PTE_U)) continue;
                    count++;
                    shared += (pt[l] & PTE_FOREIGN) != 0;
                }
            }
        }
    }
    if (file) *file = shared;
    return count;
}

/* Sizes of the address space, in bytes, the way status and stat split them. */
struct vm_sizes {
    uint64_t total, stack, exe, lib, data;
    uint64_t code_start, code_end, stack_end;
};

static void vm_sizes(struct process *p, struct vm_sizes *s)
{
    *s = (struct vm_sizes){ 0 };
    uint64_t irq = read_lock_irqsave(&p->vm.lock);
    for (struct vma *v = vma_first(&p->vm); v; v = vma_next(v)) {
        uint64_t len = v->end - v->start;
        s->total += len;
        if (v->flags & VM_STACK) {
            s->stack += len;
            s->stack_end = v->end;
        } else if ((v->flags & VM_EXEC) && v->name) {
            bool main = strcmp(v->name, p->exe_path) == 0;
            if (main) s->exe += len;
            else s->lib += len;
            if (main && !s->code_start) {
                s->code_start = v->start;
                s->code_end = v->end;
            }
        } else if (v->flags & VM_WRITE) {
            s->data += len;
        }
    }
    read_unlock_irqrestore(&p->vm.lock, irq);
}

static void signal_masks(struct process *p, uint64_t *ignored, uint64_t *caught)
{
    *ignored = *caught = 0;
    for (int i = 0; i < NSIG; i++) {
        uint64_t h = p->sigactions[i].handler;
        if (h == SIG_IGN_HANDLER) *ignored |= 1ull << i;
        else if (h) *caught |= 1ull << i;
    }
}

static uint64_t ticks(uint64_t ns) { return ns / (1000000000 / PSEUDO_HZ); }

static void stat_text(const struct task_view *v, struct pseudo_text *t)
{
    struct process *p = proc();
    struct vm_sizes s;
    vm_sizes(p, &s);
    uint64_t ign, cgt;
    signal_masks(p, &ign, &cgt);
    text_printf(t, "%d (%s) R 0 %d %d 0 -1 4194560 0 0 0 0 %lu %lu 0 0 20 0 %u 0 %lu %lu %lu "
                "18446744073709551615 %lu %lu %lu 0 0 0 %lu %lu %lu 0 0 0 17 0 0 0 0 0 0 "
                "0 0 %lu 0 0 0 0 0\n",
                v->pid, v->comm, PROCESS_PID, PROCESS_PID, ticks(v->cpu.user_ns), ticks(v->cpu.sys_ns),
                p->live_threads, ticks(p->start_ns), s.total,
                pseudo_resident_pages(NULL), s.code_start, s.code_end, s.stack_end,
                v->sigmask, ign, cgt, p->vm.brk_start);
}

static void gen_stat(struct pseudo_node *n, struct pseudo_text *t)
{
    struct task_view v;
    task_view(0, &v);
    stat_text(&v, t);
}

void pseudo_gen_task_stat(struct pseudo_node *n, struct pseudo_text *t)
{
    struct task_view v;
    if (task_view(n->index, &v)) stat_text(&v, t);
}

static void gen_statm(struct pseudo_node *n, struct pseudo_text *t)
{
    struct vm_sizes s;
    vm_sizes(proc(), &s);
    uint64_t file, rss = pseudo_resident_pages(&file);
    text_printf(t, "%lu %lu %lu %lu 0 %lu 0\n", s.total / PAGE_SIZE, rss, file, s.exe / PAGE_SIZE,
                (s.data + s.stack) / PAGE_SIZE);
}

static void cpu_list(struct pseudo_text *t)
{
    uint32_t n = kernel.ncpus ? kernel.ncpus : 1;
    if (n == 1) text_printf(t, "0\n");
    else text_printf(t, "0-%u\n", n - 1);
}

static void status_text(const struct task_view *v, struct pseudo_text *t)
{
    struct process *p = proc();
    struct vm_sizes s;
    vm_sizes(p, &s);
    uint64_t file, ign, cgt, rss_kb = pseudo_resident_pages(&file) * 4, file_kb = file * 4;
    signal_masks(p, &ign, &cgt);
    uint32_t ncpus = kernel.ncpus ? kernel.ncpus : 1;
    uint64_t cpumask = ncpus >= 64 ? ~0ull : (1ull << ncpus) - 1;
    text_printf(t, "Name:\t%s\nUmask:\t%04o\nState:\tR (running)\nTgid:\t%d\nNgid:\t0\nPid:\t%d\nPPid:\t0\n"
                "TracerPid:\t0\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nFDSize:\t%d\nGroups:\t\n"
                "NStgid:\t%d\nNSpid:\t%d\nNSpgid:\t%d\nNSsid:\t%d\n",
                v->comm, p->umask, PROCESS_PID, v->pid, FD_MAX, PROCESS_PID, v->pid,
                PROCESS_PID, PROCESS_PID);
    text_printf(t, "VmPeak:\t%8lu kB\nVmSize:\t%8lu kB\nVmLck:\t%8u kB\nVmPin:\t%8u kB\n"
                "VmHWM:\t%8lu kB\nVmRSS:\t%8lu kB\nRssAnon:\t%8lu kB\nRssFile:\t%8lu kB\n"
                "RssShmem:\t%8u kB\nVmData:\t%8lu kB\nVmStk:\t%8lu kB\nVmExe:\t%8lu kB\n"
                "VmLib:\t%8lu kB\nVmPTE:\t%8u kB\nVmSwap:\t%8u kB\nHugetlbPages:\t%8u kB\n",
                s.total / 1024, s.total / 1024, 0, 0, rss_kb, rss_kb, rss_kb - file_kb, file_kb, 0, s.data / 1024,
                s.stack / 1024, s.exe / 1024, s.lib / 1024, 0, 0, 0);
    text_printf(t, "CoreDumping:\t0\nTHP_enabled:\t0\nThreads:\t%u\nSigQ:\t%lu/%lu\n"
                "SigPnd:\t%016lx\nShdPnd:\t%016lx\nSigBlk:\t%016lx\nSigIgn:\t%016lx\nSigCgt:\t%016lx\n"
                "CapInh:\t0000000000000000\nCapPrm:\t000001ffffffffff\nCapEff:\t000001ffffffffff\n"
                "CapBnd:\t000001ffffffffff\nCapAmb:\t0000000000000000\nNoNewPrivs:\t0\nSeccomp:\t0\n"
                "Seccomp_filters:\t0\nSpeculation_Store_Bypass:\tnot vulnerable\n"
                "SpeculationIndirectBranch:\tnot affected\n",
                p->live_threads, p->sig_queued, p->rlimits[RLIMIT_SIGPENDING].cur, v->sigpending,
                p->shared_sig.pending, v->sigmask, ign, cgt);
    text_printf(t, "Cpus_allowed:\t%lx\nCpus_allowed_list:\t", cpumask);
    cpu_list(t);
    text_printf(t, "Mems_allowed:\t1\nMems_allowed_list:\t0\n"
                "voluntary_ctxt_switches:\t0\nnonvoluntary_ctxt_switches:\t0\n");
}

static void gen_status(struct pseudo_node *n, struct pseudo_text *t)
{
    struct task_view v;
    task_view(0, &v);
    status_text(&v, t);
}

void pseudo_gen_task_status(struct pseudo_node *n, struct pseudo_text *t)
{
    struct task_view v;
    if (task_view(n->index, &v)) status_text(&v, t);
}

/* Linux's layout: the fixed part padded to 73 columns, then the name. */
static void gen_maps(struct pseudo_node *n, struct pseudo_text *t)
{
    struct process *p = proc();
    uint64_t irq = read_lock_irqsave(&p->vm.lock);
    for (struct vma *v = vma_first(&p->vm); v; v = vma_next(v)) {
        const char *name = v->flags & VM_HEAP ? "[heap]" : v->flags & VM_STACK ? "[stack]" : v->name;
        /* [vdso], [vvar] and [anon:...] are names, not files: no device or inode. */
        bool file = name == v->name && name && name[0] != '[';
        size_t before = t->len;
        text_printf(t, "%08lx-%08lx %c%c%c%c %08lx %02x:%02x %lu ", v->start, v->end,
                    v->flags & VM_READ ? 'r' : '-', v->flags & VM_WRITE ? 'w' : '-',
                    v->flags & VM_EXEC ? 'x' : '-', v->flags & VM_SHARED ? 's' : 'p', file ? v->file_offset : 0,
                    file ? 8 : 0, file ? 1 : 0, file ? v->ino : 0);
        if (name) {
            size_t used = t->len - before;
            for (; used < 73; used++) text_append(t, " ", 1);
            text_printf(t, " %s", name);
        }
        text_append(t, "\n", 1);
    }
    read_unlock_irqrestore(&p->vm.lock, irq);
}

static void gen_strings(struct pseudo_text *t, const char *const *v, int count)
{
    for (int i = 0; i < count && v[i]; i++) text_append(t, v[i], strlen(v[i]) + 1);
}

/* The arguments and environment the program was started with; the boot
 * config is where they came from. */
static void gen_cmdline(struct pseudo_node *n, struct pseudo_text *t)
{
    const struct tfs_config *c = tfs_config(proc()->fs);
    if (c) gen_strings(t, c->argv, c->argc);
}

static void gen_environ(struct pseudo_node *n, struct pseudo_text *t)
{
    const struct tfs_config *c = tfs_config(proc()->fs);
    if (c) gen_strings(t, c->envp, c->envc);
}

static void gen_comm(struct pseudo_node *n, struct pseudo_text *t)
{
    char comm[16];
    process_comm(proc(), comm);
    text_printf(t, "%s\n", comm);
}

/* Like prctl(PR_SET_NAME): the first 15 bytes, without the newline echo adds. */
static int64_t set_comm(int tid, const char *buf, size_t len)
{
    size_t k = MIN(len, (size_t)15);
    if (k && buf[k - 1] == '\n') k--;
    return thread_set_comm(proc(), tid, buf, k) ? (int64_t)len : -ESRCH;
}

static int64_t write_comm(struct pseudo_node *n, const char *buf, size_t len) { return set_comm(PROCESS_PID, buf, len); }

void pseudo_gen_task_comm(struct pseudo_node *n, struct pseudo_text *t)
{
    char comm[16];
    if (thread_comm(proc(), n->index, comm)) text_printf(t, "%s\n", comm);
}

int64_t pseudo_write_task_comm(struct pseudo_node *n, const char *buf, size_t len)
{
    return set_comm(n->index, buf, len);
}

static void gen_mounts(struct pseudo_node *n, struct pseudo_text *t)
{
    text_printf(t, "/dev/root / tfs ro,relatime 0 0\n"
                "devtmpfs /dev devtmpfs rw,nosuid,relatime,mode=755 0 0\n"
                "tmpfs /dev/shm tmpfs rw,nosuid,nodev 0 0\n"
                "proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0\n"
                "sysfs /sys sysfs rw,nosuid,nodev,noexec,relatime 0 0\n");
}

static void gen_mountinfo(struct pseudo_node *n, struct pseudo_text *t)
{
    text_printf(t, "20 1 8:1 / / ro,relatime - tfs /dev/root ro\n"
                "21 20 0:5 / /dev rw,nosuid,relatime - devtmpfs devtmpfs rw,mode=755\n"
                "24 21 0:24 / /dev/shm rw,nosuid,nodev - tmpfs tmpfs rw\n"
                "22 20 0:22 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw\n"
                "23 20 0:21 / /sys rw,nosuid,nodev,noexec,relatime - sysfs sysfs rw\n");
}

static void gen_cgroup(struct pseudo_node *n, struct pseudo_text *t) { text_printf(t, "0::/\n"); }
static void gen_zero(struct pseudo_node *n, struct pseudo_text *t) { text_printf(t, "0\n"); }

/* The process's limits table (getrlimit/setrlimit), in Linux's rows and order. */
static void gen_limits(struct pseudo_node *n, struct pseudo_text *t)
{
    static const struct { const char *name, *unit; } rows[RLIMIT_NLIMITS] = {
        { "Max cpu time", "seconds" }, { "Max file size", "bytes" }, { "Max data size", "bytes" },
        { "Max stack size", "bytes" }, { "Max core file size", "bytes" }, { "Max resident set", "bytes" },
        { "Max processes", "processes" }, { "Max open files", "files" }, { "Max locked memory", "bytes" },
        { "Max address space", "bytes" }, { "Max file locks", "locks" }, { "Max pending signals", "signals" },
        { "Max msgqueue size", "bytes" }, { "Max nice priority", "" }, { "Max realtime priority", "" },
        { "Max realtime timeout", "us" },
    };
    text_printf(t, "%-25s %-20s %-20s %-10s\n", "Limit", "Soft Limit", "Hard Limit", "Units");
    for (int i = 0; i < RLIMIT_NLIMITS; i++) {
        char v[2][24];
        uint64_t lim[2] = { proc()->rlimits[i].cur, proc()->rlimits[i].max };
        for (int k = 0; k < 2; k++) {
            if (lim[k] == RLIM_INFINITY) memcpy(v[k], "unlimited", 10);
            else format_sn(v[k], sizeof v[k], "%lu", lim[k]);
        }
        text_printf(t, "%-25s %-20s %-20s %-10s\n", rows[i].name, v[0], v[1], rows[i].unit);
    }
}

static const char *link_exe(struct pseudo_node *n, char *s) { return proc()->exe_path; }
static const char *link_cwd(struct pseudo_node *n, char *s) { return proc()->cwd_path; }
static const char *link_root(struct pseudo_node *n, char *s) { return "/"; }

/* ---- fd/ --------------------------------------------------------------- */

static struct pseudo_node fd_nodes[FD_MAX];

static const char *link_fd(struct pseudo_node *n, char *s)
{
    struct file *f = fd_get(&proc()->fds, n->index);
    if (!f) return NULL;
    /* Interned paths are never freed, so the pointer outlives the reference. */
    const char *path = f->path ? f->path : "anon_inode:[pith]";
    file_put(f);
    return path;
}

static int next_fd(struct pseudo_node *dir, uint64_t *cookie, struct pseudo_node **out)
{
    struct fdtable *t = &proc()->fds;
    for (uint64_t fd = *cookie; fd < FD_MAX; fd++) {
        if (!__atomic_load_n(&t->files[fd], __ATOMIC_ACQUIRE)) continue;
        struct pseudo_node *n = &fd_nodes[fd];
        n->kind = PSEUDO_LINK;
        n->perm = 0700;
        n->index = (int)fd;
        n->target = link_fd;
        format_sn(n->own_name, sizeof n->own_name, "%lu", fd);
        pseudo_adopt(dir, n, fd);
        *out = n;
        *cookie = fd + 1;
        return 1;
    }
    *cookie = FD_MAX;
    return 0;
}

static struct pseudo_node pid_fd = { .name = "fd", .kind = PSEUDO_DIR, .perm = 0500, .next_child = next_fd };

#define PID_FILE(var, nm, fn) static struct pseudo_node var = { .name = nm, .kind = PSEUDO_FILE, .generate = fn }
#define PID_LINK(var, nm, fn) static struct pseudo_node var = { .name = nm, .kind = PSEUDO_LINK, .target = fn }

PID_FILE(pid_stat, "stat", gen_stat);
PID_FILE(pid_statm, "statm", gen_statm);
PID_FILE(pid_status, "status", gen_status);
PID_FILE(pid_maps, "maps", gen_maps);
PID_FILE(pid_cmdline, "cmdline", gen_cmdline);
PID_FILE(pid_mounts, "mounts", gen_mounts);
PID_FILE(pid_mountinfo, "mountinfo", gen_mountinfo);
PID_FILE(pid_cgroup, "cgroup", gen_cgroup);
PID_FILE(pid_oom_score_adj, "oom_score_adj", gen_zero);
PID_FILE(pid_limits, "limits", gen_limits);
PID_LINK(pid_exe, "exe", link_exe);
PID_LINK(pid_cwd, "cwd", link_cwd);
PID_LINK(pid_root, "root", link_root);
static struct pseudo_node pid_environ = { .name = "environ", .kind = PSEUDO_FILE, .perm = 0400, .generate = gen_environ };
static struct pseudo_node pid_comm = { .name = "comm", .kind = PSEUDO_FILE, .generate = gen_comm, .write = write_comm };

static struct pseudo_node *const pid_children[] = {
    &pseudo_proc_task_dir, &pid_fd, &pid_stat, &pid_statm, &pid_status, &pid_maps, &pid_cmdline, &pid_environ, &pid_comm,
    &pid_mounts, &pid_mountinfo, &pid_cgroup, &pid_oom_score_adj, &pid_limits,
    &pid_exe, &pid_cwd, &pid_root, &pseudo_pagemap, NULL,
};

struct pseudo_node pseudo_proc_pid_dir = { .name = "1", .kind = PSEUDO_DIR, .children = pid_children };
