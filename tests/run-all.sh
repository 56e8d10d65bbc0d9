#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Run the test stages (all, or those named), print one line per test
# ("ok NAME", "FAIL NAME: why", "SKIPPED NAME: why") and, last,
# "N passed, N failed". A skipped test is never counted as passed: it is
# counted as failed unless README.md lists it as optional.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
out=${OUTPUT:-$top/.output}
tool=$top/memlockacct
stages=("$@")
[ ${#stages[@]} -gt 0 ] || stages=(unit verify live cli vm)
log=$(mktemp)
trap 'rm -f "$log"' EXIT

stage_unit() {
	local t
	for t in "$out"/tests/test_*; do
		# cmocka's TAP output: "ok 1 - name" / "not ok 2 - name"
		CMOCKA_MESSAGE_OUTPUT=TAP "$t" 2>&1 |
			sed -n -e "s/^ok [0-9]* - \(.*\)/ok unit $(basename "$t"): \1/p" \
			    -e "s/^not ok [0-9]* - \(.*\)/FAIL unit $(basename "$t"): \1/p" \
			    -e 's/^# \(.*\)/  \1/p'
	done
}

# Every BPF program must pass this kernel's verifier, attached or not.
stage_verify() {
	"$tool" features --verify | while read -r verdict prog rest; do
		case $verdict in
		loaded) echo "ok verifier accepts $prog" ;;
		REFUSED)
			if [[ $rest == *"refuses fentry/fexit"* ]]; then
				echo "SKIPPED verifier accepts $prog: this kernel refuses fentry/fexit programs; the VM stage loads it"
			else
				echo "FAIL verifier accepts $prog: $rest"
			fi ;;
		esac
	done
}

stage_live() {
	python3 "$top/tests/live/test_live.py" --tool "$tool" \
		--bin "$out/tests"
}

stage_cli() {
	[ -x "$top/tests/cli/test_cli.sh" ] || return 0
	"$top/tests/cli/test_cli.sh" "$tool" "$out/tests"
}

stage_vm() {
	[ -x "$top/tests/vm/run-scenarios.sh" ] || return 0
	"$top/tests/vm/run-scenarios.sh"
}

for s in "${stages[@]}"; do
	echo "== $s"
	"stage_$s" 2>&1 | tee -a "$log"
done

# Optional cases, by name prefix: README.md "Optional tests" lists them.
optional='^SKIPPED verifier accepts fexit_'
passed=$(grep -c '^ok ' "$log")
failed=$(grep -c '^FAIL ' "$log")
skipped_ok=$(grep '^SKIPPED ' "$log" | grep -cE "$optional")
skipped_bad=$(grep '^SKIPPED ' "$log" | grep -cvE "$optional")
failed=$((failed + skipped_bad))
[ "$skipped_ok" -eq 0 ] || echo "$skipped_ok skipped (optional on this kernel, see README.md)"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
