# The in-guest syscall fuzzer (test/fuzz/sysfuzz/README.md), sourced by
# test/run-tests (uses its add, record, finish, LOGS, SCRATCH, PITH, BUILD):
#  sysfuzz_SEED      `make test`: SYSFUZZ_CALLS (20000) calls from 4 threads on
#                    --cpus 2 for each fixed seed (the seeds that found bugs
#                    among them); the program must end with its "done ...
#                    failures=0" line: no kernel panic, no hang (a time
#                    limit), no wrong result, no thread state corrupted.
#  sysfuzz_diff      the fixed, deterministic list (sysfuzz --diff) in the VM
#                    and the same binary on this Linux host: same lines.
#  sysfuzz_long      `make test-long` (PITH_SYSFUZZ_LONG=1): 10^6 calls per
#                    seed (PITH_SYSFUZZ_LONG_SEEDS).
# Every run appends its line to build/report/sysfuzz.txt (test/fuzz/sysfuzz-run).

SYSFUZZ_BIN=$BUILD/test/sysfuzz/sysfuzz

sysfuzz_seed() {
    local seed=$1 calls=${2:-${SYSFUZZ_CALLS:-20000}} name=${3:-sysfuzz_$1} log=$LOGS/${3:-sysfuzz_$1}.log
    [ -x "$SYSFUZZ_BIN" ] || { record "$name" FAIL "$SYSFUZZ_BIN not built"; return; }
    PITH=$PITH SYSFUZZ=$SYSFUZZ_BIN TMPDIR=$SCRATCH bash test/fuzz/sysfuzz-run "$seed" "$calls" 4 2 > "$log" 2>&1
    local rc=$?
    if [ $rc -eq 0 ]; then record "$name" ok
    else record "$name" FAIL "$(grep -m1 'sysfuzz: FAIL\|pith: \|sysfuzz-run:' "$log" | cut -c1-200)"; fi
}

sysfuzz_long() {
    local s problems=""
    for s in ${PITH_SYSFUZZ_LONG_SEEDS:-11 12 13}; do
        sysfuzz_seed "$s" 1000000 "sysfuzz_long_$s" > /dev/null
        grep -q '^ok' "$RESULTS/sysfuzz_long_$s" || problems+="seed $s: $(cat "$RESULTS/sysfuzz_long_$s"); "
        rm -f "$RESULTS/sysfuzz_long_$s"
        cat "$LOGS/sysfuzz_long_$s.log" >> "$LOGS/sysfuzz_long.log"
    done
    finish sysfuzz_long "$problems"
}

sysfuzz_diff() {
    local log=$LOGS/sysfuzz_diff.log tmp=$SCRATCH/sysfuzz_diff.tmp problems=""
    mkdir -p "$tmp"; : > "$log"
    [ -x "$SYSFUZZ_BIN" ] || { record sysfuzz_diff FAIL "$SYSFUZZ_BIN not built"; return; }
    run_pith "$log" "$tmp" run "$SYSFUZZ_BIN" --diff
    tr -d '\r' < "$RAW.out" > "$SCRATCH/sysfuzz_diff.vm"
    timeout 30 "$SYSFUZZ_BIN" --diff > "$SCRATCH/sysfuzz_diff.host" 2>&1
    { echo "--- diff host vm"; diff "$SCRATCH/sysfuzz_diff.host" "$SCRATCH/sysfuzz_diff.vm"; } >> "$log"
    [ "$rc" -eq 0 ] || problems+="exit $rc; "
    grep -q '^sysfuzz: diff done' "$SCRATCH/sysfuzz_diff.host" || problems+="the host run did not finish; "
    diff -q "$SCRATCH/sysfuzz_diff.host" "$SCRATCH/sysfuzz_diff.vm" > /dev/null ||
        problems+="differs from Linux: $(diff "$SCRATCH/sysfuzz_diff.host" "$SCRATCH/sysfuzz_diff.vm" | grep -m1 '^>' ); "
    problems+=$(leftovers "$tmp")
    finish sysfuzz_diff "$problems"
}

# 2, 4, 5 and 1006 found the brk, ETXTBSY, sigmask and mremap bugs (README)
for seed in ${PITH_SYSFUZZ_SEEDS:-1 2 4 5}; do add "sysfuzz_$seed" sysfuzz_seed "$seed"; done
add sysfuzz_diff sysfuzz_diff
if [ "${PITH_SYSFUZZ_LONG:-0}" = 1 ]; then add sysfuzz_long sysfuzz_long; fi
