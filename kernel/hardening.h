/* The program's exploit mitigations, chosen in the image's boot config
 * (manifest `option no-wx | readonly-program | exec-protection`, pith.json,
 * `pith run --no-wx ...`; fs/tfs.h's TFS_CONFIG_* bits). Off by default:
 * JITs need memory that becomes executable, and some programs rewrite their
 * own files. Every refusal is EACCES, what a Linux security module that
 * forbids the same thing (SELinux's execmem, IMA) gives the program.
 *
 * "Executable file" below means a regular TFS file with an execute bit in
 * its mode: what the image marked so (the program always; with either file
 * option `pith` gives the libraries it collects their x bits too). */
#pragma once
#include "../klib/types.h"

struct vnode;
struct file;
struct vm;

#define HARDEN_NO_WX 1u              /* TFS_CONFIG_NO_WX */
#define HARDEN_READONLY_PROGRAM 2u   /* TFS_CONFIG_READONLY_PROGRAM */
#define HARDEN_EXEC_PROTECTION 4u    /* TFS_CONFIG_EXEC_PROTECTION: implies the other two */

/* Take the boot config's flags; called once the kernel has loaded the
 * program, so its own mappings of the program and interpreter are not
 * judged. Until then every check passes. */
void hardening_start(uint32_t tfs_config_flags);
uint32_t hardening_flags(void);

/* mmap: may a new mapping with these VM_* flags (of file f, or anonymous
 * when f is NULL) be made? 0 or -EACCES. */
int hardening_check_map(uint32_t vmflags, struct file *f);
/* mprotect of one region (called under vm->lock for each region in the
 * range): its current VM_* flags, its file, and the protection asked. */
int hardening_check_protect(uint32_t region_flags, struct file *f, uint32_t prot);
/* Bits a region keeps beyond its protection: VM_WAS_WRITABLE once it has
 * been writable, under exec-protection (else 0, so regions still merge as
 * on Linux). */
uint32_t hardening_sticky_bits(uint32_t vmflags);

/* The program exits: under no-wx, walk its page tables (both halves) as
 * the boot does, so a W+X page that got past the checks above panics
 * naming it instead of passing unseen (kernel/paging_audit.c). */
void hardening_audit_at_exit(struct vm *vm);

/* Is v a file the program may not change (readonly-program or
 * exec-protection, and v an executable file)? The open-for-write,
 * truncate, unlink, rename and chmod paths ask it and give EACCES. */
bool hardening_file_locked(const struct vnode *v);
/* chmod to `mode` of v: -EACCES if it would change a locked file, or give a
 * regular file an execute bit under exec-protection. */
int hardening_check_chmod(const struct vnode *v, uint32_t mode);
/* The permission bits a new regular file gets: under exec-protection the
 * execute bits are cleared (no file the program writes ever runs). */
uint32_t hardening_create_mode(uint32_t mode);
