# The BIOS boot path: build/boot/stage1.bin (MBR code, <= 440 bytes) and
# build/boot/stage2.bin (LBA 1..63, <= 63 sectors). Stage 2's C runs in
# 32-bit protected mode, hence -m32; its real-mode parts are in stage2.S.
# `make boot BOOT_DEBUG=1` makes stage 2 print its kernel entry on COM1.

BOOT_OUT := $(BUILD)/boot
BOOT_STAGE2_SRCS := boot/bios/stage2.S $(wildcard boot/bios/*.c)
BOOT_STAGE2_OBJS := $(patsubst boot/bios/%,$(BOOT_OUT)/obj/%.o,$(BOOT_STAGE2_SRCS))

BOOT_CFLAGS := -std=gnu11 -m32 -march=i686 -ffreestanding -fno-pic -fno-pie -Os \
    -mgeneral-regs-only -fno-stack-protector -fno-asynchronous-unwind-tables \
    -fno-builtin -fno-tree-loop-distribute-patterns -fno-strict-aliasing \
    -Wall -Wextra -I. -MMD -MP $(if $(BOOT_DEBUG),-DSTAGE2_DEBUG)

.PHONY: boot
boot: $(BOOT_OUT)/stage1.bin $(BOOT_OUT)/stage2.bin

$(BOOT_OUT)/obj/%.o: boot/bios/%
	@mkdir -p $(dir $@)
	$(KERNEL_CC) $(BOOT_CFLAGS) -Iboot/bios -c $< -o $@

$(BOOT_OUT)/stage1.elf: $(BOOT_OUT)/obj/stage1.S.o boot/bios/stage1.ld
	ld -m elf_i386 -nostdlib -z noexecstack --no-warn-rwx-segments -T boot/bios/stage1.ld -o $@ $<

$(BOOT_OUT)/stage2.elf: $(BOOT_STAGE2_OBJS) boot/bios/stage2.ld
	ld -m elf_i386 -nostdlib -z noexecstack --no-warn-rwx-segments -T boot/bios/stage2.ld -o $@ $(BOOT_STAGE2_OBJS)

$(BOOT_OUT)/%.bin: $(BOOT_OUT)/%.elf
	objcopy -O binary $< $@

-include $(BOOT_STAGE2_OBJS:.o=.d) $(BOOT_OUT)/obj/stage1.S.d
