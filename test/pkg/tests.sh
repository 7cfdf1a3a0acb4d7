# `pith pkg` and `pith run --pkg`, sourced by test/run-tests (uses its add,
# record, finish, run_pith, leftovers, BUILD, PITH, LOGS, SCRATCH). The cache
# is build/test/pkg (PITH_PKG_DIR), kept between runs: Debian's `hello` is
# downloaded once. Without network or apt the tests that need the download
# are skipped with pith's one-line reason.
#  pkg_hello    pith pkg get hello (3 packages: hello, libgcc-s1, libc6),
#               then pith run --pkg hello: by bare name, by path, with
#               arguments; pith pkg ls / path; a second get is "up to date".
#  pkg_rm       a second cache sharing the first one's .deb files (no
#               download): get, rm, ls, path and rm of what is gone, clean.
#  pkg_bad      a name apt does not know, a malformed name, --pkg of a tree
#               never fetched, a program not in the tree, --pkg with
#               --sysroot: exit 2, one line naming the culprit, nothing
#               half-written in the cache.
#  pkg_nginx    pith pkg get nginx, then the issue's own line: pith run --pkg
#               nginx -p PORT:80 /usr/sbin/nginx -g 'daemon off; master_process
#               off;' with a site given by -f (Debian makes its default site
#               link in a maintainer script, which pith does not run); the
#               host fetches / (nginx's own index.html, byte for byte the
#               tree's) through the forwarded port.
#  pkg_offline  apt pointed at a proxy that refuses (APT_CONFIG): the
#               download fails, pith says which package, the cache holds no
#               tree and no temporary directory.

PKG_CACHE=$BUILD/test/pkg

# pkg_cmd LOG ARGS...: pith with the test cache; sets rc, RAW.out, RAW.err.
pkg_cmd() {
    local log=$1; shift
    RAW=$SCRATCH/$(basename "$log" .log)
    echo "\$ PITH_PKG_DIR=$PKG_DIR $PITH $*" >> "$log"
    PITH_PKG_DIR=$PKG_DIR timeout -k 5 "$TIMEOUT" "$PITH" "$@" < /dev/null > "$RAW.out" 2> "$RAW.err"
    rc=$?
    { echo "--- stdout"; cat "$RAW.out"; echo "--- stderr"; cat "$RAW.err"; echo "--- exit $rc"; } >> "$log"
}

# One `pith: ...` line on stderr naming $2, exit 2, nothing on stdout.
pkg_one_line() {
    local what=$1 culprit=$2
    [ "$rc" -eq 2 ] || { echo "$what: exit $rc, expected 2; "; return; }
    [ "$(wc -l < "$RAW.err")" -eq 1 ] && grep -q "^pith: .*$culprit" "$RAW.err" ||
        echo "$what: not one line naming $culprit: $(head -c 200 "$RAW.err"); "
    [ -s "$RAW.out" ] && echo "$what: output on stdout; "
}

