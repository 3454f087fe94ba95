#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Functional test of the device commands' interface: exit codes (0 ran, 1 failed or
# malformed trace, 2 bad usage), error messages naming the problem (and the trace line),
# `-` as TRACE for stdin, --help, and the --policy table. Usage: cli.sh PVPCI DATA_DIR
set -uo pipefail
pvpci=$1; data=$2
model=$data/nic-msix.model
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# expect CODE PATTERN -- ARGS...: run pvpci ARGS, check the exit code and that stderr (or
# stdout for code 0) matches the extended regex PATTERN.
expect() {
	local code=$1 pat=$2; shift 3
	local rc=0
	"$pvpci" "$@" >"$tmp/out" 2>"$tmp/err" <"${STDIN:-/dev/null}" || rc=$?
	if [ "$rc" -ne "$code" ]; then
		echo "FAIL: pvpci $*: exit $rc, expected $code"; cat "$tmp/err"; fail=1; return
	fi
	local where="$tmp/err"
	[ "$code" -eq 0 ] && where="$tmp/out"
	if ! grep -Eq -- "$pat" "$where"; then
		echo "FAIL: pvpci $*: output does not match '$pat'"; cat "$where"; fail=1
	fi
}

printf 'r 0x0 2\nbogus 1 2\n' >"$tmp/bad-cmd.trace"
printf 'r 0x0 2\n\n# fine\nw 0x4 2\n' >"$tmp/bad-args.trace"
printf 'r 0xzz 2\n' >"$tmp/bad-num.trace"
printf 'w 0x4 2 0x100000000\n' >"$tmp/bad-val.trace"
printf '  # indented comment\n\n\tr 4 2   # trailing comment\nr 0x0 4\n' >"$tmp/ok.trace"

expect 2 'usage: pvpci view'         -- view
expect 2 'expected one MODEL'        -- view "$model" extra
expect 2 "unknown option '--bogus'"  -- view --bogus "$model"
expect 2 "needs a value"             -- view "$model" --quirk
expect 2 'offset beyond 0xfff'        -- view --quirk 0x1001:4:1 "$model"
expect 2 "mask wider than the size"  -- view --quirk 0xa8:1:0x100 "$model"
expect 2 "unknown policy 'foo'"      -- view --policy foo "$model"
expect 0 '^0000:00:00.0 ' -- view --policy vpci "$model"
expect 1 "no-such.model"             -- view "$data/no-such.model"
expect 1 "overlaps a register"       -- view --quirk 0x4:2:0x2 "$model"
expect 0 '^0000:03:00.0 Ethernet'    -- view --policy pv --permissive "$model"
expect 0 'usage: pvpci view'         -- view --help
expect 0 'usage: pvpci replay'       -- replay --help
expect 2 'expected MODEL and TRACE'  -- replay "$model"
expect 1 'no-such.trace'             -- replay "$model" "$tmp/no-such.trace"
expect 1 'bad-cmd.trace:2: unknown command' -- replay "$model" "$tmp/bad-cmd.trace"
expect 1 'bad-args.trace:4: wrong number of arguments' -- replay "$model" "$tmp/bad-args.trace"
expect 1 'bad-num.trace:1: bad offset' -- replay "$model" "$tmp/bad-num.trace"
expect 1 'bad-val.trace:1: bad value' -- replay "$model" "$tmp/bad-val.trace"
expect 0 '^r 0x0 4 = 0x10fb8086$'    -- replay "$model" "$tmp/ok.trace"
STDIN="$tmp/ok.trace" expect 0 '^r 0x4 2 = 0x0000$' -- replay "$model" -

# A malformed trace stops at the bad line: what ran before is printed.
"$pvpci" replay "$model" "$tmp/bad-cmd.trace" >"$tmp/out" 2>/dev/null
if [ "$(cat "$tmp/out")" != "r 0x0 2 = 0x8086" ]; then
	echo "FAIL: lines before a malformed one"; cat "$tmp/out"; fail=1
fi
[ $fail -eq 0 ] && echo "cli: all checks passed"
exit $fail
