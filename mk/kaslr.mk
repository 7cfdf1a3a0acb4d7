# KASLR (docs/boot.md, docs/memory.md). Two pieces join the kernel's link:
#  - boot/kaslr/kaslr_boot.c, which runs in the boot segment at its physical
#    address before the kernel is mapped: built position-independent with its
#    own flags (never the kernel's: no stack protector, no kernel code model),
#    its sections gathered into .boot.* by boot/kaslr/sections.ld, and refused
#    if it holds an absolute address or calls out (only PC-relative references
#    to itself are allowed);
#  - the relocation table (section .kreloc), made by build/tools/kreloc
#    (mk/kreloc.c) from the second link, kept with --emit-relocs; the first two
#    links carry boot/kaslr/kreloc_empty.S instead.

KASLR_BOOT_OBJ := $(BUILD)/kobj/boot/kaslr/kaslr_boot.o
KRELOC_EMPTY_OBJ := $(BUILD)/kobj/boot/kaslr/kreloc_empty.S.o
KRELOC_TOOL := $(BUILD)/tools/kreloc
KERNEL_OBJS += $(KASLR_BOOT_OBJ)

KASLR_BOOT_CFLAGS := -std=gnu11 -ffreestanding -fpie -fvisibility=hidden -mno-red-zone -mgeneral-regs-only \
    -fno-stack-protector -fno-asynchronous-unwind-tables -fno-builtin -fno-tree-loop-distribute-patterns \
    -fno-jump-tables -O2 -Wall -Wextra -I. -MMD -MP

$(BUILD)/kobj/boot/kaslr/kaslr_boot.c.o: boot/kaslr/kaslr_boot.c
	@mkdir -p $(dir $@)
	$(KERNEL_CC) $(KASLR_BOOT_CFLAGS) -c $< -o $@

$(KASLR_BOOT_OBJ): $(BUILD)/kobj/boot/kaslr/kaslr_boot.c.o boot/kaslr/sections.ld
	ld -r -T boot/kaslr/sections.ld -o $@ $<
	@if readelf -rW $@ | grep -E '^[0-9a-f]+ +[0-9a-f]+ R_X86_64_' | grep -vE ' R_X86_64_(PC32|PLT32) '; then \
	  echo "$@: absolute reference(s) above; KASLR's boot code runs before they could be right"; rm -f $@; exit 1; fi
	@if nm -u $@ | grep .; then \
	  echo "$@: calls out (above); KASLR's boot code may use nothing outside the boot segment"; rm -f $@; exit 1; fi

$(KRELOC_EMPTY_OBJ): boot/kaslr/kreloc_empty.S
	@mkdir -p $(dir $@)
	$(KERNEL_CC) -c $< -o $@

$(KRELOC_TOOL): mk/kreloc.c boot/kaslr/kaslr_layout.h
	@mkdir -p $(dir $@)
	$(HOST_CC) -std=gnu11 -O2 -Wall -Wextra -o $@ $<

$(BUILD)/kernel/kreloc.o: $(BUILD)/kernel/pass2.elf $(KRELOC_TOOL)
	$(KRELOC_TOOL) $< $(BUILD)/kernel/kreloc.S
	$(KERNEL_CC) -c $(BUILD)/kernel/kreloc.S -o $@

-include $(BUILD)/kobj/boot/kaslr/kaslr_boot.c.d
