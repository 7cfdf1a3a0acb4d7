/* The way out: panics print what the kernel knew, then power off with an
 * exit code of their own so `pith` can tell a crash from a program exit. */
#include "panic.h"
#include "console.h"
#include "io.h"
#include "trap.h"
#include "mm.h"
#include "../platform/acpi_power.h"
#include "../platform/fw_cfg.h"
#include "../klib/format.h"
#include "../klib/string.h"

#define ISA_DEBUG_EXIT_PORT 0xf4

extern const uint64_t ksyms_count;
extern const struct {
    uint64_t addr, name;
} ksyms_table[];
extern const char ksyms_names[];
extern char _kernel_text_start[], _kernel_rodata_start[];

static const char *symbolize(uint64_t addr, uint64_t *offset)
{
    uint64_t lo = 0, hi = ksyms_count;
    if (!hi || addr < ksyms_table[0].addr) return NULL;
    while (hi - lo > 1) {
        uint64_t mid = (lo + hi) / 2;
        if (ksyms_table[mid].addr <= addr) lo = mid;
        else hi = mid;
    }
    *offset = addr - ksyms_table[lo].addr;
    return ksyms_names + ksyms_table[lo].name;
}

/* Frames are printed at their link-time addresses (KASLR's slide taken
 * off), which `addr2line -e build/kernel/pith.elf` and the symbol table know.
 * A return address is named by the call before it: a call to a noreturn
 * function (panic, __stack_chk_fail) is often its function's last
 * instruction, so the address itself already belongs to the next one. */
static void print_frame(uint64_t rip, bool return_address)
{
    uint64_t off = 0;
    rip -= kaslr_slide;
    const char *name = symbolize(rip - return_address, &off);
    if (name) kprintf("    %016lx %s+0x%lx\n", rip, name, off + return_address);
    else kprintf("    %016lx ?\n", rip);
}

static bool kernel_stack_address(uint64_t a)
{
    return a >= 0xffff800000000000ul && !(a & 7);
}

void backtrace_print(uint64_t rbp, uint64_t rip)
{
    kprintf("  backtrace (link-time addresses; the kernel runs 0x%lx higher):\n", kaslr_slide);
    if (rip) print_frame(rip, false);
    for (int depth = 0; depth < 32 && kernel_stack_address(rbp); depth++) {
        uint64_t ret = ((uint64_t *)rbp)[1];
        if (ret < (uint64_t)_kernel_text_start || ret >= (uint64_t)_kernel_rodata_start) break;
        print_frame(ret, true);
        rbp = ((uint64_t *)rbp)[0];
    }
}

void machine_exit(int code)
{
    console_report_exit(code);
    /* Only on QEMU (fw_cfg says so) is port 0xf4 known to be harmless; pith
     * adds isa-debug-exit there, which ends QEMU with (code << 1) | 1. */
    if (fw_cfg_present()) outl(ISA_DEBUG_EXIT_PORT, (uint32_t)code);
    const char *why = acpi_power_off();
    kprintf("pith: cannot power off (%s): halting\n", why);
    for (;;) {
        irq_disable();
        halt();
    }
}

void panic(const char *fmt, ...)
{
    irq_disable();
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    format_vsn(buf, sizeof buf, fmt, ap);
    va_end(ap);
    kprintf("\npith: kernel panic: %s\n", buf);
    /* From panic's own frame: its return address is the first one shown. */
    backtrace_print((uint64_t)__builtin_frame_address(0), 0);
    machine_exit(EXIT_KERNEL_PANIC);
}

/* Called by a function GCC protects whose guard copy no longer matches
 * (kernel/stack_guard.c): something wrote past one of its arrays. Its
 * return address is in that function; the backtrace goes on from there as
 * far as the smashed frame links allow. */
NORETURN void __stack_chk_fail(void);
NORETURN __attribute__((no_stack_protector)) void __stack_chk_fail(void)
{
    uint64_t where = (uint64_t)__builtin_return_address(0), off = 0;
    const char *name = symbolize(where - kaslr_slide - 1, &off);   /* the call may be its last instruction */
    panic("stack protector: the stack of %s was smashed (guard overwritten; return address %lx)",
          name ? name : "?", where);
}
