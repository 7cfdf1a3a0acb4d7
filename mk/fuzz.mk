# Host parsers under coverage-guided fuzzing (test/fuzz/README.md).
#
# `make fuzz [FUZZ_SECONDS=N]` builds each harness test/fuzz/NAME.c with
# clang-14's libFuzzer, ASan and UBSan against an instrumented copy of the
# host library, runs each for N seconds on build/fuzz/corpus/NAME (seeds the
# build makes from real inputs, test/fuzz/make-corpus) plus the committed
# regression cases, appends `target=NAME seconds=S execs=N crashes=N` to
# build/report/fuzz.txt and leaves crashing inputs in build/fuzz/crashes/NAME.
#
# `make test` needs no clang: fuzz-replay builds the same harnesses with gcc
# and -fsanitize=address,undefined around test/fuzz/replay_main.c, and
# test/fuzz/tests.sh replays every regression case and seed through them.

FUZZ_SECONDS ?= 60
FUZZ_CC := clang-14
FUZZ_SRCS := $(filter-out test/fuzz/replay_main.c,$(wildcard test/fuzz/*.c))
FUZZ_TARGETS := $(patsubst test/fuzz/%.c,%,$(FUZZ_SRCS))
FUZZ_HEADERS := test/fuzz/fuzz.h
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS := -std=gnu11 -O1 -g -I. $(FUZZ_SAN)

# libFuzzer build: the host library's sources with coverage instrumentation.
FUZZ_LIB_OBJS := $(patsubst %,$(BUILD)/fuzz/obj/%.o,$(HOST_LIB_SRCS))
FUZZ_LIB := $(BUILD)/fuzz/libpith-fuzz.a
FUZZ_BINS := $(patsubst %,$(BUILD)/fuzz/bin/%,$(FUZZ_TARGETS))
# Replay build (gcc): the same sources with the sanitizers only.
REPLAY_LIB_OBJS := $(patsubst %,$(BUILD)/fuzz-replay/obj/%.o,$(HOST_LIB_SRCS))
REPLAY_LIB := $(BUILD)/fuzz-replay/libpith-replay.a
REPLAY_BINS := $(patsubst %,$(BUILD)/fuzz-replay/%,$(FUZZ_TARGETS))
FUZZ_CORPUS := $(BUILD)/fuzz/corpus/.made

.PHONY: fuzz fuzz-build fuzz-replay fuzz-corpus deps-fuzz
deps-fuzz: deps
	$(call install_missing,$(DEBIAN_PACKAGES_FUZZ))

$(BUILD)/fuzz/obj/%.c.o: %.c | deps-fuzz
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@

$(FUZZ_LIB): $(FUZZ_LIB_OBJS)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/fuzz/bin/%: test/fuzz/%.c $(FUZZ_HEADERS) $(FUZZ_LIB) | deps-fuzz
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_LIB) $(HOST_LIBS)

$(BUILD)/fuzz-replay/obj/%.c.o: %.c | deps
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_CFLAGS) -O1 $(FUZZ_SAN) -c $< -o $@

$(REPLAY_LIB): $(REPLAY_LIB_OBJS) | deps
	rm -f $@
	ar rcs $@ $^

$(BUILD)/fuzz-replay/%: test/fuzz/%.c test/fuzz/replay_main.c $(FUZZ_HEADERS) $(REPLAY_LIB) | deps
	@mkdir -p $(dir $@)
	$(HOST_CC) -std=gnu11 -O1 -g -I. $(FUZZ_SAN) -o $@ $< test/fuzz/replay_main.c $(REPLAY_LIB) $(HOST_LIBS)

# Seeds from real inputs: programs under build/test and build/debian, images
# pith and mkfs write, manifests and pith.json files of test/ and docs/, and
# moto's EC2/EBS replies (when moto_server is there).
$(FUZZ_CORPUS): test/fuzz/make-corpus test/fuzz/moto_replies.py $(BUILD)/pith $(BUILD)/mkfs | deps runtime-progs
	bash test/fuzz/make-corpus $(BUILD)/fuzz/corpus
	@touch $@
fuzz-corpus: $(FUZZ_CORPUS)

fuzz-build: $(FUZZ_BINS)
fuzz-replay: $(REPLAY_BINS) $(FUZZ_CORPUS)
test: fuzz-replay

fuzz: deps-fuzz $(FUZZ_BINS) $(FUZZ_CORPUS)
	bash test/fuzz/run-fuzz $(BUILD) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

-include $(FUZZ_LIB_OBJS:.o=.d)
