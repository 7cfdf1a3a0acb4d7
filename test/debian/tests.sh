# Dynamically linked programs, sourced by test/run-tests (uses its add,
# record, finish, run_pith, leftovers, FILTER, BUILD, PITH, LOGS, SCRATCH).
#
#  deb_*      unmodified Debian 12 programs (busybox, coreutils, python3.11; sockets.py: the socket module)
#             from packages fetched by scripts/fetch-debian into
#             build/debian/root: never the host's installed copies.
#  dyn_*      programs built here: a glibc PIE C++ program, a dynamic musl
#             program, and the host's /usr/bin/python3.
#  ldd_*      `pith ldd` lists exactly the libraries the loader opens (--trace).
#  dynbad_*   broken dynamic programs (test/debian/make-fixtures): at image
#             build time exit 2 with one line naming the culprit; at run time
#             (--no-check, the broken file put in with -f) the kernel's loader
#             error 252 for a bad interpreter, glibc's own error and 127 for a
#             bad library. Never a hang or a fault.
#
# Tests that need pith's library collector (pith ldd, --sysroot, dynamic
# programs without -f) are skipped with the reason when pith has none.

DEB_ROOT=$BUILD/debian/root
DEB_FIX=$BUILD/test/debian
DEB_PKGS=(busybox coreutils python3.11-minimal libpython3.11-stdlib)
declare -A DEB_CHECKS=()

# --- what this pith can do ---------------------------------------------------

DEB_SYSROOT=0 DEB_LDD=0 DEB_COLLECT=0
"$PITH" run --help 2>&1 | grep -q -- '--sysroot' && DEB_SYSROOT=1
if [ -x "$BUILD/test/dynamic/hello" ]; then
    "$PITH" ldd "$BUILD/test/dynamic/hello" > /dev/null 2>&1 && DEB_LDD=1
    mkdir -p "$SCRATCH"
    "$PITH" build -o "$SCRATCH/deb-probe.img" "$BUILD/test/dynamic/hello" > /dev/null 2>&1 && DEB_COLLECT=1
    rm -f "$SCRATCH/deb-probe.img"
fi
DEB_NO_COLLECT="pith does not collect libraries yet (no 'pith ldd' / dynamic 'pith build')"

# --- the test runner for all of them ----------------------------------------------

# deb_case NAME EXIT PITH-ARGS...: runs pith, then the checks in
# DEB_CHECKS[NAME] (lines "expect: TEXT", "regex: RE", "absent: TEXT",
# "stderr: TEXT" (on stderr), "one-line" (exactly one "pith: " line on stderr
# and nothing on stdout: the build-time error shape)).
deb_case() {
    local name=$1 want=$2; shift 2
    local log=$LOGS/$name.log tmp=$SCRATCH/$name.tmp problems="" line key value
    mkdir -p "$tmp"; : > "$log"
    run_pith "$log" "$tmp" "$@"
    if [ "$rc" -eq 124 ]; then record "$name" FAIL "timeout after ${TIMEOUT}s"; return; fi
    local out=$RAW.txt
    tr -d '\r' < "$RAW.out" > "$out"
    [ "$rc" -eq "$want" ] || problems+="exit $rc, expected $want; "
    while IFS= read -r line; do
        [ -n "$line" ] || continue
        key=${line%%:*} value=${line#*: }
        case $key in
            expect) grep -qF -- "$value" "$out" || problems+="missing '$value'; " ;;
            absent) grep -qF -- "$value" "$out" && problems+="unexpected '$value'; " ;;
            regex) grep -qE -- "$value" "$out" || problems+="no line matches /$value/; " ;;
            stderr) grep -qF -- "$value" "$RAW.err" || problems+="stderr lacks '$value'; " ;;
            one-line)
                [ "$(wc -l < "$RAW.err")" -eq 1 ] || problems+="$(wc -l < "$RAW.err") lines on stderr, expected 1; "
                grep -q '^pith: ' "$RAW.err" || problems+="stderr does not start with 'pith: '; "
                [ -s "$RAW.out" ] && problems+="output on stdout; " ;;
        esac
    done <<< "${DEB_CHECKS[$name]:-}"
    problems+=$(leftovers "$tmp")
    finish "$name" "$problems"
}

