# Disk faults below TFS, sourced by test/run-tests (uses its add, record,
# finish, run_pith, pith_image, fs_check_clean, leftovers, BUILD, PITH, LOGS,
# SCRATCH). PITH_QEMU=test/disk/blkdebug-qemu puts QEMU's blkdebug driver
# under the root disk with the rules a test writes (its comment says how);
# the device then answers chosen requests with an I/O error, and the kernel
# logs each ("the device failed a request"), which is how faults are counted.
# Each run appends `case=NAME faults=N acked=N lost=N fsck=clean|dirty` to
# build/report/diskfault.txt (docs/tfs.md, "Device errors").
#
#  disk_fault_write, _flush    crash_append --keep-going appends fsync'd records;
#                              the Nth write (flush) request fails once. The
#                              program must get EIO from fsync, acknowledge
#                              nothing after it, and the image must be clean
#                              with every acknowledged record in it.
#  disk_fault_dead             the same, every request from the Nth on fails
#                              (a disk that dies): the unmount fails too.
#  disk_fault_mmap             crash_append --mmap: records stored through a
#                              shared mapping, the Nth write fails: fsync EIO.
#  disk_fault_random_I         the Nth request of any kind fails (once, or the
#                              disk dies there; write(2) or a mapping), N
#                              random (PITH_DISKFAULT_RUNS runs, default 2;
#                              make test-long runs 60): boot reads, the log
#                              tail cleaning, data, log records, flushes.
#  disk_fault_nvme, _scsi      disk_fault_write on an NVMe, a virtio-scsi disk.
#  disk_fault_read, _map       one sector under block 32 of a 64-block file
#                              fails every read: read(2) of that block gives
#                              EIO, a read of the whole file stops short
#                              before it, a load from it in a shared mapping SIGBUS
#                              (BUS_ADRERR, caught by the program), every other
#                              block reads intact, the program exits 0.
#  disk_fault_core             the same load without a handler, and every
#                              write fails too: SIGBUS kills the program, the
#                              core cannot be written, and neither the kernel
#                              nor pith claims it was.
#  disk_fault_slow             no errors, but QEMU's throttling holds the disk to
#                              40 requests a second: every record acknowledged.

DISKFAULT_QEMU=$PWD/test/disk/blkdebug-qemu
DISKFAULT_REPORT=$BUILD/report/diskfault.txt

# blkdebug_nth FILE KIND N [dead]: rules failing the Nth request of KIND (read,
# write, flush or any), counted by the events blkdebug sees per request
# (read_aio, write_aio, flush_to_disk), once; `dead`: that one and every
# request after it, of every kind. A chain of states counts the requests:
# each request's event moves state k to k+1, and the error rule belongs to
# state N. QEMU may merge adjacent guest requests into one.
blkdebug_nth() {
    local file=$1 kind=$2 n=$3 dead=${4:-} pair ev io k
    : > "$file"
    for pair in read_aio:read write_aio:write flush_to_disk:flush; do
        ev=${pair%:*} io=${pair#*:}
        [ "$kind" = any ] || [ "$kind" = "$io" ] || continue
        for ((k = 1; k <= n; k++)); do
            printf '[set-state]\nevent = "%s"\nstate = "%d"\nnew_state = "%d"\n\n' "$ev" "$k" $((k + 1))
        done
        printf '[inject-error]\nevent = "%s"\nstate = "%d"\nerrno = "5"\n' "$ev" "$n"
        if [ -z "$dead" ]; then printf 'iotype = "%s"\nonce = "on"\n' "$io"; fi
        echo
    done >> "$file"
}

# diskfault_report NAME FAULTS ACKED LOST FSCK
diskfault_report() {
    mkdir -p "$(dirname "$DISKFAULT_REPORT")"
    echo "case=$1 faults=$2 acked=$3 lost=$4 fsck=$5" >> "$DISKFAULT_REPORT"
}

# After a run of crash_append on $img that was told $acked records were
# durable: fsck it, then read /crash/log back. Sets the caller's fsck,
# found and lost, and adds to its problems (bash's dynamic scope).
check_records() {  # log img
    local log=$1 img=$2 check
    check=$(fs_check_clean "$log" "$img")
    [ -z "$check" ] || { fsck=dirty; problems+=$check; }
    pith_image "$log" cat "$img" /crash/log
    if [ "$rc" -eq 0 ]; then
        found=$(tr -d '\000' < "$RAW.out" |
                awk '{ n++; if ($1 != "record" || $2 != n) { print "bad line " n; exit } } END { print n + 0 }' | tail -n1)
    else
        found=0   # no log: the program never created it (a fault at boot)
    fi
    case $found in
        bad*) problems+="log corrupt: $found; "; lost=$acked ;;
        *) [ "$found" -ge "$acked" ] || { lost=$((acked - found)); problems+="log has $found records, $acked were acknowledged; "; } ;;
    esac
}

