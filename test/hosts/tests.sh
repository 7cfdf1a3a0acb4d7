# Engines and stopped guests (docs/hosts.md), sourced by test/run-tests (uses
# its add, record, finish, run_pith, leftovers, BUILD, PITH, LOGS, SCRATCH):
#  hosts_kvm_unusable  /dev/kvm present but QEMU fails under KVM the way this
#                      kind of host's does (a wrapper given as PITH_QEMU): one
#                      warning line and the program runs under TCG; --accel
#                      tcg says nothing; --accel kvm is exit 2 with the reason;
#                      the verdict is cached (the probe runs once).
#  hosts_kvm_rerun     the probe passes, then a run fails under KVM before the
#                      program starts: pith says so and re-runs under TCG.
#  hosts_kvm_real      where this host's KVM cannot run Pith: force it through
#                      the cache and meet the real internal error; pith names
#                      it and re-runs under TCG. The kernel's control channel
#                      of the KVM start (kept by qemu-keep-control) shows it
#                      took kvmclock and the TSC-deadline timer before that.
#  hosts_qmp_stop      the VM is paused through QMP while the program runs:
#                      one line, exit 125, never re-run.
#  hosts_timeout       --timeout 2s on a program sleeping 60 s: exit 124.
#  hosts_machines      the same program on microvm and q35 (and q35 picked by
#                      itself for --disk nvme).
#  hosts_cpu_tables    two vCPUs found through each of the kernel's sources
#                      (platform/cpus_find.c): ACPI on q35 (also with QEMU's
#                      ACPI off: SeaBIOS builds its own), fw_cfg on microvm;
#                      the smp program passes on each, and the control channel
#                      names the source.
# The wrappers live in test/hosts/.

hosts_cpu_tables() {
    local name=hosts_cpu_tables log=$LOGS/hosts_cpu_tables.log tmp=$SCRATCH/hosts_cpu_tables.tmp problems=""
    local control=$SCRATCH/$name.control case machine option source
    mkdir -p "$tmp"; : > "$log"
    for case in "q35||acpi" "q35|,acpi=off|acpi" "microvm||fw_cfg"; do
        IFS='|' read -r machine option source <<< "$case"
        rm -f "$control"
        HOSTS_MACHINE_OPTION=$option HOSTS_CONTROL=$control PITH_QEMU=test/hosts/qemu-machine-option \
            run_pith "$log" "$tmp" run --machine "$machine" --cpus 2 "$BUILD/test/musl/smp"
        { echo "--- control channel"; cat "$control"; } >> "$log" 2>&1
        [ "$rc" -eq 0 ] || problems+="$machine$option: exit $rc; "
        grep -q 'smp: all checks passed' "$RAW.out" || problems+="$machine$option: smp did not pass; "
        grep -q "^cpus 2 from $source\$" "$control" 2> /dev/null || problems+="$machine$option: CPUs not found through $source; "
    done
    problems+=$(leftovers "$tmp")
    finish $name "$problems"
}

# hosts_cache NAME: a private cache directory for the accelerator verdict.
hosts_cache() { echo "$SCRATCH/$1.cache"; }

