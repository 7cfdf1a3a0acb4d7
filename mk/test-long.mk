# `make test-long`: the crash-consistency test (test/run-tests' fs_crash: QEMU
# killed at a random instant while a program appends fsync'd records) run
# PITH_CRASH_RUNS times (default 50) with write(2) and PITH_CRASH_MMAP_RUNS
# times (default 20) through a shared mapping, then a summary and the usual
# "N passed, N failed" line. Not part of `make test`, which runs them 3 and 2
# times.
.PHONY: test-long
test-long: all unit runtime-progs
	PITH_CRASH_RUNS=$${PITH_CRASH_RUNS:-50} PITH_CRASH_MMAP_RUNS=$${PITH_CRASH_MMAP_RUNS:-20} \
		bash test/run-tests '^fs_crash_'