# diskfault_count OUT: how many requests the device failed (the kernel's lines).
diskfault_count() { cat "$1.out" "$1.err" | grep -cE 'the device failed a request|virtio-scsi target .* failed'; }

# diskfault_common OUT: problems no faulty run may have: a kernel panic, a hang.
diskfault_common() {
    local out=$1
    [ "$rc" -ne 124 ] && [ "$rc" -ne 137 ] || echo "no exit within ${TIMEOUT}s (a hang); "
    ! grep -q 'kernel panic' "$out.out" "$out.err" || echo "kernel panic: $(grep -h -m1 -A1 'kernel panic' "$out.out" "$out.err" | tr '\n' ' '); "
}

# disk_fault_append NAME KIND N [dead] [--mmap] [--expect-eio]
disk_fault_append() {
    local name=$1 kind=$2 n=$3; shift 3
    local dead="" mmap="" expect_eio="" a
    local -a runopts=()
    for a in "$@"; do
        case $a in
            dead) dead=dead ;; --mmap) mmap=--mmap ;; --expect-eio) expect_eio=1 ;;
            nvme|scsi) runopts=(--disk "$a") ;;
        esac
    done
    local log=$LOGS/$name.log tmp=$SCRATCH/$name.tmp img=$SCRATCH/$name.img conf=$SCRATCH/$name.conf
    local problems="" faults=0 acked=0 found=0 lost=0 fsck=clean
    mkdir -p "$tmp"; : > "$log"
    run_pith "$log" "$tmp" build -o "$img" "$BUILD/test/musl/crash_append" $mmap --keep-going 100
    [ "$rc" -eq 0 ] || { record "$name" FAIL "build exit $rc"; return; }
    pith_image "$log" resize "$img" 64M
    blkdebug_nth "$conf" "$kind" "$n" $dead
    echo "--- fault: request $n of kind $kind${dead:+, and every request after it}" >> "$log"
    PITH_QEMU=$DISKFAULT_QEMU PITH_BLKDEBUG_CONF=$conf run_pith "$log" "$tmp" run "${runopts[@]}" --image "$img"
    local out=$RAW
    problems+=$(diskfault_common "$out")
    faults=$(diskfault_count "$out")
    tr -d '\r' < "$out.out" > "$out.lines"
    acked=$(sed -n 's/^R \([0-9]*\)$/\1/p' "$out.lines" | tail -n1)
    acked=${acked:-0}
    # The program's errors: only EIO (musl: "I/O error"); none acknowledged
    # after a failed fsync (TFS refuses every change once a write failed).
    local errors; errors=$(grep -E '^(write|fsync|open|mkdir|map) ' "$out.lines")
    echo "$errors" | grep -v '^$' | grep -qv ': I/O error$' && problems+="an error other than EIO: $(echo "$errors" | head -n1); "
    [ -z "$expect_eio" ] || [ -n "$errors" ] || problems+="the program saw no EIO; "
    sed -n '/^fsync /,$p' "$out.lines" | grep -q '^R ' && problems+="an fsync acknowledged after a failed one; "
    [ -z "$expect_eio" ] || [ "$faults" -ge 1 ] || problems+="no fault was injected; "
    check_records "$log" "$img"
    echo "--- faults $faults, acknowledged $acked, in the log $found, lost $lost, fsck $fsck" >> "$log"
    diskfault_report "${name#disk_fault_}_${kind}_at_$n${TEST_SUFFIX:-}" "$faults" "$acked" "$lost" "$fsck"
    problems+=$(leftovers "$tmp")
    rm -f "$img"
    finish "$name" "$problems"
}

