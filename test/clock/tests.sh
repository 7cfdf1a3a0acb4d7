# The clock and timer paths, sourced by test/run-tests (uses its add, record,
# finish, run_pith, leftovers, BUILD, PITH, LOGS, SCRATCH). Each test boots
# test/runtime/clock.c, which prints what the kernel chose, as Linux shows it
# in /sys (clocksource0/current_clocksource, clockevent0/current_device), and
# what CPUID offered, then checks that clocks, sleeps and timed futex waits
# work. The CPU model is pinned through test/clock/qemu-cpu (PITH_QEMU), which
# runs qemu-system-x86_64 from PATH (or PITH_CLOCK_QEMU).
#
#  clock_tcg              TCG, -cpu max: the TSC (rate timed against the PIT)
#                         and the one-shot APIC timer; QEMU 7.2's TCG has
#                         neither kvmclock nor TSC-deadline.
#  clock_tcg_deadline_lie TCG, -cpu max,+tsc-deadline,x-force-features=on:
#                         CPUID claims TSC-deadline but QEMU's TCG APIC drops
#                         the deadline; the kernel must notice and fall back to
#                         one-shot instead of sleeping forever.
#  clock_kvm              where KVM can run Pith (`pith accel` says kvm):
#                         kvm-clock, and lapic-deadline when CPUID offers it;
#                         then -kvmclock,-tsc-deadline: the fallbacks under KVM.
#                         Skipped elsewhere, with the reason.

CLOCK_QEMU=$PWD/test/clock/qemu-cpu

# clock_problems FILE SOURCE EVENT: what in clock.c's output FILE differs from
# the expected clocksource SOURCE and clockevent EVENT.
clock_problems() {
    local out=$1 source=$2 event=$3 problems=""
    grep -qx "clocksource: $source" "$out" || problems+="clocksource $(sed -n 's/^clocksource: //p' "$out"), expected $source; "
    grep -qx "clockevent: $event" "$out" || problems+="clockevent $(sed -n 's/^clockevent: //p' "$out"), expected $event; "
    grep -q "^available: .*\\b$source\\b" "$out" || problems+="$source not in available_clocksource; "
    grep -qx 'clock ok' "$out" || problems+="timing: $(grep -v -e '^clock' -e '^available' -e '^cpuid' -e '^slept' "$out" | head -n1); "
    echo "$problems"
}

# clock_boot LOG TMP ACCEL CPU CPU_ADD: boot clock.c; the output lands in $RAW.txt.
clock_boot() {
    local log=$1 tmp=$2 accel=$3 cpu=$4 add=$5
    echo "# QEMU: -accel $accel -cpu ${cpu:-(as pith chose)}$add" >> "$log"
    PITH_QEMU=$CLOCK_QEMU PITH_CLOCK_ACCEL=$accel PITH_CLOCK_CPU=$cpu PITH_CLOCK_CPU_ADD=$add \
        run_pith "$log" "$tmp" run --accel "$accel" "$BUILD/test/musl/clock"
    tr -d '\r' < "$RAW.out" > "$RAW.txt"
}

# clock_tcg NAME CPU: under TCG with -cpu CPU the TSC and the one-shot timer
# must be chosen; WANT_CPUID is what CPUID must say about TSC-deadline.
clock_tcg() {
    local name=$1 cpu=$2 want_cpuid=$3
    local log=$LOGS/$name.log tmp=$SCRATCH/$name.tmp problems=""
    mkdir -p "$tmp"; : > "$log"
    clock_boot "$log" "$tmp" tcg "$cpu" ""
    [ "$rc" -eq 0 ] || problems+="exit $rc; "
    grep -qx "cpuid tsc-deadline: $want_cpuid" "$RAW.txt" || problems+="CPUID TSC-deadline bit is not $want_cpuid; "
    problems+=$(clock_problems "$RAW.txt" tsc lapic)
    problems+=$(leftovers "$tmp")
    finish "$name" "$problems"
}

clock_kvm() {
    local name=clock_kvm log=$LOGS/clock_kvm.log tmp=$SCRATCH/clock_kvm.tmp problems="" verdict
    mkdir -p "$tmp"; : > "$log"
    verdict=$(PITH_QEMU=$CLOCK_QEMU timeout -k 5 "$TIMEOUT" "$PITH" accel 2>> "$log")
    echo "pith accel: $verdict" >> "$log"
    case $verdict in
        kvm*) ;;
        *) record $name skip "no KVM that runs Pith here: ${verdict:-pith accel failed}"; return ;;
    esac
    clock_boot "$log" "$tmp" kvm "" ""
    [ "$rc" -eq 0 ] || problems+="exit $rc; "
    local event=lapic
    grep -qx 'cpuid tsc-deadline: 1' "$RAW.txt" && event=lapic-deadline
    problems+=$(clock_problems "$RAW.txt" kvm-clock $event)
    clock_boot "$log" "$tmp" kvm "" ",-kvmclock,-tsc-deadline"
    [ "$rc" -eq 0 ] || problems+="without kvmclock and TSC-deadline: exit $rc; "
    local fallback; fallback=$(clock_problems "$RAW.txt" tsc lapic)
    [ -z "$fallback" ] || problems+="without kvmclock and TSC-deadline: $fallback"
    problems+=$(leftovers "$tmp")
    finish $name "$problems"
}

