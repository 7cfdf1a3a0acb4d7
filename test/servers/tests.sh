# Real servers in the guest (issue 10, items 6 and 7), sourced by
# test/run-tests (uses its add, record, finish, leftovers, BUILD, PITH, LOGS,
# SCRATCH, TIMEOUT, SKIPS, FILTER). Each server runs under `pith run -p`
# (QEMU's user network, a free host port found by test/net/net_host.py) and
# is driven from the host on 127.0.0.1; every wait is bounded.
#
#  srv_redis_M_cpusN   Debian's redis-server (pith pkg get redis-server, cache
#                      build/test/pkg), unmodified: redis-cli SET/GET/INCR/LPUSH
#                      answer right, `redis-benchmark -q -n 20000` of SET, GET,
#                      INCR, LPUSH, LPOP, MSET, PING with no error, then
#                      SHUTDOWN NOSAVE and exit 0.
#  srv_python_http_M_cpusN  Debian's python3.11 (build/debian/root, as the
#                      deb_* tests) running `-m http.server`: curl gets a
#                      1 MiB file byte for byte, a directory listing, and a
#                      404; pith stopped with SIGTERM (exit 143, nothing left).
#  srv_go_http_M_cpusN test/servers/go_http (Go's net/http, built offline by
#                      mk/runtimes.mk): /hello, a 1 MiB file by curl byte for
#                      byte, a Range request, 20 requests in parallel, then
#                      /quit and exit 0.
#  net_echo200_M_cpusN test/net's net_echo with 200 concurrent TCP clients
#                      through QEMU's user network; only with SRV_ECHO200=1:
#                      under a loaded host QEMU's user network resets some of
#                      200 host connections before they reach the guest (a
#                      pcap of the NIC had 199 flows, each echoed in full, and
#                      no reset from the guest; the host client saw
#                      ECONNRESET). make test's 200 clients go through a tap
#                      instead: test/net's net_tap_echo_*.
#  srv_load_M_cpusN    test/runtime/net_load_server.c against
#                      test/servers/load_host.py: garbage and truncated TCP
#                      and UDP payloads, clients that vanish (close or reset),
#                      SRV_LOAD_CHURN (5,000) connections opened and closed,
#                      a slowloris client and a never-finished line held open
#                      while a fresh client is answered within 2 s; MemFree
#                      (the guest's /proc/meminfo) back within 5% of its value
#                      before the churn.
#
# The matrix: redis and the HTTP servers (python, Go) run on all four
# cells, microvm and q35 with 1 and 2 vCPUs, and so does test/net's nginx.
# srv_load_* (5,000 connections) runs on microvm with 1 vCPU and q35 with 2
# (both transports, both SMP modes), and test/net's net_tap_load_* covers
# the other two cells on the tap.
#
# QEMU's forwarded port listens with a backlog of 1 (libslirp's
# tcp_listen): more than two connects at once overflow the host's accept
# queue and the host drops the SYNs, so clients back off for seconds (a
# Linux guest suffers the same). redis-benchmark therefore runs with 2
# clients and pipelining (-c 2 -P 16), and the Python clients connect one
# after another; the connections are concurrent once open.

SRV_PKG_CACHE=$BUILD/test/pkg
SRV_LOAD_CHURN=${SRV_LOAD_CHURN:-5000}
SRV_MATRIX="microvm:1 q35:2"
SRV_MATRIX_FULL="microvm:1 microvm:2 q35:1 q35:2"

# srv_start NAME LOG TMP ARGS...: pith run ARGS in the background, output in
# $RAW.out/.err, its pid in SRV_PID.
srv_start() {
    local name=$1 log=$2 tmp=$3; shift 3
    RAW=$SCRATCH/$name
    : > "$RAW.out"; : > "$RAW.err"
    echo "\$ $PITH $*" >> "$log"
    TMPDIR=$tmp PITH_PKG_DIR=$SRV_PKG_CACHE timeout -k 5 "$TIMEOUT" "$PITH" "$@" \
        < /dev/null > "$RAW.out" 2> "$RAW.err" &
    SRV_PID=$!
}

