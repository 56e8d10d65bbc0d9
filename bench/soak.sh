#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Soak: `memlockacct top` for SECONDS (default 600) while processes that
# lock memory come and go without a break; the tool's RSS is sampled every
# 10 s and must stay flat (the last sample within 10 % + 1 MiB of the one
# after warm-up). Prints the samples and "ok"/"FAIL".
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
tool=$top/memlockacct
churn=$top/.output/tests/churn
secs=${1:-600}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT

"$tool" top -C 1 >/dev/null 2>"$work/err" &
tool_pid=$!
( while :; do "$churn" 200 4 5 >/dev/null; done ) &
samples=()
for ((t = 0; t < secs; t += 10)); do
	sleep 10
	rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$tool_pid/status" 2>/dev/null)
	[[ -n $rss ]] || { echo "FAIL soak: the tool died: $(cat "$work/err")"; exit 1; }
	samples+=("$rss")
	echo "t=$((t + 10))s rss=${rss} KiB"
done
first=${samples[1]:-${samples[0]}}
last=${samples[-1]}
limit=$((first + first / 10 + 1024))
if ((last <= limit)); then
	echo "ok soak: RSS ${first} KiB after warm-up, ${last} KiB after ${secs} s"
else
	echo "FAIL soak: RSS grew from ${first} to ${last} KiB in ${secs} s"
	exit 1
fi
