# SPDX-License-Identifier: GPL-2.0
#
# User-facing entry points. `make` builds rext2.ko against the project's own
# kernel build (KDIR); the other targets wrap the scripts in scripts/.

REXT2_ROOT := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))
FLAVOUR ?= debug
# The pinned rustc (rust-toolchain.toml), also for the rustc that Kbuild runs
# from the kernel build directory.
ifeq ($(origin RUSTUP_TOOLCHAIN),undefined)
RUSTUP_TOOLCHAIN := $(shell sed -n 's/^channel *= *"\(.*\)"/\1/p' $(REXT2_ROOT)/rust-toolchain.toml)
endif
export RUSTUP_TOOLCHAIN
KDIR ?= $(shell bash -c '. $(REXT2_ROOT)/scripts/lib.sh && kbuild_dir $(FLAVOUR)')
LLVM ?= $(shell cat $(KDIR)/.rext2-llvm 2>/dev/null || echo -19)
# One output directory per kernel (Kbuild's MO=): build/$(FLAVOUR)/rext2.ko,
# with kernel.uts naming the kernel it is for (release and build id: what
# `uname -r` and `uname -v` say when it runs). The loaders find the module
# of the running kernel with scripts/rext2-ko.
MO ?= $(REXT2_ROOT)/build/$(FLAVOUR)
KMAKE = $(MAKE) -C $(KDIR) M=$(REXT2_ROOT) MO=$(MO) LLVM=$(LLVM)

.PHONY: all modules kdir-check clean setup kernel vm-run demo check host-test rustfmt \
	rustfmtcheck clippy rust-analyzer

all: modules

modules: kdir-check
	$(KMAKE) modules
	@{ sed -n 's/^#define UTS_RELEASE "\(.*\)"$$/\1/p' $(KDIR)/include/generated/utsrelease.h; \
	   sed -n 's/^#define UTS_VERSION "\(.*\)"$$/\1/p' $(KDIR)/include/generated/utsversion.h; \
	 } >$(MO)/kernel.uts.tmp && [ "$$(wc -l <$(MO)/kernel.uts.tmp)" = 2 ] && \
	 mv $(MO)/kernel.uts.tmp $(MO)/kernel.uts || \
	 { echo "no UTS_RELEASE/UTS_VERSION in $(KDIR)/include/generated" >&2; exit 1; }

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
