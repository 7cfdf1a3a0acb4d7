/* Writing a core file when the program dies of a signal (see coredump.h).
 *
 * The file is what Linux's binfmt_elf writes: an ELF header, a PT_NOTE
 * (the registers of every thread, the crashing one first; process info,
 * siginfo, auxv, the mapped files) and one PT_LOAD per readable region.
 * Only memory that exists is written: untouched anonymous pages stay holes
 * in the file (TFS files are sparse), so a huge reservation costs nothing,
 * and PROT_NONE regions are left out. A file mapping nobody wrote to is
 * left for gdb to read from the file (p_filesz 0), as Linux's default
 * coredump_filter does; one with private copies in it is written whole.
 *
 * While the core is written the other threads stop at their next return
 * to ring 3 (coredump_park_if_dumping) and stay there: the machine powers
 * off once the file is done. A full disk or RLIMIT_CORE cuts the file
 * short (the program still exits 128+signal); no failure here reaches
 * further than a message. */
#include "coredump.h"
#include "process.h"
#include "trap.h"
#include "mm.h"
#include "paging.h"
#include "wait.h"
#include "console.h"
#include "usercopy.h"
#include "sched.h"
#include "smp.h"
#include "clock.h"
#include "../loader/elf.h"
#include "../fs/tfs.h"
#include "../fs/walk.h"
#include "fpu.h"
#include "../klib/string.h"
#include "../klib/errno.h"

#define ET_CORE 4
#define S_IFMT 0170000
#define S_IFREG 0100000
#define PN_LIMIT 0xfffe             /* e_phnum is 16 bits (PN_XNUM aside) */
#define FXSAVE_SIZE 512

static int dumping;                 /* a core is being written: others park */
static struct wait_queue parked;    /* nobody ever wakes it */

/* The signals whose default action is "core" (signal(7)). */
static bool dumps_core(int sig)
{
    switch (sig) {
    case SIGQUIT: case SIGILL: case SIGTRAP: case SIGABRT: case SIGBUS: case SIGFPE: case SIGSEGV:
    case 24: case 25: case 31:      /* SIGXCPU SIGXFSZ SIGSYS */
        return true;
    default:
        return false;
    }
}

/* Where the core goes: the boot config's path, "/core" when it names none,
 * NULL when cores are off. */
static const char *core_path(const struct process *p)
{
    const struct tfs_config *c = p->fs ? tfs_config(p->fs) : NULL;
    if (!c || !c->core_path) return "/core";
    return c->core_path[0] ? c->core_path : NULL;
}

uint64_t coredump_initial_limit(const struct process *p)
{
    /* As if a shell had run `ulimit -c unlimited`: the image said where cores go. */
    return core_path(p) ? RLIM_INFINITY : 0;
}

static NORETURN void park_forever(void)
{
    struct thread *t = current_thread();
    uint64_t flags = spin_lock_irqsave(&t->proc->sig_lock);
    t->sigmask = ~0ul;              /* no signal ends the wait below */
    spin_unlock_irqrestore(&t->proc->sig_lock, flags);
    for (;;) wait_until(&parked, NULL, NULL, WAIT_FOREVER);
}

void coredump_park_if_dumping(void)
{
    if (__atomic_load_n(&dumping, __ATOMIC_ACQUIRE) && current_thread() && current_thread()->proc) park_forever();
}

/* With more than one CPU another thread may be in ring 3 right now and its
 * saved frame stale: each CPU running one is interrupted, so the thread
 * enters the kernel and parks on its way back, and the dump waits (briefly)
 * until no other thread runs. A thread busy in the kernel that long still
 * has the frame it entered with, so going on then is safe. */
struct running {
    struct thread *self;
    int count;
};

static void kick_running(struct thread *t, void *arg)
{
    struct running *r = arg;
    if (t == r->self || __atomic_load_n(&t->state, __ATOMIC_ACQUIRE) != THREAD_RUNNING) return;
    r->count++;
    smp_kick(t->cpu);
}

static void stop_other_threads(struct process *p, struct thread *self)
{
    for (int round = 0; round < 200; round++) {
        struct running r = { .self = self };
        process_for_each_thread(p, kick_running, &r);
        if (!r.count) return;
        wait_until(NULL, NULL, NULL, clock_monotonic_ns() + 1000000);
    }
    kprintf("pith: core dump: a thread on another CPU did not stop; its registers are the ones it last entered the kernel with\n");
}

