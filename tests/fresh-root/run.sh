#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The fresh-root stage: does the README work on a machine that has nothing?
#
# For each suite (MLA_ROOT_SUITES, default bookworm): an empty Debian root
# made by debootstrap (minbase), a `git archive` of the tree (HEAD, or
# MLA_FRESH_REV) copied into it, and there, as root, the README's own
# commands (read from README.md of that tree, see readme_commands):
#   the line it says to run first on a minimal Debian;
#   the first command's make part, then ./memlockacct features and a 2 s
#   report (in place of top, which runs until Ctrl-C);
#   the second command's make part with `check` replaced by the build of
#   the test binaries (test-programs static: the tests themselves are the
#   other stages' business);
# then make install and uninstall, make deb (dpkg-buildpackage and
# lintian), and the .deb installed, run and purged in a second fresh root.
#
# Every .deb the roots download is kept in $MLA_ROOT_CACHE (debootstrap's
# tarball, apt's lists and archives, per suite), so that a later run
# needs no network: MLA_VM_OFFLINE=1 says so and fails if the cache is not
# enough. One line per step: "ok fresh-root SUITE: STEP (S s)" or "FAIL ...".
set -uo pipefail
# shellcheck source=tests/vm/lib.sh
. "$(dirname "$0")/../vm/lib.sh"

TOP=$(cd "$(dirname "$0")/../.." && pwd)
CACHE=${MLA_ROOT_CACHE:-/var/cache/memlockacct-root}
REV=${MLA_FRESH_REV:-HEAD}
LOGDIR=${MLA_ROOT_LOGDIR:-${TMPDIR:-/tmp}/memlockacct-root-logs}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/memlockacct-root.XXXXXX")
trap 'rm -rf --one-file-system "$WORK"' EXIT

fail() { echo "FAIL fresh-root $SUITE: $*"; }
ok() { echo "ok fresh-root $SUITE: $*"; }

# The README's commands, one a line in $WORK/cmds: PRE (zero or more lines
# before the first make), BUILD (the make part of the first command) and
# TEST (the second command's, check replaced). Fails if their shape is not
# the one this stage knows, so that the two cannot drift apart.
readme_commands() {
	local readme=$1 line first="" second="" pre=()
	while IFS= read -r line; do
		case $line in
		"make "*"&& ./memlockacct top") first=${line%% && ./memlockacct top} ;;
		"make "*" check") second=$line ;;
		*) [[ -n $first ]] || pre+=("$line") ;;
		esac
	done < <(awk '/^## /{ on = ($0 ~ /^## Two commands/) } on && /^    [^ ]/ { sub(/^    /, ""); print }' "$readme")
	if [[ -z $first || -z $second ]]; then
		echo "README.md's 'Two commands' section does not have 'make ... && ./memlockacct top' and 'make ... check'"
		return 1
	fi
	[[ -z ${MLA_FRESH_PREREQ:-} ]] || pre=("$MLA_FRESH_PREREQ")
	{
		printf 'PRE %s\n' "${pre[@]}"
		printf 'BUILD %s\n' "$first"
		printf 'TEST %s\n' "${second% check} test-programs static"
	} | grep -v '^PRE $' >"$WORK/cmds"
}

# Run a shell command line in ROOT as root, with /proc, /sys (bpffs and
# tracefs with it), /dev and the suite's apt cache mounted; the mounts live
# in a private mount namespace and end with it. Output to LOG.
in_root() {
	local root=$1 log=$2 cmd=$3
	# shellcheck disable=SC2016 # the inner shell expands them
	unshare --mount --propagation private -- bash -c '
		set -e
		r=$1 c=$2
		mount -t proc proc "$r/proc"
		mount --rbind /sys "$r/sys"
		mount --rbind /dev "$r/dev"
		mount -t tmpfs tmpfs "$r/tmp"
		mount --bind "$c/archives" "$r/var/cache/apt/archives"
		mount --bind "$c/lists" "$r/var/lib/apt/lists"
		exec chroot "$r" /usr/bin/env -i HOME=/root TERM=dumb \
			PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
			LANG=C.UTF-8 /bin/bash -c "cd /root/memlockacct 2>/dev/null || cd /root; $3"
	' fresh-root "$root" "$CACHE/$SUITE" "$cmd" >>"$log" 2>&1
}

