# Room, volumes and runtime trees, sourced by test/run-tests (uses its add,
# record, finish, run_pith, pith_image, fs_check_clean, leftovers, BUILD,
# PITH, LOGS, SCRATCH):
#  cli_size        --size 64M gives a program room for 20 MB; so does an image
#                  without --size (1 GiB of room, see test/cli/room.sh);
#                  "size" in pith.json and `pith build --size` too.
#  cli_volume_*    `pith volume create`, then runs with --mount VOL:/data on
#                  fresh root images: what one run wrote the next reads back
#                  (each disk kind, the BIOS boot path, --image); `pith image
#                  cat/ls/fsck` on the volume; rename across volumes is EXDEV
#                  (volume_rw.c checks it).
#  cli_volume_bad_* bad volumes and mount points: exit 2, one line, nothing left.
#  cli_path_walk   path_walk.c: symlinks between the root, a volume and /proc
#                  open (one made on the host travels in with -f DIR), ".."
#                  out of mounts; its "common" cases, run in /tmp and on the
#                  volume, print what they print on the host.
#  cli_python42    the literal `pith run /usr/bin/python3 -c 'print(6*7)'`:
#                  the standard library comes along without -d.

cli_size() {
    local name=cli_size log=$LOGS/cli_size.log tmp=$SCRATCH/cli_size.tmp problems=""
    local prog=$BUILD/test/musl/big_write dir=$SCRATCH/cli_size.d
    mkdir -p "$tmp"; : > "$log"; rm -rf "$dir"; mkdir -p "$dir"
    run_pith "$log" "$tmp" run --size 64M "$prog" 20
    [ "$rc" -eq 0 ] && grep -q '^big_write ok 20971520' "$RAW.out" || problems+="--size 64M: exit $rc; "
    run_pith "$log" "$tmp" run "$prog" 20
    [ "$rc" -eq 0 ] && grep -q '^big_write ok 20971520' "$RAW.out" || problems+="no --size: exit $rc, expected room for 20 MB; "
    run_pith "$log" "$tmp" build -o "$dir/img" --size 32M "$prog" 20
    run_pith "$log" "$tmp" run --image "$dir/img"
    [ "$rc" -eq 0 ] || problems+="build --size 32M: exit $rc; "
    cp "$prog" "$dir/big_write"
    echo '{ "size": "48M", "args": ["20"] }' > "$dir/pith.json"
    run_pith "$log" "$tmp" run "$dir/big_write"
    [ "$rc" -eq 0 ] || problems+="pith.json size: exit $rc; "
    problems+=$(leftovers "$tmp")
    rm -rf "$dir"
    finish $name "$problems"
}

# cli_volume NAME PITH-RUN-OPTIONS...: write on one fresh root image, read on another.
cli_volume() {
    local name=$1; shift
    local log=$LOGS/$name.log tmp=$SCRATCH/$name.tmp problems="" vol=$SCRATCH/$name.vol
    local prog=$BUILD/test/musl/volume_rw
    mkdir -p "$tmp"; : > "$log"; rm -f "$vol"
    run_pith "$log" "$tmp" volume create "$vol" 16M
    [ "$rc" -eq 0 ] || { record "$name" FAIL "volume create: exit $rc"; return; }
    run_pith "$log" "$tmp" run "$@" --mount "$vol:/data" "$prog" write "kept by $name"
    [ "$rc" -eq 0 ] || problems+="write run: exit $rc $(head -n1 "$RAW.out" | tr -d '\r'); "
    grep -q '^exdev ok' "$RAW.out" || problems+="no EXDEV across volumes; "
    if [ "$name" = cli_volume_image ]; then
        run_pith "$log" "$tmp" build -o "$SCRATCH/$name.img" "$prog" read
        run_pith "$log" "$tmp" run --image "$SCRATCH/$name.img" --mount "$vol:/data"
        rm -f "$SCRATCH/$name.img"
    elif [ "$name" = cli_volume_remembered ]; then
        # The image records the volume it was built with; --image attaches it again.
        run_pith "$log" "$tmp" build -o "$SCRATCH/$name.img" --mount "$vol:/data" "$prog" read
        run_pith "$log" "$tmp" run --image "$SCRATCH/$name.img"
        rm -f "$SCRATCH/$name.img"
    else
        run_pith "$log" "$tmp" run "$@" --mount "$vol:/data" "$prog" read
    fi
    [ "$rc" -eq 0 ] && grep -q "^read: kept by $name" "$RAW.out" || problems+="read run: exit $rc, data not read back; "
    pith_image "$log" cat "$vol" /x
    [ "$(cat "$RAW.out")" = "kept by $name" ] || problems+="pith image cat: '$(head -c 80 "$RAW.out")'; "
    pith_image "$log" ls "$vol" /
    grep -q ' y2$' "$RAW.out" || problems+="pith image ls: no y2; "
    problems+=$(fs_check_clean "$log" "$vol")
    problems+=$(leftovers "$tmp")
    rm -f "$vol"
    finish "$name" "$problems"
}

