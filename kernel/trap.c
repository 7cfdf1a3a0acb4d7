/* What happens when the CPU traps: exceptions from the program become the
 * signal Linux would send (a handler's, or the default: exit 128+signal);
 * exceptions in the kernel are bugs and panic; interrupts go to drivers. */
#include "trap.h"
#include "sched.h"
#include "percpu.h"
#include "panic.h"
#include "console.h"
#include "vm.h"
#include "process.h"
#include "mm.h"
#include "usercopy.h"
#include "signal.h"
#include "coredump.h"
#include "cpu.h"
#include "../klib/errno.h"
#include "../syscalls/syscalls.h"

void irq_dispatch(int vector);

static const char *const exception_names[32] = {
    "divide error", "debug", "NMI", "breakpoint", "overflow", "bound range",
    "invalid opcode", "device not available", "double fault", "coprocessor overrun",
    "invalid TSS", "segment not present", "stack fault", "general protection",
    "page fault", "reserved", "x87 floating point", "alignment check", "machine check",
    "SIMD floating point", "virtualization", "control protection",
};


static int signal_for_exception(uint64_t vector)
{
    switch (vector) {
    case 0: case 16: case 19: return SIGFPE;
    case 1: case 3: return SIGTRAP;
    case 6: return SIGILL;
    case 17: return SIGBUS;
    default: return SIGSEGV;
    }
}

static uint64_t read_cr2(void)
{
    uint64_t v;
    __asm__ volatile("mov %%cr2, %0" : "=r"(v));
    return v;
}

void trap_dump(const struct trap_frame *f)
{
    kprintf("  rip %016lx  rsp %016lx  rflags %08lx  cs %lx  ss %lx\n", f->rip, f->rsp, f->rflags, f->cs, f->ss);
    kprintf("  rax %016lx  rbx %016lx  rcx %016lx  rdx %016lx\n", f->rax, f->rbx, f->rcx, f->rdx);
    kprintf("  rsi %016lx  rdi %016lx  rbp %016lx  r8  %016lx\n", f->rsi, f->rdi, f->rbp, f->r8);
    kprintf("  r9  %016lx  r10 %016lx  r11 %016lx  r12 %016lx\n", f->r9, f->r10, f->r11, f->r12);
    kprintf("  r13 %016lx  r14 %016lx  r15 %016lx  err %lx\n", f->r13, f->r14, f->r15, f->error);
}

#define PF_PRESENT 1ul
#define PF_FETCH 16ul
#define KERNEL_HALF_START 0xffff800000000000ul

static NORETURN void kernel_fault(struct trap_frame *f, uint64_t cr2, const char *why)
{
    const char *name = f->vector < 32 && exception_names[f->vector] ? exception_names[f->vector] : "exception";
    kprintf("\npith: kernel %s (vector %lu)", name, f->vector);
    if (f->vector == 14) kprintf(" at address %lx", cr2);
    if (why) kprintf(": %s", why);
    kprintf("\n");
    trap_dump(f);
    /* A fetch fault is taken at the call's target, before it pushed
     * anything: its caller's return address is on top of the stack. */
    if (f->vector == 14 && (f->error & PF_FETCH) && f->rsp >= KERNEL_HALF_START && !(f->rsp & 7)) {
        kprintf("  called from:\n");
        backtrace_print(f->rbp, *(uint64_t *)f->rsp);
    } else {
        backtrace_print(f->rbp, f->rip);
    }
    machine_exit(EXIT_KERNEL_PANIC);
}

/* A fault the kernel took on a present program page while RFLAGS.AC was
 * clear: SMAP refused an access that did not come through usercopy. No page
 * fill can cure it, so treating it as a fault to retry would spin forever. */
#define RFLAGS_AC (1ul << 18)
static bool kernel_touch_forbidden(const struct trap_frame *f)
{
    return smap_enabled && (f->error & PF_PRESENT) && !(f->error & PF_FETCH) && !(f->rflags & RFLAGS_AC);
}

/* A fetch by the kernel from the program's half: never on purpose. SMEP
 * refuses it on a present page; an absent one must not be filled either. */
static const char *kernel_fetch_forbidden(const struct trap_frame *f)
{
    if (!(f->error & PF_FETCH)) return NULL;
    return cpu_features.smep && (f->error & PF_PRESENT) ? "SMEP: the kernel tried to run a user page"
                                                        : "the kernel jumped into the program's half";
}

