# Debian packages the build, the tests and `make run` need. Missing ones are
# installed with apt-get (through sudo when not root), once per machine.
DEBIAN_PACKAGES := gcc make binutils qemu-system-x86 qemu-utils musl-tools \
                   busybox-static zlib1g-dev

DEPS_STAMP := $(BUILD)/.deps-ok

.PHONY: deps-check deps
deps-check: $(DEPS_STAMP)
deps: $(DEPS_STAMP)

$(DEPS_STAMP): mk/deps.mk
	@missing=""; for p in $(DEBIAN_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; \
	  $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq $$missing >/dev/null || exit 1; \
	fi
	@mkdir -p $(dir $@) && touch $@
