/* Copies between the kernel and the program's memory. A fault inside the
 * copy does not panic: the page-fault handler sees CPU_USERCOPY_FIXUP set
 * and resumes at usercopy_fault, which returns -EFAULT. */
#include "percpu.h"

        .text
/* long usercopy(void *dst, const void *src, size_t n) */
        .globl usercopy
usercopy:
        leaq usercopy_fault(%rip), %rax
        movq %rax, %gs:CPU_USERCOPY_FIXUP
        testb $1, smap_enabled(%rip)
        jz 1f
        stac
1:      movq %rdx, %rcx
        rep movsb
        xorl %eax, %eax
usercopy_done:
        testb $1, smap_enabled(%rip)
        jz 2f
        clac
2:      movq $0, %gs:CPU_USERCOPY_FIXUP
        ret
usercopy_fault:
        movq $-14, %rax
        jmp usercopy_done

/* long userzero(void *dst, size_t n) */
        .globl userzero
userzero:
        leaq usercopy_fault(%rip), %rax
        movq %rax, %gs:CPU_USERCOPY_FIXUP
        testb $1, smap_enabled(%rip)
        jz 1f
        stac
1:      movq %rsi, %rcx
        xorl %eax, %eax
        rep stosb
        jmp usercopy_done

/* long user_cmpxchg32(uint32_t *uaddr, uint32_t *expected, uint32_t desired):
 * one locked compare-and-exchange of a program's word; *expected gets the
 * value found (equal to what it held: the exchange happened). 0 or -EFAULT. */
        .globl user_cmpxchg32
user_cmpxchg32:
        leaq usercopy_fault(%rip), %rax
        movq %rax, %gs:CPU_USERCOPY_FIXUP
        testb $1, smap_enabled(%rip)
        jz 1f
        stac
1:      movl (%rsi), %eax
        lock cmpxchgl %edx, (%rdi)
        movl %eax, (%rsi)
        xorl %eax, %eax
        jmp usercopy_done
