#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Functional test of `pvpci view`: the guest's view of every bundled model, piped into
# Debian's `lspci -vvv -F /dev/stdin`, must decode to the hand-checked text in
# expected/view-<model>.txt. Usage: view_lspci.sh PVPCI DATA_DIR EXPECTED_DIR
# Exit 77 (skip) without lspci.
set -euo pipefail
pvpci=$1; data=$2; expected=$3
command -v lspci >/dev/null || { echo "lspci missing: skipped"; exit 77; }
fail=0; n=0
for exp in "$expected"/view-*.txt; do
	name=$(basename "$exp" .txt); name=${name#view-}
	out=$(mktemp)
	if ! "$pvpci" view "$data/$name.model" 2>/dev/null | lspci -vvv -F /dev/stdin >"$out" 2>/dev/null; then
		echo "FAIL $name: pvpci view | lspci failed"; fail=1; rm -f "$out"; continue
	fi
	if ! diff -u "$exp" "$out"; then
		echo "FAIL $name: lspci output differs from $exp"; fail=1
	fi
	rm -f "$out"; n=$((n + 1))
done
[ $n -gt 0 ] || { echo "no expected files in $expected"; exit 1; }
echo "view: $n models checked"
exit $fail
