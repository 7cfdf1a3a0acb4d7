# The fresh-machine check, sourced by test/run-tests (uses its add, record,
# finish, FILTER, LOGS, SKIPS):
#  fresh_machine   scripts/fresh-machine-check: `make run` and `make test` in
#                  a minimal Debian 12 root made with debootstrap, from a clean
#                  clone of the committed HEAD, without /dev/kvm. Takes an hour
#                  or more, needs root and the network: only `make test-long`
#                  runs it (PITH_FRESH_MACHINE=1). PITH_FRESH_ARGS passes
#                  options (e.g. --run-only) to the script.
# Plain `make test` does not even list it, so its summary has no permanent
# skip; asked for by name (test/run-tests fresh_machine) without
# PITH_FRESH_MACHINE=1, it is skipped with the reason.

fresh_machine() {
    local name=fresh_machine log=$LOGS/fresh_machine.log rc=0
    # shellcheck disable=SC2086
    bash scripts/fresh-machine-check ${PITH_FRESH_ARGS:-} < /dev/null > "$log" 2>&1 || rc=$?
    if [ "$rc" -eq 0 ]; then
        record $name ok
    else
        record $name FAIL "$(grep -m1 '^fresh-machine-check: FAIL: ' "$log" | sed 's/^fresh-machine-check: FAIL: //' |
            grep . || echo "exit $rc: $(tail -n1 "$log")")"
    fi
}

if [ "${PITH_FRESH_MACHINE:-0}" = 1 ]; then
    if [ "$(id -u)" = 0 ]; then
        add fresh_machine fresh_machine
    else
        SKIPS+=("fresh_machine|needs root (debootstrap, chroot, mounts)")
    fi
elif [ -n "$FILTER" ] && [[ fresh_machine =~ $FILTER ]]; then
    SKIPS+=("fresh_machine|only with PITH_FRESH_MACHINE=1 (make test-long sets it)")
fi
