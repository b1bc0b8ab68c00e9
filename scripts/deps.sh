#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# deps.sh: install what the harness needs on Debian 12, only what is
# missing (apt-get update runs only when something is to be installed).
# Fast and silent when everything is present. The arm64 lane's kernel and
# busybox are not installed: scripts/fetch-arm64.sh unpacks them into the
# cache; its cross compiler and qemu-system-aarch64 are host tools (here).
set -euo pipefail
. "$(dirname "$0")/common.sh"

pkgs="make gcc libc6-dev bc bison flex libelf-dev libssl-dev dwarves cpio kmod
xz-utils zstd gzip python3 sparse rsync file ca-certificates debian-archive-keyring
qemu-system-x86 busybox-static linux-image-amd64 linux-headers-amd64 gnuplot-nox
gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-system-arm"

missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	[ "$(id -u)" = 0 ] || die "missing packages:$missing (run make deps as root)"
	log "installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
# linux-headers-amd64 must match the installed linux-image-amd64. They
# drift apart when Debian publishes a new kernel ABI and only one of them
# gets installed or upgraded: bring both to the archive's current ABI.
abi() {
	img=$(dpkg-query -W -f='${Depends}' linux-image-amd64 | sed 's/[ ,].*//')
	hdr=$(dpkg-query -W -f='${Depends}' linux-headers-amd64 | sed 's/[ ,].*//')
	[ "${img#linux-image-}" = "${hdr#linux-headers-}" ] &&
		dpkg-query -W -f='${Status}\n' "$img" "$hdr" 2>/dev/null | grep -c 'install ok installed' | grep -qx 2
}
if ! abi; then
	[ "$(id -u)" = 0 ] || die "linux-image-amd64 ($img) and linux-headers-amd64 ($hdr) disagree (run make deps as root)"
	log "stock kernel: $img and $hdr disagree; installing the archive's current pair"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends linux-image-amd64 linux-headers-amd64 >/dev/null
	abi || die "linux-image-amd64 ($img) and linux-headers-amd64 ($hdr) still disagree"
fi
exit 0
