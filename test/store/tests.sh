# The local image store and local instances, sourced by test/run-tests (uses
# its add, record, finish, run_pith, leftovers, BUILD, PITH, LOGS, SCRATCH).
# Each test has its own XDG_DATA_HOME and XDG_RUNTIME_DIR under SCRATCH.
#  store_image     `pith image create NAME` (twice: the second refused), `pith
#                  image ls` lists it with its program, `pith run --image NAME`
#                  boots it, `pith image ls NAME` looks inside, `pith image rm`;
#                  a failed create and bad names leave nothing in the store.
#  store_export    `pith image export NAME -o F.raw` boots and stays sparse;
#                  `-o F.tar.gz`: gzip -t passes, GNU tar lists one disk.raw
#                  and extracts it (tar -xzf) sparse, it equals the raw export
#                  and boots; files of 40 data stretches, ending in a hole or
#                  in data, come back byte for byte.
#  store_instance  `pith instance create` from a stored image (the program
#                  exits: ls shows "exited 0", logs its output) and from PROG
#                  (busybox sleep: "running"; logs -f follows it), stop (QMP
#                  quit: "stopped"; logs -f returns; also right after create),
#                  rm: no process, no file,
#                  no temp directory left. Every wait is bounded.

store_env() {
    # Absolute: pith ignores relative XDG values, as the XDG spec says.
    local base; base=$(cd "$SCRATCH" && pwd)
    export XDG_DATA_HOME=$base/$1.xdg XDG_RUNTIME_DIR=$base/$1.run
    rm -rf "$XDG_DATA_HOME" "$XDG_RUNTIME_DIR"
    mkdir -p "$XDG_DATA_HOME" "$XDG_RUNTIME_DIR"
}

# Nothing but finished images in the store directory.
store_clean() {
    local junk; junk=$(ls -A "$XDG_DATA_HOME/pith/images" 2>/dev/null | grep '^\.' | tr '\n' ' ')
    [ -z "$junk" ] || echo "temporary files left in the store: $junk; "
}

store_image() {
    local name=store_image log=$LOGS/store_image.log tmp=$SCRATCH/store_image.tmp problems=""
    mkdir -p "$tmp"; : > "$log"; store_env $name
    run_pith "$log" "$tmp" image create hi "$BUILD/test/musl/args_env" one 'two words' three
    [ "$rc" -eq 0 ] || problems+="create: exit $rc; "
    run_pith "$log" "$tmp" image create hi "$BUILD/test/musl/hello"
    [ "$rc" -eq 2 ] && [ "$(wc -l < "$RAW.err")" -eq 1 ] && grep -q 'exists' "$RAW.err" ||
        problems+="second create of one name: exit $rc $(head -n1 "$RAW.err"); "
    run_pith "$log" "$tmp" image ls
    [ "$rc" -eq 0 ] && head -n1 "$RAW.out" | grep -q '^NAME  *SIZE  *USED  *CREATED  *PROGRAM' &&
        grep -Eq "^hi +1\.0 GiB +[0-9.]+ [KM]iB +20[0-9-]+ [0-9:]+Z $BUILD/test/musl/args_env\$" "$RAW.out" ||
        problems+="image ls: exit $rc $(tr '\n' '|' < "$RAW.out"); "
    run_pith "$log" "$tmp" run --image hi
    [ "$rc" -eq 0 ] && grep -q 'two words' "$RAW.out" || problems+="run --image hi: exit $rc; "
    run_pith "$log" "$tmp" image ls hi
    [ "$rc" -eq 0 ] && grep -q '^used ' "$RAW.out" && grep -q ' args_env$' "$RAW.out" ||
        problems+="image ls hi (inside): exit $rc; "
    # A file of the name wins over the stored image.
    local pith_abs; pith_abs=$(readlink -f "$PITH")
    (cd "$tmp" && : > hi && TMPDIR=$tmp "$pith_abs" image ls hi < /dev/null > /dev/null 2>&1; echo $? > rc; rm -f hi)
    [ "$(cat "$tmp/rc")" -eq 2 ] || problems+="a file named hi did not win over the stored image; "
    rm -f "$tmp/rc"
    run_pith "$log" "$tmp" image create bad "$SCRATCH/no-such-program"
    [ "$rc" -eq 2 ] && [ "$(wc -l < "$RAW.err")" -eq 1 ] && [ ! -e "$XDG_DATA_HOME/pith/images/bad" ] ||
        problems+="create of a missing program: exit $rc; "
    run_pith "$log" "$tmp" image create ../evil "$BUILD/test/musl/hello"
    [ "$rc" -eq 2 ] && grep -q 'not an image name' "$RAW.err" || problems+="bad name accepted: exit $rc; "
    run_pith "$log" "$tmp" image rm hi
    [ "$rc" -eq 0 ] && [ ! -e "$XDG_DATA_HOME/pith/images/hi" ] || problems+="rm: exit $rc; "
    run_pith "$log" "$tmp" image ls
    [ "$rc" -eq 0 ] && [ "$(wc -l < "$RAW.out")" -eq 1 ] || problems+="ls after rm: $(tr '\n' '|' < "$RAW.out"); "
    run_pith "$log" "$tmp" run --image hi
    [ "$rc" -eq 2 ] && [ "$(wc -l < "$RAW.err")" -eq 1 ] && grep -q 'no stored image' "$RAW.err" ||
        problems+="run --image of a removed name: exit $rc $(head -n1 "$RAW.err"); "
    run_pith "$log" "$tmp" image rm hi
    [ "$rc" -eq 2 ] || problems+="rm twice: exit $rc; "
    problems+=$(store_clean)$(leftovers "$tmp")
    rm -rf "$XDG_DATA_HOME" "$XDG_RUNTIME_DIR"
    finish $name "$problems"
}

