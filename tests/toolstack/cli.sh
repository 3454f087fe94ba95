#!/bin/sh
# SPDX-License-Identifier: MIT
# Functional test of the toolstack CLI: a `pvpci host` on a temporary run directory, a
# guest from `pvpci domain-create`, host devices published as the backend does, then
# `pvpci assignable-list / attach / list / detach` checked on their output, exit codes
# and the nodes seen through Debian's xenstore-* tools. Usage: cli.sh PVPCI
set -eu
PVPCI=$1
DIR=$(mktemp -d /tmp/pvpci-ts-cli-XXXXXX)
HOST_PID=
cleanup() {
	[ -n "$HOST_PID" ] && kill "$HOST_PID" 2>/dev/null && wait "$HOST_PID" 2>/dev/null
	rm -rf "$DIR"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
expect_eq() { [ "$1" = "$2" ] || fail "$3: got '$1', expected '$2'"; }

"$PVPCI" host --run-dir "$DIR" >"$DIR/host.log" 2>&1 &
HOST_PID=$!
for _ in $(seq 100); do [ -S "$DIR/xenstored/socket" ] && break; sleep 0.05; done
[ -S "$DIR/xenstored/socket" ] || fail "host did not start"
export XENSTORED_PATH="$DIR/xenstored/socket"
P="timeout 20 $PVPCI"

D=$($P domain-create --run-dir "$DIR" web)
expect_eq "$D" 1 "domain id"
H=/local/domain/0/pvpci/devices
xenstore-write $H/0000-03-00-0 /m/nic.model $H/0000-04-00-0 /m/a.model \
	$H/0000-04-00-1 /m/b.model

out=$($P assignable-list --run-dir "$DIR" | tail -n +2 | tr -s ' ')
expect_eq "$out" "0000:03:00.0 - /m/nic.model
0000:04:00.0 - /m/a.model
0000:04:00.1 - /m/b.model" "assignable-list before"

# cold-plug by name, with options and a virtual slot
$P attach --run-dir "$DIR" web '03:00.0@2,permissive=1,name=nic' || fail "attach 03:00.0"
BE=/local/domain/0/backend/pci/1/0
expect_eq "$(xenstore-read $BE/dev-0)" 0000:03:00.0 "dev-0"
expect_eq "$(xenstore-read $BE/vdevfn-0)" 10 "vdevfn-0"
expect_eq "$(xenstore-read /local/domain/1/device/pci/0/backend)" $BE "frontend backend"
# every function of a slot, function 0 last
$P attach --run-dir "$DIR" 1 '0000:04:00.*' || fail "attach 04:00.*"
out=$($P list --run-dir "$DIR" web | tr -s ' ')
expect_eq "$out" "Vdev BDF Options
- 0000:03:00.0 msitranslate=0,power_mgmt=0,permissive=1,rdm_policy=strict,name=nic
- 0000:04:00.1 msitranslate=0,power_mgmt=0,permissive=0,rdm_policy=strict
- 0000:04:00.0 msitranslate=0,power_mgmt=0,permissive=0,rdm_policy=strict" "list"

# refusals: exit codes and messages
set +e
err=$($P attach --run-dir "$DIR" 1 '04:00.0,bogus=1' 2>&1); rc=$?
expect_eq "$rc" 2 "bad spec exit code"
echo "$err" | grep -q "unknown key 'bogus' at 8" || fail "bad spec message: $err"
err=$($P attach --run-dir "$DIR" 1 '04:00.0' 2>&1); rc=$?
expect_eq "$rc" 1 "duplicate exit code"
expect_eq "$err" "pvpci attach: 0000:04:00.0 is already attached to domain 1" "duplicate"
err=$($P attach --run-dir "$DIR" 9 '03:00.0' 2>&1); rc=$?
expect_eq "$rc" 1 "unknown domain exit code"
expect_eq "$err" "pvpci attach: domain 9 does not exist (no /local/domain/9)" "unknown domain"
err=$($P attach --run-dir "$DIR" nosuch '03:00.0' 2>&1); rc=$?
expect_eq "$err" "pvpci attach: nosuch: no such domain" "unknown domain name"
err=$($P detach --run-dir "$DIR" 1 '07:00.0' 2>&1); rc=$?
expect_eq "$rc" 1 "detach not attached exit code"
set -e

# cold detach of the middle entry renumbers
$P detach --run-dir "$DIR" web 0000:04:00.1 || fail "detach 04:00.1"
expect_eq "$(xenstore-read $BE/num_devs)" 2 "num_devs after detach"
expect_eq "$(xenstore-read $BE/dev-1)" 0000:04:00.0 "dev-1 after detach"
xenstore-exists $BE/dev-2 && fail "dev-2 still there"
out=$($P assignable-list --run-dir "$DIR" | tail -n +2 | tr -s ' ')
expect_eq "$out" "0000:03:00.0 1 /m/nic.model
0000:04:00.0 1 /m/a.model
0000:04:00.1 - /m/b.model" "assignable-list after"

# a connected guest whose backend does not answer: a clear timeout
xenstore-write /local/domain/1/device/pci/0/state 4 $BE/state 4
set +e
err=$($P detach --run-dir "$DIR" --timeout 200 web 0000:04:00.0 2>&1); rc=$?
set -e
expect_eq "$rc" 1 "timeout exit code"
echo "$err" | grep -q "not Connected after the unplug within 200 ms (backend state 7" ||
	fail "timeout message: $err"

# back to a cold guest: the last two go, the whole device is removed
xenstore-write /local/domain/1/device/pci/0/state 1 $BE/state 1
$P detach --run-dir "$DIR" web 0000:04:00.0 || fail "detach 04:00.0"
$P detach --run-dir "$DIR" web 0000:03:00.0 || fail "detach 03:00.0"
xenstore-exists /local/domain/0/backend/pci/1 && fail "backend dir left"
xenstore-exists /local/domain/1/device/pci && fail "frontend dir left"
out=$($P list --run-dir "$DIR" web)
expect_eq "$out" "Vdev          BDF           Options" "empty list"
echo "ok"