# disk_fault_blob NAME MODE: a bad sector under block 32 of /data/blob (64
# blocks); MODE read or map (test/runtime/disk_fault_read.c).
disk_fault_blob() {
    local name=$1 mode=$2
    local log=$LOGS/$name.log tmp=$SCRATCH/$name.tmp img=$SCRATCH/$name.img conf=$SCRATCH/$name.conf
    local blob=$SCRATCH/$name.blob problems="" faults=0 fsck=clean
    mkdir -p "$tmp"; : > "$log"
    "$BUILD/test/glibc/disk_fault_read" make "$blob" 64 >> "$log" 2>&1 || { record "$name" FAIL "cannot make the file"; return; }
    run_pith "$log" "$tmp" build -o "$img" -f "$blob:/data/blob" "$BUILD/test/musl/disk_fault_read" "$mode" /data/blob
    [ "$rc" -eq 0 ] || { record "$name" FAIL "build exit $rc"; return; }
    # Where block 32 landed in the image: its first bytes say so.
    local at; at=$(grep -obUa 'pith-fault-block 0032 ' "$img" | head -n1 | cut -d: -f1)
    [ -n "$at" ] || { record "$name" FAIL "block 32 not found in the image"; return; }
    printf '[inject-error]\nevent = "read_aio"\niotype = "read"\nerrno = "5"\nsector = "%d"\n' $((at / 512 + 3)) > "$conf"
    echo "--- fault: every read of image sector $((at / 512 + 3)) (block 32 at byte $at)" >> "$log"
    if [ "$mode" = crash ]; then
        # And every write: the core file cannot reach the disk.
        printf '\n[inject-error]\nevent = "write_aio"\niotype = "write"\nerrno = "5"\n' >> "$conf"
        echo "--- and every write" >> "$log"
    fi
    PITH_QEMU=$DISKFAULT_QEMU PITH_BLKDEBUG_CONF=$conf run_pith "$log" "$tmp" run --image "$img"
    local out=$RAW
    problems+=$(diskfault_common "$out")
    faults=$(diskfault_count "$out")
    [ "$faults" -ge 1 ] || problems+="no fault was injected; "
    tr -d '\r' < "$out.out" | grep -v 'the device failed a request' > "$out.lines"
    local want
    if [ "$mode" = crash ]; then
        # Killed by SIGBUS; the core is lost, and the host must not say it is there.
        [ "$rc" -eq 135 ] || problems+="exit $rc, not 135; "
        want=$'pith: bus error: cannot read or write the file mapped at address '
        grep -q "^$want" "$out.lines" || problems+="no bus error line; "
        grep -q '^pith: core dump to /core lost' "$out.lines" || problems+="no line saying the core was lost; "
        ! grep -q 'core dumped' "$out.err" || problems+="pith says a core was dumped; "
        want=$(cat "$out.lines")
    elif [ "$rc" -ne 0 ]; then
        problems+="exit $rc; "
    fi
    if [ "$mode" = read ]; then
        want=$'read block 32: I/O error\nread: 63 blocks intact, 1 failed\nread of the whole file: 32 blocks'
    elif [ "$mode" = map ]; then
        want=$'load block 32: SIGBUS, BUS_ADRERR, at the page\'s address: yes\nmap: 63 blocks intact, 1 failed'
    fi
    [ "$(cat "$out.lines")" = "$want" ] || problems+="output: $(head -n3 "$out.lines" | tr '\n' '|'); "
    local check; check=$(fs_check_clean "$log" "$img")
    [ -z "$check" ] || { fsck=dirty; problems+=$check; }
    diskfault_report "${name#disk_fault_}${TEST_SUFFIX:-}" "$faults" 0 0 "$fsck"
    problems+=$(leftovers "$tmp")
    rm -f "$img" "$blob"
    finish "$name" "$problems"
}

