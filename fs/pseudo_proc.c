/* /proc outside the process directory: memory, CPU time, uptime, the kernel's
 * identity and the /proc/sys knobs runtimes read to size themselves. */
#include "pseudo_internal.h"
#include "tfs.h"
#include "../kernel/kernel.h"
#include "../kernel/process.h"
#include "../kernel/mm.h"
#include "../kernel/clock.h"
#include "../kernel/cpu.h"
#include "../kernel/spinlock.h"
#include "../kernel/interrupt.h"
#include "../klib/string.h"

#define KERNEL_RELEASE "6.1.0-pith"
#define KERNEL_VERSION "#1 SMP Pith unikernel"
#define HOSTNAME "pith"

static uint32_t ncpus(void) { return kernel.ncpus ? kernel.ncpus : 1; }
static uint64_t ticks(uint64_t ns) { return ns / (1000000000 / PSEUDO_HZ); }

/* Time the program has run (its CPU time), and time the CPUs have idled,
 * in ticks. */
static void cpu_times(uint64_t *busy, uint64_t *idle)
{
    uint64_t now = clock_monotonic_ns();
    uint64_t up = ticks(now) * ncpus();
    *busy = ticks(cputime_total(cputime_process(current_process())));
    if (*busy > up) *busy = up;
    *idle = up - *busy;
}

/* The page caches of the root and every volume, in KiB. */
static void page_cache_usage(uint64_t *cached, uint64_t *dirty)
{
    uint64_t b, d;
    for (int i = -1; i < kernel.mounts.count; i++) {
        struct tfs *fs = i < 0 ? kernel.root_fs : kernel.mounts.mounts[i].fs;
        if (!fs) continue;
        tfs_cache_usage(fs, &b, &d);
        *cached += b * (PAGE_SIZE / 1024);
        *dirty += d * (PAGE_SIZE / 1024);
    }
}

static void kb_line(struct pseudo_text *t, const char *label, uint64_t kb)
{
    text_printf(t, "%-16s%8lu kB\n", label, kb);
}

static void gen_meminfo(struct pseudo_node *n, struct pseudo_text *t)
{
    uint64_t total = pages_total_count() * (PAGE_SIZE / 1024);
    uint64_t free = pages_free_count() * (PAGE_SIZE / 1024);
    uint64_t file_pages, anon = pseudo_resident_pages(&file_pages) * (PAGE_SIZE / 1024);
    uint64_t mapped = file_pages * (PAGE_SIZE / 1024);
    anon -= mapped;
    uint64_t cached = 0, dirty = 0;
    page_cache_usage(&cached, &dirty);
    kb_line(t, "MemTotal:", total);
    kb_line(t, "MemFree:", free);
    /* Clean cached file data is given back when memory runs out. */
    kb_line(t, "MemAvailable:", free + cached - dirty);
    kb_line(t, "Buffers:", 0);
    kb_line(t, "Cached:", cached);
    kb_line(t, "SwapCached:", 0);
    kb_line(t, "Active:", anon + cached);
    kb_line(t, "Inactive:", 0);
    kb_line(t, "Active(anon):", anon);
    kb_line(t, "Inactive(anon):", 0);
    kb_line(t, "Active(file):", cached);
    static const char *const zero_b[] = {
        "Inactive(file):", "Unevictable:", "Mlocked:", "SwapTotal:", "SwapFree:", "Zswap:", "Zswapped:",
    };
    for (size_t i = 0; i < ARRAY_SIZE(zero_b); i++) kb_line(t, zero_b[i], 0);
    kb_line(t, "Dirty:", dirty);
    kb_line(t, "Writeback:", 0);
    kb_line(t, "AnonPages:", anon);
    kb_line(t, "Mapped:", mapped);
    static const char *const zero_c[] = {
        "Shmem:", "KReclaimable:", "Slab:", "SReclaimable:", "SUnreclaim:", "KernelStack:",
        "PageTables:", "SecPageTables:", "NFS_Unstable:", "Bounce:", "WritebackTmp:",
    };
    for (size_t i = 0; i < ARRAY_SIZE(zero_c); i++) kb_line(t, zero_c[i], 0);
    kb_line(t, "CommitLimit:", total);
    kb_line(t, "Committed_AS:", anon);
    kb_line(t, "VmallocTotal:", 34359738367ul);
    kb_line(t, "VmallocUsed:", 0);
    kb_line(t, "VmallocChunk:", 0);
    kb_line(t, "Percpu:", 0);
    kb_line(t, "HardwareCorrupted:", 0);
    kb_line(t, "AnonHugePages:", 0);
    text_printf(t, "HugePages_Total:       0\nHugePages_Free:        0\nHugePages_Rsvd:        0\n"
                "HugePages_Surp:        0\n");
    kb_line(t, "Hugepagesize:", 2048);
    kb_line(t, "Hugetlb:", 0);
    kb_line(t, "DirectMap4k:", 0);
    kb_line(t, "DirectMap2M:", total);
}