/* --- what goes into the file --- */

struct region {
    uint64_t start, end, file_offset;
    uint32_t flags;
    const char *name;               /* a file mapping's path, else NULL */
    bool has_file, dump;
    uint64_t offset;                /* in the core file, when dump */
};

struct thread_notes {
    uint8_t *out;
    size_t at, room_threads;
    struct thread *self;
    int sig;
};

static void note_other_thread(struct thread *t, void *arg)
{
    struct thread_notes *n = arg;
    if (t == n->self || !n->room_threads) return;
    n->room_threads--;
    uint8_t fx[FXSAVE_SIZE];
    fpu_legacy_image(t->fpu, fx);   /* t->fpu may be an XSAVE area */
    n->at += core_note_thread(n->out + n->at, t, n->sig, fx);
}

static size_t count_regions(struct vm *vm)
{
    size_t n = 0;
    uint64_t irq = read_lock_irqsave(&vm->lock);
    for (struct vma *v = vma_first(vm); v; v = vma_next(v))
        if (v->flags & VM_READ) n++;
    read_unlock_irqrestore(&vm->lock, irq);
    return n;
}

static size_t snapshot_regions(struct vm *vm, struct region *r, size_t room)
{
    size_t n = 0;
    uint64_t irq = read_lock_irqsave(&vm->lock);
    for (struct vma *v = vma_first(vm); v && n < room; v = vma_next(v)) {
        if (!(v->flags & VM_READ)) continue;   /* PROT_NONE: reservations, guard pages */
        r[n++] = (struct region){ .start = v->start, .end = v->end, .file_offset = v->file_offset,
                                  .flags = v->flags, .name = v->file ? v->name : NULL, .has_file = v->file != NULL };
    }
    read_unlock_irqrestore(&vm->lock, irq);
    return n;
}

/* A page present and the program's own (not the page cache's, not zeros
 * standing in for a file's hole). */
static bool private_page(uint64_t pte)
{
    return (pte & PTE_P) && !(pte & (PTE_FOREIGN | PTE_HOLE));
}

/* Whether the program wrote into this file mapping: then it is dumped whole. */
static bool file_region_written(uint64_t root, const struct region *r)
{
    uint64_t va = r->start;
    uint64_t *pte;
    while ((pte = page_next(root, &va, r->end))) {
        if (private_page(*pte)) return true;
        va += PAGE_SIZE;
    }
    return false;
}

/* --- the file --- */

struct core_file {
    struct tfs *fs;
    struct tfs_node *node;
    uint64_t limit;                 /* RLIMIT_CORE */
    int error;                      /* the first write error; then nothing more is written */
    bool cut;                       /* stopped at the limit */
};

static void put(struct core_file *cf, uint64_t off, const void *buf, size_t len)
{
    if (cf->error) return;
    if (off >= cf->limit) {
        cf->cut = true;
        return;
    }
    if (len > cf->limit - off) {
        len = cf->limit - off;
        cf->cut = true;
    }
    int64_t w = tfs_write(cf->fs, cf->node, off, buf, len);
    if (w < 0) cf->error = (int)-w;
    else if ((size_t)w < len) cf->error = ENOSPC;
}

static int open_core(const char *path, struct core_file *cf)
{
    struct walk_pos w;
    struct walk_last last;
    walk_root(&w);
    int r = walk_path(&w, path, WALK_PARENT | WALK_FOLLOW, &last);
    if (r < 0) return r;
    if (w.node.pseudo || last.trailing_slash || !last.len) return -EACCES;
    struct tfs_node *n;
    r = tfs_lookup(w.node.fs, w.node.tfs, last.name, last.len, &n);
    if (r == 0) {
        /* Linux replaces an old core; anything but a regular file stays. */
        if ((tfs_mode(n) & S_IFMT) != S_IFREG) return -EEXIST;
        r = tfs_truncate(w.node.fs, n, 0);
    } else if (r == -ENOENT) {
        r = tfs_create(w.node.fs, w.node.tfs, last.name, last.len, 0600, 0, 0, &n);
    }
    if (r < 0) return r;
    cf->fs = w.node.fs;
    cf->node = n;
    return 0;
}

/* A region's pages at its file offset: present ones from memory; in a
 * written file mapping the rest through a user copy, which reads them from
 * the file (past its end the copy fails and a hole is left). */
