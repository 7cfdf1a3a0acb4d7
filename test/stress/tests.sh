# Stress runs for `make test-long`, sourced by test/run-tests (uses its add,
# record, finish, run_pith, leftovers, BUILD, LOGS, SCRATCH):
#  stress_pthread  pthread_stress.c (200 threads on mutexes, spinlocks,
#                  rwlocks, a condvar queue, barriers, TLS) PITH_STRESS_RUNS
#                  times in a row (make test-long: 20; make test: none, the
#                  runtime test pthread_stress runs it once per libc) with
#                  --cpus 2, each run under --timeout: any hang, wrong count
#                  or crash fails it, naming the run.

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

if [ "${PITH_STRESS_RUNS:-0}" -gt 0 ]; then add stress_pthread stress_pthread; fi
