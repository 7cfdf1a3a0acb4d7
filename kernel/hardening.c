/* The program's exploit mitigations (hardening.h): the rules in one place,
 * asked by mmap/mprotect (kernel/vm.c, syscalls/sys_mem.c) and the paths
 * that change files (syscalls/sys_fs.c, sys_fs_change.c). */
#include "hardening.h"
#include "vm.h"
#include "paging.h"
#include "../fs/tfs.h"
#include "../fs/vfs.h"
#include "../fs/walk.h"
#include "../klib/errno.h"

#define S_IFMT 0170000
#define S_IFREG 0100000
#define EXEC_BITS 0111u

/* Written once, before the program's first instruction; read after. */
static uint32_t active;

void hardening_start(uint32_t cfg)
{
    uint32_t f = 0;
    if (cfg & TFS_CONFIG_NO_WX) f |= HARDEN_NO_WX;
    if (cfg & TFS_CONFIG_READONLY_PROGRAM) f |= HARDEN_READONLY_PROGRAM;
    if (cfg & TFS_CONFIG_EXEC_PROTECTION) f |= HARDEN_EXEC_PROTECTION | HARDEN_NO_WX | HARDEN_READONLY_PROGRAM;
    active = f;
}

uint32_t hardening_flags(void) { return active; }

void hardening_audit_at_exit(struct vm *vm)
{
    if (!(active & HARDEN_NO_WX)) return;
    /* Read-locked: threads still faulting pages in only add entries; no
     * table goes away under the walk. */
    uint64_t flags = read_lock_irqsave(&vm->lock);
    paging_audit(vm->root, true);
    read_unlock_irqrestore(&vm->lock, flags);
}

static bool executable_tfs_file(struct file *f)
{
    return f && f->node && file_is_tfs(f) && (tfs_mode(f->node) & S_IFMT) == S_IFREG && (tfs_mode(f->node) & EXEC_BITS);
}

int hardening_check_map(uint32_t vmflags, struct file *f)
{
    if ((active & HARDEN_NO_WX) && (vmflags & VM_WRITE) && (vmflags & VM_EXEC)) return -EACCES;
    /* Anonymous memory, /dev/shm and memfd files, and files without an x
     * bit hold bytes the program chose: they never run. */
    if ((active & HARDEN_EXEC_PROTECTION) && (vmflags & VM_EXEC) && !executable_tfs_file(f)) return -EACCES;
    return 0;
}

int hardening_check_protect(uint32_t region_flags, struct file *f, uint32_t prot)
{
    if ((active & HARDEN_NO_WX) && (prot & VM_WRITE) && (prot & VM_EXEC)) return -EACCES;
    if ((active & HARDEN_EXEC_PROTECTION) && (prot & VM_EXEC) && !(region_flags & VM_EXEC)) {
        /* Becoming executable: only pages of an executable file that were
         * never writable (a private copy may hold the program's bytes). */
        if (!executable_tfs_file(f) || (region_flags & (VM_WRITE | VM_WAS_WRITABLE))) return -EACCES;
    }
    return 0;
}

uint32_t hardening_sticky_bits(uint32_t vmflags)
{
    return (active & HARDEN_EXEC_PROTECTION) && (vmflags & VM_WRITE) ? VM_WAS_WRITABLE : 0;
}

bool hardening_file_locked(const struct vnode *v)
{
    if (!(active & HARDEN_READONLY_PROGRAM) || !v->tfs || v->pseudo || v->mem) return false;
    uint32_t mode = tfs_mode(v->tfs);
    return (mode & S_IFMT) == S_IFREG && (mode & EXEC_BITS);
}

int hardening_check_chmod(const struct vnode *v, uint32_t mode)
{
    if (hardening_file_locked(v)) return -EACCES;
    bool regular = v->tfs && !v->pseudo && !v->mem && (tfs_mode(v->tfs) & S_IFMT) == S_IFREG;
    if ((active & HARDEN_EXEC_PROTECTION) && regular && (mode & EXEC_BITS)) return -EACCES;
    return 0;
}

uint32_t hardening_create_mode(uint32_t mode)
{
    return (active & HARDEN_EXEC_PROTECTION) ? mode & ~EXEC_BITS : mode;
}
