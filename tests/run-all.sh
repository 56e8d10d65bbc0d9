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
[ ${#stages[@]} -gt 0 ] || stages=(unit verify live cli exporter sanitize valgrind fuzz-short vm fresh-root)
log=$(mktemp)
trap 'rm -f "$log" "$log.build"' EXIT

stage_unit() {
	local t
	for t in "${OUTPUT:-$out}"/tests/test_*; do
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
		n/a) echo "SKIPPED verifier accepts $prog: not for this kernel $rest; the VM stage loads it" ;;
		esac
	done
}

stage_live() {
	python3 "$top/tests/live/test_live.py" --tool "$tool" \
		--bin "$out/tests"
}

# The unit and live tests again, built with AddressSanitizer and UBSan.
stage_sanitize() {
	local san=$top/.output-san
	if ! make -C "$top" -s SANITIZE=1 test-programs >"$log.build" 2>&1; then
		echo "FAIL sanitize: build: $(tail -3 "$log.build")"
		return
	fi
	export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
	export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
	OUTPUT=$san stage_unit | sed 's/^\(ok\|FAIL\) unit /\1 sanitize unit /'
	python3 "$top/tests/live/test_live.py" --tool "$san/memlockacct" \
		--bin "$out/tests" | sed 's/^\(ok\|FAIL\) live /\1 sanitize live /'
}

# A whole `run` session under valgrind: no invalid access, no leak.
stage_valgrind() {
	local v=$log.valgrind
	valgrind --leak-check=full --errors-for-leak-kinds=definite \
		--suppressions="$top/tests/valgrind.supp" \
		--error-exitcode=99 --log-file="$v" \
		"$tool" run --json -o /dev/null -- "$out/tests/workload" >/dev/null
	rc=$?
	if [[ $rc -eq 0 ]] && grep -q 'ERROR SUMMARY: 0 errors' "$v"; then
		echo "ok valgrind: run session, $(grep -o 'definitely lost: [0-9,]* bytes' "$v" || echo 'no leak')"
	else
		echo "FAIL valgrind: run session: exit $rc, $(grep -E 'ERROR SUMMARY|definitely lost' "$v" | tr '\n' ' ')"
	fi
	rm -f "$v"
}

# Each fuzz target over its regression corpus, then 15 s of new inputs.
stage_fuzz-short() {
	if ! make -C "$top" -s fuzz-programs >"$log.build" 2>&1; then
		echo "FAIL fuzz: build: $(tail -3 "$log.build")"
		return
	fi
	FUZZ_SECONDS=${FUZZ_SECONDS:-15} "$top/tests/fuzz/run.sh"
}

stage_cli() {
	[ -x "$top/tests/cli/test_cli.sh" ] ||
		{ echo "FAIL cli: tests/cli/test_cli.sh is missing"; return; }
	"$top/tests/cli/test_cli.sh" "$tool" "$out/tests"
}

# The exporter scraped by a real Prometheus server (tests/exporter/).
stage_exporter() {
	python3 "$top/tests/exporter/test_exporter.py" --tool "$tool" \
		--bin "$out/tests"
	python3 "$top/tests/exporter/test_webconfig.py" --tool "$tool"
	# Debian's python3, for its python3-yaml
	/usr/bin/python3 "$top/tests/contrib/check_contrib.py" --top "$top"
}

stage_vm() {
	[ -x "$top/tests/vm/run-scenarios.sh" ] ||
		{ echo "FAIL vm: tests/vm/run-scenarios.sh is missing"; return; }
	"$top/tests/vm/run-scenarios.sh"
}

# The README's commands in an empty Debian root (tests/fresh-root/run.sh).
stage_fresh-root() {
	"$top/tests/fresh-root/run.sh"
}

for s in "${stages[@]}"; do
	echo "== $s"
	"stage_$s" 2>&1 | tee -a "$log"
done

# Optional cases, by name prefix: README.md "Optional tests" lists them.
optional='^SKIPPED (verifier accepts (fexit_|fentry_|mmap_lock_released)|vm [^ ]+ (iommufd|vhost-vdpa): )'
passed=$(grep -c '^ok ' "$log")
failed=$(grep -c '^FAIL ' "$log")
skipped_ok=$(grep '^SKIPPED ' "$log" | grep -cE "$optional")
skipped_bad=$(grep '^SKIPPED ' "$log" | grep -cvE "$optional")
failed=$((failed + skipped_bad))
[ "$skipped_ok" -eq 0 ] || echo "$skipped_ok skipped (optional on this kernel, see README.md)"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
