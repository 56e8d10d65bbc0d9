#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The command line and the operator's side: every misuse exits 2 with one
# clear line; a missing privilege or BTF exits 1 saying what to do; names a
# process chose are escaped; signals flush the report and detach
# everything. One "ok NAME" / "FAIL NAME: why" line per test.
set -uo pipefail

tool=$1
bin=$2
# shellcheck source=../lib/wait.sh
. "$(dirname "$0")/../lib/wait.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"; kill $(jobs -p) 2>/dev/null' EXIT

ok() { echo "ok cli $1"; }
fail() { echo "FAIL cli $1: $2"; }

# usage_error NAME ARGS...: exit 2, exactly one line on stderr naming it.
usage_error() {
	local name=$1 rc lines
	shift
	"$tool" "$@" >"$work/out" 2>"$work/err"
	rc=$?
	lines=$(wc -l <"$work/err")
	if [[ $rc -eq 2 && $lines -eq 1 && -s $work/err ]]; then
		ok "usage error: $name"
	else
		fail "usage error: $name" "exit $rc, $lines lines: $(head -c 300 "$work/err")"
	fi
}

usage_error "unknown option" trace --bogus
usage_error "missing argument" report -p
usage_error "PID not a number" top -p abc
usage_error "no such PID" report -p 2147483646
usage_error "cgroup that does not exist" trace --cgroup /no/such/cgroup
usage_error "interval 0" top 0
usage_error "interval not a number" top soon
usage_error "count not a number" top 1 many
usage_error "duration negative" report -d -5
usage_error "extra argument" trace 1 2
usage_error "bad sort key" top -s size
usage_error "max-procs out of range" features --max-procs 1
usage_error "unwritable output file" report -d 1 -o /proc/no/such/file
usage_error "unwritable events file" run --events /proc/no/file -- /bin/true
usage_error "run without a command" run
usage_error "unknown command" frobnicate
usage_error "no command" ""
usage_error "BTF file missing" features --btf /no/such/btf
usage_error "exporter: --listen not ADDR:PORT" exporter --listen 9877
usage_error "exporter: --listen port 0" exporter --listen 127.0.0.1:0
usage_error "exporter: interval 0" exporter -i 0
usage_error "exporter: extra argument" exporter now
python3 -c 'import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1)
print(s.getsockname()[1], flush=True); time.sleep(30)' >"$work/busy" &
busy=$!
mla_wait_file "$work/busy" 50 -s
usage_error "exporter: port in use" exporter --listen "127.0.0.1:$(cat "$work/busy")"
kill "$busy"

# missing_feature NAME PATTERN COMMAND...: exit 1, the message matches.
missing_feature() {
	local name=$1 pattern=$2 rc
	shift 2
	"$@" >"$work/out" 2>"$work/err"
	rc=$?
	if [[ $rc -eq 1 ]] && grep -qE "$pattern" "$work/err"; then
		ok "missing feature: $name"
	else
		fail "missing feature: $name" "exit $rc: $(head -c 300 "$work/err")"
	fi
}

# not root: nobody, with no capabilities at all
missing_feature "no privileges" "needs root, or CAP_BPF and CAP_PERFMON" \
	setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
	"$tool" features
printf 'not BTF' >"$work/bad.btf"
missing_feature "BTF file unreadable" "cannot read BTF from" \
	"$tool" features --btf "$work/bad.btf"

# What this kernel lacks is said in features, with the fix.
"$tool" features >"$work/features" 2>&1
if grep -qE "precise +kprobe +off +no kprobes in this kernel|precise +(kprobe|fexit) +active" "$work/features"; then
	ok "features says why a tier is off"
else
	fail "features says why a tier is off" "$(head -c 400 "$work/features")"
fi

# A process whose name steers terminals: escaped in the table, valid JSON
# with the same escaped name. The kernel keeps its first 15 bytes.
hostile=$'\e[31mred\e]0;x\a\n\t\xff\xfe'
"$bin/namer" "$hostile" 60 &
namer=$!
sleep 0.3
"$tool" report -d 1 -p "$namer" >"$work/table" 2>&1
"$tool" report -d 1 -p "$namer" --json --prometheus "$work/prom" >"$work/json" 2>&1
kill "$namer" 2>/dev/null
wait "$namer" 2>/dev/null
if LC_ALL=C grep -qP '[\x00-\x08\x0b-\x1f\x7f\x80-\xff]' "$work/table"; then
	fail "hostile name escaped in the table" "raw control or invalid bytes: $(od -c "$work/table" | head -5)"
elif grep -qF '\x1b[31mred\x1b]0;x\x07\x0a ' "$work/table"; then
	ok "hostile name escaped in the table"
