/* The boot blobs, embedded so that build/pith is a single self-contained file.
 * The make rule passes the build directory with -I, so the paths below are
 * relative to it (boot/stage1.bin -> build/boot/stage1.bin). */
	.section .rodata.pith_blobs, "a"

	.globl pith_stage1_start, pith_stage1_end
	.balign 16
pith_stage1_start:
	.incbin "boot/stage1.bin"
pith_stage1_end:

	.globl pith_stage2_start, pith_stage2_end
	.balign 16
pith_stage2_start:
	.incbin "boot/stage2.bin"
pith_stage2_end:

	.globl pith_kernel_start, pith_kernel_end
	.balign 16
pith_kernel_start:
	.incbin "kernel/pith.elf"
pith_kernel_end:

	/* The EFI system partition with the UEFI loader (mk/boot.mk). */
	.globl pith_esp_start, pith_esp_end
	.balign 16
pith_esp_start:
	.incbin "boot/esp.img"
pith_esp_end:

	/* The program pith boots to find out whether KVM runs Pith (cli/accel.c). */
	.globl pith_probe_start, pith_probe_end
	.balign 16
pith_probe_start:
	.incbin "cli/probe/accel_probe"
pith_probe_end:

	.section .note.GNU-stack, "", @progbits
