# Networking (issue 10), sourced by test/run-tests (uses its add, finish,
# run_pith, leftovers, BUILD, PITH, LOGS, SCRATCH). The NIC comes from
# test/net/qemu-net (PITH_QEMU): QEMU's user network, virtio-net on
# virtio-mmio (microvm) or PCI (q35).
#
#  net_dhcp_MACHINE_cpusN  the kernel brings eth0 up by DHCPv4 before the
#                          program starts: with --trace it says so once
#                          (`net: eth0 10.0.2.15/24 gw 10.0.2.2`), and the
#                          control channel gets the same line.

NET_QEMU=$PWD/test/net/qemu-net

# net_dhcp NAME MACHINE CPUS
net_dhcp() {
    local name=$1 machine=$2 cpus=$3
    local log=$LOGS/$name.log tmp=$SCRATCH/$name.tmp problems=""
    mkdir -p "$tmp"; : > "$log"
    PITH_QEMU=$NET_QEMU run_pith "$log" "$tmp" run --machine "$machine" --cpus "$cpus" --trace /bin/busybox true
    [ "$rc" -eq 0 ] || problems+="exit $rc; "
    local lines
    lines=$(grep -c '^\[trace\] net: eth0 10\.0\.2\.15/24 gw 10\.0\.2\.2' "$RAW.err" "$RAW.out" 2> /dev/null |
            awk -F: '{ n += $2 } END { print n + 0 }')
    [ "$lines" -eq 1 ] || problems+="expected one 'net: eth0 10.0.2.15/24 gw 10.0.2.2' trace line, saw $lines; "
    problems+=$(leftovers "$tmp")
    finish "$name" "$problems"
}

for machine in microvm q35; do
    for cpus in 1 2; do
        add "net_dhcp_${machine}_cpus$cpus" net_dhcp "net_dhcp_${machine}_cpus$cpus" "$machine" "$cpus"
    done
done

