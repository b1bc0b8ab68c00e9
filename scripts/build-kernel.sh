#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# build-kernel.sh LANE: build (or reuse) the debug test kernel for a lane.
# Prints the build directory (a KDIR for external modules) on stdout.
# The build is cached under $MTMAP_CACHE/build, keyed by the source version
# and a hash of the config fragment and the compiler.
set -euo pipefail
. "$(dirname "$0")/common.sh"

lane=$1
frag=${MTMAP_DEBUG_CONFIG:-$MTMAP_ROOT/scripts/kconfig/debug.config}
src=$("$MTMAP_ROOT/scripts/fetch-source.sh" "$lane")
ver=${src##*/linux-}
hash=$( (cat "$frag"; gcc --version | head -1) | sha256sum | cut -c1-12)
bld=$MTMAP_CACHE/build/$lane-$ver-$hash

# One build per tree: a second caller waits for the first and reuses it.
# (The lock is taken once: a second "exec 9>" would close, and so drop, it.)
mkdir -p "$MTMAP_CACHE/build"
exec 9>"$bld.lock"
if ! flock -n 9; then
	log "$lane: kernel $ver is being built by another process; waiting"
	flock 9
fi
if [ -f "$bld/.mtmap-built" ]; then
	echo "$bld"
	exit 0
fi
mkdir -p "$bld"
log "$lane: building kernel $ver (config $hash) in $bld; log: $bld/build.log"
{
	make -C "$src" O="$bld" ARCH=x86_64 tinyconfig
	"$src/scripts/kconfig/merge_config.sh" -m -O "$bld" "$bld/.config" "$frag"
	make -C "$src" O="$bld" ARCH=x86_64 olddefconfig
} >"$bld/config.log" 2>&1 || die "$lane: configuring failed, see $bld/config.log"

# Every option the fragment asks for must survive olddefconfig.
missing=""
while IFS= read -r line; do
	case $line in
	CONFIG_*=[ym]) grep -qx "$line" "$bld/.config" || missing="$missing ${line%%=*}" ;;
	"# CONFIG_"*" is not set")
		opt=${line#\# }
		opt=${opt%% *}
		! grep -q "^$opt=[ym]" "$bld/.config" || missing="$missing $opt(should be off)"
		;;
	esac
done <"$frag"
[ -z "$missing" ] || die "$lane: options dropped from .config:$missing"

if ! make -C "$src" O="$bld" ARCH=x86_64 -j"$MTMAP_JOBS" bzImage modules >"$bld/build.log" 2>&1; then
	tail -30 "$bld/build.log" >&2
	die "$lane: kernel build failed, see $bld/build.log"
fi
touch "$bld/.mtmap-built"
log "$lane: kernel ready"
echo "$bld"
