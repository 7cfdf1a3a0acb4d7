/* Where the address-space layout put things this time, one line:
 *   aslr pie=... interp=... mmap=... heap=... brk_gap=... stack=... vdso=...
 * (hex; interp is 0 for a static program, pie 0x400000-ish for a non-PIE
 * one). scripts/aslr-entropy boots it many times and counts the bits that
 * vary, against the same binary run many times on the host; test/aslr
 * checks a minimum per region. Built dynamic (build/test/dynamic/) so the
 * interpreter's base is there to see. */
#include <stdint.h>
#include <stdio.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <unistd.h>

extern char __executable_start[];   /* the linker's: the program's lowest address (its base for a PIE) */
extern char end[];                  /* the linker's: the end of the program's bss */

int main(void)
{
    volatile int on_stack = 0;
    uintptr_t heap = (uintptr_t)sbrk(0);
    uintptr_t unrandomized_brk = ((uintptr_t)end + 4095) & ~(uintptr_t)4095;
    void *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    printf("aslr pie=%lx interp=%lx mmap=%lx heap=%lx brk_gap=%lx stack=%lx vdso=%lx\n",
           (unsigned long)(uintptr_t)__executable_start, getauxval(AT_BASE), (unsigned long)(uintptr_t)m,
           (unsigned long)heap, (unsigned long)(heap - unrandomized_brk), (unsigned long)(uintptr_t)&on_stack,
           getauxval(AT_SYSINFO_EHDR));
    return on_stack;
}