# srv_wait_exit LOG: wait for the pith started by srv_start; sets rc.
srv_wait_exit() {
    local log=$1
    wait "$SRV_PID"; rc=$?
    { echo "--- stdout"; cat "$RAW.out"; echo "--- stderr"; cat "$RAW.err"; echo "--- exit $rc"; } >> "$log"
}

# srv_stop_after SECONDS: give the server that long to exit by itself, then SIGTERM.
srv_stop_after() {
    local i=0
    while kill -0 "$SRV_PID" 2> /dev/null && [ $i -lt $(($1 * 10)) ]; do sleep 0.1; i=$((i + 1)); done
    kill "$SRV_PID" 2> /dev/null
}

# srv_until SECONDS CMD...: run CMD every 0.5 s until it succeeds or SECONDS pass.
srv_until() {
    local limit=$1 i=0; shift
    while [ $i -lt $((limit * 2)) ]; do
        "$@" > /dev/null 2>&1 && return 0
        kill -0 "$SRV_PID" 2> /dev/null || return 1
        sleep 0.5; i=$((i + 1))
    done
    return 1
}

srv_redis() {
    local name=$1 machine=$2 cpus=$3
    local log=$LOGS/$name.log tmp=$SCRATCH/$name.tmp problems="" port out
    mkdir -p "$tmp"; : > "$log"
    port=$(python3 test/net/net_host.py ports 1)
    srv_start "$name" "$log" "$tmp" run --machine "$machine" --cpus "$cpus" -p "$port:6379" \
        --pkg redis-server redis-server --save '' --appendonly no --protected-mode no
    local cli="timeout 20 redis-cli -p $port"
    if ! srv_until 90 sh -c "$cli ping | grep -qx PONG"; then
        problems+="redis never answered PING; "
    else
        out=$($cli set greeting hello; $cli get greeting; $cli set n 41; $cli incr n;
              $cli lpush list a b c; $cli lrange list 0 -1; $cli get missing)
        echo "$out" >> "$log"
        [ "$out" = "$(printf 'OK\nhello\nOK\n42\n3\nc\nb\na\n')" ] ||
            problems+="redis-cli answers: $(echo "$out" | tr '\n' ' '); "
        timeout 120 redis-benchmark -p "$port" -q -n 20000 -c 2 -P 16 -t set,get,incr,lpush,lpop,mset,ping \
            > "$SCRATCH/$name.bench" 2>&1
        local brc=$?
        tr '\r' '\n' < "$SCRATCH/$name.bench" | grep -v 'rps=' | grep . >> "$log"
        [ $brc -eq 0 ] || problems+="redis-benchmark exit $brc; "
        grep -qi 'error' "$SCRATCH/$name.bench" && problems+="redis-benchmark reported an error; "
        [ "$(tr '\r' '\n' < "$SCRATCH/$name.bench" | grep -c 'requests per second')" -ge 8 ] ||
            problems+="redis-benchmark: not every test finished; "
        $cli shutdown nosave >> "$log" 2>&1
    fi
    srv_stop_after 30
    srv_wait_exit "$log"
    [ "$rc" -eq 0 ] || problems+="exit $rc; "
    grep -q 'Redis is now ready to exit' "$RAW.out" || problems+="redis did not shut down cleanly; "
    problems+=$(leftovers "$tmp")
    finish "$name" "$problems"
}

# A 1 MiB file of known bytes both HTTP servers serve (made when this file is
# sourced, before the tests run in parallel).
SRV_PAYLOAD=$SCRATCH/srv_payload.bin
srv_make_file() {
    [ -s "$SRV_PAYLOAD" ] && return
    python3 -c "import random,sys; r=random.Random(10); sys.stdout.buffer.write(bytes(r.randrange(256) for _ in range(1<<20)))" \
        > "$SRV_PAYLOAD"
}

