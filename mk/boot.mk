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

# The UEFI path (boot/uefi/): build/boot/BOOTX64.EFI, a PE/COFF EFI
# application that objcopy makes from an ELF linked at base 0 (binutils
# alone, no gnu-efi: the loader makes a dozen firmware calls through its own
# boot/uefi/efi.h), and build/boot/esp.img, the FAT EFI system partition
# holding it as \EFI\BOOT\BOOTX64.EFI, which pith writes into every image.
UEFI_SRCS := $(wildcard boot/uefi/*.c) boot/uefi/enter.S
UEFI_OBJS := $(patsubst boot/uefi/%,$(BOOT_OUT)/uefi/%.o,$(UEFI_SRCS))
UEFI_CFLAGS := -std=gnu11 -ffreestanding -fpie -fvisibility=hidden -mno-red-zone -mgeneral-regs-only \
    -fno-stack-protector -fno-asynchronous-unwind-tables -fno-builtin -O2 -Wall -Wextra -I. -MMD -MP
ESP_KIB := 1024

.PHONY: uefi
uefi: $(BOOT_OUT)/esp.img
boot: uefi

$(BOOT_OUT)/uefi/%.o: boot/uefi/%
	@mkdir -p $(dir $@)
	$(KERNEL_CC) $(UEFI_CFLAGS) -c $< -o $@

# The firmware may load the loader anywhere and the PE file has no base
# relocations to fix it up with: refuse any absolute address in the code.
$(BOOT_OUT)/uefi/loader.elf: $(UEFI_OBJS) boot/uefi/loader.ld
	@if readelf -rW $(UEFI_OBJS) | grep -E 'R_X86_64_(64|32|32S) '; then \
	  echo "UEFI loader: absolute relocations (above) break when the firmware moves it"; exit 1; fi
	ld -static -nostdlib -z noexecstack --no-warn-rwx-segments -T boot/uefi/loader.ld -o $@ $(UEFI_OBJS)

$(BOOT_OUT)/BOOTX64.EFI: $(BOOT_OUT)/uefi/loader.elf
	objcopy --target efi-app-x86_64 --subsystem 10 $< $@

$(BOOT_OUT)/esp.img: $(BOOT_OUT)/BOOTX64.EFI
	rm -f $@.tmp
	mkfs.fat -C -n PITH-EFI -i 50495448 $@.tmp $(ESP_KIB) > /dev/null
	mmd -i $@.tmp ::/EFI ::/EFI/BOOT
	mcopy -i $@.tmp $< ::/EFI/BOOT/BOOTX64.EFI
	mv $@.tmp $@

-include $(UEFI_OBJS:.o=.d)