static void put_region(struct core_file *cf, uint64_t root, const struct region *r, uint8_t *page)
{
    if (r->has_file) {
        for (uint64_t va = r->start; va < r->end && !cf->error; va += PAGE_SIZE) {
            uint64_t *pte = page_lookup(root, va);
            if (pte && (*pte & PTE_P)) {
                if (!(*pte & PTE_HOLE)) put(cf, r->offset + (va - r->start), phys_to_virt(*pte & PTE_ADDR_MASK), PAGE_SIZE);
            } else if (copy_from_user(page, va, PAGE_SIZE) == 0) {
                put(cf, r->offset + (va - r->start), page, PAGE_SIZE);
            }
        }
        return;
    }
    uint64_t va = r->start;
    uint64_t *pte;
    while (!cf->error && (pte = page_next(root, &va, r->end))) {
        if ((*pte & PTE_P) && !(*pte & PTE_HOLE))
            put(cf, r->offset + (va - r->start), phys_to_virt(*pte & PTE_ADDR_MASK), PAGE_SIZE);
        va += PAGE_SIZE;
    }
}

static void say(const char *path, const char *what, int err)
{
    if (err) kprintf("pith: core dump to %s %s (error %d)\n", path, what, err);
    else kprintf("pith: core dump to %s %s\n", path, what);
}

