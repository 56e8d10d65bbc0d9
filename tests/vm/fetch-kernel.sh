#!/bin/bash
# fetch-kernel.sh LABEL SUITE
#
# Put a Debian distribution kernel for SUITE into $MLA_VM_CACHE/LABEL/:
#   vmlinuz  config  release  package  modules/*.ko  modules.order
#   modules.top (status of each top-level module)  modules.wanted  suite
# The image package is resolved at run time from what linux-image-amd64
# depends on in that suite, downloaded with apt-get (never installed) and
# unpacked with dpkg-deb; only the modules the guest loads are kept.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

usage() { echo "usage: $MLA_PROG LABEL SUITE" >&2; exit 2; }

# Leave the existing cache entry in place when the network cannot help, but
# only if it is complete; otherwise this kernel cannot be tested at all.
use_cache_or_die() {
	local why=$1 apt_err
	# apt's own last complaint, if any, tells a network failure from others.
	apt_err=$(cat "$WORK"/apt-*.log 2>/dev/null | grep '^[EW]:' | head -n 1 || true)
	[[ -z $apt_err ]] || mla_log "$LABEL: apt said: $apt_err"
	if mla_cache_complete "$ENTRY"; then
		mla_log "$LABEL: $why; using cached $(head -n 1 "$ENTRY/package") ($(cat "$ENTRY/release"))"
		exit 0
	fi
	mla_die "$LABEL: $why, and no complete cache entry in $ENTRY"
}

