#include "loader.h"
#include "elf.h"
#include "layout.h"
#include "../kernel/process.h"
#include "../kernel/mm.h"
#include "../kernel/cpu.h"
#include "../kernel/usercopy.h"
#include "../kernel/io.h"
#include "../kernel/clock.h"
#include "../kernel/coredump.h"
#include "../kernel/signal.h"
#include "../fs/tfs.h"
#include "../fs/vfs.h"
#include "../fs/walk.h"
#include "../klib/errno.h"
#include "../klib/format.h"
#include "../klib/string.h"

#define STACK_SIZE LAYOUT_STACK_SIZE

enum {
    AT_NULL = 0, AT_PHDR = 3, AT_PHENT = 4, AT_PHNUM = 5, AT_PAGESZ = 6, AT_BASE = 7,
    AT_FLAGS = 8, AT_ENTRY = 9, AT_UID = 11, AT_EUID = 12, AT_GID = 13, AT_EGID = 14,
    AT_PLATFORM = 15, AT_HWCAP = 16, AT_CLKTCK = 17, AT_SECURE = 23, AT_RANDOM = 25,
    AT_HWCAP2 = 26, AT_EXECFN = 31, AT_SYSINFO_EHDR = 33, AT_MINSIGSTKSZ = 51,
};

struct mapped_elf {
    struct elf_image img;
    uint64_t base;
};

static uint32_t segment_flags(uint32_t pf)
{
    return ((pf & PF_R) ? VM_READ : 0) | ((pf & PF_W) ? VM_WRITE : 0) | ((pf & PF_X) ? VM_EXEC : 0);
}

/* Copy file bytes [off, off+len) to the program's address va, through the
 * kernel's view: the program's page may be read-only. */
static int copy_file_to_user(struct process *p, struct tfs_node *node, uint64_t off, uint64_t va, uint64_t len)
{
    while (len) {
        uint64_t chunk = MIN(len, PAGE_SIZE - (va & (PAGE_SIZE - 1)));
        void *k = vm_page_for_kernel_write(&p->vm, va);
        if (!k) return -ENOMEM;
        int64_t r = tfs_read(p->fs, node, off, k, chunk);
        if (r < 0) return (int)r;
        if ((uint64_t)r != chunk) return -EIO;
        va += chunk;
        off += chunk;
        len -= chunk;
    }
    return 0;
}

static int open_elf(struct process *p, const char *path, struct tfs_node **node, struct elf_image *img,
                    char *err, size_t errlen)
{
    /* Programs and interpreters are read from the image: a path that leads
     * onto a volume or a synthetic tree names nothing the loader can map. */
    static struct walk_pos pos;   /* the boot stack is small; the loader runs once */
    pos.node = (struct vnode){ .fs = p->cwd_fs, .tfs = p->cwd, .pseudo = p->cwd_pseudo, .mem = p->cwd_mem };
    memcpy(pos.path, p->cwd_path, strlen(p->cwd_path) + 1);
    int r = walk_path(&pos, path, WALK_FOLLOW, NULL);
    if (r == 0 && (pos.node.pseudo || pos.node.fs != p->fs)) r = -ENOENT;
    *node = pos.node.tfs;
    if (r < 0) {
        format_sn(err, errlen, "%s: %s", path, r == -ENOENT ? "no such file in the image" : "cannot open");
        return r;
    }
    struct tfs_stat st;
    tfs_stat(*node, &st);
    if ((st.mode & 0170000) != 0100000) {
        format_sn(err, errlen, "%s: not a regular file", path);
        return -EACCES;
    }
    static unsigned char buf[sizeof(Elf64_Phdr) * ELF_MAX_PHNUM];
    char why[128];
    Elf64_Ehdr eh;
    int64_t n = tfs_read(p->fs, *node, 0, buf, sizeof(Elf64_Ehdr));
    if (n < 0 || elf_check_header(buf, (size_t)n, st.size, &eh, why, sizeof why) < 0) {
        format_sn(err, errlen, "%s: %s", path, n < 0 ? "read error" : why);
        return -ENOEXEC;
    }
    size_t phlen = eh.e_phnum * sizeof(Elf64_Phdr);
    n = tfs_read(p->fs, *node, eh.e_phoff, buf, phlen);
    if (n != (int64_t)phlen || elf_check_phdrs(&eh, buf, phlen, st.size, img, why, sizeof why) < 0) {
        format_sn(err, errlen, "%s: %s", path, n != (int64_t)phlen ? "program headers unreadable" : why);
        return -ENOEXEC;
    }
    return 0;
}