hosts_kvm_unusable() {
    local name=hosts_kvm_unusable log=$LOGS/hosts_kvm_unusable.log tmp=$SCRATCH/hosts_kvm_unusable.tmp problems=""
    local cache; cache=$(hosts_cache $name)
    [ -r /dev/kvm ] && [ -w /dev/kvm ] || { record $name skip "no usable /dev/kvm: the probe never runs"; return; }
    mkdir -p "$tmp"; : > "$log"; rm -rf "$cache"
    local calls=$SCRATCH/$name.calls; : > "$calls"
    XDG_CACHE_HOME=$cache PITH_ACCEL= HOSTS_CALLS=$calls PITH_QEMU=test/hosts/qemu-kvm-broken \
        run_pith "$log" "$tmp" run "$BUILD/test/musl/hello"
    [ "$rc" -eq 0 ] && grep -q 'hello, world' "$RAW.out" || problems+="auto: exit $rc; "
    [ "$(wc -l < "$RAW.err")" -eq 1 ] || problems+="auto: $(wc -l < "$RAW.err") lines on stderr, expected 1; "
    grep -q '^pith: KVM cannot run Pith on this host (KVM internal error (emulation failure) at guest RIP ffffffff8010b8e6 (stac)); running under TCG' "$RAW.err" ||
        problems+="auto: no warning naming the failure; "
    [ "$(grep -c 'cpu=host$' "$calls")" -eq 1 ] && [ "$(grep -c 'cpu=host,-arch-capabilities$' "$calls")" -eq 1 ] ||
        problems+="probe: expected one try with host and one without arch-capabilities: $(tr '\n' ' ' < "$calls"); "
    XDG_CACHE_HOME=$cache PITH_ACCEL= HOSTS_CALLS=$calls PITH_QEMU=test/hosts/qemu-kvm-broken \
        run_pith "$log" "$tmp" run --accel tcg "$BUILD/test/musl/hello"
    [ "$rc" -eq 0 ] && [ ! -s "$RAW.err" ] || problems+="--accel tcg: exit $rc, stderr '$(head -c 200 "$RAW.err")'; "
    XDG_CACHE_HOME=$cache PITH_ACCEL= HOSTS_CALLS=$calls PITH_QEMU=test/hosts/qemu-kvm-broken \
        run_pith "$log" "$tmp" run --accel kvm "$BUILD/test/musl/hello"
    [ "$rc" -eq 2 ] || problems+="--accel kvm: exit $rc, expected 2; "
    [ "$(wc -l < "$RAW.err")" -eq 1 ] && grep -q '^pith: --accel kvm: KVM cannot run Pith on this host: KVM internal error' "$RAW.err" ||
        problems+="--accel kvm: not one line with the reason; "
    grep -q 'hello' "$RAW.out" && problems+="--accel kvm: the program ran; "
    [ "$(grep -c kvm "$calls")" -eq 2 ] || problems+="the verdict was not cached: $(grep -c kvm "$calls") KVM starts; "
    XDG_CACHE_HOME=$cache PITH_QEMU=test/hosts/qemu-kvm-broken "$PITH" accel > "$SCRATCH/$name.accel" 2>&1 < /dev/null
    grep -q '^tcg (KVM cannot run Pith on this host: KVM internal error' "$SCRATCH/$name.accel" ||
        problems+="pith accel: '$(cat "$SCRATCH/$name.accel")'; "
    problems+=$(leftovers "$tmp")
    rm -rf "$cache"
    finish $name "$problems"
}

hosts_kvm_rerun() {
    local name=hosts_kvm_rerun log=$LOGS/hosts_kvm_rerun.log tmp=$SCRATCH/hosts_kvm_rerun.tmp problems=""
    local cache; cache=$(hosts_cache $name)
    [ -r /dev/kvm ] && [ -w /dev/kvm ] || { record $name skip "no usable /dev/kvm: the probe never runs"; return; }
    mkdir -p "$tmp"; : > "$log"; rm -rf "$cache"
    local calls=$SCRATCH/$name.calls; : > "$calls"
    # The wrapper lets the first KVM start (the probe) run, under TCG, and
    # fails every later one as QEMU fails before the guest's first instruction.
    XDG_CACHE_HOME=$cache PITH_ACCEL= HOSTS_CALLS=$calls PITH_QEMU=test/hosts/qemu-kvm-flaky \
        run_pith "$log" "$tmp" run "$BUILD/test/musl/hello"
    [ "$rc" -eq 0 ] && grep -q 'hello, world' "$RAW.out" || problems+="exit $rc; "
    grep -q '^pith: QEMU failed under KVM before the program started; running it again under TCG$' "$RAW.err" ||
        problems+="no re-run message; "
    [ "$(wc -l < "$RAW.err")" -eq 1 ] || problems+="$(wc -l < "$RAW.err") lines on stderr, expected 1; "
    [ "$(grep -c 'accel=kvm' "$calls")" -eq 2 ] && [ "$(grep -c 'accel=tcg' "$calls")" -eq 1 ] ||
        problems+="starts: $(tr '\n' ' ' < "$calls"); "
    problems+=$(leftovers "$tmp")
    rm -rf "$cache"
    finish $name "$problems"
}