static void gen_stat(struct pseudo_node *n, struct pseudo_text *t)
{
    uint64_t busy, idle;
    cpu_times(&busy, &idle);
    uint32_t nc = ncpus();
    text_printf(t, "cpu  %lu 0 0 %lu 0 0 0 0 0 0\n", busy, idle);
    /* The program's time is charged to CPU 0; the others only idle. */
    uint64_t per_cpu = ticks(clock_monotonic_ns());
    for (uint32_t i = 0; i < nc; i++) {
        uint64_t b = i == 0 ? busy : 0;
        text_printf(t, "cpu%u %lu 0 0 %lu 0 0 0 0 0 0\n", i, b, per_cpu > b ? per_cpu - b : 0);
    }
    uint64_t btime = (clock_realtime_ns() - clock_monotonic_ns()) / 1000000000;
    text_printf(t, "intr 0\nctxt 0\nbtime %lu\nprocesses 1\nprocs_running 1\nprocs_blocked 0\n"
                "softirq 0 0 0 0 0 0 0 0 0 0 0\n", btime);
}

static void gen_uptime(struct pseudo_node *n, struct pseudo_text *t)
{
    uint64_t up = ticks(clock_monotonic_ns()), busy, idle;
    cpu_times(&busy, &idle);
    text_printf(t, "%lu.%02lu %lu.%02lu\n", up / PSEUDO_HZ, up % PSEUDO_HZ, idle / PSEUDO_HZ, idle % PSEUDO_HZ);
}

static void gen_loadavg(struct pseudo_node *n, struct pseudo_text *t)
{
    text_printf(t, "0.00 0.00 0.00 1/1 %d\n", PROCESS_PID);
}

static void gen_version(struct pseudo_node *n, struct pseudo_text *t)
{
    text_printf(t, "Linux version " KERNEL_RELEASE " (pith@pith) (gcc) " KERNEL_VERSION "\n");
}

static void gen_filesystems(struct pseudo_node *n, struct pseudo_text *t)
{
    text_printf(t, "nodev\tsysfs\nnodev\ttmpfs\nnodev\tproc\nnodev\tdevtmpfs\n\ttfs\n");
}

/* ---- /proc/sys ---------------------------------------------------------- */

static void uuid_text(struct pseudo_text *t, uint64_t hi, uint64_t lo)
{
    /* Version 4 (random), variant 10xx, as the kernel makes them. */
    hi = (hi & ~0xf000ull) | 0x4000;
    lo = (lo & ~(3ull << 62)) | (2ull << 62);
    text_printf(t, "%08lx-%04lx-%04lx-%04lx-%012lx\n", hi >> 32, (hi >> 16) & 0xffff, hi & 0xffff,
                lo >> 48, lo & 0xffffffffffffUL);
}

static void gen_uuid(struct pseudo_node *n, struct pseudo_text *t)
{
    uint64_t hi = cpu_random64(), lo = cpu_random64();
    uuid_text(t, hi, lo);
}

static void gen_boot_id(struct pseudo_node *n, struct pseudo_text *t)
{
    static struct spinlock lock;
    static uint64_t id[2];
    uint64_t irq = spin_lock_irqsave(&lock);
    if (!id[0] && !id[1]) {
        id[0] = cpu_random64();
        id[1] = cpu_random64() | 1;
    }
    uint64_t hi = id[0], lo = id[1];
    spin_unlock_irqrestore(&lock, irq);
    uuid_text(t, hi, lo);
}

/* A file whose text is the string in its index slot. */
static const char *const fixed_texts[] = {
    HOSTNAME "\n", "(none)\n", KERNEL_RELEASE "\n", "Linux\n", KERNEL_VERSION "\n", "4194304\n",
    "63610\n", "65536\n", "40\n", "256\n", "256\n", "0\n", "50\n", "65530\n", "1024\n",
    "9223372036854775807\n", "4096\n", "2\n",
};
enum {
    T_HOSTNAME, T_DOMAIN, T_RELEASE, T_OSTYPE, T_VERSION, T_PID_MAX, T_THREADS_MAX, T_NGROUPS,
    T_CAP_LAST, T_ENTROPY, T_POOLSIZE, T_OVERCOMMIT, T_OVERCOMMIT_RATIO, T_MAX_MAP, T_NR_OPEN,
    T_FILE_MAX, T_SOMAXCONN, T_RANDOMIZE,
};

static void gen_fixed(struct pseudo_node *n, struct pseudo_text *t)
{
    text_append(t, fixed_texts[n->index], strlen(fixed_texts[n->index]));
}

#define FIXED(var, nm, which) \
    static struct pseudo_node var = { .name = nm, .kind = PSEUDO_FILE, .generate = gen_fixed, .index = which }
#define GEN(var, nm, fn) static struct pseudo_node var = { .name = nm, .kind = PSEUDO_FILE, .generate = fn }
#define DIR(var, nm, list) static struct pseudo_node var = { .name = nm, .kind = PSEUDO_DIR, .children = list }