add clock_tcg clock_tcg clock_tcg max 0
add clock_tcg_deadline_lie clock_tcg clock_tcg_deadline_lie max,+tsc-deadline,x-force-features=on 1
add clock_kvm clock_kvm

# clock_sleep_idle: a program that sleeps costs the host no CPU. sleep_cost.c
# sleeps 3 s, then spins 2 s, printing a line at each boundary; the host
# reads QEMU's utime+stime (/proc/PID/stat) at each line. The sleep must
# cost under 25% of its wall time, and the spin at least twice the sleep's
# share and 100 ms, so a guest that spun while "sleeping" (or a measurement that
# sees nothing) fails. The figures are in the log.
qemu_cpu_ms() {
    local stat; stat=$(cat "/proc/$1/stat" 2> /dev/null) || { echo 0; return; }
    set -- ${stat##*) }
    echo $(( (${12} + ${13}) * 1000 / CLK_TCK ))
}

# wait_line FILE TEXT SECONDS: until FILE has the line TEXT; false on timeout.
wait_line() {
    local i
    for ((i = 0; i < $3 * 20; i++)); do
        grep -q "^$2" "$1" 2> /dev/null && return 0
        sleep 0.05
    done
    return 1
}

clock_sleep_idle() {
    local name=clock_sleep_idle log=$LOGS/clock_sleep_idle.log tmp=$SCRATCH/clock_sleep_idle.tmp problems=""
    mkdir -p "$tmp"; : > "$log"
    RAW=$SCRATCH/clock_sleep_idle
    CLK_TCK=$(getconf CLK_TCK)
    echo "\$ $PITH run $BUILD/test/musl/sleep_cost" >> "$log"
    TMPDIR=$tmp "$PITH" run "$BUILD/test/musl/sleep_cost" < /dev/null > "$RAW.out" 2> "$RAW.err" &
    local pid=$! qemu="" t0 c0 t1 c1 t2 c2
    if wait_line "$RAW.out" "sleep begins" 90; then
        qemu=$(pgrep -P "$pid" | head -n1)
        echo "QEMU: pid $qemu, $(cat "/proc/$qemu/comm" 2> /dev/null)" >> "$log"
        t0=$(date +%s%3N); c0=$(qemu_cpu_ms "$qemu")
        if wait_line "$RAW.out" "sleep ends" 30; then
            t1=$(date +%s%3N); c1=$(qemu_cpu_ms "$qemu")
            if wait_line "$RAW.out" "spin ends" 30; then
                t2=$(date +%s%3N); c2=$(qemu_cpu_ms "$qemu")
            fi
        fi
    fi
    if [ -z "${t2:-}" ]; then
        kill -TERM "$pid" 2> /dev/null
        problems+="the program did not get through its phases; "
    fi
    wait "$pid"; local rc=$?
    { echo "--- stdout"; cat "$RAW.out"; echo "--- stderr"; cat "$RAW.err"; echo "--- exit $rc"; } >> "$log"
    [ "$rc" -eq 0 ] || problems+="exit $rc; "
    if [ -z "$problems" ]; then
        if [ -z "$qemu" ]; then
            problems+="no QEMU process under pith $pid; "
        else
            local sleep_pct=$(( (c1 - c0) * 100 / (t1 - t0) )) spin_pct=$(( (c2 - c1) * 100 / (t2 - t1) ))
            echo "sleep: QEMU used $((c1 - c0)) ms of CPU in $((t1 - t0)) ms ($sleep_pct%)" >> "$log"
            echo "spin: QEMU used $((c2 - c1)) ms of CPU in $((t2 - t1)) ms ($spin_pct%)" >> "$log"
            [ "$sleep_pct" -lt 25 ] || problems+="sleeping cost the host $sleep_pct% CPU; "
            # At least 100 ms: the host may be busy (CI shares 2 cores), so no
            # fixed share of the wall time is promised to a spinning QEMU.
            [ "$spin_pct" -ge $((2 * sleep_pct)) ] && [ $((c2 - c1)) -ge 100 ] ||
                problems+="sleep cost $sleep_pct%, spin $spin_pct% ($((c2 - c1)) ms): sleeping is not much cheaper than spinning, or the measurement sees no guest CPU; "
        fi
    fi
    problems+=$(leftovers "$tmp")
    finish $name "$problems"
}

add clock_sleep_idle clock_sleep_idle
