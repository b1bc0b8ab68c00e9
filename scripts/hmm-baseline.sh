#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# hmm-baseline.sh LANE: peer baseline for device-exclusive access. Builds
# the lane kernel's own tools/testing/selftests/mm/hmm-tests.c (static) and
# mtmap's selftests/exclusive_test.c, boots LANE once with mtmap.ko and
# test_hmm.ko loaded (MTMAP_LOAD_EXTRA=test_hmm), runs both plus KUnit, and
# prints a per-program summary. hmm-tests failures are the kernel's, not
# mtmap's; they are reported, never hidden.
#
# Environment: MTMAP_OUT (default out/; results in $MTMAP_OUT/hmm-LANE),
# MTMAP_MODSRC (module sources), EXCL_TESTS_ARGS (harness options for
# exclusive_test), MTMAP_HMM_ARGS (harness options for hmm-tests; default:
# its device-exclusive tests, the peer of exclusive_test; "all" runs every
# test, which takes minutes per lane). Exit status: lane-run.sh's.
set -euo pipefail
. "$(dirname "$0")/common.sh"

lane=${1:?usage: hmm-baseline.sh LANE}
case $lane in debug-*) ;; *) die "$lane: test_hmm.ko exists only in the debug lanes" ;; esac
src=$("$MTMAP_ROOT/scripts/fetch-source.sh" "$lane")
bins=$MTMAP_OUT/hmm-$lane/bin
mkdir -p "$bins"

# hmm-tests.c includes <lib/test_hmm_uapi.h> and <mm/gup_test.h> from the
# tree root; the 7.x version also needs the mm selftests' helpers.
mm=$src/tools/testing/selftests/mm
extra=()
for f in vm_util.c hugepage_settings.c thp_settings.c; do
	if grep -q "${f%.c}.h" "$mm/hmm-tests.c" "$mm/vm_util.h" 2>/dev/null && [ -f "$mm/$f" ]; then
		extra+=("$mm/$f")
	fi
done
# Newer mm selftests use uapi (PAGEMAP_SCAN, PROCMAP_QUERY) that Debian 12's
# /usr/include lacks: build against the lane kernel's own uapi headers.
# Both the headers and the binary depend only on the kernel build (keyed
# by source version and config) and the compiler: cached beside it.
bld=$("$MTMAP_ROOT/scripts/build-kernel.sh" "$lane")
cache=$bld-hmm
if [ ! -x "$cache/hmm-tests" ]; then
	rm -rf "$cache"
	mkdir -p "$cache"
	make -s -C "$bld" headers_install INSTALL_HDR_PATH="$cache/hdr" >&2 ||
		die "headers_install failed in $bld"
	log "$lane: building hmm-tests from $mm"
	# Its warnings (uapi vs glibc macro redefinitions) are the kernel tree's: log them.
	gcc -static -O2 -pthread -I"$cache/hdr/include" -I"$src" -I"$src/tools/include" \
		-isystem "$src/tools/testing/selftests" -I"$mm" -o "$cache/hmm-tests.tmp" \
		"$mm/hmm-tests.c" "${extra[@]}" -lm >"$cache/build.log" 2>&1 ||
		{ tail -20 "$cache/build.log" >&2; die "hmm-tests did not build"; }
	mv "$cache/hmm-tests.tmp" "$cache/hmm-tests"
fi
cp "$cache/hmm-tests" "$bins/hmm-tests"
# lane-run.sh check insists on mtmap_test being there, even if not run.
make -s -C "$MTMAP_ROOT/selftests" KSRC="$src" OUT="$bins" "$bins/exclusive_test" \
	"$bins/mtmap_test" >&2

hmm_args=${MTMAP_HMM_ARGS--t exclusive -t exclusive_mprotect -t exclusive_cow}
[ "$hmm_args" != all ] || hmm_args=""
rc=0
# The lane's own module build is reused (MTMAP_BUILD_OUT), if it has one.
MTMAP_BUILD_OUT=${MTMAP_BUILD_OUT:-$MTMAP_OUT/$lane} \
	MTMAP_HMM_ARGS=$hmm_args MTMAP_SELFTESTS_OUT=$bins MTMAP_LOAD_EXTRA=test_hmm \
	MTMAP_CHECK_PROGS="exclusive_test hmm-tests" \
	TESTS="${EXCL_TESTS_ARGS:-}" \
	MTMAP_OUT="$MTMAP_OUT/hmm-$lane" \
	"$MTMAP_ROOT/scripts/lane-run.sh" check "$lane" || rc=$?

# One line per program: top-level TAP results (KUnit: its cases).
res=$MTMAP_OUT/hmm-$lane/$lane/results.log
[ -f "$res" ] || die "no results in $res"
awk '
/^MTMAP-STEP insmod/ { print "  " $0 }
/^MTMAP-BEGIN / { prog = $2; p = f = s = 0; next }
/^MTMAP-END / {
	printf "  %-28s %3d passed %3d failed %3d skipped (%s)\n", prog, p, f, s, $3
	prog = ""; next
}
prog ~ /^kunit:/ { if ($0 !~ /^    (not )?ok [0-9]+ /) next; sub(/^    /, "") }
prog != "" && /^ok .*# SKIP/ { s++; next }
prog != "" && /^ok / { p++; next }
prog != "" && /^not ok / { f++; fails[prog] = fails[prog] "\n      " $0; next }
END { for (k in fails) printf "  failures in %s:%s\n", k, fails[k] }
' "$res"
exit $rc
