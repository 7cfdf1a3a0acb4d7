/* The kernel's words about KASLR on the console: a host setting it did not
 * follow, and (for the tests, test/kaslr) one line with the run-time text
 * address and a backtrace, which must symbolize at link-time addresses
 * whatever the slide. */
#include "kaslr.h"
#include "console.h"
#include "mm.h"
#include "trap.h"

/* Written by boot/kaslr/kaslr_boot.c (struct kaslr_result). */
extern const uint64_t kaslr_report, kaslr_slots, kaslr_refused;
extern const char kaslr_host_text[];
extern char _kernel_text_start[];

/* Indexed by kaslr_boot.c's HOST_* reasons. */
static const char *const refusal[] = {
    [1] = "not understood",
    [2] = "slide not a multiple of 4 KiB",
    [3] = "slide too large: the image would end above 0xffffffffff000000",
};

void kaslr_report_if_asked(void)
{
    if (kaslr_refused > 0 && kaslr_refused < sizeof refusal / sizeof refusal[0])
        kprintf("kaslr: refused the host's opt/pith/kaslr '%s' (%s); the kernel chose its own random slide\n",
                kaslr_host_text, refusal[kaslr_refused]);
    if (!kaslr_report) return;
    kprintf("kaslr: kernel text at %lx, linked at %lx (%lu slots)\n", (uint64_t)_kernel_text_start,
            (uint64_t)_kernel_text_start - kaslr_slide, kaslr_slots);
    backtrace_print((uint64_t)__builtin_frame_address(0), (uint64_t)kaslr_report_if_asked);
}
