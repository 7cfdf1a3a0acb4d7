# UEFI boots and the cloud profile, sourced by test/run-tests (uses its add,
# run_pith, record, finish, leftovers, BUILD, LOGS, SCRATCH):
#  uefi_static        a static program booted by OVMF through the image's ESP
#                     (boot/uefi/): argv, env, exit status; none of OVMF's own
#                     console lines may reach the program's output
#  uefi_dynamic       a dynamically linked program, the same way
#  uefi_smp           smp.c on two vCPUs: the MADT is found through the RSDP
#                     the loader takes from UEFI's configuration table
#  cloud_bios         --cloud-like (q35, NVMe, one serial port, no
#                     isa-debug-exit, fw_cfg ignored): ACPI S5 power-off, the
#                     status read from the console's "exit N" line, 0 and 3
#  cloud_uefi         the same through OVMF
#  uefi_no_esp        an image without an EFI system partition: one clear line, exit 2
#  uefi_bad_esp       garbage where the ESP's FAT should be: the same
#  uefi_bad_kernel    garbage in the kernel partition: the loader says so on the
#                     console and powers off; pith reports no exit status
#  cloud_volumes      without fw_cfg the kernel finds an image's volumes by the
#                     uuids its boot config records: two volumes attached in the
#                     opposite order each get the file meant for them
# OVMF under TCG takes ~10 s to reach the loader: these are the slow boots.

# uefi_boot_check NAME EXIT LINES PITH-ARGS...: boot; the exit status must be
# EXIT and each of LINES (|-separated) a whole line of the output. Prints the problems.
uefi_boot_check() {
    local name=$1 want=$2 lines=$3; shift 3
    local log=$LOGS/$name.log tmp=$SCRATCH/$name.tmp
    mkdir -p "$tmp"
    run_pith "$log" "$tmp" run "$@"
    local out=$RAW.txt problems="" line
    tr -d '\r' < "$RAW.out" > "$out"
    [ "$rc" -eq "$want" ] || problems+="$*: exit $rc, expected $want; "
    IFS='|' read -ra want_lines <<< "$lines"
    for line in "${want_lines[@]}"; do
        grep -qxF -- "$line" "$out" || problems+="$*: missing line '$line'; "
    done
    grep -q 'BdsDxe\|UEFI loader' "$out" && problems+="$*: firmware lines in the output; "
    problems+=$(leftovers "$tmp")
    echo "$problems"
}

uefi_static() {
    : > "$LOGS/uefi_static.log"
    finish uefi_static "$(uefi_boot_check uefi_static 0 'argv[1]=a|argv[2]=b c|argv[3]=d|GREETING=bonjour' \
        --boot uefi -e GREETING=bonjour "$BUILD/test/musl/args_env" a 'b c' d)"
}

uefi_dynamic() {
    : > "$LOGS/uefi_dynamic.log"
    finish uefi_dynamic "$(uefi_boot_check uefi_dynamic 0 'hello, world' --boot uefi "$BUILD/test/dynamic/hello")"
}

uefi_smp() {
    : > "$LOGS/uefi_smp.log"
    finish uefi_smp "$(uefi_boot_check uefi_smp 0 'smp: all checks passed' --boot uefi --cpus 2 "$BUILD/test/musl/smp")"
}

cloud_case() {
    local name=$1 boot=$2 problems=""
    : > "$LOGS/$name.log"
    problems+=$(uefi_boot_check "$name" 0 'hello, world|exit 0' --cloud-like --boot "$boot" "$BUILD/test/musl/hello")
    problems+=$(uefi_boot_check "$name" 3 'exiting with 3|exit 3' --cloud-like --boot "$boot" "$BUILD/test/musl/exit3")
    finish "$name" "$problems"
}

# uefi_image NAME: a fresh image of hello in $SCRATCH/NAME.img; prints its path.
uefi_image() {
    local img=$SCRATCH/$1.img
    rm -f "$img"
    "$PITH" build -o "$img" "$BUILD/test/musl/hello" > /dev/null 2>&1 && echo "$img"
}

# mbr_entry_lba IMG N: the start LBA of MBR partition entry N.
mbr_entry_lba() {
    od -An -tu4 -j $((446 + 16 * $2 + 8)) -N4 "$1" | tr -d ' '
}

