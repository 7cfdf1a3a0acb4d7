# The kernel: every .c/.S under the kernel's folders, linked by kernel/kernel.ld.
# Linked three times: the second link embeds a symbol table (for backtraces)
# made from the first (the table sits after .text so no code address moves),
# the third KASLR's relocation table made from the second (mk/kaslr.mk).

KERNEL_DIRS := kernel boot/pvh klib platform fs loader syscalls net
KERNEL_SRCS := $(foreach d,$(KERNEL_DIRS),$(wildcard $(d)/*.c $(d)/*.S)) syscalls/vdso/vdso_blob.S
KERNEL_OBJS := $(patsubst %,$(BUILD)/kobj/%.o,$(KERNEL_SRCS))

# The stack protector's guard is per thread: GCC reads it at %gs:OFFSET, the
# running thread's copy in this CPU's struct cpu (kernel/percpu.h,
# kernel/stack_guard.c), as Linux's per-CPU canary.
STACK_CANARY_OFFSET := 48
KERNEL_CFLAGS := -std=gnu11 -ffreestanding -fno-pic -fno-pie -mcmodel=kernel -mno-red-zone \
    -mno-sse -mno-mmx -mno-sse2 -mno-avx -fstack-protector-strong \
    -mstack-protector-guard=tls -mstack-protector-guard-reg=gs \
    -mstack-protector-guard-offset=$(STACK_CANARY_OFFSET) -DSTACK_CANARY_OFFSET=$(STACK_CANARY_OFFSET) \
    -fno-omit-frame-pointer \
    -fno-asynchronous-unwind-tables -nostdlib -O2 -g -Wall -Wextra -Wno-unused-parameter \
    -DPITH_KERNEL -I. -MMD -MP
KERNEL_LDFLAGS := -nostdlib -static -z max-page-size=4096 -z noexecstack --no-warn-rwx-segments

# lwIP (fetched, then compiled in): adds its objects to KERNEL_OBJS.
include mk/lwip.mk
# KASLR: the early boot object and the relocation table's rules.
include mk/kaslr.mk

.PHONY: kernel
kernel: $(BUILD)/kernel/pith.elf

# A change of flags here (the stack protector) rebuilds every kernel object.
$(KERNEL_OBJS): mk/kernel.mk

$(BUILD)/kobj/%.c.o: %.c
	@mkdir -p $(dir $@)
	$(KERNEL_CC) $(KERNEL_CFLAGS) -c $< -o $@

$(BUILD)/kobj/%.S.o: %.S
	@mkdir -p $(dir $@)
	$(KERNEL_CC) $(KERNEL_CFLAGS) -c $< -o $@

$(BUILD)/kernel/pass1.elf: $(KERNEL_OBJS) kernel/kernel.ld $(BUILD)/kernel/ksyms-empty.o $(KRELOC_EMPTY_OBJ)
	@mkdir -p $(dir $@)
	ld $(KERNEL_LDFLAGS) -T kernel/kernel.ld -o $@ $(KERNEL_OBJS) $(BUILD)/kernel/ksyms-empty.o $(KRELOC_EMPTY_OBJ)

$(BUILD)/kernel/ksyms-empty.o: mk/ksyms.sh
	@mkdir -p $(dir $@)
	sh mk/ksyms.sh /dev/null > $(BUILD)/kernel/ksyms-empty.S
	$(KERNEL_CC) -c $(BUILD)/kernel/ksyms-empty.S -o $@

$(BUILD)/kernel/ksyms.o: $(BUILD)/kernel/pass1.elf mk/ksyms.sh
	nm -n $< | sh mk/ksyms.sh - > $(BUILD)/kernel/ksyms.S
	$(KERNEL_CC) -c $(BUILD)/kernel/ksyms.S -o $@

$(BUILD)/kernel/pass2.elf: $(KERNEL_OBJS) kernel/kernel.ld $(BUILD)/kernel/ksyms.o $(KRELOC_EMPTY_OBJ)
	ld $(KERNEL_LDFLAGS) --emit-relocs -T kernel/kernel.ld -o $@ $(KERNEL_OBJS) $(BUILD)/kernel/ksyms.o $(KRELOC_EMPTY_OBJ)

$(BUILD)/kernel/pith.elf: $(KERNEL_OBJS) kernel/kernel.ld $(BUILD)/kernel/ksyms.o $(BUILD)/kernel/kreloc.o $(KRELOC_TOOL)
	ld $(KERNEL_LDFLAGS) --emit-relocs -T kernel/kernel.ld -o $@.tmp $(KERNEL_OBJS) $(BUILD)/kernel/ksyms.o $(BUILD)/kernel/kreloc.o
	$(KRELOC_TOOL) $@.tmp $(BUILD)/kernel/kreloc-check.S
	@cmp -s $(BUILD)/kernel/kreloc.S $(BUILD)/kernel/kreloc-check.S || \
	  { echo "pith.elf: the KASLR table moved fields it lists (mk/kaslr.mk)"; rm -f $@.tmp; exit 1; }
	objcopy --remove-relocations='*' $@.tmp $@
	rm -f $@.tmp

# The vDSO (syscalls/vdso/) is user code: built PIC with the host compiler as
# its own shared object, then embedded by vdso_blob.S. Only the blob is a
# kernel object; the folder is not in KERNEL_DIRS.
VDSO_CFLAGS := -std=gnu11 -O2 -fPIC -ffreestanding -fno-stack-protector -fno-asynchronous-unwind-tables \
    -fno-builtin -nostdlib -Wall -Wextra -MMD -MP
VDSO_LDFLAGS := -shared --hash-style=both -soname=linux-vdso.so.1 -z max-page-size=4096 -z noexecstack \
    --no-undefined

$(BUILD)/vdso/vdso.o: syscalls/vdso/vdso.c
	@mkdir -p $(dir $@)
	$(HOST_CC) $(VDSO_CFLAGS) -c $< -o $@

# A vDSO with relocations would need a dynamic linker to fix it up: refuse one.
$(BUILD)/vdso/vdso.so: $(BUILD)/vdso/vdso.o syscalls/vdso/vdso.lds syscalls/vdso/vdso.map
	ld $(VDSO_LDFLAGS) -T syscalls/vdso/vdso.lds --version-script=syscalls/vdso/vdso.map -o $@.tmp $<
	@if readelf -r $@.tmp | grep -q 'Relocation section'; then \
	  echo "vdso.so: has relocations"; rm -f $@.tmp; exit 1; fi
	mv $@.tmp $@

$(BUILD)/kobj/syscalls/vdso/vdso_blob.S.o: $(BUILD)/vdso/vdso.so
$(BUILD)/kobj/syscalls/vdso/vdso_blob.S.o: KERNEL_CFLAGS += -I$(BUILD)/vdso

-include $(KERNEL_OBJS:.o=.d) $(BUILD)/vdso/vdso.d
