/* /sys: the CPU lists runtimes read to size thread pools (glibc's
 * get_nprocs reads online, sysconf(_SC_NPROCESSORS_CONF) lists cpuN
 * directories), the transparent huge page settings Go reads, and which
 * clock and timer the kernel chose, where Linux shows them. */
#include "pseudo_internal.h"
#include "../kernel/kernel.h"
#include "../kernel/clock.h"
#include "../kernel/interrupt.h"
#include "../klib/format.h"

#define MAX_CPUS 64

static uint32_t ncpus(void)
{
    uint32_t n = kernel.ncpus ? kernel.ncpus : 1;
    return n > MAX_CPUS ? MAX_CPUS : n;
}

static void gen_cpu_list(struct pseudo_node *n, struct pseudo_text *t)
{
    uint32_t c = ncpus();
    if (c == 1) text_printf(t, "0\n");
    else text_printf(t, "0-%u\n", c - 1);
}

static void gen_empty_line(struct pseudo_node *n, struct pseudo_text *t) { text_printf(t, "\n"); }
static void gen_kernel_max(struct pseudo_node *n, struct pseudo_text *t) { text_printf(t, "%d\n", MAX_CPUS - 1); }
static void gen_thp_enabled(struct pseudo_node *n, struct pseudo_text *t) { text_printf(t, "always madvise [never]\n"); }
static void gen_thp_defrag(struct pseudo_node *n, struct pseudo_text *t)
{
    text_printf(t, "always defer defer+madvise madvise [never]\n");
}
static void gen_thp_pmd_size(struct pseudo_node *n, struct pseudo_text *t) { text_printf(t, "2097152\n"); }
static void gen_clocksource(struct pseudo_node *n, struct pseudo_text *t)
{
    text_printf(t, "%s\n", clock_source_name());
}
/* Linux ends each name with a space, the last one too. */
static void gen_clocksources(struct pseudo_node *n, struct pseudo_text *t)
{
    text_printf(t, "%s \n", clock_sources_available());
}
static void gen_clockevent(struct pseudo_node *n, struct pseudo_text *t)
{
    text_printf(t, "%s\n", lapic_timer_device_name());
}

#define GEN(var, nm, fn) static struct pseudo_node var = { .name = nm, .kind = PSEUDO_FILE, .generate = fn }
#define DIR(var, nm, list) static struct pseudo_node var = { .name = nm, .kind = PSEUDO_DIR, .perm = 0755, .children = list }

GEN(cpu_online, "online", gen_cpu_list);
GEN(cpu_possible, "possible", gen_cpu_list);
GEN(cpu_present, "present", gen_cpu_list);
GEN(cpu_offline, "offline", gen_empty_line);
GEN(cpu_kernel_max, "kernel_max", gen_kernel_max);

/* cpu0 ... cpuN-1 follow the fixed entries. */
static struct pseudo_node cpu_dirs[MAX_CPUS];

static int next_cpu(struct pseudo_node *dir, uint64_t *cookie, struct pseudo_node **out)
{
    if (*cookie >= ncpus()) return 0;
    struct pseudo_node *n = &cpu_dirs[*cookie];
    n->kind = PSEUDO_DIR;
    n->perm = 0755;
    n->index = (int)*cookie;
    format_sn(n->own_name, sizeof n->own_name, "cpu%lu", *cookie);
    pseudo_adopt(dir, n, *cookie);
    *out = n;
    (*cookie)++;
    return 1;
}

static struct pseudo_node *const cpu_children[] = {
    &cpu_kernel_max, &cpu_offline, &cpu_online, &cpu_possible, &cpu_present, NULL,
};
static struct pseudo_node sys_cpu = {
    .name = "cpu", .kind = PSEUDO_DIR, .perm = 0755, .children = cpu_children, .next_child = next_cpu,
};
GEN(clocksource_available, "available_clocksource", gen_clocksources);
GEN(clocksource_current, "current_clocksource", gen_clocksource);
static struct pseudo_node *const clocksource0_children[] = { &clocksource_available, &clocksource_current, NULL };
DIR(sys_clocksource0, "clocksource0", clocksource0_children);
static struct pseudo_node *const clocksource_children[] = { &sys_clocksource0, NULL };
DIR(sys_clocksource, "clocksource", clocksource_children);

GEN(clockevent_current, "current_device", gen_clockevent);
static struct pseudo_node *const clockevent0_children[] = { &clockevent_current, NULL };
DIR(sys_clockevent0, "clockevent0", clockevent0_children);
static struct pseudo_node *const clockevents_children[] = { &sys_clockevent0, NULL };
DIR(sys_clockevents, "clockevents", clockevents_children);

static struct pseudo_node *const system_children[] = { &sys_clockevents, &sys_clocksource, &sys_cpu, NULL };
DIR(sys_system, "system", system_children);
static struct pseudo_node *const devices_children[] = { &sys_system, NULL };
DIR(sys_devices, "devices", devices_children);

GEN(thp_enabled, "enabled", gen_thp_enabled);
GEN(thp_defrag, "defrag", gen_thp_defrag);
GEN(thp_pmd_size, "hpage_pmd_size", gen_thp_pmd_size);
static struct pseudo_node *const thp_children[] = { &thp_defrag, &thp_enabled, &thp_pmd_size, NULL };
DIR(sys_thp, "transparent_hugepage", thp_children);
static struct pseudo_node *const mm_children[] = { &sys_thp, NULL };
DIR(sys_mm, "mm", mm_children);
static struct pseudo_node *const kernel_children[] = { &sys_mm, NULL };
DIR(sys_kernel, "kernel", kernel_children);

static struct pseudo_node *const sys_children[] = { &sys_devices, &sys_kernel, NULL };
struct pseudo_node pseudo_sys_root = { .name = "sys", .kind = PSEUDO_DIR, .children = sys_children };
