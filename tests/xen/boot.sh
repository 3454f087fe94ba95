#!/bin/bash
# SPDX-License-Identifier: MIT
# Boots Xen + PV dom0 under QEMU's software emulation (KVM on this kind of machine cannot
# run Xen) on a q35 machine with an emulated VT-d IOMMU and the devices passed through in
# the tests: edu at 00:05.0, e1000 at 00:06.0, e1000e at 00:07.0. The serial log, each
# line stamped with host seconds, goes to LOG.
# usage: boot.sh LOG INITRD TIMEOUT_S DOM0_EXTRA_ARGS
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
LAB=${LAB:-/var/tmp/pvpci-xenlab}
LOG=${1:?log}; INITRD=${2:?initrd}; TMO=${3:-600}; EXTRA=${4:-}
XEN_ARGS="console=com1 com1=115200,8n1 dom0_mem=1536M,max:1536M loglvl=all guest_loglvl=all iommu=verbose"
DOM0_ARGS="console=hvc0 earlyprintk=xen rdinit=/pvpci-dom0-init $EXTRA"
T0=$(date +%s.%N)
timeout --foreground -k 5 "$TMO" qemu-system-x86_64 -machine q35 -accel tcg -cpu qemu64 \
	-m 4096 -smp 2 -display none -serial stdio -monitor none -no-reboot \
	-kernel "$LAB/boot/xen" -append "$XEN_ARGS" \
	-initrd "$LAB/boot/vmlinuz $DOM0_ARGS,$INITRD" \
	-device intel-iommu,intremap=on \
	-device edu,addr=5 \
	-netdev user,id=n1 -device e1000,netdev=n1,addr=6 \
	-netdev user,id=n2 -device e1000e,netdev=n2,addr=7 \
	< /dev/null 2>&1 | "$HERE"/ts.py > "$LOG"
RC=${PIPESTATUS[0]}
T1=$(date +%s.%N)
echo "qemu rc=$RC wall=$(echo "$T1 - $T0" | bc)s" >> "$LOG"
exit "$RC"
