# SPDX-License-Identifier: GPL-2.0
#
# User-facing entry points. `make` builds rext2.ko against the project's own
# kernel build (KDIR); the other targets wrap the scripts in scripts/.

REXT2_ROOT := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))
FLAVOUR ?= debug
KDIR ?= $(shell bash -c '. $(REXT2_ROOT)/scripts/lib.sh && kbuild_dir $(FLAVOUR)')
LLVM ?= $(shell cat $(KDIR)/.rext2-llvm 2>/dev/null || echo -19)
KMAKE = $(MAKE) -C $(KDIR) M=$(REXT2_ROOT) LLVM=$(LLVM)

.PHONY: all modules kdir-check clean setup kernel vm-run demo check host-test rustfmt \
	rustfmtcheck clippy rust-analyzer rdio

all: modules

modules: kdir-check
	$(KMAKE) modules

# jfs, vfat and udf on rext2's direct-I/O engine, as jfs-rdio.ko, vfat-rdio.ko
# and udf-rdio.ko in build/rdio-$(FLAVOUR) (Documentation/c-callers.rst).
rdio: modules
	scripts/build-rdio $(FLAVOUR)

kdir-check:
	@test -f $(KDIR)/Makefile || { echo "no kernel build at $(KDIR): run 'make kernel' first" >&2; exit 1; }

clean:
	$(KMAKE) clean
	rm -rf tools/host-tests/target tools/fsmodel/target

# Install the toolchain and fetch the kernel source (idempotent).
setup:
	scripts/setup

# Build (or reuse) the cached kernel of flavour $(FLAVOUR).
kernel: setup
	scripts/build-kernel $(FLAVOUR)

# make vm-run CMD='uname -a'
vm-run:
	scripts/vm-run -- $(CMD)

# The main job: build everything, boot, mount an image, do O_DIRECT I/O.
demo:
	scripts/demo

# The test suite (what .ci/run runs).
check:
	scripts/check

host-test:
	cargo test --manifest-path tools/host-tests/Cargo.toml

rustfmt:
	find rust tools -name '*.rs' -not -path '*/target/*' -not -name '*_generated.rs' | xargs rustfmt --edition 2021

rustfmtcheck:
	find rust tools -name '*.rs' -not -path '*/target/*' -not -name '*_generated.rs' | xargs rustfmt --edition 2021 --check

clippy: kdir-check
	$(KMAKE) CLIPPY=1 modules

rust-analyzer:
	$(KMAKE) rust-analyzer
