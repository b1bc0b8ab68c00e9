#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# lane-run.sh MODE LANE [PROG [ARGS...]]: one lane, end to end.
#   MODE check   run the selftests (+ KUnit) and judge them; logs in out/LANE/
#   MODE run     run mtmap-demo and show its output; logs in out/LANE/run/
#   MODE vm-run  run PROG ARGS as root and show its output; logs in out/LANE/run/
# Steps: kernel ready (scripts/lane-env.sh), module built against it
# (scripts/build-module.sh), initramfs (scripts/mkinitramfs.sh), boot
# (scripts/vm-boot.sh), judge (scripts/parse-results.py).
# The last line printed is the lane's summary; out/LANE/counts (check) or
# out/LANE/run/counts holds "PASSED FAILED SKIPPED". Exit status 0 = passed,
# 2 = skipped, 1 = failed.
#
# Environment: MTMAP_SELFTESTS_OUT (built test programs, default out/selftests),
# TESTS (extra arguments for mtmap_test, e.g. "-t name" or "-r fixture"),
# MTMAP_MODSRC (module sources), MTMAP_MODPARAMS (insmod parameters),
# MTMAP_LOAD_EXTRA (e.g. test_hmm), MTMAP_VM_TIMEOUT, MTMAP_PROG_TIMEOUT (per
# program; default: selftests/settings),
# MTMAP_CMDLINE (extra kernel parameters), MTMAP_KSRC (tree for kunit.py),
# MTMAP_INITRAMFS_EXTRA (a directory copied over the initramfs root).
# Lanes of another architecture (stock-6.1-arm64): the module and
# selftests/ttm_baseline/ttm_baseline.ko (a TTM-style handler, test-only)
# are cross-built, the selftests too into MTMAP_SELFTESTS_OUT_CROSS (default
# out/selftests-ARCH; built here), MTMAP_VM_CPU picks the CPU model
# (default cortex-a57) and ttm_baseline_test runs first, with or without
# mtmap. MTMAP_BUILD_OUT: where the module and baseline builds go (default
# out/LANE; check.sh's DBM pass shares the first pass's). Should mtmap.ko
# not build there, the lane still boots: insmod:mtmap fails and the
# baseline is measured.
set -euo pipefail
. "$(dirname "$0")/common.sh"

mode=${1:?usage: lane-run.sh check|run|vm-run LANE [PROG [ARGS...]]}
lane=${2:?usage: lane-run.sh check|run|vm-run LANE [PROG [ARGS...]]}
shift 2
lanedir=$MTMAP_OUT/$lane
case $mode in
check) out=$lanedir ;;
run | vm-run) out=$lanedir/run ;;
*) die "unknown mode $mode" ;;
esac
mkdir -p "$out"
# One run per output directory at a time; another one waits its turn.
exec 8>"$out/.lock"
if ! flock -n 8; then
	log "$lane: another run is using $out; waiting for it"
	flock 8
fi
rm -f "$out/counts" "$out/console.log" "$out/results.log" "$out/infra-splat" "$out"/boot1-*
selftests=${MTMAP_SELFTESTS_OUT:-$MTMAP_OUT/selftests}
# The summary names the lane and, once known, the kernel package it ran.
label=$lane

finish() { # finish STATUS PASSED FAILED SKIPPED TEXT
	echo "$2 $3 $4" >"$out/counts"
	echo "$label: $1 ($2 passed, $3 failed, $4 skipped) $5"
	case $1 in PASSED) exit 0 ;; SKIPPED) exit 2 ;; *) exit 1 ;; esac
}

# 1. Kernel.
if ! env_txt=$("$MTMAP_ROOT/scripts/lane-env.sh" "$lane"); then
	finish FAILED 0 1 0 "- the kernel is not ready (see the messages above)"
fi
eval "$env_txt"
if [ "$LANE_STATUS" = skip ]; then
	finish SKIPPED 0 0 1 "- $LANE_REASON"
fi
label="$lane ($LANE_PKG)"
arch=${LANE_ARCH:-x86_64}
cpu=""
if [ "$arch" != x86_64 ]; then
	cpu=${MTMAP_VM_CPU:-cortex-a57}
	label="$lane ($LANE_PKG) [$cpu]"
fi
log "$lane: kernel $LANE_KVER from $LANE_PKG ($LANE_KIMAGE)"

