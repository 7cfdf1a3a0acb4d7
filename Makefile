# Pith: `make run` boots the demo, `make test` runs every test, `make bench` measures.
# Everything builds into build/. Fragments in mk/ hold each part's rules.

BUILD := build
HOST_CC ?= gcc
KERNEL_CC ?= gcc

.PHONY: all run test bench clean deps
# Keep every intermediate file: a rebuild stays incremental and make does not
# print "rm ..." after the test runner's closing line.
.SECONDARY:
all: deps-check kernel boot cli

include mk/deps.mk
include mk/kernel.mk
include mk/boot.mk
include mk/cli.mk
include mk/test.mk
include mk/test-long.mk

clean:
	rm -rf $(BUILD)