static int map_segments(struct process *p, struct tfs_node *node, struct file *f, struct mapped_elf *m,
                        const char *path, char *err, size_t errlen)
{
    uint64_t base = m->base, prev_end = 0;
    for (int i = 0; i < m->img.ehdr.e_phnum; i++) {
        const Elf64_Phdr *ph = &m->img.phdrs[i];
        if (ph->p_type != PT_LOAD || !ph->p_memsz) continue;
        uint32_t flags = segment_flags(ph->p_flags);
        if ((flags & VM_WRITE) && (flags & VM_EXEC)) {
            format_sn(err, errlen, "%s: segment %d is both writable and executable", path, i);
            return -ENOEXEC;
        }
        uint64_t start = ALIGN_DOWN(base + ph->p_vaddr, PAGE_SIZE);
        uint64_t end = ALIGN_UP(base + ph->p_vaddr + ph->p_memsz, PAGE_SIZE);
        if (end > USER_TOP || end <= start) {
            format_sn(err, errlen, "%s: segment %d outside the user address space", path, i);
            return -ENOEXEC;
        }
        /* Segments may share a page at their boundary: it stays the earlier one's. */
        uint64_t map_from = MAX(start, prev_end);
        if (map_from < end) {
            struct vm_source src = { .file = f, .offset = ALIGN_DOWN(ph->p_offset, PAGE_SIZE) + (map_from - start),
                                     .file_end = base + ph->p_vaddr + ph->p_filesz };
            int r = vm_map_from(&p->vm, map_from, end - map_from, flags, &src);
            if (r < 0) {
                format_sn(err, errlen, "%s: out of memory mapping segment %d", path, i);
                return r;
            }
        }
        if (start < prev_end) {
            struct vma *shared = vm_find(&p->vm, start);
            uint32_t both = (shared ? shared->flags : 0) | flags;
            if ((both & VM_WRITE) && (both & VM_EXEC)) both &= ~VM_EXEC;
            vm_protect(&p->vm, start, PAGE_SIZE, both);
        }
        if (start < prev_end && ph->p_filesz) {
            uint64_t va = base + ph->p_vaddr;
            int r = copy_file_to_user(p, node, ph->p_offset, va, MIN(ph->p_filesz, start + PAGE_SIZE - va));
            if (r < 0) {
                format_sn(err, errlen, r == -ENOMEM ? "%s: out of memory loading segment %d (give the machine more with -m)"
                                                    : "%s: cannot read segment %d", path, i);
                return r;
            }
        }
        prev_end = end;
    }
    return 0;
}

/* Map the PT_LOAD segments of the file at `base`. Nothing is read here: a
 * segment's pages fill from the file on first touch, sharing the page cache
 * where a page is all file (kernel/vm_fault.c). Only a page two segments
 * share is filled now, since one region cannot fill it from two places. */
static int map_elf(struct process *p, struct tfs_node *node, struct mapped_elf *m, uint64_t base,
                   const char *path, char *err, size_t errlen)
{
    m->base = base;
    struct file *f = tfs_file_open(p->heap, p->fs, node, O_RDONLY);
    if (!f) {
        format_sn(err, errlen, "%s: out of memory opening it", path);
        return -ENOMEM;
    }
    f->path = name_intern(path);
    int r = map_segments(p, node, f, m, path, err, errlen);
    file_put(f);   /* the regions hold their own references */
    return r;
}
/* The vDSO image built from syscalls/vdso/ and embedded by vdso_blob.S. */
extern const char vdso_image[], vdso_image_end[];

/* Map [vvar] (the kernel's clock page, shared and read-only) and right above
 * it a private copy of the vDSO, which finds the clock page one page below
 * its own base. Returns the vDSO's base (for AT_SYSINFO_EHDR). */
