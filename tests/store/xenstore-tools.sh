#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Functional test: Debian's xenstore-* tools (libxenstore clients) against a pvpci store.
# Starts the test server on a temporary directory (domain 0 and guest domain 1), then
# drives xenstore-write / -read / -ls / -rm / -chmod / -watch through XENSTORED_PATH and
# checks what they print and which accesses the guest's socket is refused.
# Usage: xenstore-tools.sh STORE_SERVER   (exit 77 = skipped: tools not installed)
set -euo pipefail
server=$1
for t in xenstore-read xenstore-write xenstore-ls xenstore-rm xenstore-chmod xenstore-watch; do
	command -v "$t" >/dev/null || { echo "skip: $t not installed"; exit 77; }
done

dir=$(mktemp -d /tmp/pvpci-xstools-XXXXXX)
"$server" "$dir" 1 &
pid=$!
cleanup() {
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT
for _ in $(seq 100); do
	[ -S "$dir/socket.1" ] && break
	sleep 0.05
done
[ -S "$dir/socket.1" ] || { echo "FAIL: server did not start"; exit 1; }

dom0=$dir/socket
guest=$dir/socket.1
export XENSTORED_PATH=$dom0
fail() { echo "FAIL: $*"; exit 1; }
check() { [ "$1" == "$2" ] || fail "$3: expected '$1', got '$2'"; }

# write / read
xenstore-write /tool/a 1 /tool/b "two words"
check "1" "$(xenstore-read /tool/a)" "xenstore-read"
check "two words" "$(xenstore-read /tool/b)" "xenstore-read of a value with a space"
xenstore-read /tool/missing 2>/dev/null && fail "xenstore-read of a missing node succeeded"

# ls, with and without permissions
check $'a = "1"\nb = "two words"' "$(xenstore-ls /tool)" "xenstore-ls"
xenstore-ls / | grep -q '^ domain = ""' || fail "xenstore-ls / does not list /local/domain"
xenstore-ls -p /tool | grep -q '^a = "1".*(n0)$' || fail "xenstore-ls -p: $(xenstore-ls -p /tool)"

# chmod, and what the guest may then do
xenstore-chmod /tool/a n0 r1
xenstore-ls -p /tool | grep -q '^a = "1".*(n0,r1)$' || fail "xenstore-chmod: $(xenstore-ls -p /tool)"
check "1" "$(XENSTORED_PATH=$guest xenstore-read /tool/a)" "guest read of a readable node"
XENSTORED_PATH=$guest xenstore-read /tool/b 2>/dev/null && fail "guest read an unreadable node"
XENSTORED_PATH=$guest xenstore-write /tool/a 2 2>/dev/null && fail "guest wrote a read-only node"
xenstore-chmod -r /tool n0 b1
XENSTORED_PATH=$guest xenstore-write /tool/b guest
check "guest" "$(xenstore-read /tool/b)" "guest write after recursive chmod"

# a guest's relative paths land in its home
XENSTORED_PATH=$guest xenstore-write name guest1
check "guest1" "$(xenstore-read /local/domain/1/name)" "guest relative write"
XENSTORED_PATH=$guest xenstore-read /local/domain/0 2>/dev/null && fail "guest read dom0's home"

# rm
xenstore-rm /tool/b
xenstore-read /tool/b 2>/dev/null && fail "xenstore-rm left the node"

# watch: registration event first, then the change
out=$dir/watch.out
timeout 10 xenstore-watch -n 2 /tool >"$out" &
wpid=$!
for _ in $(seq 100); do
	grep -q '^/tool$' "$out" 2>/dev/null && break
	sleep 0.05
done
grep -q '^/tool$' "$out" || fail "xenstore-watch: no registration event"
xenstore-write /tool/c x
wait "$wpid" || fail "xenstore-watch did not see 2 events"
check $'/tool\n/tool/c' "$(cat "$out")" "xenstore-watch events"

echo "xenstore tools: all checks passed"