hosts_kvm_real() {
    local name=hosts_kvm_real log=$LOGS/hosts_kvm_real.log tmp=$SCRATCH/hosts_kvm_real.tmp problems=""
    local cache; cache=$(hosts_cache $name)
    [ -r /dev/kvm ] && [ -w /dev/kvm ] || { record $name skip "no usable /dev/kvm"; return; }
    mkdir -p "$tmp"; : > "$log"; rm -rf "$cache"
    XDG_CACHE_HOME=$cache "$PITH" accel > "$SCRATCH/$name.accel" 2>&1 < /dev/null
    cat "$SCRATCH/$name.accel" >> "$log"
    grep -q 'KVM internal error' "$SCRATCH/$name.accel" ||
        { record $name skip "this host's KVM does not stop Pith with an internal error: $(cat "$SCRATCH/$name.accel")"; rm -rf "$cache"; return; }
    local f control=$SCRATCH/$name.control
    rm -f "$control"
    for f in "$cache"/pith/accel-*; do echo "kvm host,-arch-capabilities" > "$f"; done
    # The wrapper's cache key differs: the forced verdict goes there too.
    XDG_CACHE_HOME=$cache PITH_QEMU=test/hosts/qemu-keep-control "$PITH" accel > /dev/null 2>&1 < /dev/null
    for f in "$cache"/pith/accel-*; do echo "kvm host,-arch-capabilities" > "$f"; done
    XDG_CACHE_HOME=$cache PITH_ACCEL= HOSTS_CONTROL=$control PITH_QEMU=test/hosts/qemu-keep-control \
        run_pith "$log" "$tmp" run "$BUILD/test/musl/hello"
    [ "$rc" -eq 0 ] && grep -q 'hello, world' "$RAW.out" || problems+="exit $rc; "
    grep -qE '^pith: KVM internal error \(emulation failure\) at guest RIP [0-9a-f]+( \([a-z0-9 ]+\))? before the program started; running it again under TCG$' "$RAW.err" ||
        problems+="no message naming the internal error; "
    [ "$(wc -l < "$RAW.err")" -eq 1 ] || problems+="$(wc -l < "$RAW.err") lines on stderr, expected 1; "
    # Before it stopped, the kernel took what KVM offers: kvmclock, and the
    # TSC-deadline timer where the CPU has it (CPUID is the host's here).
    { echo "--- control channel of the KVM start"; cat "$control"; } >> "$log" 2>&1
    grep -q '^clock kvm-clock ' "$control" 2> /dev/null || problems+="the KVM start did not use kvmclock; "
    if grep -qw tsc_deadline_timer /proc/cpuinfo; then
        grep -q ' timer lapic-deadline$' "$control" 2> /dev/null || problems+="the KVM start did not use the TSC-deadline timer; "
    fi
    problems+=$(leftovers "$tmp")
    rm -rf "$cache"
    finish $name "$problems"
}

# A QMP client in bash: /dev/tcp to the monitor the wrapper added.
hosts_qmp_send() {
    local port=$1 cmd=$2
    exec 7<> "/dev/tcp/127.0.0.1/$port" || return 1
    printf '{"execute":"qmp_capabilities"}\n{"execute":"%s"}\n' "$cmd" >&7
    timeout 5 head -n 3 <&7
    exec 7>&-
}

