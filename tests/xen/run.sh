#!/bin/bash
# SPDX-License-Identifier: MIT
# The end-to-end suite on real Xen (make test-xen): builds the lab if needed (setup.sh, as
# root), puts the pvpci binary into dom0 through the overlay, boots Xen + PV dom0 + a PV
# guest under QEMU (TCG, 2-5 minutes) and asserts on what dom0 and the guest printed.
# A boot that dies before the tests start is reported as such. The serial log is kept
# under $LAB/logs and named on failure.
# usage: run.sh PVPCI_BINARY   (PVPCI_XEN_CHECK_LOG=LOG: no boot, check a kept serial log)
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
export LAB=${LAB:-/var/tmp/pvpci-xenlab}
BIN=${1:?pvpci binary}
TMO=${PVPCI_XEN_TIMEOUT:-900}
if [ ! -s "$LAB/boot/dom0-rootfs.cpio.gz" ] || [ ! -s "$LAB/boot/xen" ]; then
	"$HERE"/setup.sh || { echo "test-xen: lab setup failed"; exit 1; }
fi
mkdir -p "$LAB/logs"
if [ -n "${PVPCI_XEN_CHECK_LOG:-}" ]; then # only the checks, on a kept serial log
	LOG=$PVPCI_XEN_CHECK_LOG; QRC=$(sed -n 's/^qemu rc=\([0-9]*\).*/\1/p' "$LOG")
else
	LOG=$LAB/logs/e2e-$(date +%Y%m%d-%H%M%S).log
	"$HERE"/mk-overlay.sh "$BIN" || { echo "test-xen: overlay failed"; exit 1; }
	echo "test-xen: booting (TCG, up to ${TMO}s); serial log: $LOG"
	"$HERE"/boot.sh "$LOG" "$LAB/boot/initrd-dom0-e2e.gz" "$TMO"
	QRC=$?
fi

fails=0
passes=0
pass() { echo "PASS $1${2:+ ($2)}"; passes=$((passes + 1)); }
fail() { echo "FAIL $1${2:+ ($2)}"; fails=$((fails + 1)); }
CLEAN=$(mktemp); trap 'rm -f "$CLEAN"' EXIT
tr -d '\r' < "$LOG" > "$CLEAN" # the guests' console logs end lines with CR LF
has() { grep -q -E "$1" "$CLEAN"; }

if ! has '=== PVPCI-E2E START'; then
	echo "FAIL boot: the boot died before the tests started (qemu rc=$QRC)."
	grep -E 'BOOT-FAILED|Panic|panic|Kernel panic|toolstack failed' "$LOG" | head -5
	echo "serial log kept: $LOG"; exit 1
fi
has '=== PVPCI-E2E END' && pass boot-to-end || fail boot-to-end "dom0 did not finish (qemu rc=$QRC, timeout ${TMO}s?)"

# dom0's own checks
for r in sysfs-refuses-host-driver sysfs-config-equals-lspci sysfs-bar-from-resource \
	 sysfs-writable-under-pciback pvpci-backend-xen-runs pvpci-attach-xen; do
	line=$(grep -m1 "RESULT $r " "$LOG" | sed 's/^\[[ 0-9.]*\] //')
	case "$line" in
	*" PASS"*) pass "$r" "${line#*PASS }" ;;
	*" FAIL"*) fail "$r" "${line#*FAIL }" ;;
	*) fail "$r" "no result printed" ;;
	esac
done
grep -q -E 'RESULT (linux-pciback-load|assignable-add)' "$LOG" && fail linux-pciback-setup

# What a guest printed: check NAME CASE REGEX (the line starts "DOMU CASE ").
chk() { has "DOMU $2 $3" && pass "$1" || fail "$1" "no guest line matching 'DOMU $2 $3'"; }
chk_not() { has "DOMU $2 $3" && fail "$1" "guest printed 'DOMU $2 $3'" || pass "$1"; }
EDU_ID='0x1234:0x11e8'; E1000E_ID='0x8086:0x10d3'; E1000_ID='0x8086:0x100e'

# (a0) Linux pciback + Linux pcifront (the reference)
chk lx-guest-booted lx 'START gtest=pcifront'
chk lx-sees-edu lx "DEV 0000:00:0[0-9a-f].0 $EDU_ID"
chk lx-sees-e1000e lx "DEV 0000:00:0[0-9a-f].0 $E1000E_ID"
chk lx-edu-bar-read lx 'EDU ID 0x010000ED'
chk lx-edu-bar-write lx 'EDU LIVENESS 0xEDCBA987'
chk lx-e1000e-ping lx 'PING eth[0-9]+ e1000e: 2 packets transmitted, 2 packets received'
chk lx-guest-finished lx 'DONE'

