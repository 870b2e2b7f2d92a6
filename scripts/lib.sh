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