else
	fail "hostile name escaped in the table" "$(head -c 400 "$work/table")"
fi
if python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
names = [p["comm"] for p in d["processes"]]
sys.exit(0 if names == ["\\x1b[31mred\\x1b]0;x\\x07\\x0a"] else 1)' "$work/json" 2>/dev/null; then
	ok "hostile name as valid JSON"
else
	fail "hostile name as valid JSON" "$(head -c 400 "$work/json")"
fi

if promtool check metrics <"$work/prom" >"$work/promtool" 2>&1 &&
	grep -qF 'comm="\\x1b[31mred\\x1b]0;x\\x07\\x0a"' "$work/prom"; then
	ok "hostile name as a valid Prometheus label (promtool)"
else
	fail "hostile name as a valid Prometheus label (promtool)" "$(cat "$work/promtool") $(grep comm= "$work/prom" | head -2)"
fi

# run: the command and its children under the names exec gave them, also
# when they charged nothing (their names come from their exec).
"$tool" run --json -o "$work/names.json" -- sh -c 'sleep 0.2; true' \
	>/dev/null 2>"$work/names.err"
if python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if sorted(p["comm"] for p in d["processes"]) == ["sh", "sleep"] else 1)' \
	"$work/names.json" 2>/dev/null; then
	ok "run: processes named after their programs"
else
	fail "run: processes named after their programs" "$(head -c 400 "$work/names.json") $(head -c 200 "$work/names.err")"
fi

# run: a pid of the tree's, free again and given to a process from
# outside (ns_last_pid), is not taken for one of the command's children
# when that process runs a program.
"$tool" run --json -o "$work/reuse.json" -- \
	sh -c "sh -c 'exit 0' & echo \$! >$work/cpid; wait; sleep 3" \
	>/dev/null 2>&1 &
runner=$!
mla_wait_file "$work/cpid" 50 -s
cpid=$(cat "$work/cpid" 2>/dev/null)
intruder=
for try in 1 2 3 4 5; do
	[[ -n $cpid ]] || break
	echo $((cpid - 1)) >/proc/sys/kernel/ns_last_pid
	"$bin/namer" intruder 1 &
	intruder=$!
	[[ $intruder == "$cpid" ]] && break
	kill "$intruder" 2>/dev/null
	wait "$intruder" 2>/dev/null
	intruder=
done
wait "$runner"
if [[ -z $intruder ]]; then
	fail "run: a recycled pid is not adopted" "could not give pid ${cpid:-?} to another process (ns_last_pid)"
elif python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(1 if any(p["comm"] in ("namer", "intruder") for p in d["processes"]) else 0)' \
	"$work/reuse.json"; then
	ok "run: a recycled pid is not adopted"
else
	fail "run: a recycled pid is not adopted" "pid $cpid reported: $(head -c 600 "$work/reuse.json")"
fi
wait "$intruder" 2>/dev/null

# Signals: the report is still printed, and nothing stays attached.
progs_attached() { bpftool prog show 2>/dev/null | grep -c 'name sys_exit_mlock\b'; }
before=$(progs_attached)
for sig in INT TERM HUP; do
	rm -f "$work/ready"
	"$tool" report --json --ready-file "$work/ready" >"$work/sig" 2>&1 &
	pid=$!
	mla_wait_file "$work/ready" 100
	kill -s "$sig" "$pid"
	wait "$pid"
	rc=$?
	if [[ $rc -eq 0 ]] && python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$work/sig" 2>/dev/null &&
		[[ $(progs_attached) -eq $before ]]; then
		ok "SIG$sig: report flushed, probes detached"
	else
		fail "SIG$sig: report flushed, probes detached" "exit $rc, attached $(progs_attached) (before $before): $(head -c 200 "$work/sig")"
	fi
done
rm -f "$work/ready"
"$tool" trace --ready-file "$work/ready" >/dev/null 2>&1 &
pid=$!
mla_wait_file "$work/ready" 100
kill -KILL "$pid"
wait "$pid" 2>/dev/null
sleep 0.5
if [[ $(progs_attached) -eq $before ]]; then
	ok "SIGKILL leaves nothing attached"
else
	fail "SIGKILL leaves nothing attached" "$(progs_attached) programs still loaded"
fi
if [[ -s $work/ready ]]; then
	ok "ready file written once attached"
else
	fail "ready file written once attached" "empty or missing"
fi

