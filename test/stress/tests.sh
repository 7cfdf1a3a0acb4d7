# Stress runs for `make test-long`, sourced by test/run-tests (uses its add,
# record, finish, run_pith, leftovers, BUILD, LOGS, SCRATCH):
#  stress_pthread  pthread_stress.c (200 threads on mutexes, spinlocks,
#                  rwlocks, a condvar queue, barriers, TLS) PITH_STRESS_RUNS
#                  times in a row (make test-long: 20; make test: none, the
#                  runtime test pthread_stress runs it once per libc) with
#                  --cpus 2, each run under --timeout: any hang, wrong count
#                  or crash fails it, naming the run.
#  stress_cpus4    (make test-long) the threaded programs on four vCPUs:
#                  smp_files, threads, pthread_stress, the Go and Rust
#                  runtimes, each under --timeout, each ending in its own
#                  "all ... passed/ok" line.

stress_pthread() {
    local name=stress_pthread log=$LOGS/stress_pthread.log tmp=$SCRATCH/stress_pthread.tmp problems=""
    local runs=${PITH_STRESS_RUNS:-0} i libc
    mkdir -p "$tmp"; : > "$log"
    for ((i = 1; i <= runs; i++)); do
        libc=$(case $((i % 3)) in 0) echo musl ;; 1) echo glibc ;; 2) echo pie ;; esac)
        run_pith "$log" "$tmp" run --cpus 2 --timeout 100s "$BUILD/test/$libc/pthread_stress"
        { cat "$RAW.out"; echo "--- stderr"; cat "$RAW.err"; echo "--- run $i ($libc): exit $rc"; } >> "$log"
        if [ "$rc" -ne 0 ] || ! grep -q '^pthread_stress: all checks passed' "$RAW.out"; then
            problems+="run $i ($libc): exit $rc$( [ "$rc" -eq 124 ] && echo ' (hung: --timeout)'); "
        fi
    done
    problems+=$(leftovers "$tmp")
    finish $name "$problems"
}

stress_cpus4() {
    local name=stress_cpus4 log=$LOGS/stress_cpus4.log tmp=$SCRATCH/stress_cpus4.tmp problems=""
    local entry prog want
    mkdir -p "$tmp"; : > "$log"
    for entry in "$BUILD/test/glibc/smp_files|smp_files: all checks passed" \
                 "$BUILD/test/musl/threads|threads: all checks passed" \
                 "$BUILD/test/glibc/pthread_stress|pthread_stress: all checks passed" \
                 "$BUILD/test/go/go_runtime|go_runtime: all parts ok" \
                 "$BUILD/test/rust/rust_runtime|rust_runtime: all parts ok"; do
        prog=${entry%%|*} want=${entry#*|}
        [ -x "$prog" ] || { problems+="$(basename "$prog"): not built; "; continue; }
        run_pith "$log" "$tmp" run --cpus 4 --timeout 100s "$prog"
        { cat "$RAW.out"; echo "--- stderr"; cat "$RAW.err"; echo "--- $(basename "$prog"): exit $rc"; } >> "$log"
        [ "$rc" -eq 0 ] && grep -qF "$want" "$RAW.out" || problems+="$(basename "$prog"): exit $rc; "
    done
    problems+=$(leftovers "$tmp")
    finish $name "$problems"
}

if [ "${PITH_STRESS_RUNS:-0}" -gt 0 ]; then add stress_pthread stress_pthread; add stress_cpus4 stress_cpus4; fi
