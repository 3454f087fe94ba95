#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Restart without loss: a guest (watch agent) is connected to the backend with two
# devices and MSI-X working; the backend is killed with SIGKILL. During the gap an op
# times out (never a wrong answer) and the xenstore nodes stay as they were; a new backend
# rebuilds the topology from vdev-N / dev-N, maps the page and binds the channel again:
# the same guest process reads its devices at the same addresses, the stale op's late
# answer is not taken for a later one, and MSI-X (whose state lived in the killed
# process's model) works again once the guest enables it. A hot-plug asked for during the
# gap times out for the toolstack and completes when the backend is back. A second kill
# while the guest is between one-shot connections recovers too.
# Usage: restart.sh PVPCI DATA_DIR
set -u
. "$(dirname "$0")/lib.sh"
DEVS=(--device 03:00.0="$DATA/nic-msix.model" --device 04:00.0="$DATA/virtio-net.model"
	--device 05:00.0="$DATA/vpd-storage.model")
XS=$DIR/xenstored/socket

start_host
$P domain-create web >/dev/null || fail "domain-create"
start_backend "${DEVS[@]}"
$P attach web 03:00.0 || fail "attach 03:00.0"
$P attach web 04:00.0 || fail "attach 04:00.0"
start_watch web --op-timeout 400
$P guest web write 00:00.0 4 2 0x6 || fail "COMMAND"
$P guest web msix 00:00.0 enable 2 >/dev/null || fail "msix enable"
$P inject irq 03:00.0 msix 1 >/dev/null || fail "inject before the kill"
wait_line "$DIR/watch.log" "interrupt: *00:00.0 msix entry 1"
before=$($P list web)

# the gap: ops time out, nothing is answered wrongly, the nodes stay
stop "$BACKEND_PID" KILL
err=$($P guest web read 00:00.0 8 4 2>&1) # class / revision: a different answer
expect_eq "$?" 1 "read during the gap fails"
expect_match "$err" "did not answer in time" "read during the gap"
if command -v xenstore-read >/dev/null; then
	expect_eq "$(XENSTORED_PATH=$XS xenstore-read /local/domain/0/backend/pci/1/0/state)" 4 \
		"backend state kept"
	expect_eq "$(XENSTORED_PATH=$XS xenstore-read /local/domain/1/device/pci/0/state)" 4 \
		"frontend state kept"
fi

# a hot-plug during the gap times out (nobody answers Reconfiguring) ...
err=$($P attach --timeout 300 web 05:00.0 2>&1)
expect_eq "$?" 1 "hot-plug during the gap"
expect_match "$err" "not Connected within 300 ms" "hot-plug during the gap"

# a new backend picks the guest up; the same guest process goes on
rm -f "$DIR/backend.log"
start_backend "${DEVS[@]}"
wait_line "$DIR/backend.log" "d1: connected"
expect_eq "$($P guest web read 00:00.0 0 4)" 0x10fb8086 "read after the restart (not the stale op's answer)"
expect_eq "$($P guest web read 00:00.0 8 4)" 0x02000001 "class / revision after the restart"
expect_eq "$($P guest web read 00:01.0 0 4)" 0x10411af4 "second device after the restart"
# ... and completes once the backend is back (it finds state 7 and answers it)
wait_line "$DIR/watch.log" "device added: *00:02.0"
expect_eq "$($P list web | head -3)" "$before" "topology rebuilt from the store"
expect_eq "$($P guest web lspci | cut -c1-7 | tr '\n' ' ')" "00:00.0 00:01.0 00:02.0 " \
	"devices kept, the hot-plugged one added"
alive "$WATCH_PID" || fail "the guest's watch died"
grep -q "backend closed" "$DIR/watch.log" && fail "the guest saw a disconnect"
$P guest web write 00:00.0 4 2 0x6 || fail "COMMAND after the restart"
$P guest web msix 00:00.0 enable 2 >/dev/null || fail "msix enable after the restart"
$P inject irq 03:00.0 msix 0 >/dev/null || fail "inject after the restart"
wait_line "$DIR/watch.log" "interrupt: *00:00.0 msix entry 0"

# second kill with no guest connected (between one-shot connections)
stop "$WATCH_PID"
expect_eq "$STOP_RC" 0 "watch exit status"
stop "$BACKEND_PID" KILL
rm -f "$DIR/backend.log"
start_backend "${DEVS[@]}"
expect_eq "$($P guest web read 00:01.0 0 4)" 0x10411af4 "one-shot read after the second restart"
$P detach web 03:00.0 || fail "detach after the restart"
$P detach web 04:00.0 || fail "detach after the restart"
$P detach web 05:00.0 || fail "detach the last device"
stop "$BACKEND_PID"
expect_eq "$STOP_RC" 0 "backend exit status"
stop "$HOST_PID"
expect_eq "$STOP_RC" 0 "host exit status"
TEST_OK=1
