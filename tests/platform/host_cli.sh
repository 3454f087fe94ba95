#!/bin/sh
# SPDX-License-Identifier: MIT
# Functional test of `pvpci host` and the domain commands: start a host on a temporary
# run dir, list its tree with Debian's xenstore-ls, refuse a second host, create / list /
# destroy domains through the CLI (a guest's store socket confines it to its own nodes,
# @releaseDomain fires), then SIGTERM: the host exits 0 and removes its sockets.
# Usage: host_cli.sh PVPCI
set -u
PVPCI=$1
dir=$(mktemp -d /tmp/pvpci-host-XXXXXX)
run="$dir/run"
hostpid=
watchpid=
cleanup() {
	[ -n "$watchpid" ] && kill -KILL "$watchpid" 2>/dev/null
	[ -n "$hostpid" ] && kill -KILL "$hostpid" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; echo "--- host output:" >&2; cat "$dir/host.out" >&2; exit 1; }
expect() { # expect WHAT EXPECTED ACTUAL
	[ "$2" = "$3" ] || fail "$1: expected '$2', got '$3'"
}

"$PVPCI" host --run-dir "$run" >"$dir/host.out" 2>&1 &
hostpid=$!
i=0
while [ ! -S "$run/xenstored/socket" ] || [ ! -S "$run/platform.sock" ]; do
	i=$((i + 1))
	[ $i -gt 500 ] && fail "host did not start"
	kill -0 "$hostpid" 2>/dev/null || fail "host exited"
	sleep 0.01
done

XENSTORED_PATH="$run/xenstored/socket" xenstore-ls / >"$dir/ls.out" 2>&1 ||
	fail "xenstore-ls / failed: $(cat "$dir/ls.out")"
grep -q 'name = "Domain-0"' "$dir/ls.out" || fail "xenstore-ls: no Domain-0: $(cat "$dir/ls.out")"

timeout 5 "$PVPCI" host --run-dir "$run" >"$dir/second.out" 2>&1
expect "second host exit code" 1 $?
grep -q "already served" "$dir/second.out" || fail "second host message: $(cat "$dir/second.out")"

expect "domain-create web1" 1 "$("$PVPCI" domain-create --run-dir "$run" web1)"
expect "domain-create web2" 2 "$(PVPCI_RUN_DIR="$run" "$PVPCI" domain-create web2)"
"$PVPCI" domain-create --run-dir "$run" web1 >/dev/null 2>&1
expect "duplicate name exit code" 1 $?
"$PVPCI" domain-list --run-dir "$run" >"$dir/list.out" || fail "domain-list"
expect "domain-list" "ID     NAME
0      Domain-0
1      web1
2      web2" "$(cat "$dir/list.out")"

expect "dom0 reads the new domain's name" web1 \
	"$(XENSTORED_PATH="$run/xenstored/socket" xenstore-read /local/domain/1/name)"
expect "guest reads its own name" web1 \
	"$(XENSTORED_PATH="$run/domains/1/xenstored.sock" xenstore-read /local/domain/1/name)"
XENSTORED_PATH="$run/domains/1/xenstored.sock" xenstore-read /local/domain/2/name \
	>/dev/null 2>&1 && fail "guest 1 read guest 2's name"
XENSTORED_PATH="$run/domains/1/xenstored.sock" xenstore-write /local/domain/1/data/k v ||
	fail "guest cannot write its data dir"

# @releaseDomain: once on registration, once per destroy
XENSTORED_PATH="$run/xenstored/socket" timeout 5 xenstore-watch -n 3 @releaseDomain \
	>"$dir/watch.out" 2>&1 &
watchpid=$!
sleep 0.2
"$PVPCI" domain-destroy --run-dir "$run" web1 || fail "domain-destroy web1"
"$PVPCI" domain-destroy --run-dir "$run" 2 || fail "domain-destroy 2"
"$PVPCI" domain-destroy --run-dir "$run" 7 2>"$dir/destroy.err"
expect "destroy of a missing domain" 1 $?
grep -q "no such domain" "$dir/destroy.err" || fail "destroy message: $(cat "$dir/destroy.err")"
wait "$watchpid"
expect "xenstore-watch exit code" 0 $?
watchpid=
expect "@releaseDomain events" 3 "$(grep -c '^@releaseDomain' "$dir/watch.out")"
expect "domain-list after destroy" "ID     NAME
0      Domain-0" "$("$PVPCI" domain-list --run-dir "$run")"
XENSTORED_PATH="$run/xenstored/socket" xenstore-read /local/domain/1/name >/dev/null 2>&1 &&
	fail "/local/domain/1 survived its domain"
[ -e "$run/domains/1" ] && fail "run dir of domain 1 survived"

kill -TERM "$hostpid"
i=0
while kill -0 "$hostpid" 2>/dev/null; do
	i=$((i + 1))
	[ $i -gt 500 ] && fail "host did not stop on SIGTERM"
	sleep 0.01
done
wait "$hostpid"
expect "host exit code" 0 $?
hostpid=
[ -e "$run/platform.sock" ] && fail "platform.sock left behind"
[ -e "$run/xenstored/socket" ] && fail "store socket left behind"
grep -q "stopped" "$dir/host.out" || fail "no stop message"
echo "ok"