# 2. Module.
modnote=""
bout=${MTMAP_BUILD_OUT:-$lanedir}
if ! moddir=$(MTMAP_KARCH=$arch "$MTMAP_ROOT/scripts/build-module.sh" "$LANE_KDIR" "$bout"); then
	[ "$arch" != x86_64 ] || finish FAILED 0 1 0 "- the module did not build against $LANE_KDIR"
	# No arm64 port of mtmap yet: boot without it, so that the baseline
	# is still measured; the guest's insmod:mtmap step fails the lane.
	moddir=$lanedir/no-mod
	rm -rf "$moddir"
	mkdir -p "$moddir"
	modnote="[mtmap.ko did not build for $arch (see $bout/mod/build.log)]"
	log "$lane: $modnote"
fi
extra_ko=$LANE_EXTRA_KO
load_extra=${MTMAP_LOAD_EXTRA:-}
if [ "$arch" != x86_64 ]; then
	# The TTM-style baseline, in a copy as the module (same lock).
	bl=$bout/ttm_baseline
	mkdir -p "$bl"
	cp -p "$MTMAP_ROOT/selftests/ttm_baseline/Kbuild" "$MTMAP_ROOT/selftests/ttm_baseline/ttm_baseline.c" "$bl/"
	# shellcheck disable=SC2046
	flock "$bout/.mod.lock" make -C "$LANE_KDIR" M="$bl" $(kbuild_arch_args "$arch") modules \
		>"$bl/build.log" 2>&1 ||
		finish FAILED 0 1 0 "- the TTM-style baseline module did not build (log: $bl/build.log)"
	extra_ko="$extra_ko $bl/ttm_baseline.ko"
	load_extra="$load_extra ttm_baseline"
fi

# 3. What to run.
ksrc=${MTMAP_KSRC:-$("$MTMAP_ROOT/scripts/fetch-source.sh" debug-6.12)}
kunit_py=$ksrc/tools/testing/kunit/kunit.py
[ -f "$kunit_py" ] || die "no kunit.py at $kunit_py"
nomtmap=""
if [ "$arch" != x86_64 ]; then
	# The selftests of this architecture, cross-built (static) here, as
	# make selftests does for x86 (one build at a time per directory).
	selftests=${MTMAP_SELFTESTS_OUT_CROSS:-$MTMAP_OUT/selftests-$arch}
	mkdir -p "$selftests"
	log "$lane: building the $arch selftests in $selftests"
	flock "$selftests/.lock" make -C "$MTMAP_ROOT/selftests" CC="$(arch_cc "$arch")" KSRC="$ksrc" \
		OUT="$selftests" -j"$MTMAP_JOBS" all baseline >"$selftests/build.log" 2>&1 ||
		finish FAILED 0 1 0 "- the $arch selftests did not build (log: $selftests/build.log)"
	nomtmap=ttm_baseline_test
fi
# --dbm= for ttm_baseline_test: whether the CPU model has hardware
# dirty-bit management (ARMv8.1); it checks the kernel log agrees.
case $cpu in
cortex-a53 | cortex-a57 | cortex-a72) dbm_arg=--dbm=0 ;;
cortex-a55 | cortex-a76 | neoverse-n1 | max | max,*) dbm_arg=--dbm=1 ;;
*) dbm_arg="" ;;
esac
progs=$out/progs
: >"$progs"
bins=""
kunit=0
parse_opts=()
case $mode in
check)
	kunit=1
	parse_opts+=(--expect-tap)
	# mtmap_test, every other *_test program of the selftests, then
	# mtmap-demo; TESTS (kselftest harness options) go to the *_test ones.
	[ -x "$selftests/mtmap_test" ] ||
		finish FAILED 0 1 0 "- $selftests/mtmap_test is missing (selftests not built)"
	# The baseline (built only for other architectures) comes first.
	list=${MTMAP_CHECK_PROGS:-$nomtmap mtmap_test $(cd "$selftests" && find . -maxdepth 1 -type f -perm -u+x -name '*_test' ! -name mtmap_test ! -name ttm_baseline_test -printf '%f\n' | LC_ALL=C sort) mtmap-demo}
	for p in $list; do
		[ -x "$selftests/$p" ] || continue
		bins="$bins $selftests/$p"
		args=""
		case $p in
		ttm_baseline_test) args=$dbm_arg ;;
		*_test) args=${TESTS:-} ;;
		hmm-tests) args=${MTMAP_HMM_ARGS:-} ;;
		esac
		printf '%s\t%s %s\n' "$p" "$p" "$args" >>"$progs"
	done
	;;
