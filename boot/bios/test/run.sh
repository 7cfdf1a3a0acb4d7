#!/bin/bash
# boot/bios/test/run.sh: self-test of the BIOS boot path under QEMU (TCG).
# Builds stage 1/2 (make boot) and test kernels, assembles disk images with
# mkimage.sh and boots them on q35 and pc, virtio-blk and IDE; then breaks
# images on purpose and checks each failure prints its message.
# Run from anywhere: bash boot/bios/test/run.sh. Exit 0 = all passed.
set -u
cd "$(dirname "$0")/../../.."
make -s boot || exit 1

out=build/boot/test
mkdir -p "$out"
here=boot/bios/test
failures=0

# build_kernel NAME PATTERN_BYTES [cpp flags...]
build_kernel() {
    local name=$1 bytes=$2; shift 2
    perl $here/mkpattern.pl "$bytes" > "$out/$name.pattern" &&
    gcc -c $here/testkernel.S -DPATTERN_FILE="\"$out/$name.pattern\"" "$@" -o "$out/$name.o" &&
    ld -z max-page-size=4096 -z noexecstack -T $here/testkernel.ld -o "$out/$name.elf" "$out/$name.o" ||
    { echo "build of test kernel $name failed"; exit 1; }
}

image() {   # image KERNEL_NAME IMAGE_NAME
    sh $here/mkimage.sh build/boot/stage1.bin build/boot/stage2.bin "$out/$1.elf" "$out/$2.img" ||
    { echo "mkimage $2 failed"; exit 1; }
}

# boot IMAGE MACHINE IF TIMEOUT: serial output in $out/serial.txt, sets $rc, $secs.
boot() {
    local start end
    start=$(date +%s%N)
    timeout "$4" qemu-system-x86_64 -M "$2" -cpu max -m "${mem:-64}" -display none \
        -serial file:"$out/serial.txt" -monitor none \
        -drive file="$out/$1.img",format=raw,if="$3" \
        -device isa-debug-exit,iobase=0xf4,iosize=4 </dev/null >/dev/null 2>&1
    rc=$?
    end=$(date +%s%N)
    secs=$(awk -v ns=$((end - start)) 'BEGIN { printf "%.2f", ns / 1e9 }')
}

expect_pass() {   # expect_pass IMAGE MACHINE IF WHAT
    boot "$1" "$2" "$3" 60
    if [ $rc -eq 1 ] && grep -q "^stage2 ok, [0-9]* memmap entries" "$out/serial.txt" &&
       grep -q "^pattern ok" "$out/serial.txt" && grep -q "^bss zero ok" "$out/serial.txt"; then
        printf 'ok    %-34s %-4s %-6s %5.2fs\n' "$4" "$2" "$3" "$secs"
    else
        printf 'FAIL  %-34s %-4s %-6s rc=%s\n' "$4" "$2" "$3" "$rc"
        sed 's/^/      | /' "$out/serial.txt" | head -20
        failures=$((failures + 1))
    fi
}

# halt_boot IMAGE MESSAGE [TENTHS]: boot an image that should stop with MESSAGE
# on COM1; stop QEMU (the one started here) once it appears, or after 10 s.
halt_boot() {
    : > "$out/serial.txt"
    qemu-system-x86_64 -M q35 -cpu max -m "${mem:-64}" -display none \
        -serial file:"$out/serial.txt" -monitor none \
        -drive file="$out/$1.img",format=raw,if=virtio \
        -device isa-debug-exit,iobase=0xf4,iosize=4 </dev/null >/dev/null 2>&1 &
    local pid=$! tries=0
    while [ $tries -lt "${3:-100}" ] && kill -0 $pid 2>/dev/null; do
        grep -q "$2" "$out/serial.txt" && sleep 0.2 && break
        sleep 0.1
        tries=$((tries + 1))
    done
    if kill -0 $pid 2>/dev/null; then
        rc=halted
        kill $pid
    else
        wait $pid
        rc=$?
    fi
    wait $pid 2>/dev/null
}

