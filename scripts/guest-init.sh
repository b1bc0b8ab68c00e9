#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
# /init of the mtmap test VM (see scripts/mkinitramfs.sh).
# ttyS0: kernel console (init's own notes go to /dev/kmsg, in order with the
#        kernel's messages). ttyS1: test results, framed by markers (on
#        arm64, whose -M virt has one UART: ttyAMA0 and hvc0, a virtio
#        console):
#   MTMAP-BEGIN <name> / MTMAP-END <name> rc=<n>   a program's TAP or KTAP
#                                   (check mode: as kselftest's runner.sh shows it)
#   MTMAP-STEP <name> rc=<n> [text]                a harness step (insmod...)
#   MTMAP-DONE                                     init got to the end
export PATH=/bin:/sbin:/opt/mtmap HOME=/tmp TERM=dumb

# An initramfs for another architecture than the host's (arm64) comes
# without applet links: mkinitramfs.sh cannot run that busybox to list them.
if [ ! -e /bin/mount ]; then
	/bin/busybox mount -t proc proc /proc
	/bin/busybox --install -s /bin
	/bin/busybox umount /proc
fi

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t tmpfs tmpfs /tmp
mkdir -p /dev/pts /dev/shm && mount -t tmpfs tmpfs /dev/shm

. /etc/mtmap/conf
# The tests read it: parameters given at insmod are not the defaults.
export MTMAP_MODPARAMS

note() { echo "mtmap-init: $*" >/dev/kmsg; }
# Modules the results port needs (arm64: virtio_mmio, virtio_console).
for m in $(cat /lib/modules/boot/order 2>/dev/null); do
	out=$(insmod "/lib/modules/boot/$m.ko" 2>&1) || note "insmod $m failed: $out"
done
# The results port: a virtio console where there is one (arm64), else
# the second UART. hvc0 may take a moment to appear after its probe.
port=/dev/ttyS1
if [ -f /lib/modules/boot/order ]; then
	i=0
	while [ ! -c /dev/hvc0 ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
fi
[ -c /dev/hvc0 ] && port=/dev/hvc0
[ -c $port ] || { note "no $port, results go to the console"; }
stty -F $port raw -echo 2>/dev/null
if [ -c $port ]; then exec 3>$port; else exec 3>/dev/console; fi
res() { echo "$*" >&3; }
step() { # step NAME RC TEXT...
	local n=$1 rc=$2; shift 2
	res "MTMAP-STEP $n rc=$rc $*"
	note "step $n rc=$rc $*"
}

finish() {
	note "MTMAP-DONE"
	res "MTMAP-DONE"
	sync
	sleep 1
	poweroff -f
	sleep 60
}

note "kernel $(uname -r), $(nproc) cpus, mode $MTMAP_MODE"
# The ivshmem-plain device (1af4:1110) the harness attaches.
ivshmem=""
for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d/vendor" 2>/dev/null):$(cat "$d/device" 2>/dev/null)" = "0x1af4:0x1110" ] && ivshmem=${d##*/}
done
note "ivshmem device: ${ivshmem:-none}"

# Self-test of the harness's infrastructure retry (lane-run.sh): with
# mtmap.selftest_early_splat on the command line, the first boot logs a
# splat before mtmap is loaded; the retried boot (mtmap.boot=2) does not.
cmdline=" $(cat /proc/cmdline) "
case $cmdline in *" mtmap.selftest_early_splat "*)
	case $cmdline in *" mtmap.boot=1 "*)
		echo "BUG: mtmap harness self-test: a splat before mtmap is loaded" >/dev/kmsg ;;
	esac ;;
esac

KMEMLEAK=/sys/kernel/debug/kmemleak
[ -e $KMEMLEAK ] && echo clear >$KMEMLEAK

# Other modules first: dependencies of mtmap.ko (in order), then the
# extra modules asked for (e.g. test_hmm).
for m in $(cat /lib/modules/mtmap/deps.order 2>/dev/null) $MTMAP_LOAD_EXTRA; do
	f=/lib/modules/mtmap/deps/$m.ko
	[ -f "$f" ] || f=/lib/modules/extra/$m.ko
	note "loading $m"
	out=$(insmod "$f" 2>&1); rc=$?
	step "insmod:$m" $rc "$out"
done

loaded=0
if [ -f /lib/modules/mtmap/mtmap.ko ]; then
	note "loading mtmap.ko $MTMAP_MODPARAMS"
	out=$(insmod /lib/modules/mtmap/mtmap.ko $MTMAP_MODPARAMS 2>&1); rc=$?
	step insmod:mtmap $rc "$out"
	[ $rc = 0 ] && loaded=1
