# Core files (kernel/coredump.c), sourced by test/run-tests (uses its add,
# record, finish, run_pith, pith_image, fs_check_clean, leftovers, BUILD,
# PITH, LOGS, SCRATCH):
#  core_gdb      null_deref.c with --keep-image: pith prints where the core is
#                and the `pith image cp` command; that command gets it, and
#                gdb on the host shows main at null_deref.c:9 with the rip the
#                kernel reported
#  core_threads  thread_crash.c, 4 parked threads and one that crashes: gdb
#                sees all 6, the crashing one current in crash_here, the
#                others in park_here
#  core_off      no core with --core none, under RLIMIT_CORE 0, and a temporary
#                image only gets the --keep-image hint; "core" in pith.json
#                moves it
#  core_full     the disk filled before the crash: the core is cut short with
#                a message, exit 139, fsck clean

core_gdb() {
    local name=core_gdb log=$LOGS/core_gdb.log tmp=$SCRATCH/core_gdb.tmp problems=""
    local dir=$SCRATCH/core_gdb.d prog=$BUILD/test/glibc/null_deref pith_dir
    mkdir -p "$tmp"; : > "$log"; rm -rf "$dir"; mkdir -p "$dir"
    dir=$(realpath "$dir"); pith_dir=$(dirname "$(realpath "$PITH")")
    command -v gdb > /dev/null || { record $name skip "gdb is not installed"; return; }
    run_pith "$log" "$tmp" run --keep-image "$dir/app.img" "$prog"
    cat "$RAW.out" "$RAW.err" >> "$log"
    [ "$rc" -eq 139 ] || problems+="exit $rc, want 139; "
    local ip line
    ip=$(sed -n 's/.* at ip \([0-9a-f]*\)$/\1/p' "$RAW.out" "$RAW.err" | head -n1)
    line=$(grep "^pith: core dumped to /core in $dir/app.img; get it with: pith image cp " "$RAW.err")
    [ -n "$line" ] || problems+="no 'core dumped' line; "
    if [ -n "$line" ]; then
        # The command as a user would paste it, in another directory.
        (cd "$dir" && PATH=$pith_dir:$PATH && eval "${line#*get it with: }") >> "$log" 2>&1 || problems+="the printed pith image cp failed; "
        timeout 60 gdb -batch -nx -ex bt -ex 'info registers rip' "$prog" "$dir/core" >> "$log" 2>&1
        grep -q '^#0  main .* at test/runtime/null_deref.c:9' "$log" || problems+="gdb: no main at null_deref.c:9; "
        grep -q "^rip  *0x$ip " "$log" || problems+="gdb: rip is not the faulting ip $ip; "
        grep -q 'Program terminated with signal SIGSEGV' "$log" || problems+="gdb: not SIGSEGV; "
    fi
    problems+=$(leftovers "$tmp")
    rm -rf "$dir"
    finish $name "$problems"
}

core_threads() {
    local name=core_threads log=$LOGS/core_threads.log tmp=$SCRATCH/core_threads.tmp problems=""
    local dir=$SCRATCH/core_threads.d prog=$BUILD/test/glibc/thread_crash
    mkdir -p "$tmp"; : > "$log"; rm -rf "$dir"; mkdir -p "$dir"
    command -v gdb > /dev/null || { record $name skip "gdb is not installed"; return; }
    run_pith "$log" "$tmp" run --keep-image "$dir/app.img" "$prog" threads 4
    cat "$RAW.out" "$RAW.err" >> "$log"
    [ "$rc" -eq 139 ] || problems+="exit $rc, want 139; "
    pith_image "$log" cp "$dir/app.img:/core" "$dir/core"
    [ "$rc" -eq 0 ] || problems+="pith image cp: exit $rc; "
    timeout 60 gdb -batch -nx -ex 'info threads' -ex 'thread apply all bt' "$prog" "$dir/core" > "$dir/gdb.out" 2>&1
    cat "$dir/gdb.out" >> "$log"
    local threads parked
    threads=$(grep -c '^[* ] *[0-9][0-9]*  *Thread ' "$dir/gdb.out")
    parked=$(grep -c ' in park_here () at test/runtime/thread_crash.c' "$dir/gdb.out")
    [ "$threads" -eq 6 ] || problems+="gdb sees $threads threads, want 6; "
    [ "$parked" -eq 5 ] || problems+="$parked threads in park_here, want 5; "
    grep -q '^\* .* in crash_here (' "$dir/gdb.out" || problems+="the current thread is not in crash_here; "
    problems+=$(leftovers "$tmp")
    rm -rf "$dir"
    finish $name "$problems"
}