srv_python_http() {
    local name=$1 machine=$2 cpus=$3
    local log=$LOGS/$name.log tmp=$SCRATCH/$name.tmp problems="" port
    mkdir -p "$tmp"; : > "$log"
    port=$(python3 test/net/net_host.py ports 1)
    srv_start "$name" "$log" "$tmp" run --machine "$machine" --cpus "$cpus" -p "$port:8000" \
        --sysroot "$BUILD/debian/root" -f "$SRV_PAYLOAD:/srv/www/payload.bin" \
        /usr/bin/python3.11 -m http.server --bind 0.0.0.0 --directory /srv/www 8000
    local url=http://127.0.0.1:$port
    if ! srv_until 90 curl -sf -m 10 -o /dev/null "$url/"; then
        problems+="http.server never answered; "
    else
        curl -sf -m 60 -o "$SCRATCH/$name.got" "$url/payload.bin" >> "$log" 2>&1 || problems+="GET payload.bin failed; "
        cmp -s "$SCRATCH/$name.got" "$SRV_PAYLOAD" || problems+="payload.bin differs; "
        curl -sf -m 20 "$url/" | grep -q 'payload.bin' || problems+="directory listing lacks payload.bin; "
        [ "$(curl -s -m 20 -o /dev/null -w '%{http_code}' "$url/nothing")" = 404 ] || problems+="no 404; "
    fi
    kill -TERM "$SRV_PID" 2> /dev/null
    srv_wait_exit "$log"
    [ "$rc" -eq 143 ] || problems+="exit $rc after SIGTERM, expected 143; "
    rm -f "$SCRATCH/$name.got"
    problems+=$(leftovers "$tmp")
    finish "$name" "$problems"
}

srv_go_http() {
    local name=$1 machine=$2 cpus=$3
    local log=$LOGS/$name.log tmp=$SCRATCH/$name.tmp problems="" port
    mkdir -p "$tmp"; : > "$log"
    port=$(python3 test/net/net_host.py ports 1)
    srv_start "$name" "$log" "$tmp" run --machine "$machine" --cpus "$cpus" -p "$port" \
        -f "$SRV_PAYLOAD:/srv/www/payload.bin" "$BUILD/test/go/go_http" "$port" /srv/www
    local url=http://127.0.0.1:$port
    if ! srv_until 90 curl -sf -m 10 -o /dev/null "$url/hello"; then
        problems+="go_http never answered; "
    else
        [ "$(curl -sf -m 20 "$url/hello")" = "hello from go net/http" ] || problems+="/hello; "
        curl -sf -m 60 -o "$SCRATCH/$name.got" "$url/files/payload.bin" >> "$log" 2>&1 || problems+="GET payload.bin failed; "
        cmp -s "$SCRATCH/$name.got" "$SRV_PAYLOAD" || problems+="payload.bin differs; "
        [ "$(curl -sf -m 20 -r 1000-1099 "$url/files/payload.bin" | cmp -s - <(tail -c +1001 "$SRV_PAYLOAD" | head -c 100) && echo same)" = same ] ||
            problems+="Range request; "
        local i ok=0
        for i in $(seq 20); do curl -sf -m 60 "$url/hello" > "$SCRATCH/$name.par$i" & done
        wait $(jobs -p | grep -v "^$SRV_PID\$") 2> /dev/null
        for i in $(seq 20); do [ "$(cat "$SCRATCH/$name.par$i" 2> /dev/null)" = "hello from go net/http" ] && ok=$((ok + 1)); rm -f "$SCRATCH/$name.par$i"; done
        [ $ok -eq 20 ] || problems+="$ok of 20 parallel requests answered; "
        curl -sf -m 20 "$url/quit" >> "$log" 2>&1 || problems+="/quit; "
    fi
    srv_stop_after 30
    srv_wait_exit "$log"
    [ "$rc" -eq 0 ] || problems+="exit $rc; "
    grep -q '^go_http: bye' "$RAW.out" || problems+="no bye; "
    rm -f "$SCRATCH/$name.got"
    problems+=$(leftovers "$tmp")
    finish "$name" "$problems"
}

