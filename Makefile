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
# clippy.toml (the minimum Rust version the code must build with).
export CLIPPY_CONF_DIR := $(REXT2_ROOT)
KDIR ?= $(shell bash -c '. $(REXT2_ROOT)/scripts/lib.sh && kbuild_dir $(FLAVOUR)')
LLVM ?= $(shell cat $(KDIR)/.rext2-llvm 2>/dev/null || echo -19)
# A kernel build directory prepared for another rustc (scripts/distro-build,
# for Debian's kernel) says which, and the version string its symbol names
# were hashed with.
KDIR_RUSTC := $(shell cat $(KDIR)/.rext2-rustc 2>/dev/null)
ifneq ($(KDIR_RUSTC),)
RUSTUP_TOOLCHAIN := $(KDIR_RUSTC)
RUSTC_FORCE_RUSTC_VERSION := $(shell cat $(KDIR)/.rext2-rustc-hash-version)
export RUSTC_FORCE_RUSTC_VERSION
endif
# One output directory per kernel (Kbuild's MO=): build/$(FLAVOUR)/rext2.ko,
# with kernel.uts naming the kernel it is for (release and build id: what
# `uname -r` and `uname -v` say when it runs). The loaders find the module
# of the running kernel with scripts/rext2-ko.
# A KDIR given without a FLAVOUR gets a directory of its own.
ifneq ($(filter command line environment,$(origin KDIR)),)
ifeq ($(origin FLAVOUR),file)
MO ?= $(REXT2_ROOT)/build/$(notdir $(patsubst %/,%,$(KDIR)))
endif
endif
MO ?= $(REXT2_ROOT)/build/$(FLAVOUR)
KMAKE = $(MAKE) -C $(KDIR) M=$(REXT2_ROOT) MO=$(MO) LLVM=$(LLVM)

.PHONY: all modules kdir-check clean setup kernel vm-run demo check check-quick distro distro-check host-test rustfmt \
	rustfmtcheck clippy rust-analyzer fuzz-long rdio

all: modules

modules: kdir-check
	$(KMAKE) modules
	@{ sed -n 's/^#define UTS_RELEASE "\(.*\)"$$/\1/p' $(KDIR)/include/generated/utsrelease.h; \
	   sed -n 's/^#define UTS_VERSION "\(.*\)"$$/\1/p' $(KDIR)/include/generated/utsversion.h; \
	 } >$(MO)/kernel.uts.tmp && [ "$$(wc -l <$(MO)/kernel.uts.tmp)" = 2 ] && \
	 mv $(MO)/kernel.uts.tmp $(MO)/kernel.uts || \
	 { echo "no UTS_RELEASE/UTS_VERSION in $(KDIR)/include/generated" >&2; exit 1; }

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

# The quick tier: the same lint gates, host tests and images, then one guest
# case per layer (read path, mount checks, run-time corruption, buffered
# writes, O_DIRECT reads and writes, AIO, fault injection, concurrency,
# the random-operation model, VFS features), with REXT2_QUICK=1: one block
# size and smaller budgets in the slow cases. About 10 minutes warm.
QUICK_CASES ?= 01-*,04-*,05-*,10-*,11-*,12-*,14-*,16-*,17-*,18-*,20-*,21-*
check-quick:
	REXT2_QUICK=1 scripts/check '$(QUICK_CASES)'

# rext2.ko for Debian's own kernel (linux-image-7.3.4+deb13-amd64), in
# build/distro/: fetches and unpacks the Debian packages into the cache,
# recreates the Rust metadata that kernel was built with, builds the module
# (scripts/distro-build).
distro:
	scripts/distro-build all

# The quick tier with the guest on Debian's kernel (vm-run's REXT2_KIMAGE);
# the host steps are the usual ones.
distro-check: distro
	REXT2_KIMAGE="$$(scripts/distro-build --vmlinuz)" $(MAKE) check-quick

# The long image fuzzer (15-corrupt-rw): 3000 images at 1, 2 and 4 KiB
# blocks, about an hour of emulated VM time (tests/lib/README).
fuzz-long:
	REXT2_FUZZ_COUNT=3000 REXT2_FUZZ_BUDGET=3300 REXT2_FUZZ_MIN=500 \
		REXT2_CASE_TIMEOUT=4000 REXT2_SUITE_TIMEOUT=4600 scripts/check '15-*'

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
