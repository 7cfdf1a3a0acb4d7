#!/bin/bash
# Run inside a private network namespace (unshare -n; test/net/tests.sh):
# the guest has only a static IPv6 address on the tap link and a static
# gateway6; the server listens on an address that is not on that link
# (2001:db8:99::1 on this namespace's loopback), so the guest reaches it
# only through its gateway. Then a closed port there must refuse.
# Usage: tap-gateway6.sh PITH CLIENT OUTFILE MACHINE
pith=$1 client=$2 out=$3 machine=$4
dir=$(dirname "$0")
ip link set lo up || exit 3
ip -6 addr add 2001:db8:99::1/128 dev lo || exit 3
ip tuntap add dev pithtap6 mode tap || exit 3
ip -6 addr add 2001:db8:77::1/64 dev pithtap6 nodad || exit 3
ip link set pithtap6 up || exit 3
ports=$(python3 "$dir/net_host.py" ports 2) || exit 3
port=$(echo "$ports" | sed -n 1p); closed=$(echo "$ports" | sed -n 2p)
ready=$out.ready
rm -f "$ready"
timeout -k 5 100 python3 "$dir/net_host.py" serve "$port" "$ready" 2001:db8:99::1 &
server=$!
for i in $(seq 200); do [ -e "$ready" ] && break; sleep 0.05; done
"$pith" run --machine "$machine" --net tap:pithtap6 --ip 2001:db8:77::2/64 --gateway 2001:db8:77::1 \
    "$client" 2001:db8:99::1 "$port" "$closed" < /dev/null > "$out" 2>&1
guest=$?
wait $server
host=$?
echo "host side: server $host; pith $guest"
[ $host -eq 0 ] && [ $guest -eq 0 ]
