# A disk that stops answering, sourced by test/run-tests through
# test/disk/tests.sh (uses its add, record, finish, pith_image,
# fs_check_clean, leftovers, BUILD, PITH, LOGS, SCRATCH, TIMEOUT, and
# faults.sh's DISKFAULT_QEMU and diskfault_report).
#
#  disk_never_answers[_nvme|_scsi]
#      crash_append writes and fsyncs records on a virtio-blk (NVMe,
#      virtio-scsi) disk. Once it has acknowledged 20, a blkdebug breakpoint
#      (QEMU's human monitor: `qemu-io root "break write_aio A"`) suspends
#      every later write inside QEMU for good: the device never answers. The
#      kernel's request deadline is 3 s here (opt/pith/disk-timeout, set by
#      test/disk/blkdebug-qemu from PITH_DISK_TIMEOUT; 30 s by default). The
#      program must get EIO from fsync and exit by itself (status 1) well
#      within 20 s of the stall, the kernel must print one line naming the
#      device and the request, and the image (the suspended write never
#      lands) must be clean with every acknowledged record in it. Without the
#      deadline the program waits forever in fsync: the test fails with "no
#      exit within 20 s of the stall". Appends
#      `case=never_answers[_nvme|_scsi] faults=1 acked=N lost=N fsck=...` to
#      build/report/diskfault.txt.

NEVER_ANSWERS_TIMEOUT=3   # the kernel's request deadline in these runs (s)
NEVER_ANSWERS_GRACE=20    # how long after the stall the run may take (s)

# hmp_command SOCKET COMMAND: one command to QEMU's human monitor; waits for
# the prompt after it (so it has run), at most 10 s.
hmp_command() {
    timeout -k 2 10 python3 - "$1" "$2" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(8)
s.connect(sys.argv[1])
def until_prompt():
    got = b""
    while not got.endswith(b"(qemu) "):
        chunk = s.recv(4096)
        if not chunk:
            sys.exit("monitor closed")
        got += chunk
until_prompt()
s.sendall(sys.argv[2].encode() + b"\n")
until_prompt()
EOF
}

# disk_never_answers NAME [nvme|scsi]
disk_never_answers() {
    local name=$1 disk=${2:-}
    local log=$LOGS/$name.log tmp=$SCRATCH/$name.tmp img=$SCRATCH/$name.img conf=$SCRATCH/$name.conf
    local mon=$SCRATCH/$name.mon out=$SCRATCH/$name.run problems="" acked=0 found=0 lost=0 fsck=clean faults=0
    local -a runopts=()
    [ -z "$disk" ] || runopts=(--disk "$disk")
    mkdir -p "$tmp"; : > "$log"; : > "$conf"; : > "$out.out"; rm -f "$mon"
    run_pith "$log" "$tmp" build -o "$img" "$BUILD/test/musl/crash_append" 100000
    [ "$rc" -eq 0 ] || { record "$name" FAIL "build exit $rc"; return; }
    pith_image "$log" resize "$img" 64M
    echo "\$ $PITH run ${runopts[*]} --image $img  (in the background)" >> "$log"
    PITH_QEMU=$DISKFAULT_QEMU PITH_BLKDEBUG_CONF=$conf PITH_BLKDEBUG_MONITOR=$mon \
        PITH_DISK_TIMEOUT=$NEVER_ANSWERS_TIMEOUT TMPDIR=$tmp \
        timeout -k 5 "$TIMEOUT" "$PITH" run "${runopts[@]}" --image "$img" < /dev/null > "$out.out" 2> "$out.err" &
    local pid=$! i stalled_at=""
    # Until 20 records are acknowledged (or the run ends, or a minute).
    for ((i = 0; i < 600; i++)); do
        grep -q '^R 20$' "$out.out" && break
        kill -0 "$pid" 2> /dev/null || break
        sleep 0.1
    done
    if grep -q '^R 20$' "$out.out" && kill -0 "$pid" 2> /dev/null; then
        if hmp_command "$mon" 'qemu-io root "break write_aio A"' >> "$log" 2>&1; then
            stalled_at=$SECONDS
            echo "--- every write from now on suspended in QEMU (blkdebug break)" >> "$log"
        else
            problems+="the monitor did not take the breakpoint; "
        fi
    else
        problems+="20 records were not acknowledged (the run ended or took a minute); "
    fi
    # Until the run ends by itself, at most NEVER_ANSWERS_GRACE seconds.
    for ((i = 0; i < NEVER_ANSWERS_GRACE * 10; i++)); do
        kill -0 "$pid" 2> /dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2> /dev/null; then
        problems+="no exit within ${NEVER_ANSWERS_GRACE} s of the stall (a hang); "
        kill -TERM "$pid" 2> /dev/null
    fi
    wait "$pid"; rc=$?
    { echo "--- stdout"; cat "$out.out"; echo "--- stderr"; cat "$out.err"; echo "--- exit $rc"
      [ -z "$stalled_at" ] || echo "--- ended $((SECONDS - stalled_at)) s after the stall"; } >> "$log"
    tr -d '\r' < "$out.out" > "$out.lines"
    local want='^pith: disk .+: request \((write|read) (sector|lba) [0-9]+\) did not complete in '$NEVER_ANSWERS_TIMEOUT' s: device marked failed$'
    faults=$(grep -cE "$want" "$out.lines")
    if [ -z "$problems" ]; then
        [ "$rc" -eq 1 ] || problems+="exit $rc, not 1 (the program's after the failed fsync); "
        grep -qE '^(fsync|write) [0-9]+: I/O error$' "$out.lines" || problems+="the program saw no EIO; "
        [ "$faults" -eq 1 ] || problems+="$faults kernel lines naming the device and the request, not 1; "
        ! grep -q 'kernel panic' "$out.lines" "$out.err" || problems+="kernel panic; "
        sed -n '/^fsync /,$p' "$out.lines" | grep -q '^R ' && problems+="an fsync acknowledged after a failed one; "
    fi
    acked=$(sed -n 's/^R \([0-9]*\)$/\1/p' "$out.lines" | tail -n1)
    acked=${acked:-0}
    check_records "$log" "$img"
    echo "--- acknowledged $acked, in the log $found, lost $lost, fsck $fsck" >> "$log"
    diskfault_report "never_answers${disk:+_$disk}${TEST_SUFFIX:-}" "$faults" "$acked" "$lost" "$fsck"
    problems+=$(leftovers "$tmp")
    rm -f "$img" "$mon"
    finish "$name" "$problems"
}

add disk_never_answers disk_never_answers disk_never_answers
add disk_never_answers_nvme disk_never_answers disk_never_answers_nvme nvme
add disk_never_answers_scsi disk_never_answers disk_never_answers_scsi scsi
