#!/bin/sh
# SPDX-License-Identifier: MIT
# Real-lspci round trip of the dump format: `lspci -D -xxxx` of this machine is parsed and
# written back by pvpci (via the dump_rewrite helper given as $1); the result must equal
# the original byte for byte, and Debian's `lspci -F` must read it and print the same
# -vvv decoding as for the original. Skips (77) without lspci or without PCI devices.
set -eu
rewrite=$1
command -v lspci >/dev/null 2>&1 || { echo "lspci not installed"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
lspci -D -xxxx >"$tmp/orig" 2>/dev/null || { echo "lspci failed"; exit 77; }
[ -s "$tmp/orig" ] || { echo "no PCI devices"; exit 77; }
"$rewrite" "$tmp/orig" >"$tmp/out"
cmp "$tmp/orig" "$tmp/out"
# Without -D lspci omits domain 0000; the writer always names it: same bytes otherwise.
lspci -xxxx >"$tmp/short" 2>/dev/null
"$rewrite" "$tmp/short" >"$tmp/out2"
cmp "$tmp/orig" "$tmp/out2"
lspci -F "$tmp/orig" -vvv >"$tmp/v_orig" 2>/dev/null
lspci -F "$tmp/out" -vvv >"$tmp/v_out" 2>/dev/null
[ -s "$tmp/v_out" ] || { echo "lspci -F printed nothing"; exit 1; }
cmp "$tmp/v_orig" "$tmp/v_out"
echo "round trip of $(grep -c '^[0-9a-f]*:[0-9a-f]*:[0-9a-f]*\.' "$tmp/orig") devices OK"