run)
	parse_opts+=(--show-output)
	[ -x "$selftests/mtmap-demo" ] || die "$selftests/mtmap-demo is missing (selftests not built)"
	bins=$selftests/mtmap-demo
	printf 'mtmap-demo\tmtmap-demo\n' >>"$progs"
	;;
vm-run)
	parse_opts+=(--show-output)
	prog=${1:?vm-run needs PROG}
	shift
	[ -x "$prog" ] || die "PROG=$prog is not an executable file"
	bins=$(realpath "$prog")
	name=${prog##*/}
	# Quote each argument again: the guest's sh -c splits the line.
	qargs=""
	[ $# = 0 ] || qargs=$(printf '%q ' "$@")
	printf '%s\t%s %s\n' "$name" "$name" "$qargs" >>"$progs"
	;;
esac

# 4. Initramfs. Over its root: the kselftest runner and the selftests'
# settings (the check mode runs the programs through them, see
# guest-init.sh), then MTMAP_INITRAMFS_EXTRA. Without MTMAP_PROG_TIMEOUT
# the per-program timeout is the one in selftests/settings.
root_extra=$out/initramfs-root
rm -rf "$root_extra"
mkdir -p "$root_extra/opt/kselftest" "$root_extra/opt/mtmap"
cp "$ksrc/tools/testing/selftests/kselftest/runner.sh" "$root_extra/opt/kselftest/"
cp "$MTMAP_ROOT/selftests/settings" "$root_extra/opt/mtmap/"
[ -z "${MTMAP_INITRAMFS_EXTRA:-}" ] || cp -a "$MTMAP_INITRAMFS_EXTRA"/. "$root_extra/"
IR_MODDIR=$moddir IR_MODTREE=$LANE_MODTREE IR_EXTRA_KO=$extra_ko IR_BINS=$bins \
	IR_PROGS=$progs IR_MODE=$mode IR_KUNIT=$kunit \
	IR_PROG_TIMEOUT=${MTMAP_PROG_TIMEOUT:-settings} IR_MODPARAMS=${MTMAP_MODPARAMS:-} \
	IR_LOAD_EXTRA=$load_extra IR_ROOT_EXTRA=$root_extra \
	IR_BUSYBOX=${LANE_BUSYBOX:-} IR_BOOT_KO=${LANE_BOOT_KO:-} IR_NOMTMAP=$nomtmap \
	"$MTMAP_ROOT/scripts/mkinitramfs.sh" "$out/initramfs.cpio.gz" >/dev/null

# 5. Boot, 6. judge. A splat before mtmap was first loaded is the kernel's
# or the emulator's (parse-results.py writes it to infra-splat): report it
# as an infrastructure failure and boot once more; only the second boot
# counts. Splats after mtmap was loaded are never retried.
note=$modnote
for attempt in 1 2; do
	log "$lane: booting (TCG${cpu:+, $cpu}); console: $out/console.log, results: $out/results.log"
	qrc=0
	# mtmap.boot=N tells the guest which boot this is (see guest-init.sh).
	MTMAP_CMDLINE="${MTMAP_CMDLINE:-} mtmap.boot=$attempt" \
		MTMAP_VM_ARCH=$arch MTMAP_VM_CPU=$cpu "$MTMAP_ROOT/scripts/vm-boot.sh" \
		"$LANE_KIMAGE" "$out/initramfs.cpio.gz" "$out" || qrc=$?
	log "$lane: VM finished after $(cat "$out/boot-seconds") s (qemu rc=$qrc)"
	prc=0
	python3 "$MTMAP_ROOT/scripts/parse-results.py" "$out" --lane "$label" \
		--kunit-py "$kunit_py" --qemu-rc "$qrc" --note "$note" "${parse_opts[@]}" || prc=$?
	[ $attempt = 1 ] && [ -f "$out/infra-splat" ] || exit $prc
	log "$lane: INFRASTRUCTURE FAILURE: kernel splat before mtmap was loaded; booting once more:"
	sed 's/^/    /' "$out/infra-splat" >&2
	for f in console.log results.log infra-splat; do
		mv "$out/$f" "$out/boot1-$f"
	done
	note="${modnote:+$modnote }[first boot: infrastructure splat before mtmap was loaded, retried; $(head -1 "$out/boot1-infra-splat" | sed 's/^\[[ 0-9.]*\] *//' | cut -c1-100); see $out/boot1-console.log]"
done