# deb_add NAME EXIT CHECKS PITH-ARGS...: register a deb_case (CHECKS: lines, see deb_case)
deb_add() {
    local name=$1 want=$2 checks=$3; shift 3
    DEB_CHECKS[$name]=$checks
    local q; q=$(printf '%q ' "$@")
    add "$name" deb_case "$name" "$want" "$q"
}

deb_skip() { SKIPS+=("$1|$2"); }

# deb_wanted PREFIX: does the filter select any test whose name starts with PREFIX?
deb_wanted() {
    [ -z "$FILTER" ] && return 0
    local n
    for n in "$@"; do [[ "$n" =~ $FILTER ]] && return 0; done
    return 1
}

# --- the programs built here (only when a source changed) ------------------------

newest=$(ls -t test/debian/make-fixtures test/debian/*.c test/debian/*.cpp "$DEB_FIX/.made" 2> /dev/null | head -n1)
if [ "$newest" != "$DEB_FIX/.made" ]; then
    mkdir -p "$LOGS"
    bash test/debian/make-fixtures "$DEB_FIX" "$BUILD/test/bad/aarch64" > "$LOGS/debian-fixtures.log" 2>&1 &&
        touch "$DEB_FIX/.made"
fi

# --- Debian packages ---------------------------------------------------------------

DEB_NAMES=(deb_busybox_echo deb_busybox_ls deb_busybox_sha256 deb_busybox_awk
           deb_sort deb_sha256sum deb_wc deb_date deb_date_now deb_python_selftest deb_python_42
           deb_python_threads deb_python_threads_cpus2 deb_python_sockets
           ldd_python ldd_sort)
deb_fetch_ok=0
if deb_wanted "${DEB_NAMES[@]}"; then
    mkdir -p "$LOGS"
    if scripts/fetch-debian --root "$DEB_ROOT" --deps "${DEB_PKGS[@]}" > "$LOGS/debian-fetch.log" 2>&1; then
        deb_fetch_ok=1
    else
        reason="fetching Debian packages failed: $(grep 'fetch-debian:' "$LOGS/debian-fetch.log" | tail -n1)"
        for n in "${DEB_NAMES[@]}"; do deb_skip "$n" "$reason"; done
    fi
fi

if [ "$deb_fetch_ok" = 1 ] && { [ "$DEB_SYSROOT" = 0 ] || [ "$DEB_COLLECT" = 0 ]; }; then
    for n in "${DEB_NAMES[@]}"; do [[ $n == ldd_* ]] || deb_skip "$n" "$DEB_NO_COLLECT"; done
elif [ "$deb_fetch_ok" = 1 ]; then
    R=$DEB_ROOT
    deb_opts=(--sysroot "$R")
    deb_bin() { echo "$R/usr/bin/$1"; }
    sample=test/runtime/data/sample.txt
    bb=$(deb_bin busybox)

    deb_add deb_busybox_echo 0 $'expect: dynamic busybox says hi\nabsent: error while loading' \
        run "${deb_opts[@]}" "$bb" echo dynamic busybox says hi
    deb_add deb_busybox_ls 0 $'regex: ^d.* data$\nregex: ^-.* sample\\.txt$' \
        run "${deb_opts[@]}" -f test/runtime/data:/data "$bb" ls -l / /data
    deb_add deb_busybox_sha256 0 "expect: $(sha256sum "$bb" | cut -c1-64)"$'\n'"expect: $(sha256sum "$sample" | cut -c1-64)" \
        run "${deb_opts[@]}" -f "$sample:/sample.txt" -f "$bb:/copy/busybox" "$bb" sha256sum /copy/busybox /sample.txt
    deb_add deb_busybox_awk 0 'expect: sum=55 n=10' \
        run "${deb_opts[@]}" "$bb" awk 'BEGIN { for (i = 1; i <= 10; i++) s += i; print "sum=" s " n=" i - 1 }'

    deb_add deb_sort 0 $'regex: ^apple$\nregex: ^fig$\nregex: ^pear$\nabsent: error' \
        run "${deb_opts[@]}" -f test/debian/words.txt:/words.txt "$(deb_bin sort)" -u /words.txt
    deb_add deb_sha256sum 0 "expect: $(sha256sum "$sample" | cut -c1-64)  /sample.txt" \
        run "${deb_opts[@]}" -f "$sample:/sample.txt" "$(deb_bin sha256sum)" /sample.txt
    deb_add deb_wc 0 "regex: ^ *$(wc -l < "$sample") +$(wc -w < "$sample") +$(wc -c < "$sample") /sample.txt$" \
        run "${deb_opts[@]}" -f "$sample:/sample.txt" "$(deb_bin wc)" /sample.txt
    deb_add deb_date 0 $'expect: 1970-01-02 10:17:36 UTC Friday' \
        run "${deb_opts[@]}" "$(deb_bin date)" -u -d @123456 '+%Y-%m-%d %H:%M:%S %Z %A'
    deb_add deb_date_now 0 "expect: year $(date -u +%Y)" \
        run "${deb_opts[@]}" "$(deb_bin date)" -u '+year %Y'

    py=$R/usr/bin/python3.11
    pylib=(-f "$R/usr/lib/python3.11:/usr/lib/python3.11")
    deb_add deb_python_selftest 0 $'regex: ^selftest: [0-9]+ checks ok$\nabsent: selftest FAIL\nabsent: Traceback' \
        run "${deb_opts[@]}" "${pylib[@]}" -f test/debian/selftest.py:/selftest.py "$py" /selftest.py
    deb_add deb_python_42 0 $'regex: ^42$' \
        run "${deb_opts[@]}" "${pylib[@]}" "$py" -c 'print(6*7)'
    # threads.py: threading and concurrent.futures (it checks its own
    # answers), on one CPU and with --cpus 2, on the default machine: its
    # threads fault in library pages concurrently, through TFS's guard, while
    # a page fault waits for the disk by interrupt.
    py_threads_checks=$'expect: threads: all parts ok\nexpect: executor: (12020986500, [285, 2470, 8555], "ValueError(\'from a worker\')")\nexpect: lock: 40000\nexpect: queue: 659700\nexpect: condition: (200, True)\nexpect: event+timer: (True, True, True, True)\nexpect: semaphore+barrier: (True, [0, 1, 2, 3, 4])\nexpect: local: (True, 6)\nabsent: FAILED\nabsent: Traceback'
    deb_add deb_python_threads 0 "$py_threads_checks" \
        run --cpus 1 "${deb_opts[@]}" "${pylib[@]}" -f test/debian/threads.py:/threads.py "$py" /threads.py
    deb_add deb_python_threads_cpus2 0 "$py_threads_checks" \
        run --cpus 2 "${deb_opts[@]}" "${pylib[@]}" -f test/debian/threads.py:/threads.py "$py" /threads.py
    # sockets.py: the socket module over AF_UNIX and if_nameindex (netlink).
    deb_add deb_python_sockets 0 $'expect: sockets: all parts ok\nexpect: server: [b\'ONE\', b\'TWO\', b\'THREE\']\nexpect: send_fds: (b\'fd\', 1, b\'through\', b\'\')\nexpect: selector: (\'EpollSelector\', [], [(\'b\', 1)])\nexpect: if_nameindex: [(1, \'lo\')]\nabsent: FAILED\nabsent: Traceback' \
        run --cpus 2 "${deb_opts[@]}" "${pylib[@]}" -f test/debian/sockets.py:/sockets.py "$py" /sockets.py
fi

# --- dynamic programs built here, and the host's python -------------------------------------

if [ "$DEB_COLLECT" = 0 ]; then
    for n in dyn_cxx_pie dyn_musl dyn_host_python; do deb_skip "$n" "$DEB_NO_COLLECT"; done
elif [ -x "$DEB_FIX/cxx_demo" ] && [ -x "$DEB_FIX/musl_dynamic" ]; then
    # Libraries from the host: these programs were built against them.
    deb_add dyn_cxx_pie 0 $'expect: sorted: apple kiwi kiwi zebra\nexpect: distinct: 3\nexpect: range_error: not positive: -3\nexpect: invalid_argument: xyz\nexpect: static object constructed\nexpect: caught 2' \
        run "$DEB_FIX/cxx_demo" zebra kiwi apple kiwi
    deb_add dyn_musl 0 $'expect: musl dynamic: 0.5 2 10\nexpect: PATH=/bin:/usr/bin' \
        run "$DEB_FIX/musl_dynamic" 10 0.5 2
else
    deb_skip dyn_cxx_pie "cannot build $DEB_FIX/cxx_demo (see $LOGS/debian-fixtures.log)"
    deb_skip dyn_musl "cannot build $DEB_FIX/musl_dynamic (see $LOGS/debian-fixtures.log)"
fi

# The host's own python3 (a Debian machine's /usr/bin/python3, whatever PATH
# says), with its standard library added.
hostpy=/usr/bin/python3
hostlib=$(readlink -f "$hostpy" 2> /dev/null); hostlib=/usr/lib/$(basename "${hostlib:-python3}")
if [ "$DEB_COLLECT" = 0 ]; then :
elif [ -x "$hostpy" ] && [ -d "$hostlib" ]; then
    deb_add dyn_host_python 0 'regex: ^42$' run -f "$hostlib" "$hostpy" -c 'print(6*7)'
else
    deb_skip dyn_host_python "no /usr/bin/python3 with its library in /usr/lib"
fi

# --- pith ldd against what the loader opens -------------------------------------------

# ldd_vs_trace NAME LDD-ARGS -- RUN-ARGS: every library `pith ldd LDD-ARGS`
# lists is opened by the guest's loader during `pith run --trace RUN-ARGS`,
# and the loader opens no shared object ldd did not list.
ldd_vs_trace() {
    local name=$1; shift
    local -a ldd_args=() run_args=()
    while [ "$1" != -- ]; do ldd_args+=("$1"); shift; done; shift
    run_args=("$@")
    local log=$LOGS/$name.log tmp=$SCRATCH/$name.tmp problems=""
    mkdir -p "$tmp"; : > "$log"
    run_pith "$log" "$tmp" ldd "${ldd_args[@]}"
    [ "$rc" -eq 0 ] || { record "$name" FAIL "pith ldd exit $rc: $(head -n1 "$RAW.err")"; return; }
    cp "$RAW.out" "$SCRATCH/$name.ldd"
    # The exit status is not judged here: the loader's work is over before
    # main, and the run tests check the programs themselves.
    run_pith "$log" "$tmp" run --trace "${run_args[@]}"
    # Shared objects opened successfully (the interpreter is mapped by the
    # kernel, not opened).
    tr -d '\r' < "$RAW.out" | sed -n 's/.*openat([^"]*"\([^"]*\.so[.0-9]*\)".*) = \([0-9][0-9]*\)$/\1/p' |
        sed 's|//*|/|g' | sort -u > "$SCRATCH/$name.opened"
    # ldd's library names: files and symlinks, minus what a listed symlink
    # points to (the loader opens the name, not the target), minus the
    # program, the interpreter and the extras pith adds for NSS, iconv, TLS.
    awk '
        { name = $1; kind = $2; what = $3 }
        kind == "->" { if (what !~ /^\//) { dir = name; sub(/[^\/]*$/, "", dir); what = dir what } target[what] = 1 }
        { names[NR] = name }
        END { for (i = 2; i <= NR; i++) if (!(names[i] in target)) print names[i] }' "$SCRATCH/$name.ldd" |
        grep -E '\.so[.0-9]*$' | grep -vE '/ld-linux[^/]*$|/ld-musl|libnss_|/gconv/' | sort -u > "$SCRATCH/$name.listed"
    local missing extra
    missing=$(comm -23 "$SCRATCH/$name.listed" "$SCRATCH/$name.opened" | tr '\n' ' ')
    extra=$(comm -13 "$SCRATCH/$name.listed" "$SCRATCH/$name.opened" | tr '\n' ' ')
    [ -s "$SCRATCH/$name.listed" ] || problems+="ldd listed no library; "
    [ -z "$missing" ] || problems+="listed but not opened: $missing; "
    [ -z "$extra" ] || problems+="opened but not listed: $extra; "
    { echo "--- listed"; cat "$SCRATCH/$name.listed"; echo "--- opened"; cat "$SCRATCH/$name.opened"; } >> "$log"
    problems+=$(leftovers "$tmp")
    finish "$name" "$problems"
}

if [ "$DEB_LDD" = 1 ] && [ "$DEB_SYSROOT" = 1 ]; then
    if [ "$deb_fetch_ok" = 1 ]; then
        # -I -S: no site import, so python loads no extension module of its own.
        add ldd_python ldd_vs_trace ldd_python --sysroot "$DEB_ROOT" "$DEB_ROOT/usr/bin/python3.11" -- \
            --sysroot "$DEB_ROOT" -f "$DEB_ROOT/usr/lib/python3.11:/usr/lib/python3.11" \
            "$DEB_ROOT/usr/bin/python3.11" -I -S -c pass
        add ldd_sort ldd_vs_trace ldd_sort --sysroot "$DEB_ROOT" "$DEB_ROOT/usr/bin/sort" -- \
            --sysroot "$DEB_ROOT" "$DEB_ROOT/usr/bin/sort" /dev/null
    fi
else
    deb_skip ldd_python "$DEB_NO_COLLECT"
    deb_skip ldd_sort "$DEB_NO_COLLECT"
fi
if [ "$DEB_LDD" = 1 ] && [ -x "$DEB_FIX/cxx_demo" ]; then
    add ldd_cxx ldd_vs_trace ldd_cxx "$DEB_FIX/cxx_demo" -- "$DEB_FIX/cxx_demo" x
    add ldd_loop ldd_vs_trace ldd_loop "$DEB_FIX/bad/loop/prog" -- "$DEB_FIX/bad/loop/prog"
else
    deb_skip ldd_cxx "$DEB_NO_COLLECT"
    deb_skip ldd_loop "$DEB_NO_COLLECT"
fi

# --- broken dynamic programs ------------------------------------------------------

B=$DEB_FIX/bad
if [ -x "$B/loop/prog" ]; then
    # At image build time (pith's collector).
    if [ "$DEB_COLLECT" = 1 ]; then
        deb_add dynbad_build_no_interp 2 $'one-line\nstderr: ld-pith-missing.so.1' run "$B/no_interp/prog"
        deb_add dynbad_build_wrong_arch 2 $'one-line\nstderr: libpitharch.so\nstderr: aarch64' run "$B/wrong_arch/prog"
        deb_add dynbad_build_unreadable 2 $'one-line\nstderr: libpithunread.so' run "$B/unreadable/prog"
        deb_add dynbad_build_truncated 2 $'one-line\nstderr: libpithtrunc.so' run "$B/truncated/prog"
        deb_add dynbad_build_loop 0 'expect: loop 42' run "$B/loop/prog"
        deb_add dynbad_build_image_no_interp 2 $'one-line\nstderr: ld-pith-missing.so.1' \
            build -o "$SCRATCH/dynbad_build_image_no_interp.img" "$B/no_interp/prog"
    else
        for n in no_interp wrong_arch unreadable truncated loop image_no_interp; do
            deb_skip "dynbad_build_$n" "$DEB_NO_COLLECT"
        done
    fi
    # At run time: --no-check skips the host's checks, -f puts the broken file in.
    libc_opts=(-f /lib64/ld-linux-x86-64.so.2 -f "$(readlink -f /lib/x86_64-linux-gnu/libc.so.6):/lib/x86_64-linux-gnu/libc.so.6")
    deb_add dynbad_run_no_interp 252 'expect: /lib/ld-pith-missing.so.1: no such file in the image' run --no-check "$B/no_interp/prog"
    deb_add dynbad_run_garbage_interp 252 'expect: /lib64/ld-linux-x86-64.so.2: not an ELF file' \
        run --no-check -f test/debian/selftest.py:/lib64/ld-linux-x86-64.so.2 "$BUILD/test/dynamic/hello"
    deb_add dynbad_run_control 0 'expect: hello, world' \
        run --no-check "${libc_opts[@]}" "$BUILD/test/dynamic/hello"
    deb_add dynbad_run_wrong_arch 127 $'expect: error while loading shared libraries: libpitharch.so' \
        run --no-check "${libc_opts[@]}" -f "$B/wrong_arch/fixlib:/fixlib" "$B/wrong_arch/prog"
    deb_add dynbad_run_unreadable 127 $'regex: error while loading shared libraries: /+fixlib/libpithunread.so: cannot read file data' \
        run --no-check "${libc_opts[@]}" -f "$B/unreadable/fixlib:/fixlib" "$B/unreadable/prog"
    deb_add dynbad_run_truncated 127 $'regex: error while loading shared libraries: /+fixlib/libpithtrunc.so: ' \
        run --no-check "${libc_opts[@]}" -f "$B/truncated/fixlib:/fixlib" "$B/truncated/prog"
    deb_add dynbad_run_missing_lib 127 $'expect: error while loading shared libraries: libpitharch.so: cannot open shared object file' \
        run --no-check "${libc_opts[@]}" "$B/wrong_arch/prog"
    deb_add dynbad_run_loop 0 'expect: loop 42' \
        run --no-check "${libc_opts[@]}" -f "$B/loop/fixlib:/fixlib" "$B/loop/prog"
else
    deb_skip dynbad_run "cannot build the fixtures (see $LOGS/debian-fixtures.log)"
fi