else
	step insmod:mtmap 1 "mtmap.ko is missing from the initramfs"
fi

# The per-program timeout: MTMAP_PROG_TIMEOUT, or "settings": the
# kselftest settings file of the selftests (/opt/mtmap/settings).
settings_timeout=$(sed -n 's/^timeout=//p' /opt/mtmap/settings 2>/dev/null)
prog_timeout=$MTMAP_PROG_TIMEOUT
[ "$prog_timeout" != settings ] || prog_timeout=${settings_timeout:-900}

# In check mode the programs run through the kernel's kselftest runner
# (/opt/kselftest/runner.sh, shipped by lane-run.sh), as `make run_tests`
# runs them: its per-program timeout (the settings file), its exit codes
# and its TAP, the program's own nested in it ("# "-prefixed), which
# scripts/parse-results.py takes apart again. One program per run_many, so
# that init can note each one on the console.
KSFT_RUNNER=/opt/kselftest/runner.sh
use_runner=0
if [ -f $KSFT_RUNNER ]; then
	[ "$MTMAP_MODE" != check ] || use_runner=1
	# The runner (also that of a kselftest tree given to vm-run) calls
	# /usr/bin/timeout --foreground (GNU) and writes to /dev/stdout;
	# busybox's timeout knows no --foreground.
	mkdir -p /usr/bin
	printf '#!/bin/sh\n[ "$1" != --foreground ] || shift\nexec /bin/timeout "$@"\n' >/usr/bin/timeout
	chmod 755 /usr/bin/timeout
	[ -e /dev/stdout ] || ln -s /proc/self/fd/1 /dev/stdout
fi

run_prog() { # run_prog NAME COMMAND
	local name=$1 cmd=$2 rc
	note "running $name: $cmd"
	res "MTMAP-BEGIN $name"
	if [ $use_runner = 1 ]; then
		(
			BASE_DIR=/opt
			. $KSFT_RUNNER
			[ "$MTMAP_PROG_TIMEOUT" = settings ] || kselftest_override_timeout=$MTMAP_PROG_TIMEOUT
			# Its arguments, where runner.sh looks for them.
			var=$(echo "$name" | tr -d "[:blank:][:cntrl:]" | tr -c "[:alnum:]_" "_" | tr "[:lower:]" "[:upper:]")
			export "KSELFTEST_${var}_ARGS=${cmd#"$name"}"
			cd /opt/mtmap && run_many "./$name"
		) >&3 2>&3 </dev/null
	else
		(cd /tmp && timeout "$prog_timeout" sh -c "$cmd") >&3 2>&3 </dev/null
	fi
	rc=$?
	res "MTMAP-END $name rc=$rc"
	note "$name exited with $rc"
}

# Without mtmap only the programs listed in /etc/mtmap/nomtmap run (the
# arm64 lane's TTM-style baseline, which does not need mtmap).
while IFS='	' read -r name cmd; do
	[ -n "$name" ] || continue
	[ $loaded = 1 ] || grep -qx "$name" /etc/mtmap/nomtmap 2>/dev/null || continue
	run_prog "$name" "$cmd"
done </etc/mtmap/progs

if [ $loaded = 1 ]; then
	if [ "$MTMAP_KUNIT" = 1 ] && [ -f /lib/modules/mtmap/mtmap_kunit.ko ]; then
		kd=/sys/kernel/debug/kunit
		before=$(ls $kd 2>/dev/null)
		note "loading mtmap_kunit.ko"
		out=$(insmod /lib/modules/mtmap/mtmap_kunit.ko 2>&1); rc=$?
		step insmod:mtmap_kunit $rc "$out"
		for s in $(ls $kd 2>/dev/null); do
			case " $(echo $before) " in *" $s "*) continue ;; esac
			res "MTMAP-BEGIN kunit:$s"
			cat "$kd/$s/results" >&3
			res "MTMAP-END kunit:$s rc=0"
		done
		if [ $rc = 0 ]; then
			out=$(rmmod mtmap_kunit 2>&1); rc=$?
			step rmmod:mtmap_kunit $rc "$out"
		fi
	fi

	note "unloading mtmap"
	out=$(rmmod mtmap 2>&1); rc=$?
	step rmmod:mtmap $rc "$out"
fi

if [ -e $KMEMLEAK ]; then
	note "kmemleak: scanning"
	sleep 6
	echo scan >$KMEMLEAK
	echo scan >$KMEMLEAK
	cat $KMEMLEAK >/dev/console
	note "kmemleak: scan done"
fi
finish
