#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# check.sh [LANE...]: build the selftests once, run every lane
# (scripts/lane-run.sh check) and add their results up. The last line is
# exactly "N passed, N failed, N skipped"; the exit status is non-zero on any
# failure, splat or missing lane result. A skipped lane counts as 1 skipped.
#
# The jobs (lint, each lane, the extra passes, the hmm baselines) are
# independent: each has its own output directory, and the kernels they
# share are built once under a lock. They run MTMAP_PARALLEL (default 2) at
# a time, longest first: a TCG guest mostly keeps one host core busy, so
# two of them fill this 2-core machine. Each job's report is printed whole
# when it ends; the summary lists them in a fixed order.
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

mkdir -p "$MTMAP_OUT/jobs"
st=${MTMAP_SELFTESTS_OUT:-$MTMAP_OUT/selftests}
has() { [[ " $lanes " == *" $1 "* ]]; }

# --- the jobs: name, then the command; each writes $MTMAP_OUT/jobs/NAME.log
job_lint() { "$MTMAP_ROOT/scripts/lint.sh"; }
job_lane() { rm -f "$MTMAP_OUT/$1/counts"; "$MTMAP_ROOT/scripts/lane-run.sh" check "$1"; }
# The memory-type and first-write tests once more on debug-6.12 booted
# with nopat: WC must become UC- on both sides and INFO must say so.
job_nopat() {
	# The module build is shared with the debug-6.12 lane (build-module.sh
	# serializes the two under its lock; the second one finds it done).
	MTMAP_BUILD_OUT=$MTMAP_OUT/debug-6.12 \
		MTMAP_CMDLINE="${MTMAP_CMDLINE:-} nopat" MTMAP_OUT=$MTMAP_OUT/nopat \
		MTMAP_CHECK_PROGS="memtype_test mtmap_test fault_test memtype_race_test mtmap_map_test" MTMAP_SELFTESTS_OUT=$st \
		"$MTMAP_ROOT/scripts/lane-run.sh" check debug-6.12
}
# stock-6.1-arm64, then once more on a CPU with hardware dirty-bit
# management (the first boot is a cortex-a57, without it): the TTM-style
# baseline must cost one fault per first write there, mtmap still one;
# the first-write, read-then-write and dirty-tracking counts must be exact
# on both CPU models. The second pass reuses the first one's builds.
# MTMAP_DBM_CPU: another DBM model.
arm=stock-6.1-arm64
job_arm64() {
	local bo=$MTMAP_OUT/$arm cross=${MTMAP_SELFTESTS_OUT_CROSS:-$MTMAP_OUT/selftests-arm64}
	job_lane $arm
	[ -n "${MTMAP_NO_EXTRA:-}" ] && return
	log "===== lane $arm+dbm ====="
	MTMAP_VM_CPU=${MTMAP_DBM_CPU:-cortex-a76} MTMAP_BUILD_OUT=$bo MTMAP_SELFTESTS_OUT_CROSS=$cross \
		MTMAP_CHECK_PROGS="ttm_baseline_test fault_test dirty_test" MTMAP_OUT=$MTMAP_OUT/dbm \
		"$MTMAP_ROOT/scripts/lane-run.sh" check $arm >"$MTMAP_OUT/jobs/$arm+dbm.log" 2>&1
	# Indented: this job's own summary line stays the first pass's.
	sed 's/^/  | /' "$MTMAP_OUT/jobs/$arm+dbm.log"
}
# Peer baseline: the kernel's own hmm-tests against test_hmm.ko, next to
# ours. Its failures are the kernel's; they are reported, not counted.
job_hmm() {
	local e
	e=$("$MTMAP_ROOT/scripts/lane-env.sh" "$1") && eval "$e" && [ "$LANE_STATUS" = ok ] ||
		{ echo "  not run: the $1 kernel is not available"; return 0; }
	"$MTMAP_ROOT/scripts/hmm-baseline.sh" "$1"
}

queue=()	# "name:function args", longest first
has debug-latest && queue+=("debug-latest:job_lane debug-latest")
if [ -z "${MTMAP_NO_EXTRA:-}" ] && has debug-6.12; then
	queue+=("debug-6.12+nopat:job_nopat")
fi
if [ -z "${MTMAP_NO_EXTRA:-}" ]; then
	has debug-latest && queue+=("hmm-debug-latest:job_hmm debug-latest")
