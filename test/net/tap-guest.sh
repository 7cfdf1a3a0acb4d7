#!/bin/bash
# Run inside a private network namespace (unshare -n; test/net/tests.sh):
# make a tap device pithtap0 with 192.168.77.1/24, boot PROG in the guest at
# 192.168.77.2 (`pith run --net tap:pithtap0 --ip ...`, output in OUTFILE),
# then run the host's side, HOSTCMD, in this namespace with the guest's
# addresses in its environment:
#   TAP=pithtap0  GUEST4=192.168.77.2  GUEST6=fe80::5054:ff:fe12:3456%pithtap0
#   GUEST_OUT=OUTFILE  PITH_PID=the pid of pith
# TAP_TRACE=1 boots with --trace (every system call: only for short runs).
# The guest has until HOSTCMD ends plus 30 s to exit by itself; then it is
# stopped. The host's own network is not touched.
# Usage: tap-guest.sh PITH OUTFILE MACHINE CPUS PROG [ARGS...] -- HOSTCMD [ARGS...]
# Exit status 0 only when HOSTCMD and pith both exited 0.
pith=$1 out=$2 machine=$3 cpus=$4
shift 4
guest=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do guest+=("$1"); shift; done
shift
[ $# -gt 0 ] || { echo "tap-guest.sh: no host command"; exit 2; }

ip link set lo up || exit 3
# q35 with several vCPUs: a multi-queue tap, so pith asks for a queue pair
# per CPU (virtio-net MQ; microvm's NIC has one queue).
ip tuntap add dev pithtap0 mode tap $([ "$machine" = q35 ] && [ "$cpus" -gt 1 ] && echo multi_queue) || exit 3
ip addr add 192.168.77.1/24 dev pithtap0 || exit 3
ip link set pithtap0 up || exit 3

"$pith" run --machine "$machine" --cpus "$cpus" --net tap:pithtap0 --ip 192.168.77.2/24 --gateway 192.168.77.1 \
 \
    ${TAP_TRACE:+--trace} "${guest[@]}" < /dev/null > "$out" 2>&1 &
pid=$!

# The namespace's own link-local address must be past duplicate address
# detection (about a second after the link came up) before it can send.
for _ in $(seq 100); do
    ip -6 addr show dev pithtap0 scope link | grep -q tentative || break
    sleep 0.1
done

TAP=pithtap0 GUEST4=192.168.77.2 GUEST6=fe80::5054:ff:fe12:3456%pithtap0 GUEST_OUT=$out PITH_PID=$pid "$@"
host=$?

for _ in $(seq 300); do kill -0 "$pid" 2> /dev/null || break; sleep 0.1; done
kill "$pid" 2> /dev/null
wait "$pid"
guest_rc=$?
echo "host side: exit $host; pith: exit $guest_rc"
[ "$host" -eq 0 ] && [ "$guest_rc" -eq 0 ]
