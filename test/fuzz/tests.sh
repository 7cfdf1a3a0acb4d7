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

# ---- The host parsers' libFuzzer harnesses, replayed without clang (test/fuzz/README.md)
# fuzz_replay_TARGET feeds every committed regression case
# (test/fuzz/regress/TARGET), hand seed (test/fuzz/seeds/TARGET) and seed
# the build made (build/fuzz/corpus/TARGET) to the harness built with gcc,
# ASan and UBSan (build/fuzz-replay/TARGET, `make fuzz-replay`). A crash,
# a sanitizer report or a harness assertion fails it: a fixed bug came back.

fuzz_replay() {
    local t=$1 name=fuzz_replay_$1 log=$LOGS/fuzz_replay_$1.log bin=$BUILD/fuzz-replay/$1 d
    local -a dirs=()
    for d in "test/fuzz/regress/$t" "test/fuzz/seeds/$t" "$BUILD/fuzz/corpus/$t"; do
        [ -d "$d" ] && dirs+=("$d")
    done
    if [ ! -x "$bin" ]; then record "$name" FAIL "$bin is missing: make fuzz-replay"; return; fi
    if [ ${#dirs[@]} = 0 ]; then record "$name" FAIL "no inputs: make fuzz-corpus"; return; fi
    # ASan's leak check stays on: a parser that leaks on bad input fails too.
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ASAN_OPTIONS=abort_on_error=0 \
        timeout -k 5 "$TIMEOUT" "$bin" "${dirs[@]}" > "$log" 2>&1
    local rc=$?
    if [ $rc = 0 ] && grep -q '^replay: 0 inputs' "$log"; then
        case $t in
        aws_*) record "$name" skip "no inputs: its seeds are replies moto_server gives, and moto_server is not installed" ;;
        *) record "$name" FAIL "no inputs to replay (test/fuzz/make-corpus made none)" ;;
        esac
    elif [ $rc = 0 ]; then record "$name" ok
    elif [ $rc = 124 ]; then record "$name" FAIL "timeout"
    else
        local input
        input=$(grep '^replay: ' "$log" | tail -n 1 | sed 's/^replay: //')
        record "$name" FAIL "exit $rc on ${input:-?}: $(grep -m1 -E 'ERROR: |runtime error|fuzz: ' "$log")"
    fi
}

for fuzz_src in test/fuzz/*.c; do
    case $fuzz_src in */replay_main.c) continue ;; esac
    fuzz_t=$(basename "$fuzz_src" .c)
    add "fuzz_replay_$fuzz_t" fuzz_replay "$fuzz_t"
done
