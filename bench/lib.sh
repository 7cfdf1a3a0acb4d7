# Helpers shared by the bench scripts (sourced; needs OUT, RUNS and
# $OUT/stopwatch set up by the caller).

# median of numbers on stdin ("-" if none)
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else print v[int((NR + 1) / 2)] }'; }

# ratio A B: A/B with two decimals, "-" when either is not a number (unknown,
# a failed cell) or B is 0
ratio() {
    awk -v a="$1" -v b="$2" 'function num(x) { return x ~ /^[0-9]+(\.[0-9]*)?$/ }
        BEGIN { if (num(a) && num(b) && b > 0) printf "%.2f", a / b; else print "-" }'
}

# measure LABEL MARKER COMMAND...: run RUNS times under the stopwatch (stdin
# /dev/null); sets FIRST, SEEN, EXIT (medians, ms). A marker that does not
# appear in some run is reported on stderr.
measure() {
    local label=$1 marker=$2; shift 2
    local i f s e st firsts="" seens="" exits="" bad=0
    for ((i = 0; i < RUNS; i++)); do
        read -r f s e st <<< "$("$OUT/stopwatch" -m "$marker" -o "$OUT/$label.out" -- "$@" < /dev/null)"
        [ -z "$marker" ] || [ "$s" != -1 ] || bad=1
        firsts+="$f"$'\n'; seens+="$s"$'\n'; exits+="$e"$'\n'
    done
    [ "$bad" = 0 ] || echo "bench: $label: '$marker' did not appear in some runs (see $OUT/$label.out)" >&2
    FIRST=$(printf '%s' "$firsts" | median)
    SEEN=$(printf '%s' "$seens" | median)
    EXIT=$(printf '%s' "$exits" | median)
}

