/* The system call itself, with no libc in between: the raw return value is
 * what we judge, and the argument registers must come back unchanged (the
 * x86_64 ABI: only rax, rcx and r11 may change across `syscall`). */
#include "sysfuzz.h"

long raw_syscall(long nr, const uint64_t a[6], int *clobbered)
{
    register uint64_t r10 __asm__("r10") = a[3];
    register uint64_t r8 __asm__("r8") = a[4];
    register uint64_t r9 __asm__("r9") = a[5];
    uint64_t di = a[0], si = a[1], dx = a[2];
    long ret = nr;
    __asm__ volatile("syscall"
                     : "+a"(ret), "+D"(di), "+S"(si), "+d"(dx), "+r"(r10), "+r"(r8), "+r"(r9)
                     :
                     : "rcx", "r11", "memory");
    *clobbered = (di != a[0]) | (si != a[1]) << 1 | (dx != a[2]) << 2 | (r10 != a[3]) << 3 |
                 (r8 != a[4]) << 4 | (r9 != a[5]) << 5;
    return ret;
}

long sys6(long nr, uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e, uint64_t f)
{
    uint64_t args[6] = { a, b, c, d, e, f };
    int clobbered;
    return raw_syscall(nr, args, &clobbered);
}
