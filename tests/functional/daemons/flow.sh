#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The whole PV PCI flow on the local platform, each step through the CLI: pvpci host, a
# guest domain, pvpci backend with three model devices (host device list checked), two
# devices cold-plugged, the guest lists them and reads / writes through the PV policy (one
# shot connections), then a watch agent: COMMAND and MSI-X enabled through it, an injected
# interrupt seen by the watch, a masked one refused, a third device hot-plugged and one
# unplugged (both seen, libxl's renumbering in pvpci list), the legacy INTx bound and an
# injected INTx seen, an AER recovery, and detach
# to the last device (the watch sees the backend close and ends by itself); the backend
# stops cleanly on SIGTERM and withdraws its device list.
# Usage: flow.sh PVPCI DATA_DIR
set -u
. "$(dirname "$0")/lib.sh"

start_host
expect_eq "$($P domain-create web)" 1 "domain id"
start_backend --device 0000:03:00.0="$DATA/nic-msix.model" \
	--device 04:00.0="$DATA/virtio-net.model" --device 05:00.0="$DATA/vpd-storage.model"
out=$($P assignable-list | tail -n +2 | awk '{print $1, $2}')
expect_eq "$out" "0000:03:00.0 -
0000:04:00.0 -
0000:05:00.0 -" "host device list"

# cold-plug two devices; the guest connects for each command and lists them
$P attach web 03:00.0 || fail "attach 03:00.0"
$P attach web 04:00.0 || fail "attach 04:00.0"
out=$($P guest web lspci) || fail "guest lspci"
expect_eq "$out" "00:00.0 Ethernet controller [0200]: 8086:10fb (rev 01)
00:01.0 Ethernet controller [0200]: 1af4:1041 (rev 01)" "guest lspci"
expect_eq "$($P list web | tail -n +2 | awk '{print $1, $2}')" "0000:00:00.0 0000:03:00.0
0000:00:01.0 0000:04:00.0" "vdev-N published"

# reads and writes go through the PV policy
expect_eq "$($P guest web read 00:00.0 0 4)" 0x10fb8086 "vendor:device"
$P guest web write 00:00.0 0 2 0x1234 || fail "write to Vendor ID"
expect_eq "$($P guest web read 00:00.0 0 2)" 0x8086 "Vendor ID is read-only"
bar0=$($P guest web read 00:00.0 0x10 4)
$P guest web write 00:00.0 0x10 4 0xdead0000 || fail "BAR0 write"
expect_eq "$($P guest web read 00:00.0 0x10 4)" "$bar0" "BAR0 keeps the host address"
$P guest web write 00:00.0 0x10 4 0xffffffff || fail "BAR0 sizing"
expect_eq "$($P guest web read 00:00.0 0x10 4)" 0xfff8000c "BAR0 sizing (512K, 64-bit pref)"
$P guest web write 00:00.0 0x10 4 "$bar0" || fail "BAR0 restore"
err=$($P guest web read 00:00.0 0x1000 4 2>&1)
expect_eq "$?" 2 "offset beyond 0xfff is a usage error"
err=$($P guest web read 00:00.0 0x2 4 2>&1)
expect_eq "$?" 1 "misaligned read exit code"
expect_match "$err" "invalid offset" "misaligned read message"
err=$($P guest web read 00:07.0 0 4 2>&1)
expect_eq "$?" 1 "device not exported exit code"
expect_match "$err" "no such device" "device not exported message"
if command -v lspci >/dev/null; then
	$P guest web lspci -xxx >"$DIR/dump.txt" || fail "lspci -xxx"
	out=$(lspci -n -F "$DIR/dump.txt")
	expect_eq "$out" "00:00.0 0200: 8086:10fb (rev 01)
00:01.0 0200: 1af4:1041 (rev 01)" "lspci -F on the guest's dump"
fi
out=$($P guest web lspci -v | grep -E "Region 0|MSI-X")
expect_match "$out" "Region 0: Memory at [0-9a-f]* (64-bit, prefetchable) \[size=512K\]" \
	"lspci -v BAR"
expect_match "$out" "MSI-X: Enable- Count=64" "lspci -v MSI-X"