# Nothing half-written: only trees with their record, .debs, no .tmp.*
# of a pith that has finished. The cache is shared with other tests running
# at the same time (net_nginx_big, the server tests): the scratch directory
# of a pith still fetching (.tmp.PID.*, PID alive) is theirs, not a leftover.
pkg_cache_clean() {
    local dir=$1 e pid
    for e in "$dir"/.* "$dir"/*; do
        case ${e##*/} in .|..|.debs|'*'|'.*') continue ;; esac
        [ -f "$e/.pith-pkg" ] && continue
        pid=${e##*/.tmp.}; pid=${pid%%.*}
        case ${e##*/} in .tmp.*) [ -n "$pid" ] && kill -0 "$pid" 2> /dev/null && continue ;; esac
        echo "left in the cache: ${e##*/}; "
    done
}

pkg_fetch_hello() {
    PKG_DIR=$PKG_CACHE pkg_cmd "$1" pkg get hello
}

pkg_hello() {
    local name=pkg_hello log=$LOGS/pkg_hello.log tmp=$SCRATCH/pkg_hello.tmp problems=""
    mkdir -p "$tmp"; : > "$log"
    pkg_fetch_hello "$log"
    if [ "$rc" -ne 0 ]; then record $name skip "pith pkg get hello: $(head -n1 "$RAW.err")"; return; fi
    grep -q "^hello .*: 3 packages, .* in $PKG_CACHE/hello\$\|^hello .*: up to date (3 packages) in $PKG_CACHE/hello\$" "$RAW.out" ||
        problems+="get: unexpected report: $(head -c 200 "$RAW.out"); "
    PKG_DIR=$PKG_CACHE
    PITH_PKG_DIR=$PKG_CACHE run_pith "$log" "$tmp" run --pkg hello hello
    [ "$rc" -eq 0 ] && grep -qx 'Hello, world!' "$RAW.out" || problems+="run --pkg hello hello: exit $rc; "
    PITH_PKG_DIR=$PKG_CACHE run_pith "$log" "$tmp" run --pkg hello /usr/bin/hello -g 'hi there'
    [ "$rc" -eq 0 ] && grep -qx 'hi there' "$RAW.out" || problems+="run --pkg hello /usr/bin/hello -g: exit $rc; "
    PITH_PKG_DIR=$PKG_CACHE run_pith "$log" "$tmp" run --pkg hello /bin/hello
    [ "$rc" -eq 0 ] && grep -qx 'Hello, world!' "$RAW.out" || problems+="/bin/hello through the usrmerge link: exit $rc; "
    pkg_cmd "$log" pkg ls
    grep -q '^hello 2\..* (3 packages, .*)$' "$RAW.out" || problems+="ls: $(head -c 200 "$RAW.out"); "
    pkg_cmd "$log" pkg path hello
    [ "$(cat "$RAW.out")" = "$PKG_CACHE/hello" ] || problems+="path: $(head -c 200 "$RAW.out"); "
    pkg_cmd "$log" pkg get hello
    [ "$rc" -eq 0 ] && grep -q "up to date" "$RAW.out" || problems+="second get: not up to date; "
    problems+=$(pkg_cache_clean "$PKG_CACHE")
    problems+=$(leftovers "$tmp")
    finish $name "$problems"
}

pkg_rm() {
    local name=pkg_rm log=$LOGS/pkg_rm.log problems=""
    : > "$log"
    pkg_fetch_hello "$log"
    if [ "$rc" -ne 0 ]; then record $name skip "pith pkg get hello: $(head -n1 "$RAW.err")"; return; fi
    PKG_DIR=$SCRATCH/pkg_rm.cache
    rm -rf "$PKG_DIR"; mkdir -p "$PKG_DIR"
    cp -al "$PKG_CACHE/.debs" "$PKG_DIR/.debs"
    local ndebs; ndebs=$(ls -A "$PKG_DIR/.debs" | wc -l)
    pkg_cmd "$log" pkg get hello
    [ "$rc" -eq 0 ] && [ -x "$PKG_DIR/hello/usr/bin/hello" ] || problems+="get from the shared .debs: exit $rc; "
    pkg_cmd "$log" pkg rm hello
    [ "$rc" -eq 0 ] && [ ! -e "$PKG_DIR/hello" ] || problems+="rm: exit $rc or the tree is still there; "
    pkg_cmd "$log" pkg ls
    [ "$rc" -eq 0 ] && [ ! -s "$RAW.out" ] || problems+="ls after rm: $(head -c 100 "$RAW.out"); "
    pkg_cmd "$log" pkg path hello
    problems+=$(pkg_one_line "path after rm" "hello: not fetched")
    pkg_cmd "$log" pkg rm hello
    problems+=$(pkg_one_line "rm again" "hello: not fetched")
    pkg_cmd "$log" pkg clean
    # hello's own three and whatever else the shared store held: no tree uses any now
    [ "$rc" -eq 0 ] && grep -q "^removed $ndebs .deb files" "$RAW.out" && [ -z "$(ls -A "$PKG_DIR/.debs")" ] ||
        problems+="clean: $(head -c 100 "$RAW.out"); "
    problems+=$(pkg_cache_clean "$PKG_DIR")
    rm -rf "$PKG_DIR"
    finish $name "$problems"
}

pkg_bad() {
    local name=pkg_bad log=$LOGS/pkg_bad.log tmp=$SCRATCH/pkg_bad.tmp problems=""
    mkdir -p "$tmp"; : > "$log"
    PKG_DIR=$SCRATCH/pkg_bad.cache
    rm -rf "$PKG_DIR"
    pkg_cmd "$log" pkg get no-such-package-pith
    problems+=$(pkg_one_line "unknown package" "no-such-package-pith")
    pkg_cmd "$log" pkg get Bad_Name
    problems+=$(pkg_one_line "malformed name" "'Bad_Name' is not a Debian package name")
    pkg_cmd "$log" pkg frobnicate
    problems+=$(pkg_one_line "unknown pkg command" "frobnicate")
    PITH_PKG_DIR=$PKG_DIR run_pith "$log" "$tmp" run --pkg nginx /usr/sbin/nginx
    problems+=$(pkg_one_line "--pkg of a tree never fetched" "nginx: not fetched")
    problems+=$(pkg_cache_clean "$PKG_DIR")
    pkg_fetch_hello "$log"
    if [ "$rc" -eq 0 ]; then
        PITH_PKG_DIR=$PKG_CACHE run_pith "$log" "$tmp" run --pkg hello /usr/bin/nope
        problems+=$(pkg_one_line "a program not in the tree" "/usr/bin/nope: not in the package's tree")
        PITH_PKG_DIR=$PKG_CACHE run_pith "$log" "$tmp" run --pkg hello --sysroot / hello
        problems+=$(pkg_one_line "--pkg with --sysroot" "no --sysroot with it")
    fi
    problems+=$(leftovers "$tmp")
    rm -rf "$PKG_DIR"
    finish $name "$problems"
}

pkg_nginx() {
    local name=pkg_nginx log=$LOGS/pkg_nginx.log tmp=$SCRATCH/pkg_nginx.tmp problems="" port
    mkdir -p "$tmp"; : > "$log"
    PKG_DIR=$PKG_CACHE pkg_cmd "$log" pkg get nginx
    if [ "$rc" -ne 0 ]; then record $name skip "pith pkg get nginx: $(head -n1 "$RAW.err")"; return; fi
    command -v python3 > /dev/null || { record $name skip "no python3 for the host's client"; return; }
    port=$(python3 test/net/net_host.py ports 1) || { record $name skip "no free port"; return; }
    printf 'server {\n    listen 80;\n    root /usr/share/nginx/html;\n}\n' > "$SCRATCH/pkg_nginx.site"
    RAW=$SCRATCH/pkg_nginx
    echo "\$ $PITH run --pkg nginx -p $port:80 -f site:/etc/nginx/sites-enabled/default /usr/sbin/nginx -g 'daemon off; master_process off;'" >> "$log"
    PITH_PKG_DIR=$PKG_CACHE TMPDIR=$tmp timeout -k 5 "$TIMEOUT" "$PITH" run -m 256M --pkg nginx -p "$port:80" \
        -f "$SCRATCH/pkg_nginx.site:/etc/nginx/sites-enabled/default" \
        /usr/sbin/nginx -g 'daemon off; master_process off;' < /dev/null > "$RAW.out" 2> "$RAW.err" &
    local pid=$!
    python3 - "$port" "$PKG_CACHE/nginx/usr/share/nginx/html/index.html" >> "$log" 2>&1 <<'PY' || problems+="GET /: $(tail -n 1 "$log"); "
import sys, time, urllib.request
port, want = sys.argv[1], open(sys.argv[2], "rb").read()
deadline = time.time() + 90
while True:
    try:
        got = urllib.request.urlopen("http://127.0.0.1:%s/" % port, timeout=5).read()
        break
    except Exception as e:
        if time.time() > deadline:
            sys.exit("host: no answer from nginx: %s" % e)
        time.sleep(1)
print("host: GET / -> %d bytes" % len(got))
sys.exit(0 if got == want else "host: the page is not the package's index.html")
PY
    kill "$pid" 2> /dev/null; wait "$pid" 2> /dev/null
    { echo "--- stdout"; cat "$RAW.out"; echo "--- stderr"; cat "$RAW.err"; } >> "$log"
    rm -f "$SCRATCH/pkg_nginx.site"
    problems+=$(leftovers "$tmp")
    finish $name "$problems"
}

pkg_offline() {
    local name=pkg_offline log=$LOGS/pkg_offline.log problems=""
    : > "$log"
    PKG_DIR=$SCRATCH/pkg_offline.cache
    rm -rf "$PKG_DIR"
    printf 'Acquire::http::Proxy "http://127.0.0.1:9/";\nAcquire::https::Proxy "http://127.0.0.1:9/";\nAcquire::Retries "0";\n' \
        > "$SCRATCH/pkg_offline.apt.conf"
    # Absolute: apt-get runs in the download directory.
    APT_CONFIG=$(realpath "$SCRATCH/pkg_offline.apt.conf") pkg_cmd "$log" pkg get hello
    problems+=$(pkg_one_line "download refused" "hello: apt-get download: ")
    [ -e "$PKG_DIR/hello" ] && problems+="a tree appeared; "
    [ -z "$(ls -A "$PKG_DIR/.debs" 2> /dev/null)" ] || problems+=".debs holds files: $(ls -A "$PKG_DIR/.debs" | tr '\n' ' '); "
    problems+=$(pkg_cache_clean "$PKG_DIR")
    rm -rf "$PKG_DIR" "$SCRATCH/pkg_offline.apt.conf"
    finish $name "$problems"
}

if command -v apt-get > /dev/null && command -v dpkg-deb > /dev/null; then
    add pkg_hello pkg_hello
    add pkg_rm pkg_rm
    add pkg_bad pkg_bad
    add pkg_offline pkg_offline
    add pkg_nginx pkg_nginx
fi
