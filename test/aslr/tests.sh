# Address-space layout randomization (loader/elf_layout.c), sourced by
# test/run-tests (uses its add, record, finish, leftovers, BUILD, PITH, LOGS,
# SCRATCH):
#  aslr_spread  scripts/aslr-entropy --check with 24 boots (two at a time) of
#               build/test/dynamic/aslr_probe: the PIE, interpreter, mmap,
#               heap, brk gap, stack and vDSO addresses each show at least
#               their minimum of varying bits, and no two boots share one.
#               The long measurement against this host (200 boots, recorded
#               in build/report/aslr.txt) is the same script without --check.

aslr_spread() {
    local name=aslr_spread log=$LOGS/aslr_spread.log tmp=$SCRATCH/aslr_spread.tmp problems=""
    mkdir -p "$tmp"
    if ! TMPDIR=$tmp BUILD=$BUILD PITH=$PITH scripts/aslr-entropy -n 24 -j 2 --check --no-report > "$log" 2>&1; then
        problems="$(tail -n1 "$log"); "
    fi
    problems+=$(leftovers "$tmp")
    finish $name "$problems"
}

if [ -x "$BUILD/test/dynamic/aslr_probe" ]; then
    add aslr_spread aslr_spread
else
    SKIPS+=("aslr_spread|$BUILD/test/dynamic/aslr_probe not built")
fi
