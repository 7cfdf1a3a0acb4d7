/* Which CPUs a thread may run on, and which it runs on: sched_setaffinity,
 * sched_getaffinity, getcpu, and membarrier (whose expedited form needs
 * every CPU to pass a barrier). The kernel's masks are one 64-bit word
 * (KERNEL_MAX_CPUS); Linux's user mask is an array of longs, of which the
 * first carries everything here. */
#include "syscalls.h"
#include "../kernel/sched.h"
#include "../kernel/process.h"
#include "../kernel/percpu.h"
#include "../kernel/kernel.h"
#include "../kernel/tlb.h"
#include "../kernel/usercopy.h"
#include "../klib/errno.h"

/* The bytes of Linux's cpumask_size() for our CPU count: whole longs. */
static size_t mask_bytes(void) { return (kernel.ncpus + 63) / 64 * 8; }

/* pid 0 is the caller; otherwise any thread of the process by its id (the
 * process id is its main thread's). With a reference: put_target it. */
static struct thread *target_thread(int pid)
{
    if (pid < 0) return NULL;
    return process_thread_get(current_process(), pid == 0 ? current_thread()->tid : pid);
}

long sys_sched_setaffinity(int pid, uint64_t len, uint64_t user_mask)
{
    uint64_t mask = 0;
    /* Linux reads what it is given, up to its own mask's size; a shorter
     * mask means the CPUs past it are not allowed. */
    size_t n = len < sizeof mask ? len : sizeof mask;
    if (copy_from_user(&mask, user_mask, n) < 0) return -EFAULT;
    if (pid < 0) return -ESRCH;
    struct thread *t = target_thread(pid);
    if (!t) return -ESRCH;
    mask &= sched_online_mask();
    if (mask) sched_set_affinity(t, mask);
    thread_put(t);
    return mask ? 0 : -EINVAL;
}

long sys_sched_getaffinity(int pid, uint64_t len, uint64_t user_mask)
{
    size_t bytes = mask_bytes();
    if (len * 8 < kernel.ncpus || (len & 7)) return -EINVAL;
    if (pid < 0) return -ESRCH;
    struct thread *t = target_thread(pid);
    if (!t) return -ESRCH;
    uint64_t mask = __atomic_load_n(&t->affinity, __ATOMIC_RELAXED) & sched_online_mask();
    thread_put(t);
    return copy_to_user(user_mask, &mask, bytes) < 0 ? -EFAULT : (long)bytes;
}

long sys_getcpu(uint64_t cpu, uint64_t node, uint64_t cache)
{
    (void)cache;
    uint32_t zero = 0, id = this_cpu()->id;
    if (cpu && copy_to_user(cpu, &id, 4) < 0) return -EFAULT;
    if (node && copy_to_user(node, &zero, 4) < 0) return -EFAULT;
    return 0;
}

#define MEMBARRIER_CMD_QUERY 0
#define MEMBARRIER_CMD_GLOBAL 1
#define MEMBARRIER_CMD_PRIVATE_EXPEDITED 8
#define MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED 16

long sys_membarrier(int cmd, unsigned flags, int cpu_id)
{
    (void)cpu_id;
    const long supported = MEMBARRIER_CMD_GLOBAL | MEMBARRIER_CMD_PRIVATE_EXPEDITED |
                           MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED;
    if (flags) return -EINVAL;
    switch (cmd) {
    case MEMBARRIER_CMD_QUERY: return supported;
    case MEMBARRIER_CMD_GLOBAL:
    case MEMBARRIER_CMD_PRIVATE_EXPEDITED:
        /* Every other CPU takes an interrupt (a full barrier) and answers
         * before we return: the shootdown's round trip with nothing to flush. */
        __asm__ volatile("mfence" ::: "memory");
        tlb_shootdown_range(0, 0);
        return 0;
    case MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED: return 0;
    default: return -EINVAL;
    }
}
