#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# vm-boot.sh KERNEL INITRAMFS OUTDIR: boot the test VM under QEMU (TCG, no
# KVM) until init powers it off, the kernel panics (-no-reboot) or
# $MTMAP_VM_TIMEOUT seconds pass. ttyS0 (kernel console) goes to
# OUTDIR/console.log, ttyS1 (test results) to OUTDIR/results.log.
# Exit status: QEMU's (0 after a clean poweroff), 124 on timeout.
# MTMAP_QEMU_ARGS: extra QEMU options (word-split), e.g. -mem-prealloc.
# MTMAP_VM_ARCH=arm64 (the lane's LANE_ARCH; default x86_64) boots
# qemu-system-aarch64 -M virt with MTMAP_VM_CPU (default cortex-a57):
# ttyAMA0 is the console, a virtio console (hvc0) the results port.
set -euo pipefail
. "$(dirname "$0")/common.sh"

kernel=${1:?usage: vm-boot.sh KERNEL INITRAMFS OUTDIR}
initrd=${2:?}
out=${3:?}
tmo=${MTMAP_VM_TIMEOUT:-1200}
mkdir -p "$out"
rm -f "$out/console.log" "$out/results.log"

# panic=-1: reboot at once on a panic, which -no-reboot turns into an exit.
# oops=panic: an oops stops the run (the debug config has PANIC_ON_OOPS too);
# a WARN stays non-fatal so every splat of the run is collected.
console=ttyS0
[ "${MTMAP_VM_ARCH:-x86_64}" != arm64 ] || console=ttyAMA0
append="console=$console,115200 panic=-1 oops=panic printk.time=1 loglevel=7"
# TCG on a busy host can starve a vCPU for tens of seconds: the RCU stall
# detector waits 120 s instead of 21 before it reports ("INFO: ... stall").
append="$append rcupdate.rcu_cpu_stall_timeout=120"
append="$append nokaslr no_hash_pointers rdinit=/init ${MTMAP_CMDLINE:-}"

# la57=off: 4-level paging on every lane. Kernels that find LA57 use five
# levels (7.x always may), and then each read of the page-table dump the
# tests take as their witness walks the 57-bit space: ~9.5 s instead of
# well under one. mtmap itself does not depend on the paging depth.
case ${MTMAP_VM_ARCH:-x86_64} in
x86_64)
	cmd=(qemu-system-x86_64
		-nodefaults -machine pc -accel tcg,thread=multi -cpu max,la57=off
		-smp 2 -m 2G
		-nic none -no-reboot -display none -monitor none
		-serial "file:$out/console.log" -serial "file:$out/results.log"
		-object memory-backend-ram,id=mtmap-shm,size=64M,share=on
		-device ivshmem-plain,memdev=mtmap-shm
		-kernel "$kernel" -initrd "$initrd" -append "$append")
	;;
arm64)
	# cortex-a57 has no hardware dirty-bit management (DBM), cortex-a76
	# and max have it: the lane boots both. -M virt has a single PL011,
	# so the results take a virtio console on the virtio-mmio bus.
	cmd=(qemu-system-aarch64
		-nodefaults -machine virt -accel tcg,thread=multi
		-cpu "${MTMAP_VM_CPU:-cortex-a57}" -smp 2 -m 1G
		-nic none -no-reboot -display none -monitor none
		-serial "file:$out/console.log"
		-chardev "file,id=mtmap-results,path=$out/results.log"
		-device virtio-serial-device -device virtconsole,chardev=mtmap-results
		-kernel "$kernel" -initrd "$initrd" -append "$append")
	;;
*) die "MTMAP_VM_ARCH=$MTMAP_VM_ARCH: unknown" ;;
esac
# shellcheck disable=SC2206
[ -z "${MTMAP_QEMU_ARGS:-}" ] || cmd+=(${MTMAP_QEMU_ARGS})
printf '%q ' "${cmd[@]}" >"$out/qemu.cmd"
echo >>"$out/qemu.cmd"
start=$(date +%s.%N)
rc=0
# QEMU runs in the background so that a signal to this script (make
# interrupted, CI cancelled) stops the VM too instead of orphaning it.
timeout -k 10 "$tmo" "${cmd[@]}" </dev/null >"$out/qemu.log" 2>&1 &
qpid=$!
trap 'kill -TERM $qpid 2>/dev/null; wait $qpid; exit 143' TERM INT HUP
wait $qpid || rc=$?
trap - TERM INT HUP
end=$(date +%s.%N)
awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f\n", b - a }' >"$out/boot-seconds"
[ $rc != 124 ] || log "VM timed out after ${tmo}s (MTMAP_VM_TIMEOUT)"
exit $rc
