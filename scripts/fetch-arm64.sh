#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# fetch-arm64.sh: make Debian 12's arm64 kernel (image, modules, headers)
# and an arm64 busybox-static ready in the cache, through the private arm64
# apt tree (common.sh: apt_private_arm64_*). The kernel ABI is the one the
# linux-image-arm64 metapackage depends on today, not a pinned one.
# Prints shell assignments on stdout (eval them):
#   A64_KVER A64_KIMAGE A64_KDIR A64_MODTREE A64_PKG A64_BUSYBOX
# Layout: $MTMAP_CACHE/arm64/linux-VERSION/ (the unpacked packages) and
# $MTMAP_CACHE/arm64/busybox-VERSION/; the .debs stay in $MTMAP_CACHE/dl.
set -euo pipefail
. "$(dirname "$0")/common.sh"

q() { printf '%s=%q\n' "$1" "$2"; }
# shellcheck disable=SC2046
aq() { apt-cache $(apt_private_arm64_opts) "$@" 2>/dev/null; }
cand() { aq policy "$1" | sed -n 's/^ *Candidate: //p'; }

apt_private_arm64_update
top=$MTMAP_CACHE/arm64
# The answer for the current lists, kept: apt-cache on them takes seconds,
# and a lane asks twice per make check (cortex-a57 and the DBM pass).
resolved=$top/resolved.env
if [ "$resolved" -nt "$MTMAP_CACHE/apt-arm64/lists/.updated" ] && (
	eval "$(cat "$resolved")"
	[ -f "$A64_KIMAGE" ] && [ -f "$A64_KDIR/Makefile" ] && [ -x "$A64_BUSYBOX" ]
); then
	cat "$resolved"
	exit 0
fi
img=$(aq depends linux-image-arm64 |
	sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-arm64\)$/\1/p' | sort -V | tail -1)
[ -n "$img" ] || die "arm64: linux-image-arm64 has no linux-image-6.1.0-N-arm64 dependency in the private lists ($MTMAP_CACHE/apt-arm64)"
kver=${img#linux-image-}
abi=${kver%-arm64}
kpkgs="$img linux-headers-$kver linux-headers-$abi-common"
ver=$(cand "$img")
[ -n "$ver" ] && [ "$ver" != "(none)" ] || die "arm64: no candidate version for $img"
bbver=$(cand busybox-static)
[ -n "$bbver" ] && [ "$bbver" != "(none)" ] || die "arm64: no busybox-static in the private lists"

dl=$MTMAP_CACHE/dl
mkdir -p "$dl" "$top"
# One fetch at a time: two lanes (check and run) may start together.
exec 9>"$top/.lock"
flock 9

fetch() { # fetch DIR PKG=VER...: download and dpkg -x the packages into DIR
	local dir=$1 tmp spec deb
	shift
	[ ! -f "$dir/.mtmap-unpacked" ] || return 0
	tmp=$(mktemp -d "$top/.x.XXXXXX")
	for spec in "$@"; do
		# Debian's file names quote the epoch's colon as %3a; -common
		# is Architecture: all.
		deb=$dl/${spec%%=*}_$(printf '%s' "${spec#*=}" | sed 's/:/%3a/')
		if [ -f "${deb}_all.deb" ]; then
			deb=${deb}_all.deb
		else
			deb=${deb}_arm64.deb
		fi
		if [ ! -f "$deb" ]; then
			log "arm64: fetching $spec"
			# shellcheck disable=SC2046
			(cd "$dl" && apt-get $(apt_private_arm64_opts) -qq download "$spec") >&2 ||
				die "arm64: apt-get download $spec failed"
			[ -f "$deb" ] || deb=${deb%_arm64.deb}_all.deb
			[ -f "$deb" ] || die "arm64: $spec downloaded, but ${deb##*/} is not in $dl"
		fi
		dpkg -x "$deb" "$tmp"
	done
	rm -rf "$dir"
	mv "$tmp" "$dir"
	touch "$dir/.mtmap-unpacked"
}

kroot=$top/linux-$ver
specs=()
for p in $kpkgs; do specs+=("$p=$ver"); done
fetch "$kroot" "${specs[@]}"
bbroot=$top/busybox-${bbver#*:}
fetch "$bbroot" "busybox-static=$bbver"

kdir=$kroot/usr/src/linux-headers-$kver
[ -f "$kdir/Makefile" ] || die "arm64: $kdir/Makefile missing after unpacking"
[ -f "$kroot/boot/vmlinuz-$kver" ] || die "arm64: $kroot/boot/vmlinuz-$kver missing after unpacking"
# The headers' scripts/ and tools/ are relative symlinks into
# usr/lib/linux-kbuild-6.1, which is arch-independent host tooling (fixdep,
# modpost, ...): the host's package (installed with linux-headers-amd64)
# serves, linked next to the unpacked tree.
kb=$(readlink "$kdir/scripts" | sed -n 's,^.*/\(lib/linux-kbuild-[0-9.]*\)/scripts$,\1,p')
[ -n "$kb" ] || die "arm64: $kdir/scripts is not a link into linux-kbuild"
[ -d "/usr/$kb/scripts" ] || die "arm64: /usr/$kb missing on the host (install ${kb#lib/}: make deps)"
[ -e "$kroot/usr/$kb" ] || ln -sfn "/usr/$kb" "$kroot/usr/$kb"
hostkb=$(dpkg-query -W -f='${Version}' "${kb#lib/}" 2>/dev/null || true)
[ "$hostkb" = "$ver" ] ||
	log "arm64: note: host ${kb#lib/} is $hostkb, the arm64 headers are $ver (kbuild tools differ only in stable fixes)"

{
	q A64_KVER "$kver"
	q A64_KIMAGE "$kroot/boot/vmlinuz-$kver"
	q A64_KDIR "$kdir"
	q A64_MODTREE "$kroot/lib/modules/$kver/kernel"
	q A64_PKG "$img $ver"
	q A64_BUSYBOX "$bbroot/bin/busybox"
} >"$resolved.$$"
mv "$resolved.$$" "$resolved"
cat "$resolved"