/* si_code and si_addr of a fault, as Linux fills them. */
static int fault_code(const struct trap_frame *f, int sig, uint64_t cr2, uint64_t *addr)
{
    *addr = f->rip;
    switch (f->vector) {
    case 0: return FPE_INTDIV;
    case 19: case 16: {
        uint32_t st = 0;
        if (f->vector == 19) __asm__ volatile("stmxcsr %0" : "=m"(st));
        else __asm__ volatile("fnstsw %w0" : "=a"(st));
        return (st & 1) ? FPE_FLTINV : (st & 4) ? FPE_FLTDIV : (st & 8) ? FPE_FLTOVF
             : (st & 16) ? FPE_FLTUND : (st & 32) ? FPE_FLTRES : 0;
    }
    case 1: return TRAP_TRACE;
    case 6: return ILL_ILLOPN;
    case 17: *addr = cr2; return BUS_ADRALN;
    case 14: {
        *addr = cr2;
        /* Access to a mapped region it may not touch vs nothing there. */
        struct vm *vm = kernel.process ? process_vm(kernel.process) : NULL;
        return (f->error & 1) || (vm && cr2 < USER_TOP && vm_range_mapped(vm, cr2 & ~(PAGE_SIZE - 1), PAGE_SIZE))
                   ? SEGV_ACCERR : SEGV_MAPERR;
    }
    default:
        (void)sig;
        *addr = 0;
        return SI_KERNEL;   /* general protection, int3 */
    }
}

static void user_fault(struct trap_frame *f, uint64_t cr2)
{
    int sig = signal_for_exception(f->vector);
    uint64_t addr;
    int code = fault_code(f, sig, cr2, &addr);
    if (signal_fault(sig, code, addr, f)) return;   /* a handler takes it on the way out */
    const char *name = exception_names[f->vector] ? exception_names[f->vector] : "exception";
    if (f->vector == 14)
        kprintf("pith: segmentation fault: %s of address %lx at ip %lx\n",
                (f->error & 2) ? "write" : (f->error & 16) ? "execute" : "read", cr2, f->rip);
    else
        kprintf("pith: %s at ip %lx (signal %d)\n", name, f->rip, sig);
    process_exit_core(&(struct ksiginfo){ .signo = sig, .code = code, .w2 = addr });
}

/* The legacy vsyscall page: old static binaries call fixed addresses in it.
 * Nothing is mapped there, so the call faults on the instruction fetch; we
 * do what the entry would have done and return to the caller, as Linux's
 * vsyscall emulation does. True if handled. */
#define VSYSCALL_BASE 0xffffffffff600000ul

static bool emulate_vsyscall(struct trap_frame *f, uint64_t cr2)
{
    if (f->vector != 14 || f->rip != cr2 || cr2 < VSYSCALL_BASE || cr2 >= VSYSCALL_BASE + PAGE_SIZE) return false;
    long r;
    switch (cr2 - VSYSCALL_BASE) {
    case 0x000: r = sys_gettimeofday(f->rdi, f->rsi); break;
    case 0x400: r = sys_time(f->rdi); break;
    case 0x800: r = sys_getcpu(f->rdi, f->rsi, f->rdx); break;
    default: return false;
    }
    uint64_t ret;
    if (copy_from_user(&ret, f->rsp, sizeof ret) < 0) return false;
    f->rax = (uint64_t)r;
    f->rip = ret;
    f->rsp += 8;
    return true;
}

void trap_handler(struct trap_frame *f)
{
    bool from_user = (f->cs & 3) == 3;
    if (f->vector >= 32) {
        irq_dispatch((int)f->vector);
        return;     /* to ring 3 through user_return (kernel/signal.c): preemption, signals */
    }
    uint64_t cr2 = f->vector == 14 ? read_cr2() : 0;
    if (f->vector == 14 && !from_user && cr2 < USER_TOP && kernel_fetch_forbidden(f))
        kernel_fault(f, cr2, kernel_fetch_forbidden(f));
    if (f->vector == 14 && !from_user && cr2 < USER_TOP && kernel_touch_forbidden(f))
        kernel_fault(f, cr2, "SMAP: the kernel touched the program's memory outside usercopy");
    if (f->vector == 14) {
        int r = cr2 < USER_TOP ? vm_handle_fault(kernel.process ? process_vm(kernel.process) : NULL, cr2, f->error)
                               : -EFAULT;
        if (r == 0) return;
        if (r != -EFAULT && from_user) {
            /* A legal access whose page could not be made: Linux kills the
             * process when memory is out (SIGKILL) and otherwise sends SIGBUS
             * (past the end of a mapped file, a read error, no room for the
             * block), which a handler may catch as on Linux. */
            if (r != -ENOMEM && signal_fault(SIGBUS, BUS_ADRERR, cr2, f)) return;
            kprintf(r == -ENOMEM ? "pith: out of memory filling address %lx (give the machine more with -m)\n"
                    : r == -ENXIO ? "pith: bus error: address %lx is past the end of the file mapped there\n"
                    : r == -ENOSPC ? "pith: bus error: no room in the filesystem for the page written at address %lx\n"
                                   : "pith: bus error: cannot read or write the file mapped at address %lx\n", cr2);
            if (r == -ENOMEM) process_exit_signal(SIGKILL);
            process_exit_core(&(struct ksiginfo){ .signo = SIGBUS, .code = BUS_ADRERR, .w2 = cr2 });
        }
        if (!from_user) {
            struct cpu *c = this_cpu();
            if (c->usercopy_fixup && cr2 < USER_TOP) {
                f->rip = c->usercopy_fixup;
                return;
            }
        }
    }
    if (from_user && emulate_vsyscall(f, cr2)) return;
    if (from_user) user_fault(f, cr2);
    else kernel_fault(f, cr2, NULL);
}