# A step: a command line in a root, timed, "ok" or "FAIL" with the log's
# last lines.
step() {
	local root=$1 name=$2 cmd=$3 start log=$LOGDIR/$SUITE.log
	start=$(mla_now)
	printf '\n### %s\n$ %s\n' "$name" "$cmd" >>"$log"
	if in_root "$root" "$log" "$cmd"; then
		ok "$name ($(mla_elapsed "$start") s)"
		return 0
	fi
	fail "$name: failed after $(mla_elapsed "$start") s: $(tail -n 3 "$log" | tr '\n' ' ' | cut -c1-300) (log $log)"
	return 1
}

# An empty root at DIR, from the suite's cached debootstrap tarball (made
# on the first run, online).
new_root() {
	local dir=$1 tgz=$CACHE/$SUITE/debootstrap.tgz log=$LOGDIR/$SUITE.debootstrap.log
	mkdir -p "$CACHE/$SUITE/archives/partial" "$CACHE/$SUITE/lists/partial"
	if [[ ! -s $tgz ]]; then
		if [[ ${MLA_VM_OFFLINE:-} == 1 ]]; then
			echo "no cached debootstrap tarball $tgz and MLA_VM_OFFLINE=1"
			return 1
		fi
		debootstrap --variant=minbase --keyring="$MLA_VM_KEYRING" \
			--make-tarball="$tgz.new" "$SUITE" "$WORK/tarball" "$MLA_MIRROR" \
			>"$log" 2>&1 || { echo "debootstrap --make-tarball failed: $(tail -n 1 "$log")"; return 1; }
		mv "$tgz.new" "$tgz"
		rm -rf --one-file-system "$WORK/tarball"
	fi
	debootstrap --variant=minbase --keyring="$MLA_VM_KEYRING" \
		--unpack-tarball="$tgz" "$SUITE" "$dir" "$MLA_MIRROR" >>"$log" 2>&1 ||
		{ echo "debootstrap --unpack-tarball failed: $(tail -n 1 "$log")"; return 1; }
	# what a Debian install's apt has: the release, its updates and security
	{
		echo "deb $MLA_MIRROR $SUITE main"
		echo "deb $MLA_MIRROR $SUITE-updates main"
		[[ -z $MLA_SECURITY_MIRROR ]] || echo "deb $MLA_SECURITY_MIRROR $SUITE-security main"
	} >"$dir/etc/apt/sources.list"
	cp /etc/resolv.conf "$dir/etc/resolv.conf" 2>/dev/null || true
}

check_root() {
	local root=$WORK/$SUITE start line kind cmd log=$LOGDIR/$SUITE.log
	: >"$log"
	start=$(mla_now)
	if ! why=$(new_root "$root"); then
		fail "an empty root: $why"
		return
	fi
	ok "an empty $SUITE root from debootstrap --variant=minbase ($(mla_elapsed "$start") s, $(du -sm "$root" | cut -f1) MiB)"
	mkdir -p "$root/root/memlockacct"
	git -C "$TOP" archive "$REV" | tar -x -C "$root/root/memlockacct" ||
		{ fail "git archive $REV"; return; }
	if ! why=$(readme_commands "$root/root/memlockacct/README.md"); then
		fail "$why"
		return
	fi
	# keep a pristine copy for the package's install test
	cp -a "$root" "$WORK/$SUITE-pkg"
	rm -rf "$WORK/$SUITE-pkg/root/memlockacct"
	while read -r kind cmd; do
		case $kind in
		PRE) step "$root" "$cmd" "$cmd" || return ;;
		BUILD)
			step "$root" "$cmd" "$cmd" || return
			step "$root" "./memlockacct features" \
				"./memlockacct features && ./memlockacct features | grep -q '^sys_exit_mlock .* active'" || return
			step "$root" "./memlockacct report -d 2" \
				"./memlockacct report -d 2 >/tmp/r && cat /tmp/r && grep -q '^Tier: portable. Lost events: 0.' /tmp/r" || return
			;;
		TEST)
			step "$root" "$cmd" "$cmd && test -x .output/tests/test_model && test -x .output/static/memlockacct" || return ;;
		esac
	done <"$WORK/cmds"
	step "$root" "make install and uninstall (DESTDIR, PREFIX)" \
		"make install DESTDIR=/tmp/i PREFIX=/opt/mla >/dev/null &&
		 find /tmp/i -type f | sort | tee /tmp/files &&
		 test \"\$(cat /tmp/files)\" = '/tmp/i/opt/mla/lib/systemd/system/memlockacct-exporter.service
