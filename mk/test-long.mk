# `make test-long`: the crash-consistency test (test/run-tests' fs_crash: QEMU
# killed at a random instant while a program appends fsync'd records) run
# PITH_CRASH_RUNS times (default 50), then a summary and the usual
# "N passed, N failed" line. Not part of `make test`, which runs it 3 times.
.PHONY: test-long
test-long: all unit runtime-progs
	PITH_CRASH_RUNS=$${PITH_CRASH_RUNS:-50} bash test/run-tests '^fs_crash_'