# the watch agent: commands go through it, interrupts reach it
start_watch web
wait_line "$DIR/watch.log" "device added: *00:01.0"
$P guest web write 00:00.0 4 2 0x6 || fail "COMMAND memory + bus master"
expect_eq "$($P guest web read 00:00.0 4 2)" 0x0006 "COMMAND as the guest set it"
out=$($P guest web intx 00:00.0) || fail "intx: $out"
expect_match "$out" "00:00.0: INTx on pirq [0-9]*$" "intx output"
ipirq=$(echo "$out" | sed 's/.*pirq //')
$P inject irq 03:00.0 intx >/dev/null || fail "inject intx"
wait_line "$DIR/watch.log" "interrupt: *00:00.0 intx (pirq $ipirq)"
err=$($P guest web intx 00:01.0 2>&1)
expect_eq "$?" 1 "intx of a device without a pin"
expect_match "$err" "no INTx" "intx of a device without a pin"
out=$($P guest web msix 00:00.0 enable 4) || fail "msix enable"
expect_match "$out" "MSI-X enabled, 4 vectors: entry 0 -> pirq [0-9]*, .*entry 3 -> pirq" \
	"msix enable output"
pirq2=$(echo "$out" | sed -n 's/.*entry 2 -> pirq \([0-9]*\).*/\1/p')
out=$($P inject irq 03:00.0 msix 2) || fail "inject irq: $out"
expect_match "$out" "delivered" "inject irq output"
wait_line "$DIR/watch.log" "interrupt: *00:00.0 msix entry 2 (pirq $pirq2)"
expect_match "$($P guest web lspci -v)" "IRQ lines: intx -> pirq [0-9]*, msix entry 0 -> pirq" \
	"lspci -v PIRQs"
err=$($P guest web intx 00:00.0 2>&1)
expect_eq "$?" 1 "intx while MSI-X is on"
expect_match "$err" "disable it first" "intx while MSI-X is on"
err=$($P inject irq 04:00.0 msix 0 2>&1)
expect_eq "$?" 1 "interrupt of a device with MSI-X off"
expect_match "$err" "not delivered" "masked interrupt message"

# hot-plug a third device, unplug the second
$P attach web 05:00.0 || fail "hot-plug 05:00.0"
wait_line "$DIR/watch.log" "device added: *00:02.0 Serial Attached SCSI controller"
$P detach web 04:00.0 || fail "hot-unplug 04:00.0"
wait_line "$DIR/watch.log" "device removed: 00:01.0"
expect_eq "$($P list web | tail -n +2 | awk '{print $1, $2}')" "0000:00:00.0 0000:03:00.0
0000:00:02.0 0000:05:00.0" "renumbered list"
expect_eq "$($P guest web lspci | cut -c1-7 | tr '\n' ' ')" "00:00.0 00:02.0 " "guest's devices"

# AER: the watch answers; the recovery ends well
out=$($P inject aer 03:00.0 --state frozen) || fail "inject aer: $out"
expect_match "$out" "recovered" "AER result"
wait_line "$DIR/watch.log" "error_detected on 00:00.0 (state frozen): answering recovered"
expect_eq "$($P guest web msix 00:00.0 disable)" "00:00.0: MSI-X disabled" "msix disable"

# detach the rest: the watch sees the backend close and ends
$P detach web 03:00.0 || fail "detach 03:00.0"
$P detach web 05:00.0 || fail "detach 05:00.0"
wait_line "$DIR/watch.log" "backend closed the connection"
wait_pid "$WATCH_PID" 10 || fail "the watch did not end"
forget "$WATCH_PID"
expect_eq "$($P list web | tail -n +2)" "" "no device left"
[ -e "$DIR/guests/1.sock" ] && fail "the watch left its socket"

stop "$BACKEND_PID"
expect_eq "$STOP_RC" 0 "backend exit status"
grep -q "pvpci backend: stopped" "$DIR/backend.log" || fail "backend did not say it stopped"
expect_eq "$($P assignable-list 2>/dev/null | tail -n +2)" "" "device list withdrawn"
stop "$HOST_PID"
expect_eq "$STOP_RC" 0 "host exit status"
TEST_OK=1
