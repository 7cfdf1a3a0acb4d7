# Helpers shared by the bench scripts (sourced; needs OUT, RUNS and
# $OUT/stopwatch set up by the caller).

# median of numbers on stdin ("-" if none)
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else print v[int((NR + 1) / 2)] }'; }

# ratio A B: A/B with two decimals, "-" when either is unknown or B is 0
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a != "-" && b != "-" && b > 0 && a >= 0) printf "%.2f", a / b; else print "-" }'; }

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