# Sets PKG and VER: the versioned image package linux-image-amd64 depends
# on, and PKGS: "name=version" of it and of the parts it is split into
# (newer kernels ship linux-binary-ABI, linux-modules-ABI and linux-base-ABI
# packages, on which linux-image-ABI depends with the same ABI suffix).
resolve_package() {
	local abi part
	mla_apt_setup "$SUITE"
	apt-get "${MLA_APT[@]}" -q update >"$WORK/apt-update.log" 2>&1 || return 1
	PKG=$(image_depends linux-image-amd64 | awk '/^linux-image-/ { print; exit }')
	[[ -n $PKG ]] || return 1
	VER=$(candidate "$PKG")
	[[ -n $VER ]] || return 1
	PKGS=("$PKG=$VER")
	abi=${PKG#linux-image-}
	for part in $(image_depends "$PKG"); do
		[[ $part == linux-*-"$abi" ]] && PKGS+=("$part=$(candidate "$part")")
	done
	return 0
}

# Plain (non-alternative) Depends of a package, one name a line.
image_depends() {
	apt-cache "${MLA_APT[@]}" depends "$1" 2>/dev/null | awk '$1 == "Depends:" { print $2 }'
}

candidate() {
	apt-cache "${MLA_APT[@]}" policy "$1" 2>/dev/null |
		awk '$1 == "Candidate:" && $2 != "(none)" { print $2; exit }'
}

# What the "package" file of the cache records: one "name version" a line,
# the image package first.
package_record() { printf '%s\n' "${PKGS[@]}" | tr '=' ' '; }

# The wanted top-level modules, normalised ('-' -> '_'), "name required|optional".
wanted_modules() {
	awk '!/^[ \t]*(#|$)/ { n = $1; gsub(/-/, "_", n); print n, ($2 == "" ? "required" : $2) }' \
		"$MLA_VM_DIR/modules.list"
}

cache_is_current() {
	mla_cache_complete "$ENTRY" &&
		[[ "$(cat "$ENTRY/package")" == "$(package_record)" ]] &&
		[[ "$(cat "$ENTRY/modules.wanted" 2>/dev/null)" == "$(wanted_modules)" ]]
}

download() {
	(cd "$WORK" && apt-get "${MLA_APT[@]}" -q download "${PKGS[@]}") >"$WORK/apt-download.log" 2>&1 ||
		return 1
	mapfile -t DEBS < <(find "$WORK" -maxdepth 1 -name '*.deb')
	[[ ${#DEBS[@]} -eq ${#PKGS[@]} ]]
}

# Index the unpacked modules: MOD_PATH[name] = file, BUILTIN[name] = 1.
index_modules() {
	local f n
	declare -gA MOD_PATH=() BUILTIN=()
	while IFS= read -r f; do
		n=${f##*/}
		n=${n%%.ko*}
		MOD_PATH[${n//-/_}]=$f
	done < <(find "$MODROOT/kernel" -name '*.ko*')
	# Built-in "modules" have no file but satisfy a dependency.
	if [[ -r $MODROOT/modules.builtin ]]; then
		while IFS= read -r f; do
			n=${f##*/}
			n=${n%%.ko*}
			BUILTIN[${n//-/_}]=1
		done <"$MODROOT/modules.builtin"
	fi
}

# Copy one module to OUT/modules as a plain .ko: busybox insmod in the
# guest cannot read compressed modules. Prints the new file name.
install_module() {
	local src=$1 base
	base=${src##*/}
	case $src in
	*.ko.xz) base=${base%.xz}; xz -dc "$src" >"$OUT/modules/$base" ;;
	*.ko.zst) base=${base%.zst}; zstd -q -dc "$src" >"$OUT/modules/$base" ;;
	*.ko.gz) base=${base%.gz}; gzip -dc "$src" >"$OUT/modules/$base" ;;
	*.ko) cp "$src" "$OUT/modules/$base" ;;
	*) mla_die "unexpected module file $src" ;;
	esac
	echo "$base"
}

# Depth-first: dependencies are appended to ORDER before the module itself.
# Returns 1 when the module (or one of its dependencies) does not exist.
resolve_module() {
	local n=${1//-/_} base dep deps
	[[ -n ${SEEN[$n]:-} ]] && return 0
	if [[ -z ${MOD_PATH[$n]:-} ]]; then
		[[ -n ${BUILTIN[$n]:-} ]] && return 0
		mla_log "$LABEL: module $n not in this kernel"
		return 1
	fi
	SEEN[$n]=1
	# Called from an "if", where set -e is off: check each step by hand.
	base=$(install_module "${MOD_PATH[$n]}") || mla_die "$LABEL: cannot unpack ${MOD_PATH[$n]}"
	deps=$(modinfo -F depends "$OUT/modules/$base") || mla_die "$LABEL: modinfo failed on $base"
	for dep in ${deps//,/ }; do
		resolve_module "$dep" || return 1
	done
	ORDER+=("$base")
}

# Resolve every wanted module; write modules.order and modules.top.
select_modules() {
	local n need status
	declare -gA SEEN=()
	ORDER=()
	mkdir -p "$OUT/modules"
	index_modules
	: >"$OUT/modules.top"
	while read -r n need; do
		if resolve_module "$n"; then
			status=module
			[[ -z ${MOD_PATH[$n]:-} ]] && status=builtin
		elif [[ $need == required ]]; then
			mla_die "$LABEL: required module $n is missing from ${PKGS[*]}"
		else
			status=missing
		fi
		echo "$n $status" >>"$OUT/modules.top"
	done < <(wanted_modules)
	printf '%s\n' "${ORDER[@]}" >"$OUT/modules.order"
	wanted_modules >"$OUT/modules.wanted"
}

# First existing file among the arguments.
first_file() {
	local f
	for f; do
		[[ -f $f ]] && { echo "$f"; return 0; }
	done
	return 1
}

# Unpack the package(s) and keep only what the harness needs. Older
# packages use /lib/modules and /boot, newer ones /usr/lib/modules, and the
# split ones put vmlinuz and config into the modules directory.
extract() {
	local root=$WORK/root deb rel moddirs vmlinuz config
	for deb in "${DEBS[@]}"; do
		dpkg-deb -x "$deb" "$root"
	done
	rm -f "${DEBS[@]}"
	moddirs=$(find "$root/lib/modules" "$root/usr/lib/modules" -mindepth 1 -maxdepth 1 \
		-type d 2>/dev/null || true)
	[[ $(wc -l <<<"$moddirs") -eq 1 && -d $moddirs/kernel ]] ||
		mla_die "$LABEL: expected one kernel module tree in ${PKGS[*]}, found: ${moddirs:-none}"
	MODROOT=$moddirs
	rel=${MODROOT##*/}
	vmlinuz=$(first_file "$root/boot/vmlinuz-$rel" "$MODROOT/vmlinuz") ||
		mla_die "$LABEL: no kernel image in ${PKGS[*]}"
	config=$(first_file "$root/boot/config-$rel" "$MODROOT/config") ||
		mla_die "$LABEL: no kernel config in ${PKGS[*]}"
	OUT=$WORK/entry
	mkdir -p "$OUT"
	cp "$vmlinuz" "$OUT/vmlinuz"
	cp "$config" "$OUT/config"
	echo "$rel" >"$OUT/release"
	package_record >"$OUT/package"
	echo "$SUITE" >"$OUT/suite"
	select_modules
}

# Replace the old entry only once the new one is complete.
commit_entry() {
	rm -rf "$ENTRY.old"
	[[ -e $ENTRY ]] && mv "$ENTRY" "$ENTRY.old"
	mv "$OUT" "$ENTRY"
	rm -rf "$ENTRY.old"
}

main() {
	[[ $# -eq 2 ]] || usage
	LABEL=$1 SUITE=$2
	[[ $LABEL =~ ^[A-Za-z0-9._-]+$ ]] || mla_die "bad label '$LABEL'"
	local tool
	for tool in apt-get:apt dpkg-deb:dpkg modinfo:kmod xz:xz-utils zstd:zstd gzip:gzip flock:util-linux; do
		mla_need "${tool%%:*}" "${tool#*:}"
	done
	ENTRY=$MLA_VM_CACHE/$LABEL
	mkdir -p "$MLA_VM_CACHE"
	# One fetch per label at a time: apt and the entry swap are not shareable.
	exec 9>"$MLA_VM_CACHE/.lock-$LABEL"
	flock 9
	WORK=$(mktemp -d "$MLA_VM_CACHE/.work-$LABEL.XXXXXX")
	trap 'rm -rf "$WORK"' EXIT

	[[ ${MLA_VM_OFFLINE:-0} == 1 ]] && use_cache_or_die "MLA_VM_OFFLINE=1"
	resolve_package || use_cache_or_die "cannot resolve linux-image-amd64 in suite $SUITE"
	if cache_is_current; then
		mla_log "$LABEL: cache is current ($PKG $VER, $(cat "$ENTRY/release"))"
		exit 0
	fi
	local t
	t=$(mla_now)
	download || use_cache_or_die "cannot download ${PKGS[*]}"
	mla_log "$LABEL: downloaded ${PKGS[*]} ($(du -cm "${DEBS[@]}" | tail -n 1 | cut -f1) MB) in $(mla_elapsed "$t")s"
	t=$(mla_now)
	extract
	commit_entry
	mla_log "$LABEL: extracted $(cat "$ENTRY/release"), ${#ORDER[@]} modules, in $(mla_elapsed "$t")s"
}

main "$@"
