#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# vPCI on the local platform through the CLI: pvpci host, two domains, pvpci backend with
# four model devices, two of them (one multi-function) given to a guest with
# `pvpci attach --vpci`; `pvpci guest --vpci` lists them at 00:00.0 / 00:01.0 / 00:01.1
# (functions kept in one slot), reads and sizes a BAR through ioreqs, reads through the
# ECAM window, dumps config space for Debian's lspci, enables MSI and gets a PIRQ that an
# injected interrupt reaches; the PV path refuses the device meanwhile and serves another
# guest from the same backend; detach gives the device back to the PV path; the backend
# stops cleanly. Every wait is bounded (lib.sh).
# Usage: vguest_cli.sh PVPCI DATA_DIR
set -u
. "$(dirname "$0")/../functional/daemons/lib.sh"

G="$P guest --vpci"
start_host
expect_eq "$($P domain-create web)" 1 "domain id"
expect_eq "$($P domain-create db)" 2 "domain id"
start_backend --device 0000:03:00.0="$DATA/nic-msix.model" \
	--device 01:00.0="$DATA/multifunc.model#0" --device 01:00.1="$DATA/multifunc.model#1" \
	--device 04:00.0="$DATA/virtio-net.model"

# attach: one function, then a whole slot
$P attach --vpci web 03:00.0 || fail "attach --vpci 03:00.0"
$P attach --vpci web '01:00.*' || fail "attach --vpci 01:00.*"
out=$($P list --vpci web | tail -n +2)
expect_eq "$out" "0000:00:00.0  0000:03:00.0  assigned
0000:00:01.0  0000:01:00.0  assigned
0000:00:01.1  0000:01:00.1  assigned" "list --vpci"
expect_eq "$($P assignable-list | awk '$1 == "0000:03:00.0" {print $2}')" 1 "owner"

# the guest enumerates bus 0 through PCI_CONFIG ioreqs
out=$($P guest web --vpci lspci) || fail "guest DOMID --vpci lspci"
expect_eq "$out" "00:00.0 Ethernet controller [0200]: 8086:10fb (rev 01)
00:01.0 VGA compatible controller [0300]: 10de:128b (rev a1)
00:01.1 Audio device [0403]: 10de:0e0f (rev a1)" "guest --vpci lspci"

# config reads / writes; BAR sizing as a kernel does it
expect_eq "$($G web read 00:00.0 0 4)" 0x10fb8086 "vendor:device"
$G web write 00:00.0 0 2 0x1234 || fail "write to Vendor ID"
expect_eq "$($G web read 00:00.0 0 2)" 0x8086 "Vendor ID is read-only"
bar0=$($G web read 00:00.0 0x10 4)
$G web write 00:00.0 0x10 4 0xffffffff || fail "BAR0 sizing write"
expect_eq "$($G web read 00:00.0 0x10 4)" 0xfff8000c "BAR0 sizing (512K, 64-bit pref)"
$G web write 00:00.0 0x10 4 "$bar0" || fail "BAR0 restore"
expect_eq "$($G web read 00:00.0 0x10 4)" "$bar0" "BAR0 restored"
$G web write 00:01.0 0x10 4 0xe0000000 || fail "BAR0 of 00:01.0 placed"
expect_eq "$($G web read 00:01.0 0x10 4)" 0xe0000000 "guest address (never the host's)"
expect_eq "$($G web read 00:05.0 0 4)" 0xffffffff "nothing at 00:05.0"
expect_eq "$($G web mr 0x10000000 4)" 0x10fb8086 "ECAM window (MMIO ioreq)"
expect_eq "$($G web mr 0x10009000 2)" 0x10de "ECAM 00:01.1"
expect_eq "$(rc $G web read 00:00.0 0x1000 4)" 2 "offset beyond config space"

out=$($G web lspci -v) || fail "lspci -v"
expect_match "$out" "Region 0: Memory at 0 (64-bit, prefetchable) \[size=512K\]" "NIC BAR0"
expect_match "$out" "Region 0: Memory at e0000000 (32-bit, non-prefetchable) \[size=16M\]" \
	"GPU BAR0 at the guest's address"
expect_match "$out" "Capabilities: \[70\] MSI-X: Enable- Count=64" "MSI-X shown"
if command -v lspci >/dev/null; then
	$G web lspci -xxx >"$DIR/dump.txt" || fail "lspci -xxx"
	expect_eq "$(lspci -n -F "$DIR/dump.txt")" "00:00.0 0200: 8086:10fb (rev 01)
00:01.0 0300: 10de:128b (rev a1)
00:01.1 0403: 10de:0e0f (rev a1)" "lspci -F on the guest's dump"
fi

# MSI: the guest programs and enables it, the server binds a PIRQ, an injected
# interrupt is delivered
$G web write 00:00.0 0x54 4 0xfee00000 && $G web write 00:00.0 0x5c 2 0x4021 &&
	$G web write 00:00.0 0x52 2 0x0181 || fail "MSI enable"
expect_match "$($G web lspci -v)" "IRQ lines: msi-0 -> pirq [0-9]" "PIRQ bound for MSI"
out=$($P inject irq 03:00.0 msi 0) || fail "inject msi: $out"
expect_match "$out" "delivered" "injected MSI"

# the PV path: refused for the vPCI guest's device, serves another device meanwhile
err=$($P attach db 03:00.0 2>&1)
expect_eq "$?" 1 "PV attach of a vPCI device"
expect_match "$err" "already attached to another guest (domain 1)" "PV attach message"
$P attach db 04:00.0 || fail "PV attach of 04:00.0"
expect_eq "$($P guest db lspci)" "00:00.0 Ethernet controller [0200]: 1af4:1041 (rev 01)" \
	"PV guest alongside"
err=$($G db lspci 2>&1)
expect_eq "$?" 1 "vPCI lspci of a guest without vPCI devices"
expect_match "$err" "no vPCI device" "its message"

# detach: the device leaves the vPCI guest and goes back to the PV backend
$P detach --vpci web 03:00.0 || fail "detach --vpci"
expect_eq "$($P list --vpci web | tail -n +2 | awk '{print $1, $2}')" \
	"0000:00:01.0 0000:01:00.0
0000:00:01.1 0000:01:00.1" "list after detach (renumbered)"
expect_eq "$($G web lspci | cut -c1-7)" "00:01.0
00:01.1" "lspci after detach"
$P attach db 03:00.0 || fail "PV attach after the vPCI detach"
expect_match "$($P guest db lspci)" "8086:10fb" "the PV guest gets it"
err=$($P detach --vpci web 03:00.0 2>&1)
expect_eq "$?" 1 "detach of a device not attached"
$P detach --vpci web 01:00.1 && $P detach --vpci web 01:00.0 || fail "detach the rest"
expect_eq "$($P list --vpci web | tail -n +2)" "" "nothing left"
export XENSTORED_PATH="$DIR/xenstored/socket"
if command -v xenstore-exists >/dev/null; then
	xenstore-exists /local/domain/0/backend/vpci/1 && fail "backend directory left"
	xenstore-exists /local/domain/1/device/vpci && fail "frontend directory left"
fi

stop "$BACKEND_PID"
expect_eq "$STOP_RC" 0 "backend exit status"
expect_match "$(cat "$DIR/backend.log")" "pvpci backend: stopped" "backend stopped"
TEST_OK=1
