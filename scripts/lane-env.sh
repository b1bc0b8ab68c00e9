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
# Only the arm64 lane prints these (the others take the defaults):
#   LANE_ARCH=arm64       kernel architecture (default x86_64)
#   LANE_BUSYBOX=...      busybox-static of that architecture
#   LANE_BOOT_KO=...      modules /init loads first (by name, from
#                         LANE_MODTREE): the virtio console for results
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
stock-6.1-arm64)
	# Debian 12's arm64 kernel, the ABI linux-image-arm64 depends on today,
	# from the private arm64 apt tree (fetch-arm64.sh). Packages that
	# cannot be fetched (offline, nothing cached) skip the lane.
	errf=$(mktemp)
	trap 'rm -f "$errf"' EXIT
	if ! a64=$("$MTMAP_ROOT/scripts/fetch-arm64.sh" 2>"$errf"); then
		reason=$(grep -v '^$' "$errf" | tail -1 | sed 's/^\[[0-9:]*\] //')
		q LANE_STATUS skip
		q LANE_REASON "arm64 kernel packages cannot be fetched: ${reason:-unknown error}"
		exit 0
	fi
	cat "$errf" >&2
	eval "$a64"
	q LANE_STATUS ok
	q LANE_KDIR "$A64_KDIR"
	q LANE_KIMAGE "$A64_KIMAGE"
	q LANE_KVER "$A64_KVER"
	q LANE_MODTREE "$A64_MODTREE"
	q LANE_EXTRA_KO ""
	q LANE_SRC ""
	q LANE_PKG "$A64_PKG"
	q LANE_ARCH arm64
	q LANE_BUSYBOX "$A64_BUSYBOX"
	# -M virt has one UART (the console): results go to a virtio console,
	# whose drivers are modules in Debian's arm64 kernel.
	q LANE_BOOT_KO "virtio_mmio virtio_console"
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
