#!/bin/bash
# Run inside a private network namespace (unshare -n; test/net/tests.sh):
# a tap device pithtap0 with 192.168.77.1/24, the echo server in the guest
# at 192.168.77.2 (`pith run --net tap:pithtap0 --ip ...`), and from this
# side UDP and TCP echo to the guest's static IPv4 address and to its IPv6
# link-local one. The host's own network is not touched.
# Usage: tap-echo.sh PITH SERVER OUTFILE MACHINE
pith=$1 server=$2 out=$3 machine=$4
ip link set lo up || exit 3
ip tuntap add dev pithtap0 mode tap || exit 3
ip addr add 192.168.77.1/24 dev pithtap0 || exit 3
ip link set pithtap0 up || exit 3
"$pith" run --machine "$machine" --net tap:pithtap0 --ip 192.168.77.2/24 --gateway 192.168.77.1 --trace \
    "$server" 7077 20 < /dev/null > "$out" 2>&1 &
pid=$!
timeout -k 5 100 python3 test/net/net_host.py echo 7077 10 "$out" 192.168.77.2
v4=$?
# The namespace's own link-local address must be past duplicate address
# detection (about a second after the link came up) before it can send.
for i in $(seq 100); do
    ip -6 addr show dev pithtap0 scope link | grep -q tentative || break
    sleep 0.1
done
timeout -k 5 100 python3 test/net/net_host.py echo 7077 10 "$out" "fe80::5054:ff:fe12:3456%pithtap0"
v6=$?
wait $pid
guest=$?
echo "host side: IPv4 $v4, IPv6 $v6; pith $guest"
[ $v4 -eq 0 ] && [ $v6 -eq 0 ] && [ $guest -eq 0 ]
