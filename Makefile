# Pith: `make run` boots the demo, `make test` runs every test, `make bench` measures.
# Everything builds into build/. Fragments in mk/ hold each part's rules.
# Each of them first installs the Debian packages it needs (mk/deps.mk), so
# on a fresh Debian 12 machine `make run` and `make test` are enough.

BUILD := build
HOST_CC ?= gcc
KERNEL_CC ?= gcc

.PHONY: all run test bench clean deps
# Keep every intermediate file: a rebuild stays incremental and make does not
# print "rm ..." after the test runner's closing line.
.SECONDARY:
all: deps kernel boot cli

include mk/deps.mk
include mk/kernel.mk
include mk/boot.mk
include mk/cli.mk
include mk/test.mk
include mk/runtimes.mk
include mk/test-long.mk
include mk/sysfuzz.mk
include mk/fuzz.mk

clean:
	rm -rf $(BUILD)

# Every file the fragments build runs gcc, ld, objcopy or ar: it waits for the
# package check, so e.g. `make build/pith` alone works on a fresh machine.
# Order-only: a file is not rebuilt because the check ran. mk/test.mk's own
# rules carry it themselves; a new explicit target elsewhere belongs here.
PACKAGED_TOOL_OUTPUTS := \
    $(KERNEL_OBJS) $(BUILD)/kernel/ksyms-empty.o $(BUILD)/kernel/ksyms.o \
    $(BUILD)/kernel/pass1.elf $(BUILD)/kernel/pith.elf $(BUILD)/vdso/vdso.o $(BUILD)/vdso/vdso.so \
    $(BOOT_STAGE2_OBJS) $(BOOT_OUT)/obj/stage1.S.o $(BOOT_OUT)/stage1.elf $(BOOT_OUT)/stage2.elf \
    $(BOOT_OUT)/stage1.bin $(BOOT_OUT)/stage2.bin \
    $(BOOT_BLOBS) $(HOST_LIB_OBJS) $(HOST_LIB) $(BUILD)/hobj/cli/embedded.S.o \
    $(BUILD)/hobj/cli/pith_main.c.o $(BUILD)/hobj/cli/mkfs_main.c.o $(BUILD)/pith $(BUILD)/mkfs \
    $(patsubst test/unit/%.c,$(BUILD)/hobj/test/unit/%.c.o,$(UNIT_SRCS)) $(UNIT_TESTS)
$(PACKAGED_TOOL_OUTPUTS): | deps
unit: deps