hosts_qmp_stop() {
    local name=hosts_qmp_stop log=$LOGS/hosts_qmp_stop.log tmp=$SCRATCH/hosts_qmp_stop.tmp problems="" i
    mkdir -p "$tmp"; : > "$log"
    local port=$((20000 + RANDOM % 20000))
    RAW=$SCRATCH/$name
    TMPDIR=$tmp HOSTS_QMP_PORT=$port PITH_QEMU=test/hosts/qemu-extra-qmp timeout -k 5 "$TIMEOUT" \
        "$PITH" run /bin/busybox sh -c 'echo started; while :; do :; done' < /dev/null > "$RAW.out" 2> "$RAW.err" &
    local pid=$!
    for ((i = 0; i < 300; i++)); do grep -q started "$RAW.out" 2> /dev/null && break; sleep 0.1; done
    hosts_qmp_send "$port" stop >> "$log" 2>&1 || problems+="no QMP on port $port; "
    wait "$pid"; rc=$?
    { echo "--- stdout"; cat "$RAW.out"; echo "--- stderr"; cat "$RAW.err"; echo "--- exit $rc"; } >> "$log"
    [ "$rc" -eq 125 ] || problems+="exit $rc, expected 125; "
    grep -q '^pith: the VM was paused from outside; QEMU stopped (run state paused)$' "$RAW.err" || problems+="no line naming the pause; "
    [ "$(grep -c started "$RAW.out")" -eq 1 ] || problems+="the program ran $(grep -c started "$RAW.out") times; "
    problems+=$(leftovers "$tmp")
    finish $name "$problems"
}

hosts_timeout() {
    local name=hosts_timeout log=$LOGS/hosts_timeout.log tmp=$SCRATCH/hosts_timeout.tmp problems=""
    mkdir -p "$tmp"; : > "$log"
    local t0=$SECONDS
    run_pith "$log" "$tmp" run --timeout 2s /bin/busybox sleep 60
    [ "$rc" -eq 124 ] || problems+="exit $rc, expected 124; "
    [ $((SECONDS - t0)) -lt 50 ] || problems+="took $((SECONDS - t0)) s; "
    grep -q '^pith: stopped the VM after --timeout 2s$' "$RAW.err" || problems+="no timeout message; "
    problems+=$(leftovers "$tmp")
    finish $name "$problems"
}

hosts_machines() {
    local name=hosts_machines log=$LOGS/hosts_machines.log tmp=$SCRATCH/hosts_machines.tmp problems="" m
    mkdir -p "$tmp"; : > "$log"
    for m in microvm q35; do
        PITH_SHOW_QEMU=1 run_pith "$log" "$tmp" run --machine $m "$BUILD/test/musl/hello"
        [ "$rc" -eq 0 ] && grep -q 'hello, world' "$RAW.out" || problems+="$m: exit $rc; "
        grep -qE -- "-M $m[, ]" "$RAW.err" || problems+="$m: QEMU was not given -M $m; "
    done
    PITH_SHOW_QEMU=1 run_pith "$log" "$tmp" run --disk nvme "$BUILD/test/musl/hello"
    [ "$rc" -eq 0 ] && grep -q -- '-M q35 ' "$RAW.err" || problems+="--disk nvme: exit $rc or not on q35; "
    PITH_SHOW_QEMU=1 run_pith "$log" "$tmp" run "$BUILD/test/musl/hello"
    grep -q -- '-M microvm,' "$RAW.err" || problems+="the default machine is not microvm; "
    problems+=$(leftovers "$tmp")
    finish $name "$problems"
}

add hosts_kvm_unusable hosts_kvm_unusable
add hosts_kvm_rerun hosts_kvm_rerun
add hosts_kvm_real hosts_kvm_real
add hosts_qmp_stop hosts_qmp_stop
add hosts_timeout hosts_timeout
add hosts_machines hosts_machines
add hosts_cpu_tables hosts_cpu_tables