srv_load() {
    local name=$1 machine=$2 cpus=$3
    local log=$LOGS/$name.log tmp=$SCRATCH/$name.tmp problems="" port
    mkdir -p "$tmp"; : > "$log"
    port=$(python3 test/net/net_host.py ports 1)
    srv_start "$name" "$log" "$tmp" run --machine "$machine" --cpus "$cpus" -p "$port" -p "$port/udp" \
        "$BUILD/test/musl/net_load_server" "$port"
    timeout -k 5 "$TIMEOUT" python3 test/servers/load_host.py "$port" "$RAW.out" "$SRV_LOAD_CHURN" >> "$log" 2>&1 ||
        problems+="host side: $(tail -n 1 "$log"); "
    srv_stop_after 20
    srv_wait_exit "$log"
    [ "$rc" -eq 0 ] || problems+="exit $rc; "
    grep -q '^load: accepted' "$RAW.out" || problems+="the server did not report its counts; "
    problems+=$(leftovers "$tmp")
    finish "$name" "$problems"
}

net_echo200() { NET_ECHO_CLIENTS=200 net_echo "$@"; }

srv_want() { [[ -z "$FILTER" || "$1" =~ $FILTER ]]; }

# redis-server's tree, fetched once (kept in build/test/pkg between runs).
srv_redis_ready="" srv_redis_wanted=""
for mc in $SRV_MATRIX_FULL; do srv_want "srv_redis_${mc%:*}_cpus${mc#*:}" && srv_redis_wanted=1; done
if [ -n "$srv_redis_wanted" ]; then
    if ! command -v redis-cli > /dev/null || ! command -v redis-benchmark > /dev/null; then
        srv_redis_ready="no redis-cli/redis-benchmark on the host (mk/deps.mk: redis-tools)"
    elif ! PITH_PKG_DIR=$SRV_PKG_CACHE timeout 600 "$PITH" pkg get redis-server > "$LOGS/servers-pkg.log" 2>&1 < /dev/null; then
        srv_redis_ready="pith pkg get redis-server: $(tail -n 1 "$LOGS/servers-pkg.log")"
    fi
fi

srv_make_file

for mc in $SRV_MATRIX; do
    machine=${mc%:*}; cpus=${mc#*:}
    sfx=${machine}_cpus$cpus
    add "srv_load_$sfx" srv_load "srv_load_$sfx" "$machine" "$cpus"
    [ "${SRV_ECHO200:-0}" = 1 ] && add "net_echo200_$sfx" net_echo200 "net_echo200_$sfx" "$machine" "$cpus"
done
for mc in $SRV_MATRIX_FULL; do
    machine=${mc%:*}; cpus=${mc#*:}
    sfx=${machine}_cpus$cpus
    if [ -n "$srv_redis_ready" ]; then SKIPS+=("srv_redis_$sfx|$srv_redis_ready")
    else add "srv_redis_$sfx" srv_redis "srv_redis_$sfx" "$machine" "$cpus"; fi
    if [ -x "$BUILD/debian/root/usr/bin/python3.11" ]; then
        add "srv_python_http_$sfx" srv_python_http "srv_python_http_$sfx" "$machine" "$cpus"
    else
        SKIPS+=("srv_python_http_$sfx|no Debian python3.11 in $BUILD/debian/root (see debian-fetch.log)")
    fi
    add "srv_go_http_$sfx" srv_go_http "srv_go_http_$sfx" "$machine" "$cpus"
done
unset mc machine cpus sfx
