# KASLR (docs/boot.md), sourced by test/run-tests (uses its add, run_pith,
# finish, leftovers, BUILD, LOGS, SCRATCH). QEMU is wrapped (PITH_QEMU) to
# hand the kernel the fw_cfg file opt/pith/kaslr: "report" makes it print
# `kaslr: kernel text at X, linked at Y (N slots)` and a backtrace on the
# console, which no normal boot does.
#  kaslr_pvh     4 PVH boots (microvm): 4 different page-aligned text
#                addresses inside the allowed range; the backtrace, printed
#                at link-time addresses, names kaslr_report_if_asked and kmain
#                and addr2line on build/kernel/pith.elf agrees; a boot without
#                the file prints no kernel address; records the entropy in
#                build/report/aslr.txt
#  kaslr_bios    2 BIOS boots (q35, boot/bios): different addresses
#  kaslr_uefi    1 UEFI boot (OVMF, boot/uefi): the kernel is not at its link
#                address (the same code picks the slide on every path)
#  kaslr_host_slide   the slide given by the host (what --gdb passes): the
#                highest one the image allows (from _kernel_end) is taken
#                without a word; 3 it must not take (one page past that,
#                unaligned, not hex) each give one `kaslr: refused ...` line
#                naming it, and the program runs on the kernel's own slide
# "slide=0x...", what --gdb passes, is cli_gdb's: gdb finds program_load at
# its link address + pith's slide; "off" (--no-kaslr) is cli_gdb_no_kaslr's.

# kaslr_qemu_wrapper SETTING: a QEMU that passes opt/pith/kaslr=SETTING; prints its path.
kaslr_qemu_wrapper() {
    local w=$SCRATCH/qemu-kaslr-$1
    printf '#!/bin/sh\nexec %s "$@" -fw_cfg name=opt/pith/kaslr,string=%s\n' \
        "${PITH_QEMU:-qemu-system-x86_64}" "$1" > "$w"
    chmod +x "$w"
    echo "$w"
}

# kaslr_boots NAME SETTING COUNT PITH-RUN-ARGS...: boot COUNT times; the
# text addresses (one per boot) go to $SCRATCH/NAME.addrs, problems to stdout.
kaslr_boots() {
    local name=$1 setting=$2 count=$3; shift 3
    local log=$LOGS/$name.log tmp=$SCRATCH/$name.tmp qemu problems="" i
    mkdir -p "$tmp"
    qemu=$(kaslr_qemu_wrapper "$setting")
    : > "$SCRATCH/$name.addrs"
    for ((i = 1; i <= count; i++)); do
        PITH_QEMU=$qemu run_pith "$log" "$tmp" run "$@" "$BUILD/test/musl/hello"
        [ "$rc" -eq 0 ] || problems+="boot $i: exit $rc; "
        grep -q 'hello, world' "$RAW.out" || problems+="boot $i: the program did not run; "
        local line; line=$(tr -d '\r' < "$RAW.out" | grep -m1 '^kaslr: kernel text at ')
        [ -n "$line" ] || { problems+="boot $i: no kaslr line; "; continue; }
        echo "$line" | sed 's/^kaslr: kernel text at \([0-9a-f]*\), linked at \([0-9a-f]*\) (\([0-9]*\) slots)$/\1 \2 \3/' \
            >> "$SCRATCH/$name.addrs"
        cp "$RAW.out" "$SCRATCH/$name.boot$i.out"
    done
    problems+=$(leftovers "$tmp")
    echo "$problems"
}

# Distinct, page-aligned, inside [link address, 0xffffffffff000000).
kaslr_check_spread() {
    local file=$1 want=$2 problems=""
    local n distinct
    n=$(wc -l < "$file"); distinct=$(cut -d' ' -f1 "$file" | sort -u | wc -l)
    [ "$n" -eq "$want" ] || problems+="$n addresses, want $want; "
    [ "$distinct" -eq "$n" ] || problems+="only $distinct different addresses in $n boots; "
    while read -r text linked _; do
        [ $((0x$text & 0xfff)) -eq 0 ] || problems+="$text is not page-aligned; "
        # Unsigned compares through the offset from the link address.
        local off=$((0x$text - 0x$linked))
        [ "$off" -ge 0 ] && [ "$off" -lt $((0x7f000000)) ] || problems+="$text is outside the range; "
    done < "$file"
    echo "$problems"
}

