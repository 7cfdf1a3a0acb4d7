# `make test`: unit tests, runtime tests (each program built three ways: musl
# static, glibc static, glibc static-pie), bad-input tests; test/run-tests runs
# them all.
# `make run` boots the demo; `make bench` measures (never part of `make test`).
# Each target and each file built here with a packaged tool (musl-gcc, gcc,
# qemu, busybox) waits for the package check `deps` (mk/deps.mk), so any of
# them works alone on a fresh machine.

RUNTIME_SRCS := $(wildcard test/runtime/*.c)
RUNTIME_NAMES := $(patsubst test/runtime/%.c,%,$(RUNTIME_SRCS))
# Headers the runtime programs share (seeded_random.h).
RUNTIME_HEADERS := $(wildcard test/runtime/*.h)
RUNTIME_PROGS := $(foreach libc,musl glibc pie,$(patsubst %,$(BUILD)/test/$(libc)/%,$(RUNTIME_NAMES)))
RUNTIME_CFLAGS := -static -O2 -g -Wall -Wextra
BAD_FIXTURES := $(BUILD)/test/bad/.made

.PHONY: runtime-progs
runtime-progs: deps $(RUNTIME_PROGS) $(BUILD)/test/demo $(BUILD)/test/dynamic/hello $(BUILD)/test/dynamic/aslr_probe $(BAD_FIXTURES) \
               $(BUILD)/test/corrupt_image $(BUILD)/bench/threads

# make bench's thread benchmark; make test runs it with --quick
# (test/runtime/bench_threads*.expect) so it cannot rot between benches.
$(BUILD)/bench/threads: bench/threads.c | deps
	@mkdir -p $(dir $@)
	musl-gcc -static -O2 -Wall -Wextra -o $@ $<

# Breaks image copies for the bad-image tests (test/bad/corrupt_image.c).
$(BUILD)/test/corrupt_image: test/bad/corrupt_image.c $(HOST_LIB) | deps
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_CFLAGS) -o $@ $< $(HOST_LIB)

$(BUILD)/test/musl/%: test/runtime/%.c $(RUNTIME_HEADERS) | deps
	@mkdir -p $(dir $@)
	musl-gcc $(RUNTIME_CFLAGS) -o $@ $<

$(BUILD)/test/glibc/%: test/runtime/%.c $(RUNTIME_HEADERS) | deps
	@mkdir -p $(dir $@)
	$(HOST_CC) $(RUNTIME_CFLAGS) -o $@ $<

$(BUILD)/test/pie/%: test/runtime/%.c $(RUNTIME_HEADERS) | deps
	@mkdir -p $(dir $@)
	$(HOST_CC) $(RUNTIME_CFLAGS:-static=-static-pie) -fPIE -o $@ $<

# One dynamically linked program: it runs only with its interpreter and libc added.
$(BUILD)/test/dynamic/%: test/runtime/%.c | deps
	@mkdir -p $(dir $@)
	$(HOST_CC) -O2 -g -Wall -Wextra -o $@ $<

$(BUILD)/test/demo: $(BUILD)/test/musl/demo
	cp $< $@

$(BAD_FIXTURES): test/bad/make-fixtures $(BUILD)/test/musl/hello | deps
	bash test/bad/make-fixtures $(BUILD)/test/bad $(BUILD)/test/musl/hello
	@touch $@

test: deps all unit runtime-progs
	bash test/run-tests

run: deps $(BUILD)/pith $(BUILD)/test/demo
	$(BUILD)/pith run $(BUILD)/test/demo

bench: deps-bench all runtime-progs
	bash bench/run