# bench_engines: ENGINES=(tcg), plus kvm where /dev/kvm is open to the user;
# KVM_NOTE says why not (empty when KVM is offered)
bench_engines() {
    ENGINES=(tcg)
    KVM_NOTE=""
    if [ ! -e /dev/kvm ]; then
        KVM_NOTE="no /dev/kvm on this host"
    elif [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
        KVM_NOTE="/dev/kvm is not open to $(id -un)"
    else
        ENGINES+=(kvm)
    fi
}

# host_tsc_khz: the host's TSC rate in kHz (empty if unknown). Linux on
# microvm has neither HPET nor ACPI PM timer to calibrate the TSC against and
# can hang trying; its TSC ticks at the host's rate under both engines, so it
# is told the host's (the kernel's refined value first: the most exact).
host_tsc_khz() {
    local mhz
    mhz=$(dmesg 2> /dev/null | sed -n 's/.*tsc: Refined TSC clocksource calibration: \([0-9.]*\) MHz.*/\1/p' | tail -n1)
    [ -n "$mhz" ] || mhz=$(dmesg 2> /dev/null | sed -n 's/.*tsc: Detected \([0-9.]*\) MHz processor.*/\1/p' | tail -n1)
    [ -n "$mhz" ] || mhz=$(awk -F': *' '/^cpu MHz/ { print $2; exit }' /proc/cpuinfo)
    awk -v m="$mhz" 'BEGIN { if (m > 0) printf "%d", m * 1000 }'
}

# bisect_min PREDICATE LO HI: the smallest MiB in (LO, HI] for which
# PREDICATE MiB succeeds (PREDICATE HI must succeed)
bisect_min() {
    local pred=$1 lo=$2 hi=$3 mid
    while ((hi - lo > 1)); do
        mid=$(((lo + hi) / 2))
        if "$pred" "$mid"; then hi=$mid; else lo=$mid; fi
    done
    echo "$hi"
}

# --- cells: commands measured side by side, possibly unable to run here -------
# A cell is one command in a table (a guest on one machine under one engine).
# cells_run measures them in rounds, every cell once per round, so that a
# change in the host's load (other jobs share its cores) hits every row alike
# and the ratios between rows hold. Needs TIMEOUT (seconds) besides OUT, RUNS.
#   cell_add KEY MARKER STATUS COMMAND...
#       a good run exits with STATUS, prints MARKER (if not empty) and writes
#       nothing on stderr: QEMU reports what it cannot do there, often with the
#       same status (1) as the floor guest's normal exit.
#   cells_run
#       then CELL_SEEN[KEY] and CELL_EXIT[KEY] are medians in ms (SEEN "-"
#       without a marker), or CELL_WHY[KEY] says why the command cannot run;
#       $OUT/KEY.all holds the output of every good run, one after the other
#       (for guests that report their own measurements).
declare -A CELL_CMD CELL_MARKER CELL_STATUS CELL_SEEN CELL_EXIT CELL_WHY
CELL_KEYS=()

cell_add() {
    local key=$1
    CELL_MARKER[$key]=$2 CELL_STATUS[$key]=$3
    shift 3
    CELL_CMD[$key]=$(printf '%q ' "$@")
    CELL_KEYS+=("$key")
}

# cell_once KEY: one run; its times go to $OUT/KEY.times, "" to CELL_WHY[KEY]
# if it was good, else the reason.
cell_once() {
    local key=$1 marker=${CELL_MARKER[$1]} cmd f s e st err=$OUT/$1.err
    eval "cmd=(${CELL_CMD[$key]})"
    # -k: a QEMU that ignores SIGTERM must not hang the bench either.
    read -r f s e st <<< "$("$OUT/stopwatch" -m "$marker" -o "$OUT/$key.out" -- \
        timeout -k 5 "$TIMEOUT" "${cmd[@]}" < /dev/null 2> "$err")"
    if [ "$st" = 124 ] || [ "$st" = 137 ]; then
        # QEMU keeps a VM that KVM could not run, stopped, until it is killed:
        # the timeout is what ended it, the error is what to report.
        if grep -q "KVM internal error" "$err"; then
            CELL_WHY[$key]="KVM internal error (QEMU kept the stopped VM until the ${TIMEOUT} s timeout)"
        else
            CELL_WHY[$key]="no ${marker:+'$marker' or }exit within ${TIMEOUT} s (stopped by the timeout)"
        fi
    elif [ -s "$err" ]; then
        CELL_WHY[$key]=$(grep -m1 -v '^[[:space:]]*$' "$err")
    elif [ "$st" != "${CELL_STATUS[$key]}" ]; then
        CELL_WHY[$key]="exit status $st"
    elif [ -n "$marker" ] && [ "$s" = -1 ]; then
        CELL_WHY[$key]="exit status $st but no '$marker' on stdout"
    else
        CELL_WHY[$key]=""
        echo "$s $e" >> "$OUT/$key.times"
        cat "$OUT/$key.out" >> "$OUT/$key.all"
    fi
}

cells_run() {
    local key round
    for key in "${CELL_KEYS[@]}"; do rm -f "$OUT/$key.times" "$OUT/$key.all"; done
    for ((round = 0; round < RUNS; round++)); do
        for key in "${CELL_KEYS[@]}"; do
            # A cell whose first run failed is out: a guest its engine cannot run
            # fails every time, and each failure may cost the whole timeout.
            [ "$round" = 0 ] || [ -s "$OUT/$key.times" ] || continue
            cell_once "$key"
            [ "$round" = 0 ] || [ -z "${CELL_WHY[$key]}" ] ||
                echo "bench: $key: a later run failed, left out of the median: ${CELL_WHY[$key]}" >&2
        done
    done
    for key in "${CELL_KEYS[@]}"; do
        if [ -s "$OUT/$key.times" ]; then
            CELL_WHY[$key]=""
            CELL_SEEN[$key]=$(awk '$1 >= 0 { print $1 }' "$OUT/$key.times" | median)
            CELL_EXIT[$key]=$(awk '{ print $2 }' "$OUT/$key.times" | median)
        else
            CELL_SEEN[$key]="-" CELL_EXIT[$key]="-"
        fi
    done
}

# pith_engine_args: sets ENGINE_ARGS to the -accel/-cpu that `pith run` uses
# here (pith accel), so a Linux guest compared with Pith runs on the same engine.
pith_engine_args() {
    local verdict; verdict=$("$PITH" accel 2> /dev/null < /dev/null)
    case $verdict in
        "kvm (cpu "*) local cpu=${verdict#kvm (cpu }; ENGINE_ARGS=(-accel kvm -cpu "${cpu%)}") ;;
        *) ENGINE_ARGS=(-accel tcg -cpu max)
           # pith has said why once (pith accel); no warning line per run.
           export PITH_ACCEL=tcg ;;
    esac
}
