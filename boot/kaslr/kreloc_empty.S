/* The stand-in relocation table of the kernel's first two links (mk/kernel.mk):
 * no magic, so it is never applied. The final link gets mk/kreloc.c's table. */
        .section .kreloc, "a"
        .balign 4
        .globl kreloc_table
kreloc_table:
        .long 0, 0, 0, 0
