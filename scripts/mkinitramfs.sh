#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# mkinitramfs.sh OUT.cpio.gz: build the test VM's initramfs (gzip'd newc
# cpio): busybox-static, scripts/guest-init.sh as /init, the module(s), the
# test programs and the run configuration. Inputs come from the environment:
#   IR_MODDIR     directory with mtmap.ko (and mtmap_kunit.ko when built)
#   IR_MODTREE    where the lane's kernel modules live (for mtmap.ko's deps)
#   IR_EXTRA_KO   extra .ko files to ship in /lib/modules/extra
#   IR_BINS       static programs to ship in /opt/mtmap (space separated)
#   IR_PROGS      file: one "NAME<TAB>COMMAND" per program to run, in order
#   IR_ROOT_EXTRA a directory copied over the root (e.g. scripts/profile.sh's
#                 perf and its libraries)
#   IR_BUSYBOX    busybox-static to ship (default the host's /bin/busybox);
#                 one of another architecture gets no applet links here
#                 (it cannot run on the host): /init makes them
#   IR_BOOT_KO    modules (names, found in IR_MODTREE with what they need)
#                 that /init loads before anything else, e.g. the arm64
#                 lane's virtio console for the results
#   IR_NOMTMAP    programs of IR_PROGS that run even without mtmap.ko
#   IR_MODE IR_KUNIT IR_PROG_TIMEOUT IR_MODPARAMS IR_LOAD_EXTRA: see /init
set -euo pipefail
. "$(dirname "$0")/common.sh"

out=${1:?usage: mkinitramfs.sh OUT.cpio.gz}
bb=${IR_BUSYBOX:-/bin/busybox}
file -L "$bb" 2>/dev/null | grep -q 'statically linked' ||
	die "$bb is missing or not static: install busybox-static (make deps)"

st=$(mktemp -d "${out%/*}/.initramfs.XXXXXX")
trap 'rm -rf "$st"' EXIT
mkdir -p "$st"/{bin,sbin,dev,proc,sys,tmp,etc/mtmap,opt/mtmap,lib/modules/mtmap/deps,lib/modules/extra,root}
cp "$bb" "$st/bin/busybox"
if [ -z "${IR_BUSYBOX:-}" ]; then
	for a in $($bb --list); do
		[ "$a" = busybox ] || ln -s busybox "$st/bin/$a"
	done
fi
install -m 0755 "$MTMAP_ROOT/scripts/guest-init.sh" "$st/init"

# The module, its KUnit companion, and what mtmap.ko depends on.
find "$IR_MODDIR" -name '*.ko' -exec cp {} "$st/lib/modules/mtmap/" \;
find_ko() { # find_ko NAME: path of NAME.ko[.xz|.zst] in IR_MODTREE
	find "$IR_MODTREE" -name "$1.ko" -o -name "$1.ko.xz" -o -name "$1.ko.zst" 2>/dev/null | head -1
}
declare -A seen=()
order=()
add_deps() { # depth first, so a module comes after what it needs
	local ko=$1 d f
	for d in $(/sbin/modinfo -F depends "$ko" 2>/dev/null | tr ',' ' '); do
		[ -z "${seen[$d]:-}" ] || continue
		seen[$d]=1
		f=$(find_ko "${d//-/_}")
		[ -n "$f" ] || f=$(find_ko "$d")
		[ -n "$f" ] || die "$ko needs module $d, not found under $IR_MODTREE"
		case $f in
		*.xz) xz -dc "$f" >"$st/lib/modules/mtmap/deps/$d.ko" ;;
		*.zst) zstd -qdc "$f" >"$st/lib/modules/mtmap/deps/$d.ko" ;;
		*) cp "$f" "$st/lib/modules/mtmap/deps/$d.ko" ;;
		esac
		add_deps "$st/lib/modules/mtmap/deps/$d.ko"
		order+=("$d")
	done
}
[ ! -f "$st/lib/modules/mtmap/mtmap.ko" ] || add_deps "$st/lib/modules/mtmap/mtmap.ko"
printf '%s\n' "${order[@]}" >"$st/lib/modules/mtmap/deps.order"
if [ -n "${IR_BOOT_KO:-}" ]; then
	# Same walk into their own directory: /init loads them first.
	mkdir -p "$st/lib/modules/boot"
	order=()
	for m in $IR_BOOT_KO; do
		[ -z "${seen[$m]:-}" ] || continue
		seen[$m]=1
		f=$(find_ko "$m")
		[ -n "$f" ] || die "boot module $m not found under $IR_MODTREE"
		case $f in
		*.xz) xz -dc "$f" >"$st/lib/modules/boot/$m.ko" ;;
		*.zst) zstd -qdc "$f" >"$st/lib/modules/boot/$m.ko" ;;
		*) cp "$f" "$st/lib/modules/boot/$m.ko" ;;
		esac
		add_deps "$st/lib/modules/boot/$m.ko"
		order+=("$m")
	done
	# add_deps put what they need into deps/: move it next to them.
	for m in "${order[@]}"; do
		[ ! -f "$st/lib/modules/mtmap/deps/$m.ko" ] ||
			mv "$st/lib/modules/mtmap/deps/$m.ko" "$st/lib/modules/boot/"
	done
	printf '%s\n' "${order[@]}" >"$st/lib/modules/boot/order"
fi
for ko in ${IR_EXTRA_KO:-}; do cp "$ko" "$st/lib/modules/extra/"; done

for b in ${IR_BINS:-}; do
	[ -x "$b" ] || die "test program $b is missing or not executable"
	file -L "$b" | grep -q 'statically linked\|static-pie linked' ||
		log "warning: $b is not statically linked; it will not run in the VM"
	cp "$b" "$st/opt/mtmap/"
done
[ -z "${IR_ROOT_EXTRA:-}" ] || cp -a "$IR_ROOT_EXTRA"/. "$st/"
cp "${IR_PROGS:-/dev/null}" "$st/etc/mtmap/progs"
# shellcheck disable=SC2086 # a list of names
[ -z "${IR_NOMTMAP:-}" ] || printf '%s\n' $IR_NOMTMAP >"$st/etc/mtmap/nomtmap"
{
	printf 'MTMAP_MODE=%q\n' "${IR_MODE:-check}"
	printf 'MTMAP_KUNIT=%q\n' "${IR_KUNIT:-1}"
	printf 'MTMAP_PROG_TIMEOUT=%q\n' "${IR_PROG_TIMEOUT:-600}"
	printf 'MTMAP_MODPARAMS=%q\n' "${IR_MODPARAMS:-}"
	printf 'MTMAP_LOAD_EXTRA=%q\n' "${IR_LOAD_EXTRA:-}"
} >"$st/etc/mtmap/conf"

(cd "$st" && find . -mindepth 1 | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0) |
	gzip -1 >"$out.tmp"
mv "$out.tmp" "$out"
echo "$out"
