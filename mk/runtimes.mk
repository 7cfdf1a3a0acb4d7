# Programs of real language runtimes, booted by the runtime tests
# (test/runtime/go_runtime*.expect, rust_runtime*.expect): each is built here
# by the toolchain Debian packages, offline, into build/, and runs unmodified.
#
# Go: Debian 12's golang-go (1.19), CGO_ENABLED=0 so the Go runtime makes its
# system calls itself (no libc), GOPATH mode (GO111MODULE=off, GOPROXY=off:
# nothing is downloaded), the build cache under build/ and no user go.env.
# Rust: std only, no crates, plain rustc (no cargo, no registry), linked
# statically with glibc (+crt-static). Debian's rustc (1.63) when installed
# (deps installs it), else whatever rustc PATH finds; with none at all the
# program is not built and its tests say skip with the reason.

GO_ENV := GOCACHE=$(abspath $(BUILD))/go/cache GOPATH=$(abspath $(BUILD))/go/path GOENV=off \
          GO111MODULE=off GOPROXY=off GOFLAGS= CGO_ENABLED=0
RUSTC := $(firstword $(wildcard /usr/bin/rustc) rustc)
RUNTIME_LANG_PROGS := $(BUILD)/test/go/go_runtime $(BUILD)/test/rust/rust_runtime $(BUILD)/test/go/go_http

$(BUILD)/test/go/go_runtime: test/runtime/go_runtime/main.go | deps
	@mkdir -p $(dir $@) $(BUILD)/go/cache $(BUILD)/go/path
	$(GO_ENV) go build -o $@ $<

# The Go net/http server of the srv_go_* tests (test/servers/tests.sh).
$(BUILD)/test/go/go_http: test/servers/go_http/main.go | deps
	@mkdir -p $(dir $@) $(BUILD)/go/cache $(BUILD)/go/path
	$(GO_ENV) go build -o $@ $<

$(BUILD)/test/rust/rust_runtime: test/runtime/rust_runtime/main.rs | deps
	@mkdir -p $(dir $@)
	@if command -v $(RUSTC) > /dev/null; then \
	  echo "$(RUSTC) -O -C target-feature=+crt-static -o $@ $<"; \
	  $(RUSTC) --edition 2021 -O -C target-feature=+crt-static -o $@ $<; \
	else \
	  echo "no rustc: $@ not built (its tests are skipped)"; \
	fi

runtime-progs: $(RUNTIME_LANG_PROGS)
