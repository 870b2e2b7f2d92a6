# SPDX-License-Identifier: GPL-2.0
# Shared settings for the rext2 scripts. Source it, do not run it.
#
# Everything that is cached outside the checkout lives under $REXT2_CACHE,
# keyed so that a change of input rebuilds and an unchanged input does not.

REXT2_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# CI may run with a reduced environment: fall back to the passwd entry.
: "${HOME:=$(getent passwd "$(id -u)" | cut -d: -f6)}"
export HOME
REXT2_CACHE=${REXT2_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rext2}
# The Debian package that carries the kernel source, and where it comes from.
REXT2_KPKG=${REXT2_KPKG:-linux-source-7.3}
REXT2_KSUITE=${REXT2_KSUITE:-trixie-backports}
REXT2_MIRROR=${REXT2_MIRROR:-http://deb.debian.org/debian}

export PATH="$HOME/.cargo/bin:$PATH"

# Pinned tool versions: scripts/setup installs exactly these and refuses
# others. The Rust toolchain is the channel of rust-toolchain.toml, exported
# so that rustc run by Kbuild (from the kernel build directory, outside this
# checkout) is that one too; a caller's RUSTUP_TOOLCHAIN wins (the Debian
# kernel's module build sets its own, see scripts/distro-build).
REXT2_RUST_VERSION=$(sed -n 's/^channel *= *"\(.*\)"/\1/p' "$REXT2_ROOT/rust-toolchain.toml")
REXT2_BINDGEN_VERSION=0.73.2
# scripts/vm-run depends on virtme-run 1.42 internals (its console chardev,
# its virtio-serial script channel).
REXT2_VIRTME_VERSION=1.42
export RUSTUP_TOOLCHAIN=${RUSTUP_TOOLCHAIN:-$REXT2_RUST_VERSION}

log() { printf '[rext2 %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# Run a long command, printing a heartbeat line every $1 seconds with the
# last line of its log, so a watcher can see that it is moving.
with_heartbeat() {
	local every=$1 logf=$2
	shift 2
	"$@" >"$logf" 2>&1 &
	local pid=$! t=0
	while kill -0 "$pid" 2>/dev/null; do
		sleep 1
		t=$((t + 1))
		if [ $((t % every)) -eq 0 ]; then
			log "  ... ${t}s: $(tail -n 1 "$logf" | cut -c1-110)"
		fi
	done
	wait "$pid"
}

rustc_version() { rustc --version | awk '{print $2}'; }

# The kernel source tree unpacked from the Debian package.
ksrc_dir() {
	local d
	d=$(ls -d "$REXT2_CACHE"/src/*/usr/src/linux-source-* 2>/dev/null | grep -v '\.tar' | head -n 1)
	[ -n "$d" ] && echo "$d"
}

# Kernel build directory for a flavour (debug or bench): keyed by the kernel
# package version, the rustc version and the hash of the config fragments.
kbuild_dir() {
	local flavour=${1:-debug} kver frag
	kver=$(cat "$REXT2_CACHE/src/version" 2>/dev/null || echo unknown)
	frag=$(cat "$REXT2_ROOT/.config.fragment" \
		"$REXT2_ROOT/scripts/config/$flavour.fragment" | sha256sum | cut -c1-12)
	echo "$REXT2_CACHE/kbuild/$kver-rustc$(rustc_version)-$flavour-$frag"
}

# apt-get with a private configuration under $REXT2_CACHE/apt that knows
# only $REXT2_KSUITE: downloads (apt-get download) from it never touch the
# system's sources, preferences or package state.
private_apt() {
	local apt=$REXT2_CACHE/apt
	apt-get -o "Dir::Etc=$apt/etc" -o "Dir::Etc::sourcelist=$apt/etc/sources.list" \
		-o "Dir::Etc::sourceparts=$apt/etc/sources.list.d" \
		-o "Dir::Etc::preferencesparts=$apt/etc/preferences.d" \
		-o "Dir::State=$apt" -o "Dir::State::Lists=$apt/lists" \
		-o "Dir::State::status=$apt/status" -o "Dir::Cache=$apt" \
		-o "Dir::Cache::archives=$apt/archives" -o "APT::Architecture=amd64" \
		-o "Debug::NoLocking=1" "$@"
}
private_apt_update() {
	local apt=$REXT2_CACHE/apt
	mkdir -p "$apt"/{lists/partial,archives/partial,etc/preferences.d,etc/sources.list.d}
	cat >"$apt/etc/sources.list" <<-EOS
		deb [signed-by=/usr/share/keyrings/debian-archive-trixie-automatic.gpg] $REXT2_MIRROR $REXT2_KSUITE main
	EOS
	[ -f "$apt/status" ] || : >"$apt/status"
	log "apt-get update (private config, $REXT2_KSUITE only)"
	private_apt update -q >"$apt/update.log" 2>&1 ||
		die "private apt update failed, see $apt/update.log"
}

# Debian's own kernel (scripts/distro-build): its release, and the rustc it
# was built with (CONFIG_RUSTC_VERSION_TEXT of its headers).
REXT2_DISTRO_KREL=${REXT2_DISTRO_KREL:-7.3.4+deb13-amd64}
REXT2_DISTRO_RUSTC=${REXT2_DISTRO_RUSTC:-1.85.1}
distro_root() { echo "$REXT2_CACHE/distro/$REXT2_DISTRO_KREL/root"; }
distro_vmlinuz() {
	local f=$(distro_root)/usr/lib/modules/$REXT2_DISTRO_KREL/vmlinuz
	[ -f "$f" ] || f=$(distro_root)/boot/vmlinuz-$REXT2_DISTRO_KREL
	[ -f "$f" ] && echo "$f"
}
# The version string rustc hashes into Rust symbol names, as Debian's
# rustc reported it: "1.85.1 (4eb161250 2025-03-15) (built from a source tarball)".
distro_rustc_version() {
	sed -n 's/^CONFIG_RUSTC_VERSION_TEXT="rustc \(.*\)"$/\1/p' \
		"$(distro_root)/usr/src/linux-headers-$REXT2_DISTRO_KREL/.config"
}
