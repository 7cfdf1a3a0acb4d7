# `make test-long`: the crash-consistency test (test/run-tests' fs_crash: QEMU
# killed at a random instant while a program appends fsync'd records) run
# PITH_CRASH_RUNS times (default 50) with write(2) and PITH_CRASH_MMAP_RUNS
# times (default 20) through a shared mapping, then the fresh-machine check
# (test fresh_machine, test/fresh/tests.sh: scripts/fresh-machine-check runs
# `make run` and `make test` in a minimal Debian 12 root, as root), then a
# summary and the usual "N passed, N failed" line, which counts them all.
# Also stress_pthread (test/stress/tests.sh): pthread_stress.c, 200 threads,
# PITH_STRESS_RUNS times in a row (default 20) with --cpus 2, each under a timeout,
# and stress_cpus4: the threaded programs and the Go and Rust runtimes on 4 vCPUs.
# And disk_fault_random_N (test/disk/faults.sh): PITH_DISKFAULT_RUNS runs
# (default 60) with an I/O error injected at a random request number.
# And sysfuzz_long (test/fuzz/tests.sh): the syscall fuzzer, 10^6 calls per seed.
# Not part of `make test`, which runs the crash test 3 and 2 times and not
# the fresh-machine check. PITH_FRESH_MACHINE=0 leaves the check out.
.PHONY: test-long
test-long: deps-long all unit runtime-progs
	PITH_CRASH_RUNS=$${PITH_CRASH_RUNS:-50} PITH_CRASH_MMAP_RUNS=$${PITH_CRASH_MMAP_RUNS:-20} \
	PITH_FRESH_MACHINE=$${PITH_FRESH_MACHINE:-1} PITH_STRESS_RUNS=$${PITH_STRESS_RUNS:-20} \
	PITH_DISKFAULT_RUNS=$${PITH_DISKFAULT_RUNS:-60} PITH_SYSFUZZ_LONG=1 \
		bash test/run-tests '^fs_crash_|^disk_fault_random_|^fresh_machine$$|^stress_pthread$$|^stress_cpus4$$|^sysfuzz_long$$'

# `make fuzz-report`: the hardening figures (docs/security.md) from what the
# long runs recorded in build/report/; it runs nothing itself.
.PHONY: fuzz-report
fuzz-report:
	@bash scripts/fuzz-report $(BUILD)/report