cli_path_walk() {
    local name=cli_path_walk log=$LOGS/cli_path_walk.log tmp=$SCRATCH/cli_path_walk.tmp problems=""
    local prog=$BUILD/test/musl/path_walk vol=$SCRATCH/cli_path_walk.vol dir=$SCRATCH/cli_path_walk.d
    mkdir -p "$tmp"; : > "$log"; rm -rf "$vol" "$dir"; mkdir -p "$dir/links"
    ln -s /proc/self/status "$dir/links/status_link"
    local absprog absdir
    absprog=$(realpath "$prog"); absdir=$(realpath "$dir")
    (cd "$absdir" && "$absprog" common "$absdir/host") > "$dir/host.out" 2>&1
    run_pith "$log" "$tmp" volume create "$vol" 8M
    local where
    for where in /tmp/pw /data/pw; do
        run_pith "$log" "$tmp" run --mount "$vol:/data" "$prog" common "$where"
        [ "$rc" -eq 0 ] || problems+="common in $where: exit $rc; "
        diff <(tr -d '\r' < "$RAW.out") "$dir/host.out" >> "$log" || problems+="common in $where differs from the host; "
    done
    run_pith "$log" "$tmp" run --mount "$vol:/data" -f "$dir/links:/links" "$prog" guest
    [ "$rc" -eq 0 ] || problems+="guest: exit $rc; "
    local want
    while IFS= read -r want; do
        grep -qxF "$want" <(tr -d '\r' < "$RAW.out") || problems+="no '$want'; "
    done <<'EOF'
image symlink to /proc/self/status: Name:	path_walk
root symlink to /proc/self/status: Name:	path_walk
root symlink to a volume file: on the volume
volume symlink to /etc/passwd: root:x:0:0:root:/:/bin/sh
volume relative symlink to ../etc/passwd: root:x:0:0:root:/:/bin/sh
dotdot out of the volume: same
dotdot out of /proc: same
dotdot out of /proc/self: same
dotdot across a mount: on the volume
/proc/self/../self/status: Name:	path_walk
readlink /proc/self/exe: ok
O_NOFOLLOW on /proc/self: Symbolic link loop
/proc/self/missing: No such file or directory
trailing slash on /proc/self/status: Not a directory
relative dotdot from the volume: root:x:0:0:root:/:/bin/sh
status relative to /proc/self: Name:	path_walk
getcwd in /proc/self: /proc/1
dotdot from /proc/1 to the root: on the volume
openat from a /proc dirfd: ok
rmdir of a mount point: Resource busy
bad path pointer: Bad address
EOF
    problems+=$(fs_check_clean "$log" "$vol")
    problems+=$(leftovers "$tmp")
    rm -rf "$vol" "$dir"
    finish $name "$problems"
}

# Two volumes at once, and the mount points show in the root.
cli_volume_two() {
    local name=cli_volume_two log=$LOGS/cli_volume_two.log tmp=$SCRATCH/cli_volume_two.tmp problems=""
    local a=$SCRATCH/cli_volume_two.a b=$SCRATCH/cli_volume_two.b
    mkdir -p "$tmp"; : > "$log"; rm -f "$a" "$b"
    run_pith "$log" "$tmp" volume create "$a" 8M
    run_pith "$log" "$tmp" volume create "$b" 8M
    run_pith "$log" "$tmp" run --disk scsi --mount "$a:/one" --mount "$b:/srv/two" /bin/busybox cp /proc/version /srv/two/v
    [ "$rc" -eq 0 ] || problems+="cp: exit $rc; "
    pith_image "$log" cat "$b" /v
    grep -q . "$RAW.out" || problems+="the second volume did not get the file; "
    pith_image "$log" ls "$a" /
    [ -s "$RAW.out" ] && problems+="the first volume is not empty; "
    problems+=$(leftovers "$tmp")
    rm -f "$a" "$b"
    finish $name "$problems"
}