# The systemd unit, as installed: systemd accepts it, and its capability
# set is enough (and CAP_SYS_ADMIN needed) to account for another user's
# process exactly. systemd is not PID 1 here, so the unit's sandbox is
# not exercised; its capabilities are, through setpriv, as systemd would
# give them to root's uid (the bounding set).
top=$(cd "$(dirname "$0")/../.." && pwd)
make -s -C "$top" install DESTDIR="$work/inst" PREFIX=/usr >/dev/null 2>&1
units=$work/inst/usr/lib/systemd/system
unit=$units/memlockacct.service
for u in memlockacct.service memlockacct-exporter.service; do
	if [[ ! -f $units/$u ]]; then
		fail "systemd unit $u: systemd-analyze verify" "make install put no unit in $units"
		continue
	fi
	sed "s|^ExecStart=/usr/sbin/memlockacct |ExecStart=$(readlink -f "$tool") |" "$units/$u" >"$work/$u"
	if systemd-analyze verify --man=no "$work/$u" >"$work/verify" 2>&1; then
		ok "systemd unit $u: systemd-analyze verify"
	else
		fail "systemd unit $u: systemd-analyze verify" "$(head -c 400 "$work/verify")"
	fi
done
caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$unit" 2>/dev/null | tr '[:upper:]' '[:lower:]' | sed 's/cap_/+/g; s/ /,/g')
setpriv --reuid=65534 --regid=65534 --clear-groups "$bin/namer" unitcaps 30 &
held=$!
sleep 0.3
with_caps() {
	rm -f "$work/unit.prom"
	setpriv --bounding-set="-all,$1" --inh-caps=-all \
		"$tool" top --noclear --prometheus "$work/unit.prom" 0.5 2 >/dev/null 2>"$work/caps.err"
}
want=$(awk '/^VmLck:/ { print $2 * 1024 }' "/proc/$held/status")
if [[ -z $caps ]]; then
	fail "systemd unit: its capabilities are enough" "no CapabilityBoundingSet= in $unit"
elif with_caps "$caps" &&
	got=$(sed -n "s/^memlockacct_locked_bytes{pid=\"$held\",comm=\"unitcaps\",vm=\"\",cgroup=\"[^\"]*\",.*source=\"mlock\"} //p" "$work/unit.prom") &&
	[[ $want == 65536 && $got == "$want" ]]; then
	ok "systemd unit: its capabilities ($caps) are enough: another user's $got bytes mlocked, as /proc says"
else
	fail "systemd unit: its capabilities are enough" "with $caps: exit $?, /proc $want bytes, textfile '${got:-}': $(head -c 300 "$work/caps.err")"
fi
if with_caps "${caps//,+sys_admin/}"; then
	fail "systemd unit: CAP_SYS_ADMIN is needed" "it ran without it: drop it from the unit and the man page"
elif grep -q "Operation not permitted" "$work/caps.err"; then
	ok "systemd unit: CAP_SYS_ADMIN is needed (module BTF): without it, EPERM"
else
	fail "systemd unit: CAP_SYS_ADMIN is needed" "$(head -c 300 "$work/caps.err")"
fi
# the exporter unit's capabilities, on a free loopback port
xunit=$units/memlockacct-exporter.service
xcaps=$(sed -n 's/^CapabilityBoundingSet=//p' "$xunit" 2>/dev/null | tr '[:upper:]' '[:lower:]' | sed 's/cap_/+/g; s/ /,/g')
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
setpriv --bounding-set="-all,${xcaps:-+bpf}" --inh-caps=-all \
	"$tool" exporter -i 0.5 --listen "127.0.0.1:$port" >/dev/null 2>"$work/xcaps.err" &
xpid=$!
scrape() {
	python3 - "$port" "$held" <<'PY'
import re, sys, time, urllib.request
end = time.monotonic() + 10
while time.monotonic() < end:
    try:
        body = urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/metrics", timeout=2).read().decode()
        m = re.search(r'^memlockacct_locked_bytes\{pid="%s",comm="unitcaps",.*source="mlock"\} (\d+)$' % sys.argv[2], body, re.M)
        if m:
            print(m.group(1))
            break
    except OSError:
        pass
    time.sleep(0.2)
PY
}
got=$(scrape)
if [[ -n $xcaps && $want == 65536 && $got == "$want" ]]; then
	ok "systemd unit memlockacct-exporter.service: its capabilities ($xcaps) are enough: /metrics says another user's $got bytes mlocked, as /proc says"
else
	fail "systemd unit memlockacct-exporter.service: its capabilities are enough" "with '$xcaps': /proc $want bytes, /metrics '${got:-}': $(head -c 300 "$work/xcaps.err")"
fi
kill "$xpid" 2>/dev/null
wait "$xpid" 2>/dev/null
kill "$held" 2>/dev/null
wait "$held" 2>/dev/null
