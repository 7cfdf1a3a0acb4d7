#!/bin/bash
# The host's side of net_tap_echo_* (test/net/tests.sh), run by tap-guest.sh
# in the test's network namespace against test/runtime/net_echo_server.c:
# UDP echo and V4 concurrent TCP clients to the guest's static IPv4 address,
# then UDP echo and V6 concurrent TCP clients to its IPv6 link-local one.
# Usage: tap-echo.sh V4 V6 (GUEST4, GUEST6, GUEST_OUT from tap-guest.sh)
v4n=$1 v6n=$2
NET_HOST_STAGGER=0.005 timeout -k 5 100 python3 test/net/net_host.py echo 7077 "$v4n" "$GUEST_OUT" "$GUEST4"
v4=$?
NET_HOST_STAGGER=0.005 timeout -k 5 100 python3 test/net/net_host.py echo 7077 "$v6n" "$GUEST_OUT" "$GUEST6"
v6=$?
echo "host side: IPv4 $v4, IPv6 $v6"
[ $v4 -eq 0 ] && [ $v6 -eq 0 ]
