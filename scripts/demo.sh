#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# pvpci demo (`make demo`): PCI passthrough over Xen's PV protocol, on the local platform.
# First, briefly, what the PV policy changes in a device as a guest sees it (pvpci view of
# a bundled model). Then the whole system: `pvpci host` on a temporary run directory, a
# guest domain, `pvpci backend` serving three model devices, two of them attached to the
# guest, which lists them through the protocol, enables MSI-X and receives an injected
# interrupt (its `pvpci guest watch` runs in the background), a third device hot-plugged
# and one unplugged while the watch runs, then everything torn down. Every command has a
# timeout; a trap kills what was started (by pid) and removes the run directory.
# Usage: scripts/demo.sh BUILD_DIR
set -euo pipefail
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
pvpci=$(cd "$build" 2>/dev/null && pwd)/tools/pvpci/pvpci
data=$root/tests/data
[ -x "$pvpci" ] || { echo "demo: $pvpci not built (make build)" >&2; exit 1; }
tmp=$(mktemp -d /tmp/pvpci-demo-XXXXXX)
run=$tmp/run
pids=()

cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do
		for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.05; done
		kill -9 "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'echo "demo: interrupted" >&2; exit 1' INT TERM

hr() { printf '\n== %s ==\n\n' "$1"; }
say() { printf '%s\n' "$*"; }
# show and run a pvpci command (20 s at most), its output indented
p() {
	printf '  $ pvpci %s\n' "$*"
	timeout 20 "$pvpci" "$@" 2>&1 | sed 's/^/      /'
	return "${PIPESTATUS[0]}"
}
# wait (10 s at most) until FILE has a line matching RE
wait_for() {
	for _ in $(seq 200); do grep -q -- "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done
	echo "demo: timed out waiting for '$2' in $(basename "$1")" >&2
	exit 1
}
shown=0
# the watch's lines not shown yet
watch_news() {
	local n
	n=$(wc -l <"$tmp/watch.log")
	[ "$n" -gt "$shown" ] && tail -n +"$((shown + 1))" "$tmp/watch.log" | head -n "$((n - shown))" |
		sed 's/^/      [guest watch] /'
	shown=$n
}
start() { # NAME CMD...: in the background, output in $tmp/NAME.log
	local name=$1
	shift
	"$@" >"$tmp/$name.log" 2>&1 &
	pids+=($!)
}

hr "1. What a PV guest sees of a device (PV policy, pciback semantics)"
model=$data/nic-msix.model
say "Model: $(sed -n '/^[0-9a-f][0-9a-f]:[0-9a-f][0-9a-f]\.[0-7] /{p;q}' "$model" | cut -c1-72)"
grep -v '^#' "$model" >"$tmp/host.txt"
"$pvpci" view "$model" >"$tmp/guest.txt"
say "Dwords where the guest's view differs from the device (docs/POLICY.md):"
awk '
function hex(s,    i, v) {
	v = 0
	for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
	return v
}
FNR == 1 { f++ }
/^[0-9a-f]+: / {
	o = hex(substr($1, 1, length($1) - 1))
	for (i = 2; i <= 17; i++) b[f, o + i - 2] = hex($i)
	if (o + 16 > sz[f]) sz[f] = o + 16
}
END {
	why[4] = "COMMAND: seized with decoding and bus mastering off"
	why[68] = "PM control: PME_En cleared at seize"
	why[64] = "PM capability: PME support hidden"
	why[80] = "MSI control: disabled at seize"
	why[112] = "MSI-X control: disabled at seize"
	for (o = 0; o < sz[1] && o < sz[2]; o += 4) {
		h = b[1, o] + b[1, o+1] * 256 + b[1, o+2] * 65536 + b[1, o+3] * 16777216
		g = b[2, o] + b[2, o+1] * 256 + b[2, o+2] * 65536 + b[2, o+3] * 16777216
		if (h != g) printf "  0x%03x  host %08x  guest %08x  %s\n", o, h, g, why[o]
	}
}' "$tmp/host.txt" "$tmp/guest.txt"

hr "2. The local platform: host daemon, a guest domain, the PCI backend"
mkdir -p "$run"
export PVPCI_RUN_DIR=$run
start host "$pvpci" host --run-dir "$run"
wait_for "$tmp/host.log" "serving"
say "  pvpci host serves the run directory $run (store, grants, event channels)"
p domain-create web
start backend "$pvpci" backend --run-dir "$run" -v \
	--device 0000:03:00.0="$data/nic-msix.model" \
	--device 0000:04:00.0="$data/virtio-net.model" \
	--device 0000:05:00.0="$data/vpd-storage.model"
wait_for "$tmp/backend.log" "pvpci backend: serving"
say "  pvpci backend serves 3 model devices; the host device list it published:"
p assignable-list

hr "3. Two devices for the guest (cold-plug: xl pci-attach's xenstore nodes)"
p attach web 03:00.0
p attach web 04:00.0
say "  The guest connects (grant, event channel, magic \"7\"), scans its virtual bus:"
p guest web lspci
p list web

hr "4. MSI-X and an interrupt"
start watch "$pvpci" guest --run-dir "$run" web watch
wait_for "$tmp/watch.log" "watching"
say "  The guest's watch runs in the background (it holds the guest's frontend):"
watch_news
p guest web write 00:00.0 0x4 2 0x6
p guest web read 00:00.0 0x4 2
p guest web msix 00:00.0 enable 4
say "  The host makes the device raise MSI-X vector 2:"
p inject irq 03:00.0 msix 2
wait_for "$tmp/watch.log" "interrupt:"
watch_news

hr "5. Hot-plug and unplug while the guest runs (Reconfiguring / Reconfigured)"
p attach web 05:00.0
wait_for "$tmp/watch.log" "device added: *00:02.0"
watch_news
p detach web 04:00.0
wait_for "$tmp/watch.log" "device removed: 00:01.0"
watch_news
p guest web lspci
p list web

hr "6. Teardown"
p detach web 03:00.0
p detach web 05:00.0
wait_for "$tmp/watch.log" "backend closed"
watch_news
for i in 2 1 0; do # watch (ended by itself), backend, host
	name=$(echo "host backend watch" | cut -d' ' -f$((i + 1)))
	pid=${pids[$i]}
	kill "$pid" 2>/dev/null || true
	for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
	wait "$pid" 2>/dev/null && say "  $name stopped" || say "  $name stopped (status $?)"
done
say "  backend log (what it did, by domain and device):"
grep -E "exported|released|connected|injected|unregistered" "$tmp/backend.log" |
	sed 's/^pvpci [a-z]*: /      /'
left=0
for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && left=$((left + 1)); done
pids=()
rm -rf "$tmp"
[ -e "$run" ] && { echo "demo: $run is still there" >&2; exit 1; }
say "  processes left: $left; run directory removed"
say ""
say "More: docs/DAEMONS.md (these commands), docs/RESTART.md, docs/TOOLSTACK.md, docs/POLICY.md;"
say "tests: make test."