store_export() {
    local name=store_export log=$LOGS/store_export.log tmp=$SCRATCH/store_export.tmp problems=""
    local out=$SCRATCH/store_export.files
    mkdir -p "$tmp"; : > "$log"; store_env $name; rm -rf "$out"; mkdir -p "$out"
    run_pith "$log" "$tmp" image create hello --size 16M "$BUILD/test/musl/hello"
    [ "$rc" -eq 0 ] || problems+="create: exit $rc; "
    run_pith "$log" "$tmp" image export hello -o "$out/hello.raw"
    [ "$rc" -eq 0 ] || problems+="export raw: exit $rc $(head -n1 "$RAW.err"); "
    local size blocks
    size=$(stat -c %s "$out/hello.raw"); blocks=$(stat -c %b "$out/hello.raw")
    [ $((blocks * 512)) -lt $((size / 2)) ] || problems+="raw export not sparse ($blocks blocks for $size bytes); "
    run_pith "$log" "$tmp" run --image "$out/hello.raw"
    [ "$rc" -eq 0 ] && grep -q 'hello, world' "$RAW.out" || problems+="raw export does not boot: exit $rc; "
    run_pith "$log" "$tmp" image export hello -o "$out/hello.tar.gz"
    [ "$rc" -eq 0 ] || problems+="export tar.gz: exit $rc $(head -n1 "$RAW.err"); "
    gzip -t "$out/hello.tar.gz" >> "$log" 2>&1 || problems+="gzip -t fails; "
    [ "$(tar -tzf "$out/hello.tar.gz" 2>> "$log")" = disk.raw ] || problems+="tar does not list exactly disk.raw; "
    mkdir -p "$out/x"
    tar -xzf "$out/hello.tar.gz" -C "$out/x" >> "$log" 2>&1 || problems+="tar -xzf fails; "
    cmp "$out/x/disk.raw" "$out/hello.raw" >> "$log" 2>&1 || problems+="disk.raw differs from the raw export; "
    size=$(stat -c %s "$out/x/disk.raw"); blocks=$(stat -c %b "$out/x/disk.raw")
    [ $((blocks * 512)) -lt $((size / 2)) ] || problems+="tar -xzf did not recreate the holes ($blocks blocks for $size bytes); "
    rm -f "$out/hello.raw"
    run_pith "$log" "$tmp" run --image "$out/x/disk.raw"
    [ "$rc" -eq 0 ] && grep -q 'hello, world' "$RAW.out" || problems+="disk.raw from the tar.gz does not boot: exit $rc; "
    # Any file exports: 40 data stretches (the sparse map needs extension
    # records past 4), once ending in a hole and once in data.
    local f
    for f in hole data; do
        rm -f "$out/$f.raw"
        for i in $(seq 0 39); do
            dd if=/dev/urandom of="$out/$f.raw" bs=4096 count=2 seek=$((i * 256 + i % 5)) conv=notrunc status=none
        done
        if [ $f = hole ]; then truncate -s 50M "$out/$f.raw"; fi
        run_pith "$log" "$tmp" image export "$out/$f.raw" -o "$out/$f.tar.gz"
        rm -rf "$out/y"; mkdir -p "$out/y"
        [ "$rc" -eq 0 ] && tar -xzf "$out/$f.tar.gz" -C "$out/y" >> "$log" 2>&1 && cmp "$out/y/disk.raw" "$out/$f.raw" >> "$log" 2>&1 ||
            problems+="a sparse file ending in $f: exit $rc, or tar gives other bytes; "
        rm -rf "$out/y" "$out/$f.raw" "$out/$f.tar.gz"
    done
    run_pith "$log" "$tmp" image export hello -o "$out/hello.zip"
    [ "$rc" -eq 2 ] && [ "$(wc -l < "$RAW.err")" -eq 1 ] && [ ! -e "$out/hello.zip" ] ||
        problems+="unknown format: exit $rc; "
    run_pith "$log" "$tmp" image export nosuch -o "$out/n.raw"
    [ "$rc" -eq 2 ] && [ "$(wc -l < "$RAW.err")" -eq 1 ] || problems+="export of an unknown name: exit $rc; "
    run_pith "$log" "$tmp" image export hello -o "$SCRATCH/no-such-dir/h.tar.gz"
    [ "$rc" -eq 2 ] && [ "$(wc -l < "$RAW.err")" -eq 1 ] || problems+="export into a missing directory: exit $rc; "
    local junk; junk=$(ls -A "$out" | grep -v '^x$\|^hello.tar.gz$' | tr '\n' ' ')
    [ -z "$junk" ] || problems+="left in the output directory: $junk; "
    problems+=$(store_clean)$(leftovers "$tmp")
    rm -rf "$XDG_DATA_HOME" "$XDG_RUNTIME_DIR" "$out"
    finish $name "$problems"
}

