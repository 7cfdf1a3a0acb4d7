# The kernel's random numbers without RDRAND or RDSEED (kernel/cpu_random.c,
# boot/kaslr/kaslr_boot.c; docs/boot.md, "Entropy"), sourced by
# test/run-tests (uses its add, finish, leftovers, run_pith, BUILD, LOGS,
# SCRATCH). TCG's -cpu max has both, so without this the TSC fallback never
# runs:
#  entropy_tsc_fallback  5 boots of build/test/dynamic/aslr_probe on a CPU
#                        without them (test/entropy/qemu-no-rdrand): each runs,
#                        the kernel tells the host (control line) its source
#                        is "tsc", and the KASLR text address, the PIE base
#                        and the stack address are all different in the 5
#                        boots. A fallback that returned a constant fails it
#                        (the PIE base and stack repeat).

ENTROPY_BOOTS=5

entropy_tsc_fallback() {
    local name=entropy_tsc_fallback log=$LOGS/entropy_tsc_fallback.log tmp=$SCRATCH/entropy_tsc_fallback.tmp
    local problems="" i control line region n distinct
    local seen=$SCRATCH/$name.seen
    mkdir -p "$tmp"; : > "$log"; : > "$seen"
    for ((i = 1; i <= ENTROPY_BOOTS; i++)); do
        control=$SCRATCH/$name.control$i
        rm -f "$control"
        ENTROPY_CONTROL=$control PITH_QEMU=test/entropy/qemu-no-rdrand \
            run_pith "$log" "$tmp" run "$BUILD/test/dynamic/aslr_probe"
        { echo "--- control channel"; cat "$control"; } >> "$log" 2>&1
        [ "$rc" -eq 0 ] || problems+="boot $i: exit $rc; "
        grep -qx 'entropy tsc' "$control" 2> /dev/null ||
            problems+="boot $i: the kernel did not say it uses the TSC ($(grep '^entropy' "$control" 2> /dev/null || echo 'no entropy line')); "
        line=$(tr -d '\r' < "$RAW.out" | grep -m1 '^aslr ')
        [ -n "$line" ] || { problems+="boot $i: the program printed no aslr line; "; continue; }
        echo "kaslr=$(tr -d '\r' < "$RAW.out" | sed -n 's/^kaslr: kernel text at \([0-9a-f]*\),.*/\1/p' | head -1) $line" >> "$seen"
    done
    cat "$seen" >> "$log"
    for region in kaslr pie stack; do
        n=$(sed -n "s/.*\b$region=\([0-9a-f][0-9a-f]*\).*/\1/p" "$seen" | wc -l)
        distinct=$(sed -n "s/.*\b$region=\([0-9a-f][0-9a-f]*\).*/\1/p" "$seen" | sort -u | wc -l)
        [ "$n" -eq "$ENTROPY_BOOTS" ] || problems+="$region: $n addresses in $ENTROPY_BOOTS boots; "
        [ "$distinct" -eq "$n" ] || problems+="$region: only $distinct different addresses in $n boots; "
    done
    problems+=$(leftovers "$tmp")
    finish $name "$problems"
}

if [ -x "$BUILD/test/dynamic/aslr_probe" ]; then
    add entropy_tsc_fallback entropy_tsc_fallback
else
    SKIPS+=("entropy_tsc_fallback|$BUILD/test/dynamic/aslr_probe not built")
fi