# cli_volume_bad NAME ARGS...: exit 2, one "pith:" line, nothing on stdout, no temp left.
cli_volume_bad() {
    local name=$1; shift
    local log=$LOGS/$name.log tmp=$SCRATCH/$name.tmp problems=""
    mkdir -p "$tmp"; : > "$log"
    run_pith "$log" "$tmp" "$@"
    [ "$rc" -eq 2 ] || problems+="exit $rc, expected 2; "
    [ "$(wc -l < "$RAW.err")" -eq 1 ] && grep -q '^pith: ' "$RAW.err" || problems+="not one 'pith:' line on stderr; "
    [ -s "$RAW.out" ] && problems+="output on stdout; "
    problems+=$(leftovers "$tmp")
    finish "$name" "$problems"
}

cli_volume_bad_create() {
    local name=cli_volume_bad_create log=$LOGS/cli_volume_bad_create.log problems="" dir=$SCRATCH/cli_volume_bad_create.d
    : > "$log"; rm -rf "$dir"; mkdir -p "$dir"
    echo precious > "$dir/exists"
    "$PITH" volume create "$dir/exists" 8M >> "$log" 2>&1; local rc=$?
    [ "$rc" -eq 2 ] || problems+="overwrite: exit $rc; "
    [ "$(cat "$dir/exists")" = precious ] || problems+="existing file changed; "
    "$PITH" volume create "$dir/small" 100K >> "$log" 2>&1 && problems+="100K accepted; "
    "$PITH" volume create "$dir/bad" 12Q >> "$log" 2>&1 && problems+="12Q accepted; "
    "$PITH" volume create "$dir/nodir/v" 8M >> "$log" 2>&1 && problems+="missing directory accepted; "
    [ "$(ls -A "$dir")" = exists ] || problems+="left behind: $(ls -A "$dir" | tr '\n' ' '); "
    rm -rf "$dir"
    finish $name "$problems"
}

cli_python42() {
    local name=cli_python42 log=$LOGS/cli_python42.log tmp=$SCRATCH/cli_python42.tmp problems=""
    mkdir -p "$tmp"; : > "$log"
    run_pith "$log" "$tmp" run /usr/bin/python3 -c 'print(6*7)'
    [ "$rc" -eq 0 ] || problems+="exit $rc; "
    [ "$(tr -d '\r' < "$RAW.out")" = 42 ] || problems+="printed '$(head -c 200 "$RAW.out" | tr '\n\r' '  ')'; "
    problems+=$(leftovers "$tmp")
    finish $name "$problems"
}

add cli_size cli_size
add cli_volume_blk cli_volume cli_volume_blk
add cli_volume_nvme cli_volume cli_volume_nvme --disk nvme
add cli_volume_scsi cli_volume cli_volume_scsi --disk scsi
add cli_volume_disk cli_volume cli_volume_disk --boot disk
add cli_volume_image cli_volume cli_volume_image
add cli_volume_remembered cli_volume cli_volume_remembered
add cli_volume_two cli_volume_two
add cli_path_walk cli_path_walk
add cli_volume_bad_create cli_volume_bad_create
CLI_VOL_FIX=$SCRATCH/cli_volume_fixture.vol
mkdir -p "$SCRATCH"; rm -f "$CLI_VOL_FIX"
"$PITH" volume create "$CLI_VOL_FIX" 8M > /dev/null 2>&1
add cli_volume_bad_missing cli_volume_bad cli_volume_bad_missing run --mount "$SCRATCH/no-such.vol:/data" "$BUILD/test/musl/hello"
add cli_volume_bad_notvol cli_volume_bad cli_volume_bad_notvol run --mount "$BUILD/test/musl/hello:/data" "$BUILD/test/musl/hello"
add cli_volume_bad_samepoint cli_volume_bad cli_volume_bad_samepoint run --mount "$CLI_VOL_FIX:/data" --mount "$CLI_VOL_FIX:/data/" "$BUILD/test/musl/hello"
add cli_volume_bad_twice cli_volume_bad cli_volume_bad_twice run --mount "$CLI_VOL_FIX:/a" --mount "$CLI_VOL_FIX:/b" "$BUILD/test/musl/hello"
add cli_volume_bad_root cli_volume_bad cli_volume_bad_root run --mount "$CLI_VOL_FIX:/" "$BUILD/test/musl/hello"
add cli_volume_bad_dotdot cli_volume_bad cli_volume_bad_dotdot run --mount "$CLI_VOL_FIX:/a/../b" "$BUILD/test/musl/hello"
if [ -x /usr/bin/python3 ]; then
    add cli_python42 cli_python42
else
    SKIPS+=("cli_python42|/usr/bin/python3 does not exist")
fi
. test/cli/usability.sh
. test/cli/room.sh
