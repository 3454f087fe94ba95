#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs every built libFuzzer target for a short fixed-seed run (the `make test` smoke run;
# long runs are `make fuzz`-style by hand). Usage: fuzz-smoke.sh BUILD_DIR SECONDS
set -euo pipefail
build=$1; secs=$2
found=0
for t in "$build"/fuzz/*/fuzz_*; do
	[ -f "$t" ] && [ -x "$t" ] || continue
	found=1
	name=$(basename "$t")
	corpus=$(mktemp -d)
	echo "fuzz: $name for ${secs}s (seed 1)"
	if ! "$t" -seed=1 -max_total_time="$secs" -print_final_stats=0 "$corpus" >"$build/$name.log" 2>&1; then
		tail -40 "$build/$name.log"
		echo "fuzz: $name FAILED"
		rm -rf "$corpus"
		exit 1
	fi
	grep -E "^#[0-9]+ +DONE" "$build/$name.log" | tail -1 || true
	rm -rf "$corpus"
done
[ $found -eq 1 ] || echo "fuzz: no targets built"