kaslr_pvh() {
    local name=kaslr_pvh problems
    : > "$LOGS/$name.log"
    problems=$(kaslr_boots $name report 4)
    problems+=$(kaslr_check_spread "$SCRATCH/$name.addrs" 4)
    # The backtrace: link-time addresses, symbolized by the kernel and by addr2line.
    local out=$SCRATCH/$name.boot1.out frames addr fn
    frames=$(tr -d '\r' < "$out" | grep -E '^    ffffffff8[0-9a-f]+ ' | head -2)
    echo "$frames" >> "$LOGS/$name.log"
    echo "$frames" | grep -q ' kaslr_report_if_asked+0x0$' || problems+="no kaslr_report_if_asked frame; "
    echo "$frames" | grep -q ' kmain+0x[0-9a-f]*$' || problems+="no kmain frame; "
    for addr in $(echo "$frames" | awk '{print $1}'); do
        # The outermost function of the inlining chain addr2line -i prints.
        fn=$(addr2line -f -i -e "$BUILD/kernel/pith.elf" "$addr" | awk 'NR % 2 == 1' | tail -1)
        echo "addr2line $addr: $fn" >> "$LOGS/$name.log"
        echo "$frames" | grep -q "^    $addr $fn+" || problems+="addr2line says $addr is $fn; "
    done
    # No report asked: no kernel address on the console.
    local tmp=$SCRATCH/$name.plain.tmp
    mkdir -p "$tmp"
    run_pith "$LOGS/$name.log" "$tmp" run "$BUILD/test/musl/hello"
    grep -qi 'kaslr\|ffffffff' "$RAW.out" && problems+="a plain boot printed a kernel address; "
    problems+=$(leftovers "$tmp")
    # The figure for make fuzz-report: the slide's entropy from its slot count
    # (Linux x86-64 randomizes its text over 1 GiB in 2 MiB steps: 9 bits).
    local slots; slots=$(head -1 "$SCRATCH/$name.addrs" | cut -d' ' -f3)
    if [ -z "$problems" ] && [ -n "$slots" ]; then
        mkdir -p "$BUILD/report"
        echo "region=kernel_text boots=4 pith_bits=$(awk -v s="$slots" 'BEGIN { printf "%.1f", log(s) / log(2) }') linux_bits=9" \
            >> "$BUILD/report/aslr.txt"
    fi
    finish $name "$problems"
}

kaslr_bios() {
    local name=kaslr_bios problems
    : > "$LOGS/$name.log"
    problems=$(kaslr_boots $name report 2 --boot bios)
    problems+=$(kaslr_check_spread "$SCRATCH/$name.addrs" 2)
    finish $name "$problems"
}

kaslr_uefi() {
    local name=kaslr_uefi problems text linked
    : > "$LOGS/$name.log"
    problems=$(kaslr_boots $name report 1 --boot uefi)
    read -r text linked _ < "$SCRATCH/$name.addrs"
    [ -n "$text" ] && [ "$text" = "$linked" ] && problems+="the kernel runs at its link address; "
    finish $name "$problems"
}

kaslr_host_slide() {
    local name=kaslr_host_slide problems="" tmp=$SCRATCH/kaslr_host_slide.tmp setting lines end top
    : > "$LOGS/$name.log"
    mkdir -p "$tmp"
    # kaslr_boot's range: the image's end may reach KASLR_VA_LIMIT, no further.
    end=$(nm "$BUILD/kernel/pith.elf" | awk '$3 == "_kernel_end" { print $1 }')
    top=$(printf '0x%x' $((0xffffffffff000000 - 0x$end)))
    for setting in "slide=$top" "slide=$(printf '0x%x' $((top + 0x1000)))" slide=0x1001 slide=0xzz; do
        echo "# QEMU gets opt/pith/kaslr = $setting" >> "$LOGS/$name.log"
        PITH_QEMU=$(kaslr_qemu_wrapper "$setting") run_pith "$LOGS/$name.log" "$tmp" run "$BUILD/test/musl/hello"
        [ "$rc" -eq 0 ] || problems+="$setting: exit $rc; "
        grep -q 'hello, world' "$RAW.out" || problems+="$setting: the program did not run; "
        lines=$(tr -d '\r' < "$RAW.out" | grep '^kaslr:')
        if [ "$setting" = "slide=$top" ]; then
            [ -z "$lines" ] || problems+="$setting (the top of the range) refused: '$lines'; "
            continue
        fi
        [ "$(echo "$lines" | grep -c .)" -eq 1 ] &&
            echo "$lines" | grep -q "^kaslr: refused the host's opt/pith/kaslr '$setting' (.*); the kernel chose its own random slide\$" ||
            problems+="$setting: not one 'kaslr: refused' line naming it: '$lines'; "
    done
    problems+=$(leftovers "$tmp")
    finish $name "$problems"
}

add kaslr_pvh kaslr_pvh
add kaslr_host_slide kaslr_host_slide
add kaslr_bios kaslr_bios
add kaslr_uefi kaslr_uefi
