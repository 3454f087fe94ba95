#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Functional test of `pvpci replay`: each traces/NAME.trace names its model and options on
# its first line ("# pvpci replay [OPTIONS] MODEL"); its output must equal
# expected/NAME.out exactly, and the exit code must be 0.
# Usage: replay.sh PVPCI DATA_DIR TRACE_DIR EXPECTED_DIR
set -euo pipefail
pvpci=$1; data=$2; traces=$3; expected=$4
fail=0; n=0
for t in "$traces"/*.trace; do
	name=$(basename "$t" .trace)
	read -r -a args < <(head -1 "$t" | sed -e 's/^# pvpci replay //')
	model=${args[${#args[@]}-1]}
	unset 'args[${#args[@]}-1]'
	out=$(mktemp)
	rc=0
	"$pvpci" replay "${args[@]}" "$data/$model" "$t" >"$out" 2>/dev/null || rc=$?
	if [ $rc -ne 0 ]; then
		echo "FAIL $name: exit code $rc"; fail=1
	elif ! diff -u "$expected/$name.out" "$out"; then
		echo "FAIL $name: output differs from $expected/$name.out"; fail=1
	fi
	rm -f "$out"; n=$((n + 1))
done
[ $n -gt 0 ] || { echo "no traces in $traces"; exit 1; }
echo "replay: $n traces checked"
exit $fail
