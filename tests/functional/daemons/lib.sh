# SPDX-License-Identifier: MIT
# Shared helpers of the daemon tests (sourced, not run): a temporary run directory, a
# `pvpci host` on it, background processes remembered by pid and killed by pid on exit
# (with their logs shown when the test failed), bounded waits for a line in a log, and
# expectations on output and exit codes. Every wait has a timeout.

PVPCI=$1
DATA=$2
DIR=$(mktemp -d /tmp/pvpci-dmn-XXXXXX)
BG_PIDS=()
TEST_OK=0
P="timeout 20 $PVPCI"
export PVPCI_RUN_DIR="$DIR"

cleanup() {
	local i
	for i in "${!BG_PIDS[@]}"; do
		kill "${BG_PIDS[$i]}" 2>/dev/null
	done
	for i in "${!BG_PIDS[@]}"; do
		wait_pid "${BG_PIDS[$i]}" 5 || kill -9 "${BG_PIDS[$i]}" 2>/dev/null
	done
	if [ "$TEST_OK" != 1 ]; then
		for f in "$DIR"/*.log; do
			[ -f "$f" ] && { echo "---- $f" >&2; tail -n 40 "$f" >&2; }
		done
	fi
	rm -rf "$DIR"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fail() { echo "FAIL: $*" >&2; exit 1; }
expect_eq() { [ "$1" = "$2" ] || fail "$3: got '$1', expected '$2'"; }
expect_match() { echo "$1" | grep -q -- "$2" || fail "$3: '$1' does not match '$2'"; }

# alive PID: running (not a zombie waiting to be reaped).
alive() { kill -0 "$1" 2>/dev/null && ! ps -o stat= -p "$1" 2>/dev/null | grep -q Z; }

# wait_pid PID SECONDS: 0 once PID has ended (reaped: its status in WAIT_RC), 1 on
# timeout. Not from a subshell: only this shell can reap its children.
wait_pid() {
	local n=$(($2 * 20))
	while alive "$1"; do
		n=$((n - 1))
		[ $n -le 0 ] && return 1
		sleep 0.05
	done
	{ wait "$1"; } 2>/dev/null
	WAIT_RC=$?
	return 0
}

# bg NAME CMD...: run in the background, output in $DIR/NAME.log; pid in $BG_LAST.
bg() {
	local name=$1
	shift
	"$@" >"$DIR/$name.log" 2>&1 &
	BG_LAST=$!
	BG_PIDS+=("$BG_LAST")
}

# stop PID [SIGNAL]: signal it and wait (5 s, then SIGKILL); its exit status goes to
# STOP_RC; it is forgotten.
stop() {
	kill -"${2:-TERM}" "$1" 2>/dev/null
	if ! wait_pid "$1" 5; then
		kill -9 "$1" 2>/dev/null
		{ wait "$1"; } 2>/dev/null
		WAIT_RC=killed
	fi
	STOP_RC=$WAIT_RC
	forget "$1"
}

# forget PID: no longer killed at exit (it ended by itself).
forget() {
	local i
	for i in "${!BG_PIDS[@]}"; do
		[ "${BG_PIDS[$i]}" = "$1" ] && unset "BG_PIDS[$i]"
	done
	return 0
}

# wait_line FILE REGEX [SECONDS]: until a line of FILE matches (default 10 s).
wait_line() {
	local n=$((${3:-10} * 20))
	until grep -q -- "$2" "$1" 2>/dev/null; do
		n=$((n - 1))
		[ $n -le 0 ] && fail "timed out waiting for '$2' in $(basename "$1")"
		sleep 0.05
	done
}

start_host() {
	bg host "$PVPCI" host --run-dir "$DIR"
	HOST_PID=$BG_LAST
	wait_line "$DIR/host.log" "serving"
}

# start_backend ARGS...: a backend on $DIR; waits until it serves.
start_backend() {
	bg backend "$PVPCI" backend --run-dir "$DIR" -v "$@"
	BACKEND_PID=$BG_LAST
	wait_line "$DIR/backend.log" "pvpci backend: serving"
}

# start_watch DOMID [GLOBAL ARGS...]: the guest's watch agent (with $WATCH_ARGS after
# "watch"); waits until it is connected.
start_watch() {
	local dom=$1
	shift
	bg watch "$PVPCI" guest --run-dir "$DIR" "$@" "$dom" watch ${WATCH_ARGS:-}
	WATCH_PID=$BG_LAST
	wait_line "$DIR/watch.log" "watching"
}

# rc CMD...: the exit status of CMD (output discarded).
rc() { "$@" >/dev/null 2>&1; echo $?; }
