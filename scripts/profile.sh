#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# profile.sh LANE PROG [ARGS...]: run PROG (a static program) in one VM
# boot of LANE under `perf record -a -g` (cpu-clock: TCG has no PMU) and
# print perf's report: self time per symbol, then time including callees
# (kernel and mtmap.ko symbols come from /proc/kallsyms). The host's perf
# and the libraries it links are copied into the initramfs; perf's version
# need not match the guest kernel for a cpu-clock profile.
# Example: scripts/profile.sh debug-6.12 out/bench/bin/mtmap_bench -c anon-4k,mtmap-4k-wb
# Environment: PROFILE_FREQ (samples per second, default 1000),
# PROFILE_LIMIT (percent below which symbols are not listed, default 0.3),
# PROFILE_FOLD (print the folded call stacks of the samples whose stack has
# this function, default handle_mm_fault; scripts/fold-report.py sums them).
# Output: out/profile/LANE/run/results.log (and the terminal).
set -euo pipefail
. "$(dirname "$0")/common.sh"

lane=${1:?usage: profile.sh LANE PROG [ARGS...]}
prog=${2:?usage: profile.sh LANE PROG [ARGS...]}
shift 2
[ -x "$prog" ] || die "$prog is not an executable file"
perf=$(command -v perf) || die "perf is missing: apt-get install linux-perf"
out=$MTMAP_OUT/profile
root=$out/root
rm -rf "$root"
mkdir -p "$root/usr/bin" "$root/opt/mtmap"

# perf, its dynamic loader and libraries, at the host's paths.
cp -L "$perf" "$root/usr/bin/perf"
for lib in $(ldd "$perf" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'); do
	mkdir -p "$root${lib%/*}"
	cp -L "$lib" "$root$lib"
done
cp "$prog" "$root/opt/mtmap/"

qargs=""
[ $# = 0 ] || qargs=$(printf '%q ' "$@")
wrapper=$out/mtmap-profile
cat >"$wrapper" <<EOF
#!/bin/sh
export HOME=/tmp PATH=/usr/bin:\$PATH
echo 0 >/proc/sys/kernel/kptr_restrict
echo -1 >/proc/sys/kernel/perf_event_paranoid
perf record -q -a -g -e cpu-clock -F ${PROFILE_FREQ:-1000} -o /tmp/perf.data -- /opt/mtmap/${prog##*/} $qargs || exit 1
echo "=== self, by symbol"
perf report -i /tmp/perf.data --stdio --no-children --sort sym -g none --percent-limit ${PROFILE_LIMIT:-0.3} 2>/dev/null | grep -v '^#' | grep -v '^\$'
echo "=== including callees, by symbol"
perf report -i /tmp/perf.data --stdio --children --sort sym -g none --percent-limit ${PROFILE_LIMIT:-0.3} 2>/dev/null | grep -v '^#' | grep -v '^\$'
echo "=== folded stacks through ${PROFILE_FOLD:-handle_mm_fault} (count, then root;...;leaf)"
perf script -i /tmp/perf.data -F ip,sym 2>/dev/null | awk -v want="${PROFILE_FOLD:-handle_mm_fault}" '
	NF == 0 { if (n) { s = f[n]; for (i = n - 1; i >= 1; i--) s = s ";" f[i]; if (index(s, want)) c[s]++ } n = 0; next }
	{ f[++n] = \$2 }
	END { for (s in c) print c[s], s }' | sort -rn
EOF
chmod +x "$wrapper"
# -mem-prealloc as in scripts/bench.sh: no host page faults on fresh guest RAM.
MTMAP_OUT=$out MTMAP_INITRAMFS_EXTRA=$root MTMAP_PROG_TIMEOUT=${MTMAP_PROG_TIMEOUT:-1800} \
	MTMAP_QEMU_ARGS="${MTMAP_QEMU_ARGS:--mem-prealloc}" \
	"$MTMAP_ROOT/scripts/lane-run.sh" vm-run "$lane" "$wrapper"
