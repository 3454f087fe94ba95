#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `make bench`: runs every benchmark of bench/ with its default arguments, one after the
# other, printing each one's table. The figures and their reading are in
# docs/PERFORMANCE.md; run on a quiet machine (each bench prints the CPU it ran on).
# Usage: bench.sh BUILD_DIR
set -euo pipefail
build=${1:-build}
for b in regs/bench_regs pvback/bench_pvback vpci/bench_vpci store/bench_store \
	 platform/bench_evtchn protocol/bench_protocol; do
	exe="$build/bench/$b"
	if [ ! -x "$exe" ]; then
		echo "bench: $exe not built" >&2
		continue
	fi
	echo "== $b"
	"$exe"
	echo
done
