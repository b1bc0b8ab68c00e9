#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# check.sh [LANE...]: build the selftests once, run every lane
# (scripts/lane-run.sh check) and add their results up. The last line is
# exactly "N passed, N failed, N skipped"; the exit status is non-zero on any
# failure, splat or missing lane result. A skipped lane counts as 1 skipped.
set -uo pipefail
. "$(dirname "$0")/common.sh"

lanes=${*:-$LANES_ALL}
t_start=$(date +%s)
tp=0 tf=0 ts=0
summaries=()

add() { tp=$((tp + $1)) tf=$((tf + $2)) ts=$((ts + $3)); }

# The selftests are built once, against a fetched kernel tree's uapi and
# kselftest headers, unless MTMAP_SELFTESTS_OUT points at built ones.
if [ -z "${MTMAP_SELFTESTS_OUT:-}" ]; then
	st_out=$MTMAP_OUT/selftests
	if ! ksrc=${MTMAP_KSRC:-$("$MTMAP_ROOT/scripts/fetch-source.sh" debug-6.12)}; then
		summaries+=("selftests: FAILED - no kernel source tree to build them against")
		add 0 1 0
	elif [ ! -f "$MTMAP_ROOT/selftests/Makefile" ]; then
		summaries+=("selftests: FAILED - selftests/Makefile is missing")
		add 0 1 0
	else
		mkdir -p "$st_out"
		log "building selftests (KSRC=$ksrc OUT=$st_out)"
		if make -C "$MTMAP_ROOT/selftests" KSRC="$ksrc" OUT="$st_out" >"$st_out/build.log" 2>&1; then
			summaries+=("selftests: built in $st_out")
		else
			tail -30 "$st_out/build.log" >&2
			summaries+=("selftests: FAILED to build (log: $st_out/build.log)")
			add 0 1 0
		fi
	fi
fi

mkdir -p "$MTMAP_OUT"
# Static checks first: checkpatch, kernel-doc, sparse + W=1.
if [ -z "${MTMAP_NO_LINT:-}" ]; then
	log "===== lint ====="
	"$MTMAP_ROOT/scripts/lint.sh" 2>&1 | tee "$MTMAP_OUT/lint.report"
	if read -r p _ f _ s _ < <(tail -1 "$MTMAP_OUT/lint.report"); then
		add "$p" "$f" 0
		summaries+=("lint: $p passed, $f failed")
	else
		add 0 1 0
		summaries+=("lint: FAILED - no result")
	fi
fi
for lane in $lanes; do
	log "===== lane $lane ====="
	rm -f "$MTMAP_OUT/$lane/counts"
	"$MTMAP_ROOT/scripts/lane-run.sh" check "$lane" 2>&1 | tee "$MTMAP_OUT/$lane.report"
	line=$(tail -1 "$MTMAP_OUT/$lane.report" 2>/dev/null)
	if [ -f "$MTMAP_OUT/$lane/counts" ] && read -r p f s <"$MTMAP_OUT/$lane/counts"; then
		add "$p" "$f" "$s"
		summaries+=("$line")
	else
		add 0 1 0
		summaries+=("$lane: FAILED - no result for the lane (see $MTMAP_OUT/$lane.report)")
	fi
done

# The memory-type tests once more on debug-6.12 booted with nopat: WC must
# become UC- on both sides and INFO must say so. Counted like a lane.
if [ -z "${MTMAP_NO_EXTRA:-}" ] && [[ " $lanes " == *" debug-6.12 "* ]]; then
	log "===== lane debug-6.12+nopat ====="
	xo=$MTMAP_OUT/nopat
	st=${MTMAP_SELFTESTS_OUT:-$MTMAP_OUT/selftests}
	mkdir -p "$xo"
	MTMAP_CMDLINE="${MTMAP_CMDLINE:-} nopat" MTMAP_OUT=$xo \
		MTMAP_CHECK_PROGS="memtype_test mtmap_test fault_test" MTMAP_SELFTESTS_OUT=$st \
		"$MTMAP_ROOT/scripts/lane-run.sh" check debug-6.12 2>&1 | tee "$xo/report"
	if read -r p f s <"$xo/debug-6.12/counts" 2>/dev/null; then
		add "$p" "$f" "$s"
		summaries+=("$(tail -1 "$xo/report" | sed 's/^debug-6.12\([ :]\)/debug-6.12+nopat\1/')")
	else
		add 0 1 0
		summaries+=("debug-6.12+nopat: FAILED - no result (see $xo/report)")
	fi
fi

# stock-6.1-arm64 once more on a CPU with hardware dirty-bit management
# (the first boot is a cortex-a57, without it): the TTM-style baseline
# must cost one fault per first write there, mtmap still one; the
# first-write, read-then-write and dirty-tracking counts must be exact on
# both CPU models. Counted like a lane. MTMAP_DBM_CPU: another DBM model.
arm=stock-6.1-arm64
if [ -z "${MTMAP_NO_EXTRA:-}" ] && [[ " $lanes " == *" $arm "* ]]; then
	log "===== lane $arm+dbm ====="
	xo=$MTMAP_OUT/dbm
	mkdir -p "$xo"
	# The first pass's builds (module, baseline, selftests) are reused.
	# (Set apart: a later assignment of one command's prefix would see
	# the MTMAP_OUT=$xo before it.)
	st=${MTMAP_SELFTESTS_OUT_CROSS:-$MTMAP_OUT/selftests-arm64}
	bo=$MTMAP_OUT/$arm
	MTMAP_VM_CPU=${MTMAP_DBM_CPU:-cortex-a76} MTMAP_BUILD_OUT=$bo MTMAP_SELFTESTS_OUT_CROSS=$st \
		MTMAP_CHECK_PROGS="ttm_baseline_test fault_test dirty_test" MTMAP_OUT=$xo \
		"$MTMAP_ROOT/scripts/lane-run.sh" check $arm 2>&1 | tee "$xo/report"
	if read -r p f s <"$xo/$arm/counts" 2>/dev/null; then
		add "$p" "$f" "$s"
		summaries+=("$(tail -1 "$xo/report" | sed "s/^$arm\([ :]\)/$arm+dbm\1/")")
	else
		add 0 1 0
		summaries+=("$arm+dbm: FAILED - no result (see $xo/report)")
	fi
fi

# Peer baseline: the kernel's own hmm-tests against test_hmm.ko, next to
# ours. Its failures are the kernel's; they are reported, not counted.
baseline=()
if [ -z "${MTMAP_NO_EXTRA:-}" ]; then
	for lane in $lanes; do
		case $lane in debug-*) ;; *) continue ;; esac
		[ -f "$MTMAP_OUT/$lane/counts" ] || continue
		log "===== hmm-tests baseline on $lane ====="
		"$MTMAP_ROOT/scripts/hmm-baseline.sh" "$lane" >"$MTMAP_OUT/hmm-$lane.report" 2>&1
		baseline+=("hmm baseline on $lane (not counted):")
		while IFS= read -r l; do baseline+=("$l"); done < <(grep -E '^  ' "$MTMAP_OUT/hmm-$lane.report")
	done
fi

echo
echo "===== mtmap check summary ====="
printf '%s\n' "${summaries[@]}"
[ ${#baseline[@]} = 0 ] || printf '%s\n' "${baseline[@]}"
t=$(($(date +%s) - t_start))
echo "wall time: $((t / 60)) min $((t % 60)) s (make deps excluded)"
echo "$tp passed, $tf failed, $ts skipped"
[ "$tf" = 0 ]
