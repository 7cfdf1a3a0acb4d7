# Networking (issue 10), sourced by test/run-tests (uses its add, finish,
# run_pith, leftovers, BUILD, PITH, LOGS, SCRATCH). The NIC comes from
# `pith run --net user` or `-p` (QEMU's user network), virtio-net on
# virtio-mmio (microvm) or PCI (q35).
#
#  net_dhcp_MACHINE_cpusN  the kernel brings eth0 up by DHCPv4 before the
#                          program starts: with --trace it says so once
#                          (`net: eth0 10.0.2.15/24 gw 10.0.2.2`), and the
#                          control channel gets the same line.

# net_dhcp NAME MACHINE CPUS
net_dhcp() {
    local name=$1 machine=$2 cpus=$3
    local log=$LOGS/$name.log tmp=$SCRATCH/$name.tmp problems=""
    mkdir -p "$tmp"; : > "$log"
    run_pith "$log" "$tmp" run --net user --machine "$machine" --cpus "$cpus" --trace /bin/busybox true
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
    echo "\$ $PITH run --machine $machine --cpus $cpus -p $port -p $port/udp net_echo_server $port $NET_ECHO_CLIENTS" >> "$log"
    TMPDIR=$tmp timeout -k 5 "$TIMEOUT" "$PITH" run --machine "$machine" --cpus "$cpus" -p "$port" -p "$port/udp" \
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
    run_pith "$log" "$tmp" run --net user --machine "$machine" --cpus "$cpus" \
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

# ---- the host's side: pith run's network options (cli/net_opts.c) ----
# (the same run-tests helpers as above)
#  net_port_taken  a host port some process listens on: `pith run -p PORT`
#                  refuses it before QEMU starts (exit 2, one line naming the
#                  port, nothing left behind); the same port once free boots.
#  net_user_nic    -p on microvm and on q35: QEMU takes the -netdev user
#                  with its hostfwd and the virtio-net device (the program
#                  runs as without it); no option, no NIC.
#  net_build_image `pith build --ip/--gateway/--dns/--hostname` stores the
#                  settings (the generated /etc files show them);
#                  `pith run --image` then gets a NIC and forwards -p to the
#                  image's static address.
#  net_forward_MACHINE  `pith run -p HOST:GUEST -p HOST:GUEST/udp` in front of
#                  test/runtime/net_echo_server.c listening on GUEST (another
#                  number than HOST): the host's UDP datagram and 20
#                  concurrent TCP clients on 127.0.0.1:HOST are echoed
#                  (test/net/net_host.py), through pith's own -netdev.
#  net_tap         in a network namespace of its own (unshare -rn: no
#                  privileges, nothing changes on the host) the test makes a
#                  tap interface with an address; `pith run --net tap:NAME`
#                  hands it to QEMU (-netdev tap) and the program runs. Once
#                  the kernel drives the NIC (issue 10) this is where the
#                  guest's own address gets pinged and served.

# A TCP port nothing listens on, from the kernel's ephemeral range.
net_free_port() {
    local p
    for p in $(shuf -i 20000-30000 -n 20); do
        if ! (exec 3<> /dev/tcp/127.0.0.1/$p) 2> /dev/null; then echo "$p"; return 0; fi
    done
    return 1
}

net_port_taken() {
    local name=net_port_taken log=$LOGS/net_port_taken.log tmp=$SCRATCH/net_port_taken.tmp problems=""
    mkdir -p "$tmp"; : > "$log"
    local port; port=$(net_free_port) || { record $name skip "no free port found"; return; }
    # A listener held by a helper process: python3 if there is one, else busybox nc.
    local holder=""
    if command -v python3 > /dev/null; then
        python3 -c "import socket,time; s=socket.socket(); s.bind(('127.0.0.1',$port)); s.listen(); print('up',flush=True); time.sleep(60)" > "$tmp.holder" &
        holder=$!
    else
        record $name skip "no python3 to hold a port"; return
    fi
    for _ in $(seq 50); do grep -q up "$tmp.holder" 2> /dev/null && break; sleep 0.1; done
    run_pith "$log" "$tmp" run -p "$port" "$BUILD/test/musl/hello"
    [ "$rc" -eq 2 ] || problems+="taken port: exit $rc, expected 2; "
    [ "$(wc -l < "$RAW.err")" -eq 1 ] && grep -q "^pith: -p $port: host port 127.0.0.1:$port/tcp is already in use\$" "$RAW.err" ||
        problems+="taken port: not the one-line message: $(head -c 200 "$RAW.err"); "
    grep -q 'hello, world' "$RAW.out" && problems+="taken port: the program ran; "
    kill "$holder" 2> /dev/null; wait "$holder" 2> /dev/null
    rm -f "$tmp.holder"
    run_pith "$log" "$tmp" run -p "$port" "$BUILD/test/musl/hello"
    [ "$rc" -eq 0 ] || problems+="free port: exit $rc; "
    problems+=$(leftovers "$tmp")
    finish $name "$problems"
}

net_user_nic() {
    local name=net_user_nic log=$LOGS/net_user_nic.log tmp=$SCRATCH/net_user_nic.tmp problems=""
    mkdir -p "$tmp"; : > "$log"
    local port; port=$(net_free_port) || { record $name skip "no free port found"; return; }
    local machine dev
    for machine in microvm q35; do
        dev=virtio-net-device,netdev=net0
        [ $machine = q35 ] && dev=virtio-net-pci,netdev=net0,disable-legacy=on,romfile=
        PITH_SHOW_QEMU=1 run_pith "$log" "$tmp" run --machine $machine -p "$port:80" -p "$port/udp" "$BUILD/test/musl/hello"
        [ "$rc" -eq 0 ] || problems+="$machine: exit $rc; "
        grep -q -- "-netdev user,id=net0,hostfwd=tcp:127.0.0.1:$port-:80,hostfwd=udp:127.0.0.1:$port-:$port -device $dev" "$RAW.err" ||
            problems+="$machine: no -netdev/-device $dev on QEMU's line; "
    done
    PITH_SHOW_QEMU=1 run_pith "$log" "$tmp" run "$BUILD/test/musl/hello"
    grep -q -- "-netdev" "$RAW.err" && problems+="a NIC without any network option; "
    problems+=$(leftovers "$tmp")
    finish $name "$problems"
}

net_build_image() {
    local name=net_build_image log=$LOGS/net_build_image.log tmp=$SCRATCH/net_build_image.tmp problems=""
    local img=$SCRATCH/net_build_image.img
    mkdir -p "$tmp"; : > "$log"; rm -f "$img"
    local port; port=$(net_free_port) || { record $name skip "no free port found"; return; }
    run_pith "$log" "$tmp" build -o "$img" --ip 10.0.2.40/24 --gateway 10.0.2.2 --dns 10.0.2.3 --dns 1.1.1.1 \
        --hostname netimg "$BUILD/test/musl/hello"
    [ "$rc" -eq 0 ] || problems+="build: exit $rc; "
    [ "$("$PITH" image cat "$img" /etc/resolv.conf 2>&1)" = "$(printf 'nameserver 10.0.2.3\nnameserver 1.1.1.1')" ] ||
        problems+="resolv.conf: $("$PITH" image cat "$img" /etc/resolv.conf 2>&1 | head -c 100); "
    [ "$("$PITH" image cat "$img" /etc/hostname 2>&1)" = netimg ] || problems+="hostname not stored; "
    PITH_SHOW_QEMU=1 run_pith "$log" "$tmp" run --image "$img" -p "$port:80"
    [ "$rc" -eq 0 ] || problems+="run --image: exit $rc; "
    grep -q -- "-netdev user,id=net0,net=10.0.2.0/24,host=10.0.2.2,hostname=netimg,hostfwd=tcp:127.0.0.1:$port-10.0.2.40:80 " "$RAW.err" ||
        problems+="run --image: -netdev does not follow the image's address; "
    PITH_SHOW_QEMU=1 run_pith "$log" "$tmp" run --image "$img" --net none
    grep -q -- "-netdev" "$RAW.err" && problems+="--net none still got a NIC; "
    problems+=$(leftovers "$tmp")
    rm -f "$img"
    finish $name "$problems"
}

net_tap() {
    local name=net_tap log=$LOGS/net_tap.log tmp=$SCRATCH/net_tap.tmp problems=""
    mkdir -p "$tmp"; : > "$log"
    if ! command -v ip > /dev/null || [ ! -c /dev/net/tun ] ||
            ! unshare -rn sh -c 'ip tuntap add pt0 mode tap' > /dev/null 2>&1; then
        record $name skip "no tap in a user network namespace here (unshare -rn, ip tuntap, /dev/net/tun)"; return
    fi
    RAW=$SCRATCH/net_tap
    echo "\$ unshare -rn: ip tuntap add pt0 mode tap; ip addr add 192.168.77.1/24 dev pt0; $PITH run --net tap:pt0 ..." >> "$log"
    TMPDIR=$tmp PITH=$PITH HELLO=$BUILD/test/musl/hello timeout -k 5 "$TIMEOUT" unshare -rn sh -c '
        ip tuntap add pt0 mode tap && ip addr add 192.168.77.1/24 dev pt0 && ip link set pt0 up || exit 99
        PITH_SHOW_QEMU=1 "$PITH" run --net tap:pt0 --ip 192.168.77.2/24 --gateway 192.168.77.1 "$HELLO"' \
        < /dev/null > "$RAW.out" 2> "$RAW.err"
    rc=$?
    { echo "--- stdout"; cat "$RAW.out"; echo "--- stderr"; cat "$RAW.err"; echo "--- exit $rc"; } >> "$log"
    [ "$rc" -eq 0 ] && grep -q 'hello, world' "$RAW.out" || problems+="exit $rc; "
    grep -q -- "-netdev tap,id=net0,ifname=pt0,script=no,downscript=no -device virtio-net-device,netdev=net0" "$RAW.err" ||
        problems+="no -netdev tap on QEMU's line; "
    problems+=$(leftovers "$tmp")
    finish $name "$problems"
}

net_forward() {
    local name=$1 machine=$2
    local log=$LOGS/$name.log tmp=$SCRATCH/$name.tmp problems="" ports host guest
    mkdir -p "$tmp"; : > "$log"
    ports=$(python3 test/net/net_host.py ports 2) || { record "$name" skip "no free ports"; return; }
    host=$(echo "$ports" | sed -n 1p); guest=$(echo "$ports" | sed -n 2p)
    RAW=$SCRATCH/$name
    : > "$RAW.out"
    echo "\$ $PITH run --machine $machine -p $host:$guest -p $host:$guest/udp net_echo_server $guest 20" >> "$log"
    TMPDIR=$tmp timeout -k 5 "$TIMEOUT" "$PITH" run --machine "$machine" -p "$host:$guest" -p "$host:$guest/udp" \
        "$BUILD/test/musl/net_echo_server" "$guest" 20 < /dev/null > "$RAW.out" 2> "$RAW.err" &
    local pid=$!
    timeout -k 5 "$TIMEOUT" python3 test/net/net_host.py echo "$host" 20 "$RAW.out" >> "$log" 2>&1 ||
        problems+="host side: $(tail -n 1 "$log"); "
    wait "$pid"; rc=$?
    { echo "--- stdout"; cat "$RAW.out"; echo "--- stderr"; cat "$RAW.err"; echo "--- exit $rc"; } >> "$log"
    [ "$rc" -eq 0 ] || problems+="exit $rc; "
    grep -q "^echo: served 20 connections" "$RAW.out" || problems+="the server did not report 20 connections; "
    problems+=$(leftovers "$tmp")
    finish "$name" "$problems"
}

add net_forward_microvm net_forward net_forward_microvm microvm
add net_forward_q35 net_forward net_forward_q35 q35
add net_port_taken net_port_taken
add net_user_nic net_user_nic
add net_build_image net_build_image
add net_tap net_tap

# ---- the tap path: a routable guest address in a namespace the test makes ----
# Each runs test/net/tap-guest.sh under `unshare -n` (a private network
# namespace: nothing on the host changes): a tap device pithtap0 with
# 192.168.77.1/24, the guest at 192.168.77.2 (--net tap:pithtap0 --ip ...),
# the host's side in the namespace. Skipped where namespaces or
# /dev/net/tun are not available. QEMU's user network forwards a port with a
# listen backlog of 1; a tap has no such limit, so the many-client tests
# run here.
#
#  net_tap_echo_M_cpusN  net_echo_server.c: UDP echo and NET_TAP_CLIENTS
#                  (200) concurrent TCP clients, each ~3 KB echoed in full,
#                  to the static IPv4 address; UDP echo and 20 TCP clients to
#                  the IPv6 link-local address. A tap backend lets virtio-net
#                  offer checksum offload, which the guest must negotiate
#                  (`csum` in its trace line). On all four cells; on q35
#                  with 2 vCPUs the tap is multi-queue and the guest must
#                  turn on a queue pair per CPU (`mq 2/2`).
#  net_tap_load_M_cpusN  net_load_server.c against test/servers/load_host.py
#                  (as srv_load_*, see test/servers/tests.sh) on the tap:
#                  garbage and truncated TCP/UDP payloads, clients that
#                  vanish, SRV_LOAD_CHURN (5,000) connections opened and
#                  closed, a slowloris client, MemFree back within 5%.
#  net_tap_packets_M_cpusN  net_load_server.c while test/net/packet_fuzz.py
#                  injects malformed frames from the tap's host side (an
#                  AF_PACKET socket): one line per case in
#                  build/report/packets.txt; after each case the server must
#                  answer, the kernel must be alive, and at the end MemFree
#                  must be back within 5%.
NET_TAP_CLIENTS=${NET_TAP_CLIENTS:-200}

# net_tap_run NAME MACHINE CPUS PROG [ARGS...] -- HOSTCMD...: tap-guest.sh in
# a namespace of its own; sets problems (and rc).
net_tap_run() {
    local name=$1 machine=$2 cpus=$3; shift 3
    local log=$LOGS/$name.log tmp=$SCRATCH/$name.tmp
    mkdir -p "$tmp"; : > "$log"
    RAW=$SCRATCH/$name
    echo "\$ unshare -n test/net/tap-guest.sh ... $machine $cpus $*" >> "$log"
    TMPDIR=$tmp timeout -k 5 "$TIMEOUT" unshare -n bash test/net/tap-guest.sh "$PITH" "$RAW.out" "$machine" "$cpus" \
        "$@" >> "$log" 2>&1
    rc=$?
    { echo "--- guest output"; tail -c 20000 "$RAW.out"; echo "--- exit $rc"; } >> "$log"
    problems=""
    [ "$rc" -eq 0 ] || problems+="exit $rc: $(grep '^host' "$log" | grep -v 'host side' | tail -n 1); "
    grep -q 'panic' "$RAW.out" && problems+="the kernel panicked: $(grep -m1 panic "$RAW.out"); "
}

net_tap_usable() {
    [ -c /dev/net/tun ] && unshare -n true 2> /dev/null
}

net_tap_echo() {
    local name=$1 machine=$2 cpus=$3 problems
    net_tap_usable || { record "$name" skip "no /dev/net/tun or no network namespaces (needs root)"; return; }
    TAP_TRACE=1 net_tap_run "$name" "$machine" "$cpus" "$BUILD/test/musl/net_echo_server" 7077 $((NET_TAP_CLIENTS + 20)) \
        -- bash test/net/tap-echo.sh "$NET_TAP_CLIENTS" 20
    grep -q '^\[trace\] net: eth0 virtio-net .*features csum' "$RAW.out" || problems+="checksum offload not negotiated; "
    if [ "$machine" = q35 ] && [ "$cpus" -gt 1 ]; then
        grep -q "^\[trace\] net: eth0 virtio-net .*features .* mq $cpus/$cpus" "$RAW.out" ||
            problems+="not one queue pair per CPU (mq $cpus/$cpus); "
    fi
    grep -q "^echo: served $((NET_TAP_CLIENTS + 20)) connections" "$RAW.out" ||
        problems+="the server did not serve $((NET_TAP_CLIENTS + 20)) connections; "
    problems+=$(leftovers "$SCRATCH/$name.tmp")
    finish "$name" "$problems"
}

net_tap_load() {
    local name=$1 machine=$2 cpus=$3 problems
    net_tap_usable || { record "$name" skip "no /dev/net/tun or no network namespaces (needs root)"; return; }
    net_tap_run "$name" "$machine" "$cpus" "$BUILD/test/musl/net_load_server" 7078 \
        -- sh -c 'exec python3 test/servers/load_host.py 7078 "$GUEST_OUT" "$1" "$GUEST4"' sh "${SRV_LOAD_CHURN:-5000}"
    grep -q '^load: accepted' "$RAW.out" || problems+="the server did not report its counts; "
    problems+=$(leftovers "$SCRATCH/$name.tmp")
    finish "$name" "$problems"
}

net_tap_packets() {
    local name=$1 machine=$2 cpus=$3 problems
    # ~7,500 frames paced 2 ms apart, ~25 handshakes and a check after each
    # case: about a minute under TCG, so twice the usual limit.
    local TIMEOUT=$((TIMEOUT * 2))
    net_tap_usable || { record "$name" skip "no /dev/net/tun or no network namespaces (needs root)"; return; }
    mkdir -p "$BUILD/report"
    net_tap_run "$name" "$machine" "$cpus" "$BUILD/test/musl/net_load_server" 7079 \
        -- python3 test/net/packet_fuzz.py 7079 "${NET_PACKET_SEED:-1}" "$BUILD/report/packets.txt"
    grep -q '^load: accepted' "$RAW.out" || problems+="the server did not report its counts; "
    problems+=$(leftovers "$SCRATCH/$name.tmp")
    finish "$name" "$problems"
}

for machine in microvm q35; do
    for cpus in 1 2; do
        add "net_tap_echo_${machine}_cpus$cpus" net_tap_echo "net_tap_echo_${machine}_cpus$cpus" "$machine" "$cpus"
    done
done
for mc in microvm:2 q35:1; do
    sfx=${mc%:*}_cpus${mc#*:}
    add "net_tap_load_$sfx" net_tap_load "net_tap_load_$sfx" "${mc%:*}" "${mc#*:}"
done
for mc in ${NET_PACKET_CELLS:-microvm:1 q35:2}; do
    sfx=${mc%:*}_cpus${mc#*:}
    add "net_tap_packets_$sfx" net_tap_packets "net_tap_packets_$sfx" "${mc%:*}" "${mc#*:}"
done
unset mc sfx

# net_tap_gateway6: the guest's only route off the tap link is a static IPv6
# gateway (--ip 2001:db8:77::2/64 --gateway 2001:db8:77::1, i.e. gateway6);
# test/runtime/net_client.c connects to a server on an address beyond it and
# gets its answer, then a closed port there refuses (test/net/tap-gateway6.sh,
# in a network namespace the test makes). Without gateway6 applied the
# connect fails: no route.
net_tap_gateway6() {
    local name=net_tap_gateway6 log=$LOGS/net_tap_gateway6.log tmp=$SCRATCH/net_tap_gateway6.tmp problems=""
    mkdir -p "$tmp"; : > "$log"
    net_tap_usable || { record "$name" skip "no /dev/net/tun or no network namespaces (needs root)"; return; }
    RAW=$SCRATCH/$name
    TMPDIR=$tmp timeout -k 5 "$TIMEOUT" unshare -n bash test/net/tap-gateway6.sh "$PITH" "$BUILD/test/musl/net_client" \
        "$RAW.out" microvm >> "$log" 2>&1
    rc=$?
    { echo "--- guest output"; cat "$RAW.out"; echo "--- exit $rc"; } >> "$log"
    [ "$rc" -eq 0 ] || problems+="exit $rc: $(grep '^host' "$log" | tail -n 1); "
    grep -q "^client: got: hello from the host: hello from the guest" "$RAW.out" || problems+="no answer through gateway6; "
    grep -q "^client: refused as expected" "$RAW.out" || problems+="closed port not refused; "
    problems+=$(leftovers "$tmp")
    finish "$name" "$problems"
}
add net_tap_gateway6 net_tap_gateway6

# net_nginx_big_MACHINE_cpusN: Debian's nginx (pith pkg get nginx, the cache
# test/pkg/tests.sh keeps in build/test/pkg) serves a 100 MiB file of random
# bytes from the image (-d) with its own config (-f; sendfile on) to curl on
# the host through -p; the sha256 must match. Skipped when the package
# cannot be fetched (no network) or curl is missing.
net_nginx_big() {
    local name=$1 machine=$2 cpus=$3
    local log=$LOGS/$name.log tmp=$SCRATCH/$name.tmp problems="" port www=$SCRATCH/$name.www
    mkdir -p "$tmp" "$www"; : > "$log"
    command -v curl > /dev/null || { record "$name" skip "no curl"; return; }
    PITH_PKG_DIR=$BUILD/test/pkg timeout -k 5 "$TIMEOUT" "$PITH" pkg get nginx >> "$log" 2>&1 ||
        { record "$name" skip "pith pkg get nginx: $(tail -n 1 "$log")"; return; }
    port=$(python3 test/net/net_host.py ports 1) || { record "$name" skip "no free port"; return; }
    head -c 104857600 /dev/urandom > "$www/big.bin"
    echo "served by nginx in pith" > "$www/index.html"
    cat > "$SCRATCH/$name.conf" <<'CONF'
daemon off;
master_process off;
worker_processes 1;
error_log /dev/stderr notice;
pid /tmp/nginx.pid;
events { worker_connections 256; }
http {
    access_log off;
    sendfile on;
    client_body_temp_path /tmp;
    proxy_temp_path /tmp;
    fastcgi_temp_path /tmp;
    uwsgi_temp_path /tmp;
    scgi_temp_path /tmp;
    server { listen 8080; root /www; }
}
CONF
    RAW=$SCRATCH/$name
    echo "\$ $PITH run --machine $machine --cpus $cpus --pkg nginx -p $port:8080 -d www:/www -f nginx.conf:/etc/nginx/nginx.conf /usr/sbin/nginx" >> "$log"
    PITH_PKG_DIR=$BUILD/test/pkg TMPDIR=$tmp timeout -k 5 "$TIMEOUT" "$PITH" run --machine "$machine" --cpus "$cpus" \
        --pkg nginx -p "$port:8080" -d "$www:/www" -f "$SCRATCH/$name.conf:/etc/nginx/nginx.conf" \
        /usr/sbin/nginx -c /etc/nginx/nginx.conf < /dev/null > "$RAW.out" 2> "$RAW.err" &
    local pid=$! i got want
    for ((i = 0; i < 90; i++)); do
        curl -s -m 5 -o /dev/null "http://127.0.0.1:$port/index.html" && break
        sleep 1
    done
    [ "$(curl -s -m 10 "http://127.0.0.1:$port/index.html")" = "served by nginx in pith" ] || problems+="GET /index.html failed; "
    local t0=$SECONDS
    got=$(curl -s -m 100 "http://127.0.0.1:$port/big.bin" | sha256sum | cut -d' ' -f1)
    want=$(sha256sum < "$www/big.bin" | cut -d' ' -f1)
    echo "100 MiB in $((SECONDS - t0)) s; sha256 $got (want $want)" >> "$log"
    [ "$got" = "$want" ] || problems+="big.bin: sha256 differs; "
    kill "$pid" 2> /dev/null; wait "$pid" 2> /dev/null
    { echo "--- stdout"; cat "$RAW.out"; echo "--- stderr"; tail -n 20 "$RAW.err"; } >> "$log"
    rm -rf "$www"
    problems+=$(leftovers "$tmp")
    finish "$name" "$problems"
}

for machine in microvm q35; do
    for cpus in 1 2; do
        add "net_nginx_big_${machine}_cpus$cpus" net_nginx_big "net_nginx_big_${machine}_cpus$cpus" "$machine" "$cpus"
    done
done

#  net_ifaddrs_LIBC        the interfaces as programs see them (net/netif_registry.h):
#                          getifaddrs (netlink) lists lo and eth0 with its DHCP
#                          address and IPv6 link-local address, SIOCGIFCONF
#                          and SIOCGIFMTU/HWADDR agree (test/runtime/netif.c all).
net_ifaddrs() {
    local name=$1 libc=$2
    local log=$LOGS/$name.log tmp=$SCRATCH/$name.tmp problems=""
    mkdir -p "$tmp"; : > "$log"
    run_pith "$log" "$tmp" run --net user "$BUILD/test/$libc/netif" all
    [ "$rc" -eq 0 ] || problems+="exit $rc; "
    local want
    for want in 'ifaddr lo family 2 flags 0x10049 127.0.0.1 255.0.0.0 index 1' \
                'ifaddr lo family 10 flags 0x10049 ::1  index 1' \
                'ifaddr eth0 family 17 flags 0x11043 link  index 2' \
                'ifaddr eth0 family 2 flags 0x11043 10.0.2.15 255.255.255.0 index 2' \
                'ifconf eth0 10.0.2.15 mtu 1500 hw 52:54:00:12:34:56'; do
        grep -qxF "$want" "$RAW.out" || problems+="missing '$want'; "
    done
    grep -q '^ifaddr eth0 family 10 flags 0x11043 fe80::' "$RAW.out" || problems+="no IPv6 link-local address on eth0; "
    problems+=$(leftovers "$tmp")
    finish "$name" "$problems"
}

for libc in musl glibc; do
    add "net_ifaddrs_$libc" net_ifaddrs "net_ifaddrs_$libc" "$libc"
done

# The socket runtime tests on the cell run-tests' own matrix lacks: q35 with
# 2 vCPUs (it runs musl on microvm and q35 with 1 vCPU, glibc on microvm
# with 2): AF_UNIX streams, datagrams, SCM_RIGHTS and names, TCP/UDP over
# 127.0.0.1 and ::1 with ECONNREFUSED, and the socket calls' bad input.
for prog in unix_pair unix_names net_loopback socket_bad; do
    [ -x "$BUILD/test/musl/$prog" ] || continue
    add "$prog.musl.q35_cpus2" run_runtime "$prog.musl.q35_cpus2" "$BUILD/test/musl/$prog" pvh "test/runtime/$prog.expect" q35 2
done
unset prog
