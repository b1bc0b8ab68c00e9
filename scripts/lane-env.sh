#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# lane-env.sh LANE: make the lane's kernel ready and print its description
# as shell assignments on stdout (eval them):
#   LANE_STATUS=ok|skip   LANE_REASON=...   (why the lane is skipped)
#   LANE_KDIR=...         KDIR for external module builds
#   LANE_KIMAGE=...       bootable bzImage
#   LANE_KVER=...         kernel release (uname -r in the guest)
#   LANE_MODTREE=...      where the lane's own modules (.ko) live
#   LANE_EXTRA_KO=...     extra modules copied into the guest (space separated)
#   LANE_SRC=...          kernel source tree ('' for stock)
#   LANE_PKG=...          the Debian package and version the kernel comes
#                         from (e.g. "linux-source-6.12 6.12.117-1"), so a
#                         drift of the archive shows in every summary
# Exit status: 0 when ready or skipped, non-zero when the kernel failed.
set -euo pipefail
. "$(dirname "$0")/common.sh"

lane=${1:?usage: lane-env.sh LANE}
q() { printf '%s=%q\n' "$1" "$2"; }

case $lane in
stock-6.1)
	# Debian 12's kernel: the version comes from the linux-image-amd64
	# metapackage that is installed on the host.
	img=$(dpkg-query -W -f='${Depends}' linux-image-amd64 2>/dev/null |
		tr ',|' '\n\n' | sed -n 's/^ *\(linux-image-[0-9][^ ]*\).*/\1/p' | head -1)
	[ -n "$img" ] || die "$lane: linux-image-amd64 is not installed (run: make deps)"
	kver=${img#linux-image-}
	kdir=/usr/src/linux-headers-$kver
	[ -f "/boot/vmlinuz-$kver" ] || die "$lane: /boot/vmlinuz-$kver missing (run: make deps)"
	[ -f "$kdir/Makefile" ] || die "$lane: $kdir missing (install linux-headers-amd64: make deps)"
	q LANE_STATUS ok
	q LANE_KDIR "$kdir"
	q LANE_KIMAGE "/boot/vmlinuz-$kver"
	q LANE_KVER "$kver"
	q LANE_MODTREE "/lib/modules/$kver/kernel"
	q LANE_EXTRA_KO ""
	q LANE_SRC ""
	q LANE_PKG "$(dpkg-query -W -f='${Package} ${Version}' "$img" 2>/dev/null || echo "$img")"
	;;
debug-*)
	# A source package that cannot be fetched skips the lane; a kernel
	# that does not build fails it.
	if ! err=$("$MTMAP_ROOT/scripts/fetch-source.sh" "$lane" 2>&1 >/dev/null); then
		reason=$(printf '%s\n' "$err" | grep -v '^$' | tail -1 | sed 's/^\[[0-9:]*\] //')
		q LANE_STATUS skip
		q LANE_REASON "kernel source cannot be fetched: ${reason:-unknown error}"
		exit 0
	fi
	src=$("$MTMAP_ROOT/scripts/fetch-source.sh" "$lane" 2>/dev/null)
	bld=$("$MTMAP_ROOT/scripts/build-kernel.sh" "$lane") || exit 1
	[ -f "$bld/arch/x86/boot/bzImage" ] || die "$lane: $bld/arch/x86/boot/bzImage missing"
	extra=""
	[ ! -f "$bld/lib/test_hmm.ko" ] || extra="$bld/lib/test_hmm.ko"
	q LANE_STATUS ok
	q LANE_KDIR "$bld"
	q LANE_KIMAGE "$bld/arch/x86/boot/bzImage"
	q LANE_KVER "$(cat "$bld/include/config/kernel.release")"
	q LANE_MODTREE "$bld"
	q LANE_EXTRA_KO "$extra"
	q LANE_SRC "$src"
	q LANE_PKG "$(cat "$src/.mtmap-pkg" 2>/dev/null || echo "linux-source ${src##*/linux-}")"
	;;
*) die "unknown lane '$lane' (known: $LANES_ALL)" ;;
esac
