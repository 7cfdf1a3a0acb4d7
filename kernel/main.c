/* kmain: from the boot entry (PVH or our BIOS stage 2, both in
 * boot/) to the program's first instruction. The order matters: memory,
 * then this CPU's tables, then devices, then the filesystem and the program. */
#include "kernel.h"
#include "hardening.h"
#include "console.h"
#include "panic.h"
#include "mm.h"
#include "page_alloc.h"
#include "paging.h"
#include "kheap.h"
#include "../net/net_stack.h"
#include "../net/net_init.h"
#include "cpu.h"
#include "clock.h"
#include "interrupt.h"
#include "timer.h"
#include "process.h"
#include "sched.h"
#include "percpu.h"
#include "smp.h"
#include "kaslr.h"
#include "io.h"
#include "../boot/pvh/start_info.h"
#include "../platform/disk.h"
#include "../platform/acpi.h"
#include "../platform/acpi_power.h"
#include "../fs/mbr.h"
#include "../fs/mounts.h"
#include "../fs/tfs.h"
#include "../loader/loader.h"
#include "../klib/string.h"
#include "stack_guard.h"
#include "selftest.h"

#define MAX_RAM_RANGES 32

struct kernel kernel;
extern char _kernel_end[];

static int ram_ranges(const struct pvh_start_info *si, struct phys_range *out)
{
    if (si->magic != PVH_START_MAGIC) panic("bad boot information (magic %x)", si->magic);
    if (si->version < 1 || !si->memmap_paddr || !si->memmap_entries)
        panic("the boot loader gave no memory map");
    const struct pvh_memmap_entry *e = phys_to_virt(si->memmap_paddr);
    int n = 0;
    for (uint32_t i = 0; i < si->memmap_entries && n < MAX_RAM_RANGES; i++)
        if (e[i].type == PVH_MEMMAP_RAM && e[i].size)
            out[n++] = (struct phys_range){ e[i].addr, e[i].addr + e[i].size };
    return n;
}

/* The boot loader's kernel command line, where QEMU's microvm lists its
 * virtio-mmio devices. Firmware keeps it in its own low memory, which the
 * memory map need not call RAM (qboot and SeaBIOS put it near 0xef000), so it
 * is read through the boot page tables, which map the whole first GiB, and
 * copied before anything is allocated. NULL when there is none or it lies
 * beyond that GiB. */
static const char *boot_cmdline(const struct pvh_start_info *si)
{
    static char copy[4096];
    const uint64_t boot_mapped = 1ul << 30;
    uint64_t pa = si->cmdline_paddr;
    if (!pa || pa >= boot_mapped) return NULL;
    size_t len = strnlen(phys_to_virt(pa), MIN(boot_mapped - pa, sizeof copy - 1));
    memcpy(copy, phys_to_virt(pa), len);
    copy[len] = 0;
    return copy;
}

static void boot_fail(int code, const char *what, const char *why)
{
    kprintf("pith: %s: %s\n", what, why);
    machine_exit(code);
}

#define MAX_DISKS 16

/* The first disk holds the image; any others are volumes to mount. */
static struct tfs *mount_root(struct heap *h, struct blockdev *disk)
{
    char err[200];
    struct part_blockdev *part = allocate(h, sizeof *part);
    if (!part) panic("out of memory");
    if (mbr_open_partition(disk, MBR_TYPE_TFS, part, err, sizeof err) < 0) boot_fail(EXIT_BAD_IMAGE, "disk", err);
    /* The read-only flag lives in the filesystem itself: look first, then
     * mount for writing unless the image asks not to. */
    struct tfs *fs;
    if (tfs_mount(h, &part->dev, &fs, err, sizeof err) < 0) boot_fail(EXIT_BAD_IMAGE, "root filesystem", err);
    const struct tfs_config *cfg = tfs_config(fs);
    if (!cfg || !(cfg->flags & TFS_CONFIG_READONLY_ROOT)) {
        /* The block cache is the page cache: let it use a quarter of free memory. */
        uint64_t cache_blocks = MAX(pages_free_count() / 4, 256ul);
        if (make_tfs_writable(fs, (uint32_t)MIN(cache_blocks, 1ul << 24), err, sizeof err) < 0)
            boot_fail(EXIT_BAD_IMAGE, "root filesystem", err);
    }
    kernel.root_disk = disk;
    return fs;
}

