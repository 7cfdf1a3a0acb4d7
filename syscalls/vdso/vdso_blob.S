/* The built vDSO (build/vdso/vdso.so) inside the kernel image, copied into
 * each program by the loader. */
    .section .rodata
    .balign 16
    .globl vdso_image, vdso_image_end
vdso_image:
    .incbin "vdso.so"
vdso_image_end:
    .section .note.GNU-stack, "", @progbits