FIXED(k_hostname, "hostname", T_HOSTNAME);
FIXED(k_domainname, "domainname", T_DOMAIN);
FIXED(k_osrelease, "osrelease", T_RELEASE);
FIXED(k_ostype, "ostype", T_OSTYPE);
FIXED(k_version, "version", T_VERSION);
FIXED(k_pid_max, "pid_max", T_PID_MAX);
FIXED(k_threads_max, "threads-max", T_THREADS_MAX);
FIXED(k_ngroups_max, "ngroups_max", T_NGROUPS);
FIXED(k_cap_last_cap, "cap_last_cap", T_CAP_LAST);
FIXED(k_randomize, "randomize_va_space", T_RANDOMIZE);
FIXED(r_entropy, "entropy_avail", T_ENTROPY);
FIXED(r_poolsize, "poolsize", T_POOLSIZE);
GEN(r_uuid, "uuid", gen_uuid);
GEN(r_boot_id, "boot_id", gen_boot_id);
static struct pseudo_node *const random_children[] = { &r_boot_id, &r_entropy, &r_poolsize, &r_uuid, NULL };
DIR(k_random, "random", random_children);
static struct pseudo_node *const kernel_children[] = {
    &k_cap_last_cap, &k_domainname, &k_hostname, &k_ngroups_max, &k_osrelease, &k_ostype, &k_pid_max,
    &k_random, &k_randomize, &k_threads_max, &k_version, NULL,
};
DIR(sys_kernel, "kernel", kernel_children);

FIXED(vm_overcommit, "overcommit_memory", T_OVERCOMMIT);
FIXED(vm_overcommit_ratio, "overcommit_ratio", T_OVERCOMMIT_RATIO);
FIXED(vm_max_map_count, "max_map_count", T_MAX_MAP);
static struct pseudo_node *const vm_children[] = { &vm_max_map_count, &vm_overcommit, &vm_overcommit_ratio, NULL };
DIR(sys_vm, "vm", vm_children);

FIXED(fs_nr_open, "nr_open", T_NR_OPEN);
FIXED(fs_file_max, "file-max", T_FILE_MAX);
static struct pseudo_node *const fs_children[] = { &fs_file_max, &fs_nr_open, NULL };
DIR(sys_fs, "fs", fs_children);

FIXED(core_somaxconn, "somaxconn", T_SOMAXCONN);
static struct pseudo_node *const core_children[] = { &core_somaxconn, NULL };
DIR(net_core, "core", core_children);
static struct pseudo_node *const net_children[] = { &net_core, NULL };
DIR(sys_net, "net", net_children);

static struct pseudo_node *const sys_children[] = { &sys_fs, &sys_kernel, &sys_net, &sys_vm, NULL };
DIR(proc_sys, "sys", sys_children);

/* Linux's layout: a CPUn header, then per named vector its number, a count
 * per CPU and its description (controller, input, trigger, device). Pith
 * lists only device vectors it has named. */
static void gen_interrupts(struct pseudo_node *n, struct pseudo_text *t)
{
    text_printf(t, "%11s", "");
    for (uint32_t c = 0; c < ncpus(); c++) text_printf(t, "CPU%-8u", c);
    text_printf(t, "\n");
    for (int v = 0; v < 256; v++) {
        const char *name = irq_name(v);
        if (!name) continue;
        text_printf(t, "%3d: ", v);
        for (uint32_t c = 0; c < ncpus(); c++) text_printf(t, "%10lu ", irq_count(v, c));
        text_printf(t, " %s\n", name);
    }
}

/* ---- /proc -------------------------------------------------------------- */

static const char *link_self(struct pseudo_node *n, char *s) { return "1"; }
static const char *link_mounts(struct pseudo_node *n, char *s) { return "self/mounts"; }

GEN(proc_cpuinfo, "cpuinfo", pseudo_gen_cpuinfo);
GEN(proc_meminfo, "meminfo", gen_meminfo);
GEN(proc_stat, "stat", gen_stat);
GEN(proc_interrupts, "interrupts", gen_interrupts);
GEN(proc_uptime, "uptime", gen_uptime);
GEN(proc_loadavg, "loadavg", gen_loadavg);
GEN(proc_version, "version", gen_version);
GEN(proc_filesystems, "filesystems", gen_filesystems);
static struct pseudo_node proc_self = { .name = "self", .kind = PSEUDO_LINK, .target = link_self };
static struct pseudo_node proc_mounts = { .name = "mounts", .kind = PSEUDO_LINK, .target = link_mounts };
static struct pseudo_node proc_thread_self = { .name = "thread-self", .kind = PSEUDO_LINK, .target = pseudo_thread_self };

static struct pseudo_node *const proc_children[] = {
    &pseudo_proc_pid_dir, &proc_cpuinfo, &proc_filesystems, &proc_interrupts, &proc_loadavg, &proc_meminfo, &proc_mounts,
    &proc_self, &proc_stat, &proc_sys, &proc_thread_self, &proc_uptime, &proc_version, NULL,
};

struct pseudo_node pseudo_proc_root = { .name = "proc", .kind = PSEUDO_DIR, .children = proc_children };
