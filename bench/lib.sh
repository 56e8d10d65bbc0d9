# SPDX-License-Identifier: GPL-2.0
# Shared by the bench scripts: start and stop a tracer. The caller sets
# top, out, tool and work (a scratch directory).

wait_for() { # FILE or PATTERN-in-FILE, up to 60 s
	local i
	for i in $(seq 600); do
		if [[ -n ${2:-} ]]; then grep -q "$2" "$1" 2>/dev/null && return 0
		else [[ -e $1 ]] && return 0; fi
		sleep 0.1
	done
	return 1
}

# start CONFIG: start a tracer; sets TRACER (its pid, or empty)
start() {
	TRACER=
	rm -f "$work/ready" "$work/tracer.out"
	case $1 in
	none) return 0 ;;
	floor) "$out/bench/floor" "$work/ready" &
		TRACER=$!; wait_for "$work/ready" ;;
	memlockacct) "$tool" report --json -o /dev/null --ready-file "$work/ready" \
			>/dev/null 2>&1 &
		TRACER=$!; wait_for "$work/ready" ;;
	# every change streamed and printed (report aggregates in the kernel)
	trace) "$tool" trace --ready-file "$work/ready" \
			>/dev/null 2>&1 &
		TRACER=$!; wait_for "$work/ready" ;;
	bpftrace) bpftrace "$top/bench/memlockacct.bt" >"$work/tracer.out" 2>&1 &
		TRACER=$!; wait_for "$work/tracer.out" "^ready" ;;
	esac
}

stop() {
	[[ -n $TRACER ]] || return 0
	# bpftrace 0.17 now and then misses the first signal (seen in this
	# bench: a stall of 14 minutes): repeat it until the tracer is gone
	local i
	for i in $(seq 100); do
		kill -TERM "$TRACER" 2>/dev/null || break
		sleep 0.2
		kill -0 "$TRACER" 2>/dev/null || break
	done
	wait "$TRACER" 2>/dev/null
}