fi
has debug-6.12 && queue+=("debug-6.12:job_lane debug-6.12")
if [ -z "${MTMAP_NO_EXTRA:-}" ]; then
	has debug-6.12 && queue+=("hmm-debug-6.12:job_hmm debug-6.12")
fi
for lane in $lanes; do
	case $lane in
	debug-latest | debug-6.12) ;;
	"$arm") queue+=("$lane:job_arm64") ;;
	*) queue+=("$lane:job_lane $lane") ;;
	esac
done
[ -n "${MTMAP_NO_LINT:-}" ] || queue+=("lint:job_lint")

# --- run them, MTMAP_PARALLEL at a time
max=${MTMAP_PARALLEL:-2}
declare -A running=()
reap() { # wait for one job, print its report
	local pid name
	wait -n -p pid "${!running[@]}" 2>/dev/null || true
	[ -n "${pid:-}" ] || return 0
	name=${running[$pid]}
	unset "running[$pid]"
	log "===== $name done ====="
	cat "$MTMAP_OUT/jobs/$name.log"
}
for entry in "${queue[@]}"; do
	while [ ${#running[@]} -ge "$max" ]; do reap; done
	name=${entry%%:*}
	log "===== $name started ====="
	# shellcheck disable=SC2086
	(${entry#*:}) >"$MTMAP_OUT/jobs/$name.log" 2>&1 &
	running[$!]=$name
done
while [ ${#running[@]} -gt 0 ]; do reap; done

# --- results, in a fixed order
if [ -z "${MTMAP_NO_LINT:-}" ]; then
	if read -r p _ f _ s _ < <(tail -1 "$MTMAP_OUT/jobs/lint.log"); then
		add "$p" "$f" 0
		summaries+=("lint: $p passed, $f failed")
	else
		add 0 1 0
		summaries+=("lint: FAILED - no result")
	fi
fi
count() { # count LABEL COUNTS-FILE SUMMARY-LINE
	if read -r p f s <"$2" 2>/dev/null; then
		add "$p" "$f" "$s"
		summaries+=("$3")
	else
		add 0 1 0
		summaries+=("$1: FAILED - no result (see $MTMAP_OUT/jobs/)")
	fi
}
for lane in $lanes; do
	count "$lane" "$MTMAP_OUT/$lane/counts" "$(grep -E "^$lane[ :]" "$MTMAP_OUT/jobs/$lane.log" | tail -1)"
	if [ -z "${MTMAP_NO_EXTRA:-}" ] && [ "$lane" = debug-6.12 ]; then
		count debug-6.12+nopat "$MTMAP_OUT/nopat/debug-6.12/counts" \
			"$(grep -E '^debug-6.12[ :]' "$MTMAP_OUT/jobs/debug-6.12+nopat.log" | tail -1 |
				sed 's/^debug-6.12\([ :]\)/debug-6.12+nopat\1/')"
	fi
	if [ -z "${MTMAP_NO_EXTRA:-}" ] && [ "$lane" = "$arm" ]; then
		count $arm+dbm "$MTMAP_OUT/dbm/$arm/counts" \
			"$(grep -E "^$arm[ :]" "$MTMAP_OUT/jobs/$arm+dbm.log" 2>/dev/null | tail -1 |
				sed "s/^$arm\([ :]\)/$arm+dbm\1/")"
	fi
done
baseline=()
for lane in $lanes; do
	f=$MTMAP_OUT/jobs/hmm-$lane.log
	[ -f "$f" ] || continue
	baseline+=("hmm baseline on $lane (not counted):")
	# hmm-baseline.sh's own table (the lane report's "  ok" lines repeat it).
	while IFS= read -r l; do baseline+=("$l"); done < <(grep -E '^  ' "$f" | grep -vE '^  (ok|FAIL) ')
done

echo
echo "===== mtmap check summary ====="
printf '%s\n' "${summaries[@]}"
[ ${#baseline[@]} = 0 ] || printf '%s\n' "${baseline[@]}"
t=$(($(date +%s) - t_start))
echo "wall time: $((t / 60)) min $((t % 60)) s (make deps excluded; $max jobs at a time)"
echo "$tp passed, $tf failed, $ts skipped"
[ "$tf" = 0 ]