# uefi_refused NAME WHAT: booting the broken image must fail before QEMU with one line naming WHAT.
uefi_refused() {
    local name=$1 img=$2 what=$3 log=$LOGS/$1.log tmp=$SCRATCH/$1.tmp problems=""
    mkdir -p "$tmp"
    run_pith "$log" "$tmp" run --boot uefi --image "$img"
    [ "$rc" -eq 2 ] || problems+="exit $rc, expected 2; "
    [ "$(wc -l < "$RAW.err")" -eq 1 ] || problems+="expected one line on stderr; "
    grep -qF -- "$what" "$RAW.err" || problems+="stderr does not say '$what'; "
    problems+=$(leftovers "$tmp")
    rm -f "$img"
    finish "$name" "$problems"
}

uefi_no_esp() {
    : > "$LOGS/uefi_no_esp.log"
    local img; img=$(uefi_image uefi_no_esp) || { record uefi_no_esp FAIL "pith build failed"; return; }
    head -c 16 /dev/zero | dd of="$img" bs=1 seek=$((446 + 32)) conv=notrunc status=none
    uefi_refused uefi_no_esp "$img" "no EFI system partition"
}

uefi_bad_esp() {
    : > "$LOGS/uefi_bad_esp.log"
    local img; img=$(uefi_image uefi_bad_esp) || { record uefi_bad_esp FAIL "pith build failed"; return; }
    local lba; lba=$(mbr_entry_lba "$img" 2)
    head -c 4096 /dev/urandom | dd of="$img" bs=512 seek="$lba" conv=notrunc status=none
    uefi_refused uefi_bad_esp "$img" "does not hold a FAT filesystem"
}

uefi_bad_kernel() {
    local name=uefi_bad_kernel log=$LOGS/uefi_bad_kernel.log tmp=$SCRATCH/uefi_bad_kernel.tmp problems=""
    mkdir -p "$tmp"; : > "$log"
    local img; img=$(uefi_image $name) || { record $name FAIL "pith build failed"; return; }
    local lba; lba=$(mbr_entry_lba "$img" 0)
    head -c 512 /dev/zero | dd of="$img" bs=512 seek="$lba" conv=notrunc status=none
    run_pith "$log" "$tmp" run --boot uefi --image "$img"
    [ "$rc" -eq 125 ] || problems+="exit $rc, expected 125 (no exit status); "
    grep -qF 'pith efi: the kernel partition does not hold an ELF file' "$RAW.out" ||
        problems+="the loader's message is not on the console; "
    problems+=$(leftovers "$tmp")
    rm -f "$img"
    finish $name "$problems"
}

cloud_volumes() {
    local name=cloud_volumes log=$LOGS/cloud_volumes.log tmp=$SCRATCH/cloud_volumes.tmp problems=""
    local a=$SCRATCH/cloud_volumes.a b=$SCRATCH/cloud_volumes.b img=$SCRATCH/cloud_volumes.img
    mkdir -p "$tmp"; : > "$log"; rm -f "$a" "$b" "$img"
    run_pith "$log" "$tmp" volume create "$a" 8M
    run_pith "$log" "$tmp" volume create "$b" 8M
    run_pith "$log" "$tmp" build -o "$img" --mount "$a:/one" --mount "$b:/two" \
        /bin/busybox sh -c 'echo for-one > /one/f && echo for-two > /two/f'
    [ "$rc" -eq 0 ] || problems+="build: exit $rc; "
    # The command line's volumes come first: the disks are b, a; the config says a, b.
    run_pith "$log" "$tmp" run --cloud-like --image "$img" --mount "$b:/two" --mount "$a:/one"
    [ "$rc" -eq 0 ] || problems+="run: exit $rc; "
    pith_image "$log" cat "$a" /f
    [ "$(cat "$RAW.out")" = for-one ] || problems+="volume one holds '$(head -c 40 "$RAW.out")'; "
    pith_image "$log" cat "$b" /f
    [ "$(cat "$RAW.out")" = for-two ] || problems+="volume two holds '$(head -c 40 "$RAW.out")'; "
    problems+=$(leftovers "$tmp")
    rm -f "$a" "$b" "$img"
    finish $name "$problems"
}

add uefi_static uefi_static
add uefi_dynamic uefi_dynamic
add uefi_smp uefi_smp
add cloud_bios cloud_case cloud_bios bios
add cloud_uefi cloud_case cloud_uefi uefi
add uefi_no_esp uefi_no_esp
add uefi_bad_esp uefi_bad_esp
add uefi_bad_kernel uefi_bad_kernel
add cloud_volumes cloud_volumes