# proc_gone PID: the process ended (a zombie waiting for init counts) within 5 s.
proc_gone() {
    local i st
    for ((i = 0; i < 50; i++)); do
        st=$(ps -o stat= -p "$1" 2> /dev/null)
        [ -z "$st" ] || [ "${st:0:1}" = Z ] && return 0
        sleep 0.1
    done
    return 1
}

# wait_state NAME STATE SECONDS: poll `pith instance ls` until NAME shows STATE.
wait_state() {
    local i
    for ((i = 0; i < $3 * 5; i++)); do
        TMPDIR=$tmp "$PITH" instance ls 2> /dev/null | grep -Eq "^$1 +$2 " && return 0
        sleep 0.2
    done
    return 1
}

store_instance() {
    local name=store_instance log=$LOGS/store_instance.log tmp=$SCRATCH/store_instance.tmp problems=""
    mkdir -p "$tmp"; : > "$log"; store_env $name
    local dir=$XDG_DATA_HOME/pith/instances
    run_pith "$log" "$tmp" image create hello "$BUILD/test/musl/hello"
    run_pith "$log" "$tmp" instance create once --image hello
    [ "$rc" -eq 0 ] || problems+="create --image: exit $rc $(head -n1 "$RAW.err"); "
    wait_state once exited 60 || problems+="'once' never showed exited; "
    run_pith "$log" "$tmp" instance ls
    grep -Eq '^once +exited +0 ' "$RAW.out" || problems+="ls: $(grep once "$RAW.out"); "
    run_pith "$log" "$tmp" instance logs once
    [ "$rc" -eq 0 ] && grep -q 'hello, world' "$RAW.out" || problems+="logs: exit $rc; "
    run_pith "$log" "$tmp" instance create once --image hello
    [ "$rc" -eq 2 ] && [ "$(wc -l < "$RAW.err")" -eq 1 ] || problems+="second create of one name: exit $rc; "

    run_pith "$log" "$tmp" instance create long /bin/busybox sleep 1000
    [ "$rc" -eq 0 ] || problems+="create PROG: exit $rc $(head -n1 "$RAW.err"); "
    wait_state long running 30 || problems+="'long' never showed running; "
    local sup; sup=$(awk '{print $2}' "$dir/long/state" 2>/dev/null)
    # logs -f follows while it runs, and returns once it stopped.
    TMPDIR=$tmp timeout -k 5 60 "$PITH" instance logs -f long < /dev/null > "$SCRATCH/$name.follow" 2>&1 &
    local follow=$!
    sleep 1
    kill -0 $follow 2> /dev/null || problems+="logs -f returned while the instance ran; "
    run_pith "$log" "$tmp" instance stop long
    [ "$rc" -eq 0 ] || problems+="stop: exit $rc $(head -n1 "$RAW.err"); "
    run_pith "$log" "$tmp" instance ls
    # 125: QEMU quit through QMP (no status from the program); 143 would
    # mean the QMP quit was missed and SIGTERM did it.
    grep -Eq '^long +stopped +125 ' "$RAW.out" || problems+="ls after stop: $(grep long "$RAW.out"); "
    wait $follow; local frc=$?
    [ $frc -eq 0 ] && grep -q "stopped by 'pith instance stop'" "$SCRATCH/$name.follow" ||
        problems+="logs -f after stop: exit $frc; "
    [ -n "$sup" ] && proc_gone "$sup" || problems+="supervisor $sup still runs after stop; "

    # stop at once after create: QEMU may not listen yet; still a clean stop.
    run_pith "$log" "$tmp" instance create quick /bin/busybox sleep 1000
    run_pith "$log" "$tmp" instance stop quick
    [ "$rc" -eq 0 ] || problems+="stop right after create: exit $rc; "
    run_pith "$log" "$tmp" instance ls
    grep -Eq '^quick +stopped ' "$RAW.out" || problems+="ls after a quick stop: $(grep quick "$RAW.out"); "
    run_pith "$log" "$tmp" instance rm quick

    # rm of a running instance stops it first.
    run_pith "$log" "$tmp" instance create busy /bin/busybox sleep 1000
    wait_state busy running 30 || problems+="'busy' never showed running; "
    local sup2; sup2=$(awk '{print $2}' "$dir/busy/state" 2>/dev/null)
    for i in once long busy; do
        run_pith "$log" "$tmp" instance rm $i
        [ "$rc" -eq 0 ] || problems+="rm $i: exit $rc $(head -n1 "$RAW.err"); "
    done
    [ -n "$sup2" ] && proc_gone "$sup2" || problems+="supervisor $sup2 still runs after rm; "
    pgrep -f "$XDG_DATA_HOME" > /dev/null && problems+="a process still uses the instances: $(pgrep -af "$XDG_DATA_HOME" | head -n1); "
    [ -z "$(ls -A "$dir")" ] || problems+="left in instances/: $(ls -A "$dir" | tr '\n' ' '); "
    [ -z "$(ls -A "$XDG_RUNTIME_DIR/pith/instances")" ] || problems+="left in the runtime dir: $(ls -A "$XDG_RUNTIME_DIR/pith/instances"); "
    run_pith "$log" "$tmp" instance ls
    [ "$(wc -l < "$RAW.out")" -eq 1 ] || problems+="ls after rm: $(tr '\n' '|' < "$RAW.out"); "
    run_pith "$log" "$tmp" instance stop nosuch
    [ "$rc" -eq 2 ] && [ "$(wc -l < "$RAW.err")" -eq 1 ] || problems+="stop of nothing: exit $rc; "
    run_pith "$log" "$tmp" instance ls --provider nowhere
    [ "$rc" -eq 2 ] && grep -q 'unknown provider' "$RAW.err" || problems+="unknown provider: exit $rc; "
    problems+=$(leftovers "$tmp")
    rm -rf "$XDG_DATA_HOME" "$XDG_RUNTIME_DIR" "$SCRATCH/$name.follow"
    finish $name "$problems"
}

add store_image store_image
add store_export store_export
add store_instance store_instance