expect_error() {   # expect_error IMAGE MESSAGE WHAT: boot halts printing MESSAGE
    halt_boot "$1" "$2"
    if [ "$rc" = halted ] && grep -q "$2" "$out/serial.txt"; then
        printf 'ok    %-34s -> %s\n' "$3" "$(tr -d '\r' < "$out/serial.txt" | head -1)"
    else
        printf 'FAIL  %-34s rc=%s, wanted "%s"\n' "$3" "$rc" "$2"
        sed 's/^/      | /' "$out/serial.txt" | head -20
        failures=$((failures + 1))
    fi
}

# Patch bytes into an image: poke IMAGE OFFSET OCTAL-ESCAPED-BYTES
poke() { printf "$3" | dd of="$out/$1.img" bs=1 seek="$2" conv=notrunc status=none; }

build_kernel small 4096
build_kernel big 2097152            # ~2 MiB kernel: every word is checked
build_kernel reboot 65536 -DREBOOT_TEST
build_kernel nonote 4096 -DNO_PVH_NOTE
image small small
image big big
image reboot reboot
image nonote nonote

for m in q35 pc; do
    for d in virtio ide; do
        expect_pass small $m $d "small kernel"
        expect_pass big $m $d "2 MiB kernel"
    done
done
expect_pass reboot q35 virtio "bss zeroed over dirty RAM (reboot)"
expect_pass reboot pc ide "bss zeroed over dirty RAM (reboot)"
mem=5G expect_pass big q35 virtio "5 GiB of RAM (memmap above 4 GiB)"

# Failures, each on a copy of the small image.
cp "$out/small.img" "$out/e_type.img";    poke e_type 450 '\203'          # entry 0 type 0x83
cp "$out/small.img" "$out/e_magic.img";   poke e_magic $((64*512)) 'XELF'
cp "$out/small.img" "$out/e_nostage2.img"; poke e_nostage2 512 '\0\0\0\0'
cp "$out/small.img" "$out/e_lba.img";     poke e_lba 454 '\0\0\0\1'      # start LBA 2^24: past the disk
cp "$out/big.img" "$out/e_trunc.img";     poke e_trunc 458 '\20\0\0\0'   # 16 sectors: ELF cut short
cp "$out/small.img" "$out/e_nosig.img";   poke e_nosig 510 '\0\0'
cp "$out/nonote.img" "$out/e_nonote.img"

expect_error e_type "no kernel partition" "MBR entry 0 not type 0xda"
expect_error e_magic "bad magic" "kernel is not an ELF"
expect_error e_nonote "no PVH entry note" "ELF without PVH note"
expect_error e_nostage2 "no stage2" "stage 2 missing"
expect_error e_lba "disk read error" "kernel partition past disk end"
expect_error e_trunc "kernel ELF truncated" "kernel partition too short"
mem=3 expect_error big "does not fit in RAM" "kernel larger than RAM (-m 3)"

# Without 0x55aa SeaBIOS will not even run stage 1: just make sure it does not enter the kernel.
halt_boot e_nosig "stage2 ok" 30
if grep -q "stage2 ok" "$out/serial.txt"; then
    echo "FAIL  image without 0x55aa booted"; failures=$((failures + 1))
else
    echo "ok    image without 0x55aa is not booted"
fi

# Same test kernel through QEMU's own PVH loader, for comparison.
start=$(date +%s%N)
timeout 30 qemu-system-x86_64 -M q35 -cpu max -m 64 -display none -serial file:"$out/serial.txt" \
    -kernel "$out/big.elf" -device isa-debug-exit,iobase=0xf4,iosize=4 </dev/null >/dev/null 2>&1
rc=$?
printf '%-5s %-34s %.2fs\n' "$([ $rc -eq 1 ] && echo ok || echo FAIL)" "same 2 MiB kernel via qemu -kernel" \
    "$(awk -v ns=$(( $(date +%s%N) - start )) 'BEGIN { printf "%.2f", ns / 1e9 }')"

if [ $failures -ne 0 ]; then
    echo "$failures BIOS boot test(s) failed"
    exit 1
fi
echo "all BIOS boot tests passed"
