#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# pvpci demo (`make demo`). Issue 2: what a PV guest sees of a device. Takes a bundled model
# (an Intel 82599-like NIC), prints the dwords where the guest's view (pvpci view, PV
# policy) differs from the device as the host has it, each with the rule that explains
# it, then both views decoded by lspci side by side, then a short trace of guest accesses
# (pvpci replay). Usage: scripts/demo.sh BUILD_DIR
set -euo pipefail
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
pvpci=$build/tools/pvpci/pvpci
model=$root/tests/data/nic-msix.model
[ -x "$pvpci" ] || { echo "demo: $pvpci not built (make build)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

hr() { printf '\n== %s ==\n\n' "$1"; }

hr "pvpci demo: the guest's view of a passed-through device (PV policy, pciback semantics)"
echo "Device model: tests/data/nic-msix.model"
sed -n '/^[0-9a-f][0-9a-f]:[0-9a-f][0-9a-f]\.[0-7] /{p;q}' "$model" | sed 's/^/  /'

# Host view: the model's own dump. Guest view: every dword read through the policy.
grep -v '^#' "$model" >"$tmp/host.txt"
"$pvpci" view "$model" >"$tmp/guest.txt"

hr "Dwords that differ (host = the device as found, guest = what the PV guest reads)"
awk '
function hex(s,    i, v) {
	v = 0
	for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
	return v
}
function reason(off,    p) {
	if (off == 4) return "COMMAND: seized with decoding and bus mastering off; the guest " \
		"turns decoding on through the host enable path (XSA-120)"
	for (p in cap) {
		p += 0
		if (off < p || off >= p + 16) continue
		if (cap[p] == 1 && off == p)     return "PM capability: PME support bits hidden (PMEs are the host'"'"'s)"
		if (cap[p] == 1 && off == p + 4) return "PM control: PME_En cleared at seize, never writable"
		if (cap[p] == 5 && off == p)     return "MSI control: disabled at seize; enable needs allow_interrupt_control"
		if (cap[p] == 17 && off == p)    return "MSI-X control: disabled at seize; enable needs allow_interrupt_control"
	}
	return "(see docs/POLICY.md)"
}
FNR == 1 { f++ }
/^[0-9a-f]+: / {
	o = hex(substr($1, 1, length($1) - 1))
	for (i = 2; i <= 17; i++) b[f, o + i - 2] = hex($i)
	if (o + 16 > sz[f]) sz[f] = o + 16
}
END {
	# capability list of the host view
	if (int(b[1, 6] / 16) % 2) {
		p = b[1, 52] - b[1, 52] % 4; hops = 0
		while (p >= 64 && hops++ < 48) { cap[p] = b[1, p]; p = b[1, p + 1] - b[1, p + 1] % 4 }
	}
	n = 0
	printf "  %-6s %-10s %-10s %s\n", "offset", "host", "guest", "why"
	for (o = 0; o < sz[1] && o < sz[2]; o += 4) {
		h = b[1, o] + b[1, o+1] * 256 + b[1, o+2] * 65536 + b[1, o+3] * 16777216
		g = b[2, o] + b[2, o+1] * 256 + b[2, o+2] * 65536 + b[2, o+3] * 16777216
		if (h == g) continue
		n++
		printf "  0x%03x  %08x   %08x   %s\n", o, h, g, reason(o)
	}
	printf "\n  %d of %d dwords differ; BARs show the host addresses, everything else reads\n", n, sz[1] / 4
	printf "  as the device (registers the policy does not handle are read from the device).\n"
}' "$tmp/host.txt" "$tmp/guest.txt"

if command -v lspci >/dev/null; then
	hr "Decoded by lspci -vv: host view (left), guest view (right); | marks a difference"
	lspci -vv -F "$tmp/host.txt" 2>/dev/null | head -20 | expand | cut -c1-76 >"$tmp/h.l"
	lspci -vv -F "$tmp/guest.txt" 2>/dev/null | head -19 | expand | cut -c1-76 >"$tmp/g.l"
	diff -y -t -W 158 "$tmp/h.l" "$tmp/g.l" || true
else
	echo "(lspci not installed: skipping the decoded views)"
fi

hr "A guest at work (pvpci replay --allow-interrupt-control): accesses and what the policy did"
cat >"$tmp/demo.trace" <<'TRACE'
# sizing BAR0 (64-bit, 512K): emulated, the device keeps its address
w 0x10 4 0xffffffff
r 0x10 4
hr 0x10 4
w 0x10 4 0x0040000c
# a guest-chosen BAR address is ignored
w 0x10 4 0xdead0000
hr 0x10 4
# decoding + bus master + SERR: the host enables decoding, SERR stays virtual
w 0x4 2 0x0106
r 0x4 2
hr 0x4 2
# MSI on, then MSI-X refused while MSI is on (one interrupt type at a time)
w 0x52 2 0x0181
w 0x72 2 0x803f
# a register no rule covers: read from the device, write dropped (not permissive)
r 0xa8 2
w 0xa8 2 0x0000
# offsets are bounds-checked
r 0x1000 4
TRACE
# Each output line answers one access line; print them under the trace's comments.
"$pvpci" replay --allow-interrupt-control "$model" "$tmp/demo.trace" 2>/dev/null >"$tmp/out"
awk 'NR == FNR { if ($0 ~ /^#/) c[++n] = $0; else k[++m] = n; next }
     { if (k[FNR] != last) { print ""; print "  " c[k[FNR]]; last = k[FNR] } print "    " $0 }' \
	"$tmp/demo.trace" "$tmp/out"
echo
echo "Rules, one by one: docs/POLICY.md. Tests: make test."
