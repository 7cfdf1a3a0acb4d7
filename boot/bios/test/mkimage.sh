#!/bin/sh
# mkimage.sh STAGE1 STAGE2 KERNEL OUT [TFS]
# Assemble a bootable raw disk image in the layout of docs/boot.md, for
# testing the BIOS path without the real image writer:
#   LBA 0      stage 1 (bytes 0..439), partition table, 0x55aa
#   LBA 1..63  stage 2, zero padded
#   LBA 64..   kernel ELF (MBR entry 0, type 0xda), then the optional TFS
#              image (entry 1, type 0x7f) at the next 8-sector boundary.
set -eu

if [ $# -lt 4 ] || [ $# -gt 5 ]; then
    echo "usage: mkimage.sh STAGE1 STAGE2 KERNEL OUT [TFS]" >&2
    exit 2
fi
stage1=$1 stage2=$2 kernel=$3 out=$4 tfs=${5:-}

size() { wc -c < "$1" | tr -d ' '; }
die() { echo "mkimage.sh: $*" >&2; exit 2; }

for f in "$stage1" "$stage2" "$kernel" ${tfs:+"$tfs"}; do
    [ -f "$f" ] || die "$f: no such file"
done
[ "$(size "$stage1")" -le 440 ] || die "$stage1: larger than 440 bytes"
[ "$(size "$stage2")" -le $((63 * 512)) ] || die "$stage2: larger than 63 sectors"

# Little-endian 32-bit value as raw bytes.
le32() {
    for shift in 0 8 16 24; do
        printf "\\$(printf %03o $(( ($1 >> shift) & 255 )))"
    done
}
byte() { printf "\\$(printf %03o "$1")"; }

# One partition table entry: status, type, first LBA, sector count. The CHS
# fields hold the "use LBA" marker (0xfe 0xff 0xff).
part_entry() {
    byte "$1"; printf '\376\377\377'; byte "$2"; printf '\376\377\377'
    le32 "$3"; le32 "$4"
}

kernel_lba=64
kernel_sectors=$(( ($(size "$kernel") + 511) / 512 ))
tfs_lba=$(( (kernel_lba + kernel_sectors + 7) / 8 * 8 ))
tfs_sectors=0
[ -n "$tfs" ] && tfs_sectors=$(( ($(size "$tfs") + 511) / 512 ))

tmp="$out.tmp.$$"
trap 'rm -f "$tmp"' EXIT
trap 'exit 2' INT TERM

{
    dd if="$stage1" bs=440 count=1 conv=sync status=none
    printf '\0\0\0\0\0\0'                        # disk signature, reserved
    part_entry 128 218 "$kernel_lba" "$kernel_sectors"   # active, 0xda
    if [ "$tfs_sectors" -gt 0 ]; then
        part_entry 0 127 "$tfs_lba" "$tfs_sectors"       # 0x7f
    else
        part_entry 0 0 0 0
    fi
    part_entry 0 0 0 0
    part_entry 0 0 0 0
    printf '\125\252'
} > "$tmp"
[ "$(size "$tmp")" -eq 512 ] || die "internal error: MBR is not 512 bytes"

dd if="$stage2" of="$tmp" bs=512 seek=1 conv=notrunc status=none
truncate -s $((kernel_lba * 512)) "$tmp"
dd if="$kernel" of="$tmp" bs=512 seek=$kernel_lba conv=notrunc status=none
truncate -s $((tfs_lba * 512)) "$tmp"
if [ -n "$tfs" ]; then
    dd if="$tfs" of="$tmp" bs=512 seek=$tfs_lba conv=notrunc status=none
    truncate -s $(( (tfs_lba + tfs_sectors) * 512 )) "$tmp"
fi
# SeaBIOS derives a CHS geometry from the size and reads the MBR with CHS;
# an image under one cylinder (16 heads * 63 sectors) gets 0 cylinders and
# does not boot. Pad small images to 1 MiB.
[ "$(size "$tmp")" -ge 1048576 ] || truncate -s 1048576 "$tmp"
mv "$tmp" "$out"
trap - EXIT