static NORETURN void start_program(struct heap *h, struct tfs *fs)
{
    const struct tfs_config *cfg = tfs_config(fs);
    if (!cfg || !cfg->program) boot_fail(EXIT_BAD_IMAGE, "image", "no program to run in the boot config");
    kernel.trace = (cfg->flags & TFS_CONFIG_TRACE) != 0;
    selftest_run(cfg->kernel_options);

    struct process *p = process_create(h, fs, paging_root());
    struct thread *t = p ? thread_create(p, PROCESS_PID) : NULL;
    if (!t) panic("out of memory creating the process");
    p->main_thread = t;
    p->next_tid = PROCESS_PID + 1;
    t->state = THREAD_RUNNING;
    process_add_thread(p, t);
    p->cwd = tfs_root(fs);
    p->cwd_fs = fs;
    tfs_node_get(p->cwd);
    size_t plen = strnlen(cfg->program, PATH_MAX_LEN - 1);
    memcpy(p->exe_path, cfg->program, plen);
    p->exe_path[plen] = 0;
    kernel.process = p;
    this_cpu()->current = t;
    stack_guard_adopt(t);   /* the boot stack's frames are now t's */

    struct file *con = console_file_open(h, O_RDWR);
    if (!con) panic("out of memory for the console");
    con->path = "/dev/console";
    for (int fd = 0; fd < 3; fd++) fd_install(&p->fds, con, fd, false);
    file_put(con);

    struct program_args args = { cfg->program, cfg->argc, cfg->argv, cfg->envc, cfg->envp, cfg->layout_seed };
    struct loaded_program lp;
    char err[256];
    if (program_load(p, &args, &lp, err, sizeof err) < 0) boot_fail(EXIT_LOADER_ERROR, "cannot load the program", err);
    paging_audit(paging_root(), true);   /* the loader's mappings too */
    hardening_start(cfg->flags);   /* from here on the program's own calls are judged */
    control_printf("load prog %lx interp %lx entry %lx\n", lp.load_base, lp.interp_base, lp.entry);
    thread_enter_user(t, lp.entry, lp.stack_pointer);
}

/* Not stack-protected: the guard is set in it (kernel/stack_guard.c). */
__attribute__((no_stack_protector)) void kmain(uint32_t start_info_pa)
{
    cpu_early_init();
    stack_guard_init();
    kernel.boot_tsc = rdtsc();
    console_init();
    kaslr_report_if_asked();
    const struct pvh_start_info *si = phys_to_virt(start_info_pa);
    struct phys_range ram[MAX_RAM_RANGES];
    int nram = ram_ranges(si, ram);
    const char *cmdline = boot_cmdline(si);
    page_alloc_init(ram, nram, virt_to_phys(_kernel_end));
    paging_init(ram, nram);
    paging_audit(paging_root(), false);
    kernel.heap = kheap_init();
    kernel.names.heap = kernel.heap;
    cpu_init_boot();
    clock_init();
    lapic_init();
    timer_init_cpu();
    sched_init_cpu();
    stack_guard_thread_init(this_cpu()->run_queue.idle);
    acpi_set_rsdp_hint(si->rsdp_paddr);
    acpi_power_prepare();
    smp_start_cpus(ram, nram);
    /* For the host: which clock and timer this machine gave us (the tests
     * check the KVM paths on hosts where KVM stops before any program). */
    control_printf("clock %s timer %s\n", clock_source_name(), lapic_timer_device_name());
    control_printf("entropy %s\n", cpu_random_source());   /* kernel/cpu_random.c */
    ioapic_init();
    console_input_init();
    irq_enable();
    struct blockdev *disks[MAX_DISKS];
    int ndisks = disk_find_all(kernel.heap, cmdline, disks, MAX_DISKS);
    if (ndisks <= 0) boot_fail(EXIT_BAD_IMAGE, "no disk", "no virtio-blk, NVMe or virtio-scsi disk was found");
    kernel.root_fs = mount_root(kernel.heap, disks[0]);
    mounts_attach(kernel.heap, &kernel.mounts, disks + 1, ndisks - 1, tfs_config(kernel.root_fs));
    net_sockets_init();
    net_init(kernel.heap, cmdline, kernel.root_fs);
    start_program(kernel.heap, kernel.root_fs);
}
