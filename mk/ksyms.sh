#!/bin/sh
# Turn `nm -n` output (text symbols only) into the kernel's symbol table:
#   ksyms_count; then {u64 address, u64 name offset} sorted by address; then names.
in="$1"; [ "$in" = "-" ] && in=/dev/stdin
awk '
BEGIN { n = 0 }
$2 ~ /^[tT]$/ && $1 ~ /^ffffffff8/ { addr[n] = $1; name[n] = $3; n++ }
END {
    print "\t.section .ksyms, \"a\""
    print "\t.balign 8"
    print "\t.globl ksyms_count, ksyms_table, ksyms_names"
    print "ksyms_count:\t.quad " n+0
    print "ksyms_table:"
    off = 0
    for (i = 0; i < n; i++) { printf "\t.quad 0x%s, %d\n", addr[i], off; off += length(name[i]) + 1 }
    print "ksyms_names:"
    for (i = 0; i < n; i++) printf "\t.asciz \"%s\"\n", name[i]
}' "$in"