core_off() {
    local name=core_off log=$LOGS/core_off.log tmp=$SCRATCH/core_off.tmp problems=""
    local dir=$SCRATCH/core_off.d prog=$BUILD/test/musl/thread_crash
    mkdir -p "$tmp"; : > "$log"; rm -rf "$dir"; mkdir -p "$dir"
    run_pith "$log" "$tmp" run --core none --keep-image "$dir/a.img" "$prog" threads 1
    [ "$rc" -eq 139 ] || problems+="--core none: exit $rc; "
    grep -q 'core dumped' "$RAW.err" && problems+="--core none: a core line; "
    pith_image "$log" ls "$dir/a.img" /core
    [ "$rc" -ne 0 ] || problems+="--core none: /core exists; "
    run_pith "$log" "$tmp" run --keep-image "$dir/b.img" "$prog" nolimit
    [ "$rc" -eq 139 ] || problems+="RLIMIT_CORE 0: exit $rc; "
    grep -q 'core dumped' "$RAW.err" && problems+="RLIMIT_CORE 0: a core line; "
    pith_image "$log" ls "$dir/b.img" /core
    [ "$rc" -ne 0 ] || problems+="RLIMIT_CORE 0: /core exists; "
    run_pith "$log" "$tmp" run "$prog" threads 1
    grep -q '^pith: core dumped to /core in the temporary image, .*--keep-image FILE' "$RAW.err" ||
        problems+="temporary image: no --keep-image hint; "
    cp "$prog" "$dir/thread_crash"
    echo '{ "core": "/tmp/app.core" }' > "$dir/pith.json"
    run_pith "$log" "$tmp" run --keep-image "$dir/c.img" "$dir/thread_crash" threads 1
    grep -q "^pith: core dumped to /tmp/app.core in $dir/c.img; get it with: pith image cp $dir/c.img:/tmp/app.core ./app.core\$" "$RAW.err" ||
        problems+="pith.json core: no line naming /tmp/app.core; "
    pith_image "$log" cat "$dir/c.img" /tmp/app.core
    [ "$(head -c 4 "$RAW.out" | od -An -c | tr -d ' ')" = '177ELF' ] || problems+="pith.json core: not an ELF file; "
    cat "$RAW.err" >> "$log"
    problems+=$(leftovers "$tmp")
    rm -rf "$dir"
    finish $name "$problems"
}

core_full() {
    local name=core_full log=$LOGS/core_full.log tmp=$SCRATCH/core_full.tmp problems=""
    local img=$SCRATCH/core_full.img
    mkdir -p "$tmp"; : > "$log"
    run_pith "$log" "$tmp" build -o "$img" "$BUILD/test/musl/thread_crash" fill /fill
    [ "$rc" -eq 0 ] || { record $name FAIL "build exit $rc"; return; }
    pith_image "$log" resize "$img" 8M
    run_pith "$log" "$tmp" run --image "$img"
    cat "$RAW.out" "$RAW.err" >> "$log"
    [ "$rc" -eq 139 ] || problems+="exit $rc, want 139; "
    grep -q 'filled: No space left on device' "$RAW.out" || problems+="the disk did not fill; "
    grep -q 'pith: core dump to /core cut short: the disk is full' "$RAW.out" "$RAW.err" || problems+="no 'cut short' message; "
    problems+=$(fs_check_clean "$log" "$img")
    problems+=$(leftovers "$tmp")
    rm -f "$img"
    finish $name "$problems"
}

add core_gdb core_gdb
add core_threads core_threads
add core_off core_off
add core_full core_full