static void write_core(struct process *p, const struct ksiginfo *info, const char *path)
{
    struct heap *h = p->heap;
    struct thread *self = current_thread();
    uint64_t root = p->vm.root;

    stop_other_threads(p, self);
    /* The crashing thread's FPU state is still in the CPU. */
    static uint8_t self_fpu[FXSAVE_SIZE] __attribute__((aligned(16)));
    __asm__ volatile("fxsave64 (%0)" : : "r"(self_fpu) : "memory");

    size_t nthreads = p->live_threads + 1;
    size_t nregions = count_regions(&p->vm);
    if (nregions > PN_LIMIT) nregions = PN_LIMIT;
    size_t regions_bytes = (nregions + 1) * sizeof(struct region);
    struct region *regions = allocate(h, regions_bytes);
    uint8_t *page = allocate(h, PAGE_SIZE);
    if (!regions || !page) {
        say(path, "skipped: out of kernel memory", 0);
        goto out;
    }
    nregions = snapshot_regions(&p->vm, regions, nregions);

    size_t nfiles = 0, names_len = 0;
    for (size_t i = 0; i < nregions; i++)
        if (regions[i].name) {
            nfiles++;
            names_len += strlen(regions[i].name) + 1;
        }
    size_t notes_room = core_notes_max(nthreads, nfiles, names_len);
    size_t ranges_bytes = (nfiles + 1) * sizeof(struct core_file_range);
    uint8_t *notes = allocate(h, notes_room);
    struct core_file_range *ranges = allocate(h, ranges_bytes);
    if (!notes || !ranges) {
        say(path, "skipped: out of kernel memory", 0);
        deallocate(h, notes, notes_room);
        deallocate(h, ranges, ranges_bytes);
        goto out;
    }

    /* Notes: the crashing thread first (gdb's current thread), the others
     * from their saved frames, then the process. */
    struct thread_notes tn = { .out = notes, .self = self, .sig = info->signo, .room_threads = nthreads - 1 };
    tn.at = core_note_thread(notes, self, info->signo, self_fpu);
    process_for_each_thread(p, note_other_thread, &tn);
    size_t notes_len = tn.at + core_note_process(notes + tn.at, p, info);
    size_t nf = 0;
    for (size_t i = 0; i < nregions; i++)
        if (regions[i].name)
            ranges[nf++] = (struct core_file_range){ regions[i].start, regions[i].end, regions[i].file_offset,
                                                     regions[i].name };
    notes_len += core_note_files(notes + notes_len, ranges, nf);

    /* Layout: headers, notes, then each dumped region page aligned. */
    size_t phnum = nregions + 1;
    uint64_t notes_at = sizeof(Elf64_Ehdr) + phnum * sizeof(Elf64_Phdr);
    uint64_t at = ALIGN_UP(notes_at + notes_len, PAGE_SIZE);
    for (size_t i = 0; i < nregions; i++) {
        struct region *r = &regions[i];
        r->dump = !r->has_file || file_region_written(root, r);
        r->offset = at;
        if (r->dump) at += r->end - r->start;
    }
    uint64_t total = at;

    struct core_file cf = { .limit = p->rlimits[RLIMIT_CORE].cur };
    int err = open_core(path, &cf);
    if (err < 0) {
        say(path, "skipped: cannot create the file", -err);
        control_printf("core none %s\n", path);
        goto free_all;
    }

    Elf64_Ehdr eh;
    memset(&eh, 0, sizeof eh);
    memcpy(eh.e_ident, "\177ELF\2\1\1", 7);     /* 64-bit, little-endian, version 1, SysV */
    eh.e_type = ET_CORE;
    eh.e_machine = EM_X86_64;
    eh.e_version = 1;
    eh.e_phoff = sizeof eh;
    eh.e_ehsize = sizeof eh;
    eh.e_phentsize = sizeof(Elf64_Phdr);
    eh.e_phnum = (uint16_t)phnum;
    put(&cf, 0, &eh, sizeof eh);
    Elf64_Phdr ph = { .p_type = PT_NOTE, .p_offset = notes_at, .p_filesz = notes_len, .p_align = 4 };
    put(&cf, sizeof eh, &ph, sizeof ph);
    for (size_t i = 0; i < nregions; i++) {
        const struct region *r = &regions[i];
        uint32_t f = ((r->flags & VM_READ) ? PF_R : 0) | ((r->flags & VM_WRITE) ? PF_W : 0) |
                     ((r->flags & VM_EXEC) ? PF_X : 0);
        ph = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = f, .p_offset = r->offset, .p_vaddr = r->start,
                           .p_filesz = r->dump ? r->end - r->start : 0, .p_memsz = r->end - r->start,
                           .p_align = PAGE_SIZE };
        put(&cf, sizeof eh + (i + 1) * sizeof ph, &ph, sizeof ph);
    }
    put(&cf, notes_at, notes, notes_len);
    for (size_t i = 0; i < nregions && !cf.error; i++)
        if (regions[i].dump) put_region(&cf, root, &regions[i], page);
    /* Untouched memory at the end is a hole too: the file gets its full size. */
    if (!cf.error) {
        int r = tfs_truncate(cf.fs, cf.node, MIN(total, cf.limit));
        if (r < 0) cf.error = -r;
    }

    /* Made durable now rather than by the shutdown's sync: the host is told
     * of a core only once it is on the disk (a failing disk loses it). */
    int synced = tfs_sync(cf.fs);
    if (synced < 0) {
        say(path, "lost: writing it to the disk failed", -synced);
        control_printf("core none %s\n", path);
        goto free_all;
    }
    bool whole = !cf.error && !cf.cut;
    if (cf.error == ENOSPC) say(path, "cut short: the disk is full", 0);
    else if (cf.error) say(path, "cut short by a write error", cf.error);
    else if (cf.cut) say(path, "cut short at RLIMIT_CORE", 0);
    if (kernel.trace)
        kprintf("[trace] core: signal %d, %zu threads, %zu regions, %lu bytes%s to %s\n", info->signo,
                nthreads - tn.room_threads, nregions, (unsigned long)MIN(total, cf.limit), whole ? "" : " (partial)",
                path);
    control_printf("core %s %s\n", whole ? "complete" : "partial", path);

free_all:
    deallocate(h, notes, notes_room);
    deallocate(h, ranges, ranges_bytes);
out:
    deallocate(h, regions, regions_bytes);
    deallocate(h, page, PAGE_SIZE);
}

void process_exit_core(const struct ksiginfo *info)
{
    struct thread *t = current_thread();
    struct process *p = t ? t->proc : NULL;
    int sig = info->signo;
    if (p && dumps_core(sig)) {
        /* One core: a thread crashing while another dumps waits to be powered off. */
        if (__atomic_exchange_n(&dumping, 1, __ATOMIC_ACQ_REL)) park_forever();
        const char *path = core_path(p);
        uint64_t limit = p->rlimits[RLIMIT_CORE].cur;
        if (!path) {
            if (kernel.trace) kprintf("[trace] core: off (the image's core setting is none)\n");
        } else if (limit < PAGE_SIZE) {
            /* Linux writes nothing below one page either. */
            if (kernel.trace) kprintf("[trace] core: not written, RLIMIT_CORE is %lu\n", (unsigned long)limit);
        } else {
            write_core(p, info, path);
        }
    }
    process_exit_signal(sig);
}
