#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# build-module.sh KDIR OUTDIR: build the module sources (Kbuild, src/,
# include/ of $MTMAP_MODSRC, default the repo root) against KDIR in a private
# copy OUTDIR/mod, so each lane keeps its own objects (kbuild's MO= only
# exists from 6.13 on). Prints the directory holding the .ko files.
# MTMAP_KARCH (the lane's LANE_ARCH, default x86_64) picks cross tools.
set -euo pipefail
. "$(dirname "$0")/common.sh"

kdir=${1:?usage: build-module.sh KDIR OUTDIR}
out=${2:?usage: build-module.sh KDIR OUTDIR}
modsrc=${MTMAP_MODSRC:-$MTMAP_ROOT}
mod=$out/mod

[ -f "$modsrc/Kbuild" ] || die "no Kbuild in $modsrc (the module sources are not there yet)"
# One build in the copy at a time (check and run/vm-run share it).
mkdir -p "$out"
exec 7>"$out/.mod.lock"
flock 7
# A copy made from other sources (MTMAP_MODSRC) starts over.
[ "$(cat "$mod/.mtmap-modsrc" 2>/dev/null)" = "$modsrc" ] || rm -rf "$mod"
mkdir -p "$mod"
echo "$modsrc" >"$mod/.mtmap-modsrc"
# Copy only the module's sources: build products (of an in-tree `make`
# in the work tree, say) are excluded, and excluded files in the copy, its
# own objects, are not deleted by --delete.
items=()
for f in Kbuild src include; do
	[ -e "$modsrc/$f" ] && items+=("$modsrc/$f")
done
rsync -a --delete \
	--exclude='*.o' --exclude='*.ko' --exclude='*.mod' --exclude='*.mod.c' \
	--exclude='.*.cmd' --exclude='*.a' --exclude='.tmp_*' --exclude='*.symvers' \
	--exclude='modules.order' --exclude='build.log' \
	"${items[@]}" "$mod/" >&2
log "building module against $kdir in $mod"
# shellcheck disable=SC2046
if ! make -C "$kdir" M="$mod" $(kbuild_arch_args "${MTMAP_KARCH:-}") -j"$MTMAP_JOBS" modules \
	>"$mod/build.log" 2>&1; then
	tail -40 "$mod/build.log" >&2
	die "module build failed against $kdir (log: $mod/build.log)"
fi
# Surface warnings: a module that builds with warnings is worth a look.
grep -E 'warning:' "$mod/build.log" >&2 || true
[ -f "$mod/mtmap.ko" ] || die "module build produced no mtmap.ko in $mod"
echo "$mod"
