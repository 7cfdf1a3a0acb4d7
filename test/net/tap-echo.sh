#!/bin/bash
# Run inside a private network namespace (unshare -n; test/net/tests.sh):
# a tap device pithtap0, the echo server in the guest, and from the
# namespace's side UDP and TCP echo to the guest's IPv6 link-local address
# (no DHCP server here: link-local needs none). The host's own network is
# not touched. Usage: tap-echo.sh PITH SERVER OUTFILE CLIENTS MACHINE
pith=$1 server=$2 out=$3 clients=$4 machine=$5
ip link set lo up || exit 3
ip tuntap add dev pithtap0 mode tap || exit 3
ip link set pithtap0 up || exit 3
PITH_QEMU=$PWD/test/net/qemu-tap "$pith" run --machine "$machine" --trace "$server" 7077 "$clients" \
    < /dev/null > "$out" 2>&1 &
pid=$!
timeout -k 5 100 python3 test/net/net_host.py echo 7077 "$clients" "$out" "fe80::5054:ff:fe12:3456%pithtap0"
host=$?
wait $pid
guest=$?
echo "host side $host, pith $guest"
[ $host -eq 0 ] && [ $guest -eq 0 ]
