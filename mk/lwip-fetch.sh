#!/bin/sh
# Fetch Debian's lwip source package by name into $1 (build/lwip), without
# touching the host's apt configuration: a private deb-src list, package
# lists and cache under $1/apt, handed to apt-get through -o options.
# The mirror and suite come from the host's own sources (deb822 .sources
# files first, then sources.list). Checks the upstream version ($2) and
# leaves the unpacked tree at $1/lwip-$2. Output goes to $1/fetch.log.
set -eu
out=$1 want=$2
apt_dir=$out/apt
mkdir -p "$apt_dir/sources.list.d" "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$out/src"
log=$out/fetch.log
: > "$log"

# The host's first Debian "deb" source: URI, suite (the release itself, not
# -updates/-security), keyring.
uri="" suite="" keyring=""
for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    set -- $(awk '
        /^[ \t]*#/ { next }
        /^[ \t]*$/ { if (types ~ /deb( |$)/ && uri != "") { print uri, suite, key; exit } types = uri = suite = key = ""; next }
        tolower($1) == "types:" { types = $0 }
        tolower($1) == "uris:" { uri = $2 }
        tolower($1) == "suites:" { for (i = 2; i <= NF; i++) if ($i !~ /-/) { suite = $i; break } }
        tolower($1) == "signed-by:" { key = $2 }
        END { if (types ~ /deb( |$)/ && uri != "") print uri, suite, key }' "$f" | head -n 1)
    if [ $# -ge 2 ]; then uri=$1 suite=$2 keyring=${3:-}; break; fi
done
if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
    set -- $(awk '$1 == "deb" { i = 2; if ($2 ~ /^\[/) { while ($i !~ /\]$/) i++; i++ } if ($(i+1) !~ /-/) { print $i, $(i+1); exit } }' /etc/apt/sources.list)
    [ $# -ge 2 ] && uri=$1 suite=$2
fi
if [ -z "$uri" ] || [ -z "$suite" ]; then
    echo "lwip: no Debian mirror found in /etc/apt/sources.list.d/*.sources or /etc/apt/sources.list" >&2
    exit 1
fi

{
    echo "Types: deb-src"
    echo "URIs: $uri"
    echo "Suites: $suite"
    echo "Components: main"
    [ -n "$keyring" ] && echo "Signed-By: $keyring"
} > "$apt_dir/sources.list.d/pith-lwip.sources"

abs() { (cd "$1" && pwd); }
apt_dir=$(abs "$apt_dir")
set -- -o Dir::Etc::sourcelist=/dev/null -o Dir::Etc::sourceparts="$apt_dir/sources.list.d" \
       -o Dir::State::Lists="$apt_dir/lists" -o Dir::Cache="$apt_dir/cache" \
       -o Dir::Cache::pkgcache="" -o Dir::Cache::srcpkgcache="" -o APT::Sandbox::User=root

echo "lwip: apt-get source lwip from $uri $suite (private list in $apt_dir)"
if ! apt-get "$@" update >> "$log" 2>&1 < /dev/null; then
    tail -n 10 "$log" >&2; echo "lwip: apt-get update of the private deb-src list failed (full output: $log)" >&2; exit 1
fi
rm -rf "$out/src" && mkdir -p "$out/src"
if ! (cd "$out/src" && apt-get "$@" source lwip) >> "$log" 2>&1 < /dev/null; then
    tail -n 10 "$log" >&2; echo "lwip: apt-get source lwip failed (full output: $log)" >&2; exit 1
fi

dsc=$(ls "$out"/src/lwip_*.dsc 2> /dev/null | head -n 1)
version=$(awk '$1 == "Version:" { print $2; exit }' "$dsc" 2> /dev/null || true)
case "$version" in
    "$want"-*) ;;
    *) echo "lwip: Debian's source package is version '${version:-none}', the port is written for $want" >&2; exit 1 ;;
esac
if [ ! -f "$out/src/lwip-$want/src/core/tcp.c" ]; then
    echo "lwip: unpacked tree $out/src/lwip-$want lacks src/core/tcp.c" >&2; exit 1
fi
rm -rf "$out/lwip-$want"
mv "$out/src/lwip-$want" "$out/lwip-$want"
echo "lwip: $version unpacked in $out/lwip-$want"