# disk_fault_slow: a throttled disk, no errors: every record acknowledged.
disk_fault_slow() {
    local name=disk_fault_slow log=$LOGS/disk_fault_slow.log tmp=$SCRATCH/disk_fault_slow.tmp
    local img=$SCRATCH/disk_fault_slow.img conf=$SCRATCH/disk_fault_slow.conf problems="" fsck=clean
    mkdir -p "$tmp"; : > "$log"
    run_pith "$log" "$tmp" build -o "$img" "$BUILD/test/musl/crash_append" 30
    [ "$rc" -eq 0 ] || { record $name FAIL "build exit $rc"; return; }
    : > "$conf"   # blkdebug with no rules: only the throttle acts
    PITH_QEMU=$DISKFAULT_QEMU PITH_BLKDEBUG_CONF=$conf PITH_BLKDEBUG_THROTTLE=40 run_pith "$log" "$tmp" run --image "$img"
    local out=$RAW faults
    problems+=$(diskfault_common "$out")
    faults=$(diskfault_count "$out")
    [ "$rc" -eq 0 ] || problems+="exit $rc; "
    local acked; acked=$(tr -d '\r' < "$out.out" | sed -n 's/^R \([0-9]*\)$/\1/p' | tail -n1)
    [ "${acked:-0}" -eq 30 ] || problems+="${acked:-0} of 30 records acknowledged; "
    local check; check=$(fs_check_clean "$log" "$img")
    [ -z "$check" ] || { fsck=dirty; problems+=$check; }
    diskfault_report "slow${TEST_SUFFIX:-}" "$faults" "${acked:-0}" 0 "$fsck"
    problems+=$(leftovers "$tmp")
    rm -f "$img"
    finish $name "$problems"
}

add disk_fault_write disk_fault_append disk_fault_write write 40 --expect-eio
add disk_fault_flush disk_fault_append disk_fault_flush flush 25 --expect-eio
add disk_fault_dead disk_fault_append disk_fault_dead write 60 dead --expect-eio
add disk_fault_nvme disk_fault_append disk_fault_nvme write 40 nvme --expect-eio
add disk_fault_scsi disk_fault_append disk_fault_scsi write 40 scsi --expect-eio
add disk_fault_mmap disk_fault_append disk_fault_mmap write 40 --mmap --expect-eio
add disk_fault_read disk_fault_blob disk_fault_read read
add disk_fault_map disk_fault_blob disk_fault_map map
add disk_fault_core disk_fault_blob disk_fault_core crash
add disk_fault_slow disk_fault_slow
# Random request numbers (drawn here; each run's log and report line name
# its N): a 100-record run makes about 430 requests. Runs take turns: one
# failed request, a disk dead from the Nth on, each with write(2) and with a
# shared mapping.
for ((i = 1; i <= ${PITH_DISKFAULT_RUNS:-2}; i++)); do
    case $((i % 4)) in 1) how="" ;; 2) how=dead ;; 3) how=--mmap ;; 0) how="dead --mmap" ;; esac
    add "disk_fault_random_$i" disk_fault_append "disk_fault_random_$i" any $((1 + RANDOM % 450)) $how
done