# (a) pvpci backend in dom0 + Linux pcifront in the guest
chk pvback-guest-booted pvback 'START gtest=pcifront'
chk pvback-modprobe pvback 'modprobe xen-pcifront rc=0'
chk pvback-sees-edu pvback "DEV 0000:00:0[0-9a-f].0 $EDU_ID"
chk pvback-sees-e1000e pvback "DEV 0000:00:0[0-9a-f].0 $E1000E_ID"
chk pvback-lspci-vvv pvback 'LSPCI .*MSI-X: Enable[+-] Count=[0-9]+'
chk pvback-edu-bar-read pvback 'EDU ID 0x010000ED'
chk pvback-edu-bar-write pvback 'EDU LIVENESS 0xEDCBA987'
chk pvback-config-write-dropped pvback 'CFG vendor=1234'
chk_not pvback-config-intline-virtual pvback 'CFG intline=5a'
chk pvback-e1000e-ping pvback 'PING eth[0-9]+ e1000e: 2 packets transmitted, 2 packets received'
chk pvback-msix-fires pvback 'IRQ +[0-9]+: +[1-9][0-9]* +xen-pirq +-pcifront-msi-x'
chk pvback-hotplug-added pvback "DEV 0000:00:0[0-9a-f].0 $E1000_ID"
chk pvback-hotplug-removed pvback 'HOTPLUG REMOVED n=2'
chk pvback-restart-keeps-device pvback 'RESTART CFG 11e81234'
chk pvback-guest-finished pvback 'DONE'

# (b) pvpci frontend in the guest + Linux pciback in dom0
chk pvfront-connects pvfront 'PVF 00:00.0 .*1234:11e8'
chk pvfront-lists-e1000e pvfront 'PVF 00:01.0 .*8086:10d3'
chk pvfront-config-read pvfront 'PVF 0x11e81234'
chk pvfront-invalid-offset pvfront 'PVF pvpci guest read: 0000:00:00.0 at 0x1 size 4: invalid offset'
chk pvfront-no-such-device pvfront 'PVF pvpci guest read: 0000:00:1f.0 at 0 size 4: no such device'
chk pvfront-denied-write-dropped pvfront 'PVF 0x1234$'
# Linux 6.1's pciback keeps the device decoding when the guest clears COMMAND (only the
# guest's view changes), so its enable_msix then succeeds: no -ENXIO to see here.
chk pvfront-command-view pvfront 'PVF 0x0000$'
chk pvfront-msix-enable pvfront 'PVF 00:01.0: MSI-X enabled, 3 vectors'
chk pvfront-msix-twice pvfront 'PVF pvpci guest msix 00:01.0 enable: .*(already|op failed)'
chk pvfront-msix-disable pvfront 'PVF 00:01.0: MSI-X disabled'
chk pvfront-msi-enable pvfront 'PVF 00:00.0: MSI enabled, 1 vector'
chk pvfront-msi-twice pvfront 'PVF pvpci guest msi 00:00.0 enable: op failed'
chk pvfront-msi-disable pvfront 'PVF 00:00.0: MSI disabled'
chk pvfront-batch-completed pvfront 'PVF-RC 1$'
chk_not pvfront-no-crash pvfront 'PVF .*(must be installed|Segmentation|Aborted)'

# (c) the same enumeration through Linux pciback and through pvpci's backend
T_LX=$(grep -m1 'DOMU lx ENUM seconds' "$CLEAN" | sed 's/.*seconds //')
T_PV=$(grep -m1 'DOMU pvback ENUM seconds' "$CLEAN" | sed 's/.*seconds //')
if [ -n "$T_LX" ] && [ -n "$T_PV" ]; then
	pass enum-timed "guest modprobe xen-pcifront to devices listed: Linux pciback ${T_LX}s, pvpci backend ${T_PV}s, ratio pvpci/pciback $(echo "scale=2; $T_PV / $T_LX" | bc)"
else
	fail enum-timed "missing: pciback '${T_LX}' pvpci '${T_PV}'"
fi
echo "timings: $(tail -1 "$LOG")"
if [ $fails -gt 0 ]; then
	echo "test-xen: $fails check(s) failed; serial log kept: $LOG"
	echo "test-xen: $passes passed, $fails failed"
	exit 1
fi
echo "test-xen: all checks passed ($LOG)"
echo "test-xen: $passes passed, $fails failed"
