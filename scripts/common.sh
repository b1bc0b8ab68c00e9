# SPDX-License-Identifier: GPL-2.0
# Shared settings for the mtmap scripts. Source it; do not run it.
# shellcheck shell=bash

MTMAP_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MTMAP_CACHE=${MTMAP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mtmap}
MTMAP_OUT=${MTMAP_OUT:-$MTMAP_ROOT/out}
MTMAP_MIRROR=${MTMAP_MIRROR:-http://deb.debian.org/debian}
MTMAP_JOBS=${MTMAP_JOBS:-$(nproc)}
export MTMAP_ROOT MTMAP_CACHE MTMAP_OUT

LANES_ALL="stock-6.1 debug-6.12 debug-latest stock-6.1-arm64"

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# Private apt configuration: trixie + unstable lists live in the cache and
# the system's apt sources are never touched.
apt_private_opts() {
	local d=$MTMAP_CACHE/apt
	echo "-o Dir::Etc::sourcelist=$d/sources.list -o Dir::Etc::sourceparts=- \
-o Dir::State::Lists=$d/lists -o Dir::Cache=$d/cache \
-o Dir::State::status=/dev/null -o APT::Sandbox::User=root \
-o Debug::NoLocking=1"
}

apt_private_update() {
	local d=$MTMAP_CACHE/apt stamp
	mkdir -p "$d/lists/partial" "$d/cache/archives/partial"
	cat >"$d/sources.list" <<EOS
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $MTMAP_MIRROR trixie main
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $MTMAP_MIRROR unstable main
EOS
	stamp=$d/lists/.updated
	# One update at a time (jobs run side by side); released on return.
	exec 5>"$d/.update.lock"
	flock 5
	# Refresh at most every 6 hours; an old list still works offline.
	if [ -z "$(find "$stamp" -mmin -360 2>/dev/null)" ]; then
		# shellcheck disable=SC2046
		if apt-get $(apt_private_opts) -qq update >"$d/update.log" 2>&1; then
			touch "$stamp"
		else
			log "private apt update failed (see $d/update.log); using cached lists"
		fi
	fi
	exec 5>&-
}

# The same for Debian 12 (bookworm) arm64, the stock-6.1-arm64 lane's
# kernel, headers and busybox: a second private tree, because its lists are
# of another release and another architecture. APT::Architectures keeps the
# host's dpkg out of it (no dpkg --add-architecture).
apt_private_arm64_opts() {
	local d=$MTMAP_CACHE/apt-arm64
	echo "-o Dir::Etc::sourcelist=$d/sources.list -o Dir::Etc::sourceparts=- \
-o Dir::State::Lists=$d/lists -o Dir::Cache=$d/cache \
-o Dir::State::status=/dev/null -o APT::Sandbox::User=root \
-o Debug::NoLocking=1 -o APT::Architecture=arm64 -o APT::Architectures::=arm64"
}

apt_private_arm64_update() {
	local d=$MTMAP_CACHE/apt-arm64 stamp k=/usr/share/keyrings/debian-archive-keyring.gpg
	mkdir -p "$d/lists/partial" "$d/cache/archives/partial"
	# bookworm-security carries the newest 6.1 ABI (as for the host's
	# linux-image-amd64), so both lanes normally run the same kernel release.
	cat >"$d/sources.list" <<EOS
deb [arch=arm64 signed-by=$k] $MTMAP_MIRROR bookworm main
deb [arch=arm64 signed-by=$k] $MTMAP_MIRROR bookworm-updates main
deb [arch=arm64 signed-by=$k] ${MTMAP_MIRROR%/debian}/debian-security bookworm-security main
EOS
	stamp=$d/lists/.updated
	if [ -z "$(find "$stamp" -mmin -360 2>/dev/null)" ]; then
		# shellcheck disable=SC2046
		if apt-get $(apt_private_arm64_opts) -qq update >"$d/update.log" 2>&1; then
			touch "$stamp"
		else
			log "private arm64 apt update failed (see $d/update.log); using cached lists"
		fi
	fi
}

# kbuild_arch_args ARCH: make arguments for an external module build for
# the lane's architecture (LANE_ARCH): cross tools for arm64, none native.
kbuild_arch_args() {
	case ${1:-x86_64} in
	x86_64) ;;
	arm64) echo "ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-" ;;
	*) die "no cross compiler known for $1" ;;
	esac
}

# arch_cc ARCH: the C compiler for the selftests of a lane's architecture.
arch_cc() {
	case ${1:-x86_64} in
	x86_64) echo gcc ;;
	arm64) echo aarch64-linux-gnu-gcc ;;
	*) die "no C compiler known for $1" ;;
	esac
}

# lane_source_pkg LANE -> "package=version" of the kernel source for the lane
lane_source_pkg() {
	local pkg ver
	case $1 in
	debug-6.12) pkg=linux-source-6.12 ;;
	debug-latest)
		# The newest versioned linux-source-X.Y that unstable has.
		# shellcheck disable=SC2046
		pkg=$(apt-cache $(apt_private_opts) depends linux-source 2>/dev/null |
			sed -n 's/^ *Depends: \(linux-source-[0-9.]*\)$/\1/p' | sort -V | tail -1)
		;;
	*) return 1 ;;
	esac
	[ -n "$pkg" ] || return 1
	# shellcheck disable=SC2046
	ver=$(apt-cache $(apt_private_opts) policy "$pkg" 2>/dev/null |
		sed -n 's/^ *Candidate: //p')
	[ -n "$ver" ] && [ "$ver" != "(none)" ] || return 1
	echo "$pkg=$ver"
}
