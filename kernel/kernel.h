/* The one kernel context: what the kernel knows about the machine and the
 * program it runs. Everything else is per-CPU or passed explicitly. */
#pragma once
#include "../klib/types.h"
#include "../klib/heap.h"
#include "../klib/intern.h"
#include "spinlock.h"
#include "../fs/locks.h"
#include "../fs/mounts.h"

struct blockdev;
struct tfs;
struct process;
struct cpu;

#define KERNEL_MAX_CPUS 64

struct kernel {
    struct heap *heap;              /* general-purpose kernel heap */
    struct blockdev *root_disk;
    struct tfs *root_fs;
    struct process *process;        /* the one program */
    uint32_t ncpus;                 /* online, numbered 0..ncpus-1 */
    struct cpu *cpus[KERNEL_MAX_CPUS];
    uint64_t idle_cpus;             /* halted in their idle loop (kernel/sched.c) */
    bool trace;                     /* strace-style syscall log */
    uint64_t boot_tsc;
    struct spinlock names_lock;
    struct intern_table names;      /* paths of open and mapped files */
    struct file_lock_table locks;   /* flock and fcntl locks */
    struct mount_table mounts;      /* volumes beside the root */
};

extern struct kernel kernel;