static int map_vdso(struct process *p, uint64_t *base_out, char *err, size_t errlen)
{
    uint64_t size = (uint64_t)(vdso_image_end - vdso_image);
    uint64_t text = ALIGN_UP(size, PAGE_SIZE);
    uint64_t clock_pa = clock_vdso_page();
    uint64_t at = clock_pa ? vm_find_free(&p->vm, PAGE_SIZE + text) : 0;
    if (!at) {
        format_sn(err, errlen, "out of memory for the vDSO");
        return -ENOMEM;
    }
    int r = vm_map_kernel_page(&p->vm, at, clock_pa, VM_READ, name_intern("[vvar]"));
    struct vm_source vdso = { .name = name_intern("[vdso]") };
    if (r == 0) r = vm_map_from(&p->vm, at + PAGE_SIZE, text, VM_READ | VM_EXEC, &vdso);
    for (uint64_t off = 0; r == 0 && off < size; off += PAGE_SIZE) {
        void *k = vm_page_for_kernel_write(&p->vm, at + PAGE_SIZE + off);
        if (k) memcpy(k, vdso_image + off, MIN(PAGE_SIZE, size - off));
        else r = -ENOMEM;
    }
    if (r < 0) {
        format_sn(err, errlen, "out of memory for the vDSO");
        return r;
    }
    *base_out = at + PAGE_SIZE;
    return 0;
}

/* Everything above the stack pointer at entry, built in a kernel buffer
 * first and copied out in one go. */
struct stack_builder {
    uint64_t top;       /* user address of the end of the string area */
    uint64_t cursor;    /* next free byte going down */
    bool overflow;
};

static uint64_t push_bytes(struct process *p, struct stack_builder *sb, const void *data, size_t len)
{
    if (sb->top - sb->cursor + len > STACK_SIZE / 4) {
        sb->overflow = true;
        return 0;
    }
    sb->cursor -= len;
    if (copy_to_user(sb->cursor, data, len) < 0) sb->overflow = true;
    return sb->cursor;
}

static uint64_t push_string(struct process *p, struct stack_builder *sb, const char *s)
{
    return push_bytes(p, sb, s, strlen(s) + 1);
}

static int build_stack(struct process *p, const struct program_args *args, const struct mapped_elf *prog,
                       const struct mapped_elf *interp, uint64_t vdso_base, uint64_t stack_top,
                       uint64_t random_offset, uint64_t *sp_out)
{
    struct stack_builder sb = { stack_top, stack_top, false };
    uint64_t zero = 0;
    push_bytes(p, &sb, &zero, sizeof zero);
    uint64_t execfn = push_string(p, &sb, args->path);
    uint64_t argv_ptrs[args->argc + 1], envp_ptrs[args->envc + 1];
    for (int i = args->envc - 1; i >= 0; i--) envp_ptrs[i] = push_string(p, &sb, args->envp[i]);
    for (int i = args->argc - 1; i >= 0; i--) argv_ptrs[i] = push_string(p, &sb, args->argv[i]);
    argv_ptrs[args->argc] = envp_ptrs[args->envc] = 0;
    uint64_t platform = push_string(p, &sb, "x86_64");
    uint64_t rnd[2] = { cpu_random64(), cpu_random64() };
    uint64_t at_random = push_bytes(p, &sb, rnd, sizeof rnd);

    uint64_t phdr = prog->img.phdr_vaddr ? prog->base + prog->img.phdr_vaddr : 0;
    if (!phdr) phdr = push_bytes(p, &sb, prog->img.phdrs, prog->img.ehdr.e_phnum * sizeof(Elf64_Phdr));
    /* As Linux: the pointer arrays and the program's stack start a random
     * distance below the strings (layout.h's stack_offset). */
    sb.cursor = ALIGN_DOWN(sb.cursor - random_offset, 16ul);

    uint32_t id[4];
    cpuid(1, 0, id);
    uint64_t auxv[][2] = {
        { AT_PHDR, phdr },
        { AT_PHENT, sizeof(Elf64_Phdr) },
        { AT_PHNUM, prog->img.ehdr.e_phnum },
        { AT_PAGESZ, PAGE_SIZE },
        { AT_BASE, interp ? interp->base : 0 },
        { AT_FLAGS, 0 },
        { AT_ENTRY, prog->base + prog->img.ehdr.e_entry },
        { AT_UID, 0 }, { AT_EUID, 0 }, { AT_GID, 0 }, { AT_EGID, 0 },
        { AT_SECURE, 0 },
        { AT_HWCAP, id[3] },
        { AT_HWCAP2, 0 },
        { AT_CLKTCK, 100 },
        { AT_RANDOM, at_random },
        { AT_PLATFORM, platform },
        { AT_EXECFN, execfn },
        { AT_MINSIGSTKSZ, signal_min_stack_size() },   /* grows with the XSAVE area */
        { AT_SYSINFO_EHDR, vdso_base },
        { AT_NULL, 0 },
    };
    size_t words = 1 + (args->argc + 1) + (args->envc + 1) + 2 * ARRAY_SIZE(auxv);
    if (words & 1) sb.cursor -= 8;    /* the stack pointer at entry is 16-byte aligned */
    push_bytes(p, &sb, auxv, sizeof auxv);
    coredump_remember_auxv(auxv, sizeof auxv);
    push_bytes(p, &sb, envp_ptrs, sizeof envp_ptrs);
    push_bytes(p, &sb, argv_ptrs, sizeof argv_ptrs);
    uint64_t argc = (uint64_t)args->argc;
    uint64_t sp = push_bytes(p, &sb, &argc, sizeof argc);
    if (sb.overflow) return -E2BIG;
    *sp_out = sp;
    return 0;
}

