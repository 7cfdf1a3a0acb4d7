# Room to write without --size (docs/image.md "Room to write"), sourced by
# test/cli/tests.sh (uses run-tests' add, record, finish, run_pith,
# pith_image, leftovers, BUILD, LOGS, SCRATCH):
#  cli_room_big   big_write.c writes 100 MiB into an image built without
#                 --size; fsck is clean and shows the space used; the image
#                 file is >= 1 GiB but takes on the host about what was
#                 written (sparse); resize refuses to cut into the data and
#                 still grows it.
#  cli_room_size  --size 8M still gives exactly 8 MiB; the 1 GiB default
#                 shrinks to 6M and 128M (as fs_* tests do) and grows back.
#  cli_room_log   busybox sh writes a 50,000-line log (~390 KB, ENOSPC before
#                 images had room); the host reads it all back.

# room_fsck LOG IMG: `pith image fsck`, adding to the caller's $problems unless
# clean. Not in a $(...) subshell like fs_check_clean, so $RAW.out still holds
# the output (the space line) afterwards.
room_fsck() {
    pith_image "$1" fsck "$2"
    [ "$rc" -eq 0 ] && grep -qx clean "$RAW.out" ||
        problems+="fsck: exit $rc: $(head -n1 "$RAW.out" "$RAW.err" | tr '\n' ' '); "
}

cli_room_big() {
    local name=cli_room_big log=$LOGS/cli_room_big.log tmp=$SCRATCH/cli_room_big.tmp problems=""
    local img=$SCRATCH/cli_room_big.img
    mkdir -p "$tmp"; : > "$log"; rm -f "$img"
    run_pith "$log" "$tmp" run --keep-image "$img" "$BUILD/test/musl/big_write" 100
    [ "$rc" -eq 0 ] && grep -q '^big_write ok 104857600' "$RAW.out" ||
        problems+="100 MiB without --size: exit $rc $(grep -m1 '^big_write' "$RAW.out" | tr -d '\r'); "
    [ -f "$img" ] || { record $name FAIL "${problems}no image kept"; return; }
    room_fsck "$log" "$img"
    # "used 100 MiB of 1.0 GiB (923 MiB free)": at least the 100 MiB written.
    local used; used=$(sed -n 's/^used \([0-9]*\) MiB of 1\.0 GiB ([0-9]* MiB free)$/\1/p' "$RAW.out")
    [ -n "$used" ] && [ "$used" -ge 100 ] || problems+="fsck space line: '$(sed -n 2p "$RAW.out")'; "
    local bytes kib
    bytes=$(stat -c %s "$img"); kib=$(du -k "$img" | cut -f1)
    echo "image: $bytes bytes, $kib KiB on the host" >> "$log"
    [ "$bytes" -ge $((1 << 30)) ] || problems+="image is $bytes bytes, expected at least 1 GiB; "
    [ "$kib" -lt $(((100 + 16) * 1024)) ] || problems+="image takes $kib KiB on the host: not sparse; "
    # Shrinking below the data is refused with one line, nothing changed.
    pith_image "$log" resize "$img" 64M
    [ "$rc" -eq 2 ] && [ "$(wc -l < "$RAW.err")" -eq 1 ] || problems+="resize into the data: exit $rc; "
    [ "$(stat -c %s "$img")" -eq "$bytes" ] || problems+="refused resize changed the image; "
    pith_image "$log" resize "$img" 2G
    [ "$rc" -eq 0 ] || problems+="resize to 2G: exit $rc; "
    room_fsck "$log" "$img"
    grep -q '^used 10[0-9] MiB of 1\.9 GiB (' "$RAW.out" || problems+="after resize: '$(sed -n 2p "$RAW.out")'; "
    problems+=$(leftovers "$tmp")
    rm -f "$img"
    finish $name "$problems"
}

cli_room_log() {
    local name=cli_room_log log=$LOGS/cli_room_log.log tmp=$SCRATCH/cli_room_log.tmp problems=""
    local img=$SCRATCH/cli_room_log.img
    mkdir -p "$tmp"; : > "$log"; rm -f "$img"
    # `|| exit 1`: a failed write (ENOSPC) must end the shell with a failure.
    run_pith "$log" "$tmp" run --keep-image "$img" /bin/busybox sh -c \
        'i=0; while [ $i -lt 50000 ]; do echo line $i || exit 1; i=$((i+1)); done > /log'
    [ "$rc" -eq 0 ] || problems+="sh: exit $rc $(head -n1 "$RAW.out" | tr -d '\r'); "
    pith_image "$log" cat "$img" /log
    local lines last
    lines=$(wc -l < "$RAW.out"); last=$(tail -n1 "$RAW.out")
    [ "$lines" -eq 50000 ] && [ "$last" = "line 49999" ] || problems+="/log has $lines lines, last '$last'; "
    problems+=$(leftovers "$tmp")
    rm -f "$img"
    finish $name "$problems"
}

# Host only: --size still sets the filesystem exactly; the default room
# shrinks to the sizes the fs_* tests use and grows back.
cli_room_size() {
    local name=cli_room_size log=$LOGS/cli_room_size.log tmp=$SCRATCH/cli_room_size.tmp problems=""
    local img=$SCRATCH/cli_room_size.img
    mkdir -p "$tmp"; : > "$log"; rm -f "$img"
    run_pith "$log" "$tmp" build --size 8M -o "$img" "$BUILD/test/musl/hello"
    room_fsck "$log" "$img"
    grep -q '^used .* of 8\.0 MiB (' "$RAW.out" || problems+="--size 8M: '$(sed -n 2p "$RAW.out")'; "
    run_pith "$log" "$tmp" build -o "$img" "$BUILD/test/musl/hello"
    room_fsck "$log" "$img"
    grep -q '^used .* of 1\.0 GiB (' "$RAW.out" || problems+="no --size: '$(sed -n 2p "$RAW.out")'; "
    local size
    for size in 6M 128M 1G; do
        pith_image "$log" resize "$img" $size
        [ "$rc" -eq 0 ] || problems+="resize to $size: exit $rc $(cat "$RAW.err"); "
        room_fsck "$log" "$img"
    done
    [ "$(stat -c %s "$img")" -eq $((1 << 30)) ] || problems+="after resize to 1G: $(stat -c %s "$img") bytes; "
    problems+=$(leftovers "$tmp")
    rm -f "$img"
    finish $name "$problems"
}

add cli_room_size cli_room_size
add cli_room_big cli_room_big
add cli_room_log cli_room_log
