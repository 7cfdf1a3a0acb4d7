# Host side: the host library (code shared with the kernel plus the CLI's own
# pieces), the pith and mkfs tools, and the unit tests linked against it.

HOST_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -I. -MMD -MP
# zlib: `pith image export FILE.tar.gz` (cli/targz_writer.c). libcurl (HTTP with
# SigV4 signing) and OpenSSL's libcrypto (SHA-256 and base64 of upload blocks):
# `pith image upload` and `pith instance --provider aws` (cli/cloud/).
HOST_LIBS := -lz -lcurl -lcrypto -lpthread

HOST_LIB_SRCS := $(wildcard klib/*.c fs/tfs*.c fs/mbr.c fs/blockdev.c loader/elf_*.c) \
                 fs/mounts_list.c net/net_config.c net/tcp_isn.c \
                 $(filter-out %_main.c,$(wildcard cli/*.c cli/cloud/*.c))
HOST_LIB_OBJS := $(patsubst %,$(BUILD)/hobj/%.o,$(HOST_LIB_SRCS))
HOST_LIB := $(BUILD)/libpith-host.a

BOOT_BLOBS := $(BUILD)/boot/stage1.bin $(BUILD)/boot/stage2.bin $(BUILD)/kernel/pith.elf $(BUILD)/boot/esp.img \
              $(BUILD)/cli/probe/accel_probe

# The accelerator probe (cli/accel.h) is a guest program: static, no libc.
$(BUILD)/cli/probe/accel_probe: cli/probe/accel_probe.c
	@mkdir -p $(dir $@)
	$(HOST_CC) -static -nostdlib -O2 -fno-builtin -fno-tree-loop-distribute-patterns \
		-fno-stack-protector -fno-pie -no-pie -o $@ $<

UNIT_SRCS := $(wildcard test/unit/test_*.c)
UNIT_TESTS := $(patsubst test/unit/%.c,$(BUILD)/unit/%,$(UNIT_SRCS))

.PHONY: cli unit
cli: $(BUILD)/pith $(BUILD)/mkfs $(HOST_LIB)
unit: $(UNIT_TESTS)

$(BUILD)/hobj/%.c.o: %.c
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_CFLAGS) -c $< -o $@

$(HOST_LIB): $(HOST_LIB_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

# The blobs are found through -I$(BUILD); make reruns this when any changes.
$(BUILD)/hobj/cli/embedded.S.o: cli/embedded.S $(BOOT_BLOBS)
	@mkdir -p $(dir $@)
	$(HOST_CC) -I$(BUILD) -c $< -o $@

$(BUILD)/pith: $(BUILD)/hobj/cli/pith_main.c.o $(BUILD)/hobj/cli/embedded.S.o $(HOST_LIB)
	$(HOST_CC) -o $@ $^ $(HOST_LIBS)

# `pith --version`: what `git describe --always --dirty` says about the tree
# pith is built from. Asked in two steps because describe --dirty takes
# .git/index.lock, which makes a commit made at that instant fail; `git
# status` with optional locks off tells "dirty" without it. Outside a git
# checkout it stays empty and cli/pith_main.c falls back to its own.
PITH_VERSION := $(shell v=$$(git describe --always 2>/dev/null) && \
    { [ -z "$$(GIT_OPTIONAL_LOCKS=0 git status --porcelain --untracked-files=no 2>/dev/null)" ] || v=$$v-dirty; \
      echo $$v; })

# Rewritten only when the version changes: pith_main.c is recompiled then and only then.
.PHONY: pith-version-check
$(BUILD)/pith-version: pith-version-check
	@mkdir -p $(dir $@)
	@[ -f $@ ] && [ "$$(cat $@)" = '$(PITH_VERSION)' ] || echo '$(PITH_VERSION)' > $@

$(BUILD)/hobj/cli/pith_main.c.o: $(BUILD)/pith-version
$(BUILD)/hobj/cli/pith_main.c.o: HOST_CFLAGS += $(if $(PITH_VERSION),-DPITH_VERSION='"$(PITH_VERSION)"')

$(BUILD)/mkfs: $(BUILD)/hobj/cli/mkfs_main.c.o $(HOST_LIB)
	$(HOST_CC) -o $@ $^ $(HOST_LIBS)

# The blobs too: `pith image` (test_image_cmd) reaches image_build, which
# writes them into an image.
$(BUILD)/unit/%: $(BUILD)/hobj/test/unit/%.c.o $(HOST_LIB) $(BUILD)/hobj/cli/embedded.S.o
	@mkdir -p $(dir $@)
	$(HOST_CC) -o $@ $^ $(HOST_LIBS)

-include $(HOST_LIB_OBJS:.o=.d) $(BUILD)/hobj/cli/pith_main.c.d $(BUILD)/hobj/cli/mkfs_main.c.d \
         $(patsubst test/unit/%.c,$(BUILD)/hobj/test/unit/%.c.d,$(UNIT_SRCS))