int program_load(struct process *p, const struct program_args *args, struct loaded_program *out,
                 char *err, size_t errlen)
{
    struct mapped_elf prog, interp;
    struct tfs_node *node, *inode = NULL;
    int r = open_elf(p, args->path, &node, &prog.img, err, errlen);
    if (r < 0) return r;

    struct layout lay;
    layout_from_seed(args->layout_seed ? args->layout_seed : cpu_random64(), &lay);
    uint64_t stack_top = lay.stack_top;
    p->vm.mmap_top = lay.mmap_top;
    r = vm_map(&p->vm, stack_top - STACK_SIZE, STACK_SIZE, VM_READ | VM_WRITE | VM_STACK);
    if (r < 0) {
        format_sn(err, errlen, "out of memory for the stack");
        return r;
    }

    uint64_t base = 0;
    if (prog.img.ehdr.e_type == ET_DYN) base = lay.pie_base - prog.img.lowest_vaddr;
    r = map_elf(p, node, &prog, base, args->path, err, errlen);
    if (r < 0) return r;

    out->entry = base + prog.img.ehdr.e_entry;
    out->load_base = base;
    out->interp_base = 0;
    if (prog.img.interp_index >= 0) {
        const Elf64_Phdr *ph = &prog.img.phdrs[prog.img.interp_index];
        char ipath[4097];
        int64_t n = tfs_read(p->fs, node, ph->p_offset, ipath, ph->p_filesz);
        if (n != (int64_t)ph->p_filesz || ipath[n - 1] != 0) {
            format_sn(err, errlen, "%s: bad interpreter path", args->path);
            return -ENOEXEC;
        }
        r = open_elf(p, ipath, &inode, &interp.img, err, errlen);
        if (r < 0) return r;
        if (interp.img.ehdr.e_type != ET_DYN) {
            format_sn(err, errlen, "%s: interpreter is not position-independent", ipath);
            return -ENOEXEC;
        }
        uint64_t span = interp.img.highest_vaddr - interp.img.lowest_vaddr;
        uint64_t at = vm_find_free(&p->vm, span);
        if (!at) {
            format_sn(err, errlen, "%s: no room for the interpreter", ipath);
            return -ENOMEM;
        }
        r = map_elf(p, inode, &interp, at - interp.img.lowest_vaddr, ipath, err, errlen);
        if (r < 0) return r;
        out->interp_base = interp.base;
        out->entry = interp.base + interp.img.ehdr.e_entry;
    }
    uint64_t end = ALIGN_UP(base + prog.img.highest_vaddr, PAGE_SIZE);
    p->vm.brk_start = p->vm.brk = end + lay.brk_gap;
    p->text_nodes[0] = node;
    p->text_nodes[1] = inode;

    /* After the interpreter, so its address stays the one the layout seed predicts. */
    uint64_t vdso_base;
    r = map_vdso(p, &vdso_base, err, errlen);
    if (r < 0) return r;

    r = build_stack(p, args, &prog, inode ? &interp : NULL, vdso_base, stack_top, lay.stack_offset, &out->stack_pointer);
    if (r < 0) {
        format_sn(err, errlen, "arguments and environment too large for the stack");
        return r;
    }
    return 0;
}
