/* The tests' view of KASLR (test/kaslr): one console line with the kernel's
 * run-time text address and a backtrace, which must symbolize at link-time
 * addresses whatever the slide. */
#include "kaslr.h"
#include "console.h"
#include "mm.h"
#include "trap.h"

extern const uint64_t kaslr_report, kaslr_slots;
extern char _kernel_text_start[];

void kaslr_report_if_asked(void)
{
    if (!kaslr_report) return;
    kprintf("kaslr: kernel text at %lx, linked at %lx (%lu slots)\n", (uint64_t)_kernel_text_start,
            (uint64_t)_kernel_text_start - kaslr_slide, kaslr_slots);
    backtrace_print((uint64_t)__builtin_frame_address(0), (uint64_t)kaslr_report_if_asked);
}
