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

# net_echo NAME MACHINE CPUS: test/runtime/net_echo_server.c in the guest on
# a forwarded port (TCP and UDP); from the host, one UDP datagram and then
# NET_ECHO_CLIENTS TCP clients at once, each sending ~3 KB and reading it
# all back (test/net/net_host.py). The server exits after serving them all.
NET_ECHO_CLIENTS=${NET_ECHO_CLIENTS:-50}
net_echo() {
    local name=$1 machine=$2 cpus=$3
    local log=$LOGS/$name.log tmp=$SCRATCH/$name.tmp problems="" port
    mkdir -p "$tmp"; : > "$log"
    port=$(python3 test/net/net_host.py ports 1)
    RAW=$SCRATCH/$name
    : > "$RAW.out"
    echo "\$ $PITH run --machine $machine --cpus $cpus net_echo_server $port $NET_ECHO_CLIENTS (port forwarded)" >> "$log"
    PITH_QEMU=$NET_QEMU PITH_NET_FWD="hostfwd=tcp:127.0.0.1:$port-:$port,hostfwd=udp:127.0.0.1:$port-:$port" \
        TMPDIR=$tmp timeout -k 5 "$TIMEOUT" "$PITH" run --machine "$machine" --cpus "$cpus" \
        "$BUILD/test/musl/net_echo_server" "$port" "$NET_ECHO_CLIENTS" < /dev/null > "$RAW.out" 2> "$RAW.err" &
    local pid=$!
    timeout -k 5 "$TIMEOUT" python3 test/net/net_host.py echo "$port" "$NET_ECHO_CLIENTS" "$RAW.out" >> "$log" 2>&1 ||
        problems+="host side: $(tail -n 1 "$log"); "
    wait "$pid"; rc=$?
    { echo "--- stdout"; cat "$RAW.out"; echo "--- stderr"; cat "$RAW.err"; echo "--- exit $rc"; } >> "$log"
    [ "$rc" -eq 0 ] || problems+="exit $rc; "
    grep -q "^echo: served $NET_ECHO_CLIENTS connections" "$RAW.out" || problems+="the server did not report $NET_ECHO_CLIENTS connections; "
    problems+=$(leftovers "$tmp")
    finish "$name" "$problems"
}

# net_outbound NAME MACHINE CPUS: test/runtime/net_client.c connects from the
# guest to a server on the host's 127.0.0.1 through the gateway 10.0.2.2,
# then makes a non-blocking connect to a closed port: ECONNREFUSED.
net_outbound() {
    local name=$1 machine=$2 cpus=$3
    local log=$LOGS/$name.log tmp=$SCRATCH/$name.tmp problems="" ports port closed
    mkdir -p "$tmp"; : > "$log"
    ports=$(python3 test/net/net_host.py ports 2)
    port=$(echo "$ports" | sed -n 1p); closed=$(echo "$ports" | sed -n 2p)
    timeout -k 5 "$TIMEOUT" python3 test/net/net_host.py serve "$port" "$SCRATCH/$name.ready" >> "$log" 2>&1 &
    local server=$! i=0
    while [ ! -e "$SCRATCH/$name.ready" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
    PITH_QEMU=$NET_QEMU run_pith "$log" "$tmp" run --machine "$machine" --cpus "$cpus" \
        "$BUILD/test/musl/net_client" 10.0.2.2 "$port" "$closed"
    wait "$server" || problems+="host server: $(grep '^host' "$log" | tail -n 1); "
    [ "$rc" -eq 0 ] || problems+="exit $rc; "
    grep -q "^client: got: hello from the host: hello from the guest" "$RAW.out" || problems+="no answer from the host; "
    grep -q "^client: refused as expected" "$RAW.out" || problems+="closed port not refused; "
    problems+=$(leftovers "$tmp")
    finish "$name" "$problems"
}

for machine in microvm q35; do
    for cpus in 1 2; do
        add "net_echo_${machine}_cpus$cpus" net_echo "net_echo_${machine}_cpus$cpus" "$machine" "$cpus"
        add "net_outbound_${machine}_cpus$cpus" net_outbound "net_outbound_${machine}_cpus$cpus" "$machine" "$cpus"
    done
done
