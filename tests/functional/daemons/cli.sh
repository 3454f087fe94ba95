#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Exit codes and messages of pvpci backend, pvpci guest and pvpci inject: 2 for bad usage,
# 1 for an operation that failed (one line naming what failed), 0 otherwise; every
# refusal of the daemons (no host, a second backend or watch on the same run directory,
# no device attached, no backend, unknown devices and domains) checked by its message.
# Usage: cli.sh PVPCI DATA_DIR
set -u
. "$(dirname "$0")/lib.sh"
NIC="$DATA/nic-msix.model"

# usage errors: 2, before anything is contacted
for args in "backend --mode bogus" "backend --device 03:00.0" "backend --device zz=$NIC" \
	"backend --aer-timeout 0" "backend extra" "guest" "guest 1" "guest 1 frob" \
	"guest 1 read 00:00.0 0 3" "guest 1 read 00:00.0 0x1000 4" "guest 1 write 00:00.0 0 4" \
	"guest 1 msi 00:00.0 enable 3" "guest 1 msix 00:00.0 enable 129" \
	"guest 1 msix 00:00.0 toggle" "guest 1 lspci -q" "guest 1 watch --aer-result maybe" \
	"inject" "inject irq" "inject irq 03:00.0 nmi" "inject irq 03:00.0 msix x" \
	"inject aer 03:00.0 reboot" "inject aer 03:00.0 --state melted" "inject frob 03:00.0"; do
	# shellcheck disable=SC2086
	expect_eq "$(rc $P $args)" 2 "pvpci $args"
done
expect_eq "$(rc $P backend --help)" 0 "backend --help"
expect_match "$($P guest --help)" "usage: pvpci guest" "guest --help"

# no host on the run directory: 1
err=$($P backend --device 03:00.0="$NIC" 2>&1)
expect_eq "$?" 1 "backend without a host"
expect_match "$err" "no pvpci host serves" "backend without a host"
err=$($P guest 1 lspci 2>&1)
expect_eq "$?" 1 "guest without a host"
expect_match "$err" "cannot join domain 1" "guest without a host"
err=$($P inject irq 03:00.0 2>&1)
expect_eq "$?" 1 "inject without a backend"
expect_match "$err" "no pvpci backend listens" "inject without a backend"

start_host
$P domain-create web >/dev/null || fail "domain-create"
err=$($P guest nosuch lspci 2>&1)
expect_eq "$?" 1 "unknown domain name"
expect_match "$err" "nosuch: no such domain" "unknown domain name"
err=$($P guest web lspci 2>&1)
expect_eq "$?" 1 "guest with no device"
expect_match "$err" "no PCI device" "guest with no device"
err=$($P backend --device 03:00.0=/nonexistent.model 2>&1)
expect_eq "$?" 1 "missing model file"
expect_match "$err" "/nonexistent.model: No such file" "missing model file"
err=$($P backend --device 03:00.0="$NIC#3" 2>&1)
expect_eq "$?" 1 "model index beyond the file"
expect_match "$err" "no such device in the file" "model index beyond the file"
err=$($P backend --device 03:00.0="$NIC" --device 0000:03:00.0="$NIC" 2>&1)
expect_eq "$?" 1 "the same BDF twice"
expect_match "$err" "given twice" "the same BDF twice"

# attached, but no backend yet: the guest gives up after its connect timeout
$P attach web 03:00.0 || fail "attach"
err=$($P guest --timeout 300 web lspci 2>&1)
expect_eq "$?" 1 "no backend"
expect_match "$err" "did not connect in time" "no backend"

start_backend --device 03:00.0="$NIC" --device 04:00.0="$DATA/virtio-net.model"
err=$($P backend --device 03:00.0="$NIC" 2>&1)
expect_eq "$?" 1 "second backend"
expect_match "$err" "another pvpci backend serves" "second backend"
expect_match "$($P guest web lspci)" "00:00.0 Ethernet" "guest after the backend came"
err=$($P inject irq 09:00.0 2>&1)
expect_eq "$?" 1 "inject to an unknown device"
expect_match "$err" "no such device in this backend" "inject to an unknown device"
err=$($P inject aer 04:00.0 2>&1)
expect_eq "$?" 1 "AER on a device no guest has"
expect_match "$err" "not given to a guest" "AER on a device no guest has"
err=$($P inject irq 04:00.0 msi 2>&1)
expect_eq "$?" 1 "MSI on a device without MSI"
expect_match "$err" "the device has no such interrupt" "MSI on a device without MSI"
err=$($P guest web msix 00:00.0 enable 2 2>&1)
expect_eq "$?" 1 "MSI-X with memory decoding off"
expect_match "$err" "memory decoding off" "MSI-X with memory decoding off"
err=$($P guest web msi 00:00.0 disable 2>&1)
expect_eq "$?" 0 "disable without enable (pciback answers the legacy IRQ)"

start_watch web
err=$($P guest web watch 2>&1)
expect_eq "$?" 1 "second watch"
expect_match "$err" "already runs" "second watch"

# a guest without AER answers: --aer-result disconnect makes the backend kill it
stop "$WATCH_PID"
WATCH_ARGS="--aer-result disconnect" start_watch web
err=$($P inject aer 03:00.0 2>&1)
expect_eq "$?" 1 "AER answered with disconnect"
expect_match "$err" "AER recovery ended: disconnect" "AER answered with disconnect"
wait_line "$DIR/backend.log" "killed by the AER policy"
wait_pid "$WATCH_PID" 10 || fail "the watch of a destroyed domain did not end"
forget "$WATCH_PID"
expect_match "$($P domain-list)" "^0 " "domain list"
[ "$($P domain-list | tail -n +2 | wc -l)" = 1 ] || fail "the guest was not destroyed"
stop "$BACKEND_PID"
expect_eq "$STOP_RC" 0 "backend exit status"
stop "$HOST_PID"
expect_eq "$STOP_RC" 0 "host exit status"
TEST_OK=1
