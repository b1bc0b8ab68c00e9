#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# fetch-source.sh LANE: download and unpack the Debian kernel source for a
# debug lane into the cache; print the source directory on stdout.
set -euo pipefail
. "$(dirname "$0")/common.sh"

lane=$1
apt_private_update
spec=$(lane_source_pkg "$lane") || die "$lane: no kernel source package found in the Debian archive"
pkg=${spec%%=*}
ver=${spec#*=}
src=$MTMAP_CACHE/src/linux-$ver
mkdir -p "$MTMAP_CACHE/src"
# Jobs of one make check run side by side: one download per version.
exec 6>"$MTMAP_CACHE/src/.linux-$ver.lock"
flock 6
if [ ! -f "$src/.mtmap-unpacked" ]; then
	dl=$MTMAP_CACHE/dl
	mkdir -p "$dl" "$MTMAP_CACHE/src"
	log "$lane: fetching $pkg $ver"
	# shellcheck disable=SC2046
	(cd "$dl" && apt-get $(apt_private_opts) -qq download "$pkg=$ver") >&2 ||
		die "$lane: apt-get download $pkg=$ver failed"
	deb=$(ls "$dl/${pkg}_${ver}"_*.deb | head -1)
	tmp=$(mktemp -d "$MTMAP_CACHE/src/.x.XXXXXX")
	dpkg -x "$deb" "$tmp"
	log "$lane: unpacking $pkg $ver"
	tar -C "$tmp" -xJf "$tmp"/usr/src/linux-source-*.tar.xz
	rm -rf "$src"
	mv "$tmp"/linux-source-*/ "$src"
	rm -rf "$tmp"
	touch "$src/.mtmap-unpacked"
fi
# Which package this tree came from, for the lane's summary line.
[ -f "$src/.mtmap-pkg" ] || echo "$pkg $ver" >"$src/.mtmap-pkg"
echo "$src"
