#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# bench.sh [LANE]: the first-touch benchmark (selftests/mtmap_bench.c) in
# one VM boot of LANE (default debug-6.12; stock-6.1 never maps 2 MiB).
# Prints the table, and keeps under Documentation/bench/:
#   first-touch-LANE.txt   the program's output (table and target checks)
#   first-touch-LANE.csv   median/min/max per case
#   first-touch-LANE.png   throughput and faults per MiB (gnuplot)
# Environment: BENCH_ARGS (mtmap_bench options, default "-s 8 -r 11"),
# MTMAP_OUT (build and VM logs go to $MTMAP_OUT/bench/LANE/run/),
# BENCH_RESULTS (a results.log of an earlier run: only extract and plot).
set -euo pipefail
. "$(dirname "$0")/common.sh"

lane=${1:-debug-6.12}
args=${BENCH_ARGS:--s 8 -r 11}
docdir=$MTMAP_ROOT/Documentation/bench
out=$MTMAP_OUT/bench
mkdir -p "$out/bin" "$docdir"

res=${BENCH_RESULTS:-}
if [ -z "$res" ]; then
	make -s -C "$MTMAP_ROOT/selftests" OUT="$out/bin" "$out/bin/mtmap_bench" >&2
	log "$lane: one boot, mtmap_bench $args (VM log: $out/vm-run.log)"
	# Guest RAM is backed on the host up front: otherwise a guest page's
	# first use also costs a host page fault, and which case gets fresh
	# guest pages is luck (measured: rounds drifting by 2x).
	# shellcheck disable=SC2086
	MTMAP_OUT=$out MTMAP_QEMU_ARGS="${MTMAP_QEMU_ARGS:--mem-prealloc}" \
		"$MTMAP_ROOT/scripts/lane-run.sh" vm-run "$lane" "$out/bin/mtmap_bench" $args \
		>"$out/vm-run.log" 2>&1 ||
		{ cat "$out/vm-run.log" >&2; die "$lane: the benchmark run failed"; }
	res=$out/$lane/run/results.log
fi
tr -d '\r' <"$res" | sed -n '/^MTMAP-BEGIN mtmap_bench/,/^MTMAP-END mtmap_bench/p' |
	sed '1d;$d' >"$docdir/first-touch-$lane.txt"
sed -n '/^MTMAP-BENCH-CSV-BEGIN/,/^MTMAP-BENCH-CSV-END/p' "$docdir/first-touch-$lane.txt" |
	sed '1d;$d' >"$docdir/first-touch-$lane.csv"
[ -s "$docdir/first-touch-$lane.csv" ] || die "no CSV in $res"
sed '/^MTMAP-BENCH-CSV-BEGIN/,/^MTMAP-BENCH-CSV-END/d' "$docdir/first-touch-$lane.txt"

kver=$(sed -n '2s/^[^,]*,\([^,]*\),.*/\1/p' "$docdir/first-touch-$lane.csv")
gnuplot <<EOG
set terminal pngcairo size 1100,800 font ",10"
set output "$docdir/first-touch-$lane.png"
set datafile separator ","
set key off
set grid ytics
set style fill solid 0.6 border -1
set boxwidth 0.7
set xtics rotate by -35 left
set multiplot layout 2,1 title "mtmap first-touch write, kernel $kver (QEMU TCG: WC/UC- cost like WB); median, bars min..max"
set ylabel "MiB/s"
set yrange [0:*]
plot "$docdir/first-touch-$lane.csv" every ::1 using 0:5:xtic(1) with boxes lc rgb "#4a7ebb", \
     "" every ::1 using 0:5:6:7 with yerrorbars lc rgb "black" pt -1
set ylabel "faults per MiB (log)"
set logscale y
set yrange [0.1:1000]
plot "$docdir/first-touch-$lane.csv" every ::1 using 0:8:xtic(1) with boxes lc rgb "#bb6a4a", \
     "" every ::1 using 0:8:(sprintf("%.4g", column(8))) with labels offset 0,0.7
unset multiplot
EOG
log "kept $docdir/first-touch-$lane.{txt,csv,png}"
