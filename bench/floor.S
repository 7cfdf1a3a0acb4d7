/* QEMU's floor: a PVH guest whose first instruction powers the VM off. */
	.section .note.Xen, "a", @note
	.p2align 2
	.long 4, 8, 18          /* namesz, descsz, XEN_ELFNOTE_PHYS32_ENTRY */
	.asciz "Xen"
	.quad floor_entry
	.text
	.code32
	.globl floor_entry
floor_entry:
	movl $0, %eax
	outl %eax, $0xf4
1:	hlt
	jmp 1b