/tmp/i/opt/mla/lib/systemd/system/memlockacct.service
/tmp/i/opt/mla/sbin/memlockacct
/tmp/i/opt/mla/share/man/man8/memlockacct.8' &&
		 grep -q '^ExecStart=/opt/mla/sbin/memlockacct top ' /tmp/i/opt/mla/lib/systemd/system/memlockacct.service &&
		 grep -q '^ExecStart=/opt/mla/sbin/memlockacct exporter ' /tmp/i/opt/mla/lib/systemd/system/memlockacct-exporter.service &&
		 make uninstall DESTDIR=/tmp/i PREFIX=/opt/mla >/dev/null &&
		 test -z \"\$(find /tmp/i -type f)\"" || return
	step "$root" "make deb (dpkg-buildpackage -us -uc -b, lintian: no error)" "make deb" || return
	check_package "$root"
}

# The .deb in a root that has seen nothing but debootstrap: apt installs it
# and its dependencies, it runs, and purge leaves none of its files.
check_package() {
	local built=$1/root root=$WORK/$SUITE-pkg deb f
	deb=
	for f in "$built"/memlockacct_*.deb; do
		[[ -f $f ]] && deb=${f##*/}
	done
	[[ -n $deb ]] || { fail "make deb made no .deb in /root"; return; }
	mkdir -p "$root/root/pkg"
	cp "$built/$deb" "$root/root/pkg/"
	step "$root" "apt-get install ./$deb, then memlockacct features" \
		"apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q ./pkg/$deb &&
		 dpkg -L memlockacct >/tmp/files && cat /tmp/files &&
		 test -f /usr/lib/systemd/system/memlockacct.service &&
		 test -f /usr/lib/systemd/system/memlockacct-exporter.service &&
		 test -f /usr/share/man/man8/memlockacct.8.gz &&
		 /usr/sbin/memlockacct features | grep -q '^sys_exit_mlock .* active'" || return
	step "$root" "apt-get purge memlockacct leaves nothing" \
		"dpkg -L memlockacct >/tmp/files && apt-get purge -y -q memlockacct &&
		 ! dpkg -s memlockacct 2>/dev/null &&
		 for f in \$(cat /tmp/files); do [ -d \"\$f\" ] || [ ! -e \"\$f\" ] || { echo \"left: \$f\"; exit 1; }; done"
}

main() {
	local s start
	for tool in debootstrap:debootstrap git:git unshare:util-linux chroot:coreutils; do
		command -v "${tool%%:*}" >/dev/null ||
			{ echo "FAIL fresh-root: '${tool%%:*}' not found: install the Debian package ${tool##*:} (make deps-test)"; return; }
	done
	[[ $(id -u) -eq 0 ]] || { echo "FAIL fresh-root: needs root (debootstrap, chroot, mounts)"; return; }
	mla_find_mirrors
	mkdir -p "$LOGDIR"
	for s in ${MLA_ROOT_SUITES:-bookworm}; do
		SUITE=$s
		start=$(mla_now)
		check_root
		echo "# fresh-root $SUITE: $(mla_elapsed "$start") s in all (log $LOGDIR/$SUITE.log)"
		rm -rf --one-file-system "${WORK:?}/$s" "${WORK:?}/$s-pkg"
	done
}

main "$@"
