#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Prints one closing line for every meson test run named on the command line (the build
# dirs), counting cmocka cases: "tests: N passed, N failed".
set -euo pipefail
pass=0; fail=0
for b in "$@"; do
	log="$b/meson-logs/testlog.txt"
	[ -f "$log" ] || continue
	p=$(grep -hoE '^\[  PASSED  \] [0-9]+ test' "$log" | awk '{s+=$4} END {print s+0}' || true)
	f=$(grep -hoE '^\[  FAILED  \] [0-9]+ test' "$log" | awk '{s+=$4} END {print s+0}' || true)
	pass=$((pass + p)); fail=$((fail + f))
done
echo "tests: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
