#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Style checks the README promises: every file starts with an SPDX line, C files stay under
# 800 lines and functions under 70 lines (a function body is counted from its opening brace
# in column 0 to the closing one). Prints offenders; exits 1 if any.
set -u
cd "$(dirname "$0")/.."
git rev-parse --is-inside-work-tree >/dev/null 2>&1 || { echo "not a git tree: skipped"; exit 77; }
bad=0
for f in $(git ls-files '*.c' '*.h' '*.sh' '*.py' 'meson.build' '*/meson.build' 'Makefile'); do
	head -3 "$f" | grep -q 'SPDX-License-Identifier' || { echo "no SPDX line: $f"; bad=1; }
done
for f in $(git ls-files 'src/*.c' 'src/*.h' 'include/*.h' 'tools/*.c'); do
	n=$(wc -l <"$f")
	[ "$n" -le 800 ] || { echo "file over 800 lines ($n): $f"; bad=1; }
	awk -v f="$f" '
		/^[a-zA-Z].*\)$/ || /^[a-zA-Z].*\) *PVPCI/ { sig = $0 }
		/^\{/ { start = NR; name = sig }
		/^\}/ && start { len = NR - start - 1; if (len > 70) { printf "function over 70 lines (%d): %s: %s\n", len, f, name; rc = 1 } start = 0 }
		END { exit rc }' "$f" || bad=1
done
exit $bad
