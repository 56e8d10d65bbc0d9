#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Run every fuzz target: first over its corpus (seeds and the inputs that
# once crashed it: regressions), then for FUZZ_SECONDS of new inputs.
# One line per target: "ok fuzz NAME: N runs, cov C, ft F" or "FAIL ...";
# a crash is saved in tests/fuzz/corpus/NAME/ to be kept as a regression.
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
bin=${FUZZ_BIN:-$top/.output/fuzz}
secs=${FUZZ_SECONDS:-20}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for t in "$bin"/fuzz_*; do
	name=$(basename "$t")
	corpus=$top/tests/fuzz/corpus/$name
	mkdir -p "$corpus" "$work/$name"
	# new finds go to a scratch corpus; crashes straight to the kept one
	"$t" -max_total_time="$secs" -rss_limit_mb=1024 -timeout=10 \
		-artifact_prefix="$corpus/" "$work/$name" "$corpus" \
		>"$work/$name.log" 2>&1
	rc=$?
	stats=$(grep 'cov:' "$work/$name.log" | tail -1)
	runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$work/$name.log")
	cov=$(grep -o 'cov: [0-9]*' <<<"$stats" | cut -d' ' -f2)
	ft=$(grep -o 'ft: [0-9]*' <<<"$stats" | cut -d' ' -f2)
	if [[ $rc -eq 0 ]]; then
		echo "ok fuzz $name: ${runs:-?} runs in ${secs} s, cov ${cov:-?}, ft ${ft:-?}"
	else
		echo "FAIL fuzz $name: exit $rc, $(grep -m1 -E 'ERROR|runtime error|SUMMARY' "$work/$name.log")"
	fi
done
