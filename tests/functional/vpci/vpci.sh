#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Functional test of the vpci personality of the CLI: on every bundled model,
# `pvpci view --policy vpci` must succeed and be decoded by Debian's `lspci -F`, and
# traces/any.trace must replay; then each traces/NAME.trace (model and options on its
# first line, "# pvpci replay [OPTIONS] MODEL") must print expected/NAME.out exactly.
# Usage: vpci.sh PVPCI DATA_DIR TRACE_DIR EXPECTED_DIR
set -euo pipefail
pvpci=$1; data=$2; traces=$3; expected=$4
fail=0; n=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
for m in "$data"/*.model; do
	name=$(basename "$m")
	if ! "$pvpci" view --policy vpci "$m" >"$tmp/view" 2>"$tmp/err"; then
		echo "FAIL view --policy vpci $name"; cat "$tmp/err"; fail=1; continue
	fi
	if command -v lspci >/dev/null && ! lspci -vvv -F "$tmp/view" >/dev/null 2>&1; then
		echo "FAIL lspci -F on the vpci view of $name"; fail=1
	fi
	if ! "$pvpci" replay --policy vpci "$m" "$traces/any.trace" >"$tmp/out" 2>"$tmp/err"
	then
		echo "FAIL replay --policy vpci $name any.trace"; cat "$tmp/err"; fail=1
	fi
	n=$((n + 1))
done
for t in "$traces"/*.trace; do
	name=$(basename "$t" .trace)
	[ "$name" = any ] && continue
	read -r -a args < <(head -1 "$t" | sed -e 's/^# pvpci replay //')
	model=${args[${#args[@]}-1]}
	unset 'args[${#args[@]}-1]'
	rc=0
	"$pvpci" replay "${args[@]}" "$data/$model" "$t" >"$tmp/out" 2>/dev/null || rc=$?
	if [ $rc -ne 0 ]; then
		echo "FAIL $name: exit code $rc"; fail=1
	elif ! diff -u "$expected/$name.out" "$tmp/out"; then
		echo "FAIL $name: output differs from $expected/$name.out"; fail=1
	fi
done
# PV-only options are refused with the vpci policy.
if "$pvpci" view --policy vpci --permissive "$data/nic-msix.model" >/dev/null 2>&1; then
	echo "FAIL --permissive accepted with --policy vpci"; fail=1
fi
[ $n -gt 0 ] || { echo "no models in $data"; exit 1; }
echo "vpci: $n models viewed and replayed"
exit $fail
