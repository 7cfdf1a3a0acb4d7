# The Debian packages the build, the tests, `make run` and `make bench` need.
# Missing ones are installed with apt-get (through sudo when not root).
#
# Every target that runs a packaged tool, and every file built with one,
# depends on `deps` (order-only for files, so they are not rebuilt because of
# it; the top-level Makefile adds it to the other fragments' files). There is
# no stamp file: each make invocation asks dpkg-query once (one call, ~20 ms),
# so a package removed after the first build comes back instead of failing
# later with "musl-gcc: No such file or directory".
#
# Installed with --no-install-recommends: this list must name everything the
# tests use, and a tool that only arrived as someone's Recommends would hide a
# gap (scripts/fresh-machine-check proves the list on a minimal Debian 12).
#   make gcc libc6-dev binutils     the kernel, boot stages, pith, unit tests
#   g++                             test/debian's C++ program
#   musl-tools                      musl-gcc: the runtime test programs, the demo
#   busybox-static                  /bin/busybox, booted by many tests and bench
#   qemu-system-x86                 every boot
#   procps                          pgrep/pkill in test/run-tests
#   gdb                             the cli_gdb test
#   python3 libssl3                 `pith run /usr/bin/python3` and dlopen tests
#   golang-go rustc                 the Go and Rust runtime tests (mk/runtimes.mk)
#   zlib1g-dev                      pith image export FILE.tar.gz (cli/targz_writer.c)
#   qemu-utils                      nothing uses it yet; kept for users
#   iproute2                        test/net's tap tests: ip tuntap/addr/link in a namespace they make
#   redis-tools curl                test/servers: redis-cli/redis-benchmark against the guest's redis-server, curl for the HTTP servers
#   dpkg-dev                        dpkg-source: `apt-get source lwip` unpacks the kernel's TCP/IP stack (mk/lwip.mk)
#   dosfstools mtools               the EFI system partition's FAT (mk/boot.mk: mkfs.fat, mmd, mcopy)
#   ovmf                            UEFI firmware for `pith run --boot uefi` and its tests
#   libcurl4-openssl-dev libssl-dev pith image upload / pith instance (cli/cloud/): HTTP + SigV4, SHA-256
DEBIAN_PACKAGES := make gcc libc6-dev binutils g++ musl-tools busybox-static \
                   qemu-system-x86 procps gdb python3 libssl3 zlib1g-dev qemu-utils \
                   golang-go rustc dpkg-dev dosfstools mtools ovmf redis-tools curl libcurl4-openssl-dev libssl-dev \
                   iproute2
# bench/fs formats the Linux guest's disk with mkfs.ext4; bench/net drives
# nginx with wrk (and redis with redis-benchmark, from redis-tools above).
DEBIAN_PACKAGES_BENCH := e2fsprogs wrk
# make fuzz: clang-14 with libFuzzer, ASan and UBSan (libclang-rt-14-dev holds
# libclang_rt.fuzzer; clang only recommends it). make test replays without them.
DEBIAN_PACKAGES_FUZZ := clang-14 libclang-rt-14-dev
# make test-long runs scripts/fresh-machine-check, which builds a root with it.
DEBIAN_PACKAGES_LONG := debootstrap

.PHONY: deps deps-check deps-bench deps-long
deps:
	$(call install_missing,$(DEBIAN_PACKAGES))
# The older name, for scripts and habits that still use it.
deps-check: deps
# After `deps`, never beside it: two apt-gets at once (make -j) would fight
# over dpkg's lock.
deps-bench: deps
	$(call install_missing,$(DEBIAN_PACKAGES_BENCH))
deps-long: deps
	$(call install_missing,$(DEBIAN_PACKAGES_LONG))

# $(call install_missing,PACKAGES): install those of PACKAGES dpkg does not
# list as installed. apt-get's output goes to build/deps-install.log and is
# shown only when it fails.
define install_missing
@if ! command -v dpkg-query > /dev/null; then \
  echo "deps: not a Debian system (no dpkg-query); install the equivalents of: $(strip $(1))"; exit 0; \
fi; \
installed=" $$(dpkg-query -W -f='$${Package} $${db:Status-Status}\n' $(1) 2> /dev/null | \
  awk '$$2 == "installed" { printf "%s ", $$1 }')"; \
missing=""; for p in $(1); do \
  case "$$installed" in *" $$p "*) ;; *) missing="$$missing $$p" ;; esac; \
done; \
[ -n "$$missing" ] || exit 0; \
echo "deps: installing Debian packages:$$missing"; \
sudo=""; \
if [ "$$(id -u)" != 0 ]; then \
  command -v sudo > /dev/null || { echo "deps: not root and no sudo: install as root:$$missing" >&2; exit 1; }; \
  sudo=sudo; \
fi; \
mkdir -p $(BUILD); log=$(BUILD)/deps-install.log; \
{ $$sudo apt-get update && \
  $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $$missing; } \
  > $$log 2>&1 < /dev/null || \
  { tail -n 15 $$log >&2; echo "deps: apt-get could not install:$$missing (full output: $$log)" >&2; exit 1; }
endef
