# The in-guest syscall fuzzer (test/fuzz/sysfuzz/README.md): one static musl
# program from every .c there. `make test` runs it briefly (test/fuzz/tests.sh),
# `make test-long` runs 10^6 calls per seed (mk/test-long.mk).
SYSFUZZ_SRCS := $(wildcard test/fuzz/sysfuzz/*.c)
SYSFUZZ := $(BUILD)/test/sysfuzz/sysfuzz

.PHONY: sysfuzz
sysfuzz: deps $(SYSFUZZ)
runtime-progs: $(SYSFUZZ)

$(SYSFUZZ): $(SYSFUZZ_SRCS) $(wildcard test/fuzz/sysfuzz/*.h) | deps
	@mkdir -p $(dir $@)
	musl-gcc -D_GNU_SOURCE -static -O2 -g -Wall -Wextra -o $@ $(SYSFUZZ_SRCS) -lpthread
