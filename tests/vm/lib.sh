# shellcheck shell=bash
# Shared helpers for the tests/vm scripts. Sourced, never executed.
#
# Everything here works without touching the machine's own apt state: other
# Debian suites are reached through a private apt configuration that reuses
# the mirror URIs already configured on this machine (no host name is ever
# written into the project).

MLA_VM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
MLA_VM_CACHE=${MLA_VM_CACHE:-/var/cache/memlockacct-vm}
MLA_VM_KEYRING=${MLA_VM_KEYRING:-/usr/share/keyrings/debian-archive-keyring.gpg}
MLA_PROG=$(basename "$0")

mla_log() { printf '%s: %s\n' "$MLA_PROG" "$*" >&2; }
mla_die() { printf '%s: error: %s\n' "$MLA_PROG" "$*" >&2; exit 1; }

# Fail early with a one-line message naming the missing tool and package,
# instead of a confusing "command not found" halfway through.
mla_need() {
	local tool=$1 pkg=$2
	command -v "$tool" >/dev/null 2>&1 ||
		mla_die "'$tool' not found: install the Debian package '$pkg' (see tests/vm/DEPS)"
}

# Seconds since the epoch with a fraction, for step timings.
mla_now() { date +%s.%N; }
mla_elapsed() { awk -v a="$1" -v b="$(mla_now)" 'BEGIN { printf "%.1f", b - a }'; }

# Print "URI SUITE" for every enabled deb source of the machine, from both
# the one-line format (sources.list, *.list) and deb822 (*.sources).
mla_machine_sources() {
	local f
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[[ -r $f ]] || continue
		# "deb [opts] URI SUITE COMPONENTS..."; options may contain spaces
		# only inside the brackets, so drop the bracket group first.
		sed -e 's/#.*//' -e 's/\[[^]]*\]//' "$f" |
			awk '$1 == "deb" && NF >= 3 { print $2, $3 }'
	done
	for f in /etc/apt/sources.list.d/*.sources; do
		[[ -r $f ]] || continue
		awk '
			function flush(  i, j, nu, ns, u, s) {
				if (types ~ /(^| )deb( |$)/ && enabled != "no") {
					nu = split(uris, u, " "); ns = split(suites, s, " ")
					for (i = 1; i <= nu; i++)
						for (j = 1; j <= ns; j++) print u[i], s[j]
				}
				types = uris = suites = ""; enabled = "yes"
			}
			BEGIN { enabled = "yes" }
			/^[ \t]*#/ { next }
			/^[ \t]*$/ { flush(); next }
			{
				key = tolower($1); sub(/:$/, "", key)
				val = $0; sub(/^[^:]*:[ \t]*/, "", val)
				if (key == "types") types = val
				else if (key == "uris") uris = val
				else if (key == "suites") suites = val
				else if (key == "enabled") enabled = tolower(val)
			}
			END { flush() }' "$f"
	done
}

# The machine's own release codename: the mirror that serves it is the Debian
# archive (other sources, e.g. third-party repositories, do not serve it).
mla_machine_codename() {
	# shellcheck disable=SC1091
	(. /etc/os-release && printf '%s\n' "${VERSION_CODENAME:-}")
}

# Sets MLA_MIRROR (main archive) and MLA_SECURITY_MIRROR (may be empty).
# MLA_VM_MIRROR / MLA_VM_SECURITY_MIRROR in the environment override them.
mla_find_mirrors() {
	local code sources
	code=$(mla_machine_codename)
	sources=$(mla_machine_sources)
	MLA_MIRROR=${MLA_VM_MIRROR:-$(awk -v s="$code" '$2 == s { print $1; exit }' <<<"$sources")}
	MLA_SECURITY_MIRROR=${MLA_VM_SECURITY_MIRROR:-$(awk -v s="$code-security" \
		'$2 == s { print $1; exit }' <<<"$sources")}
	[[ -n $MLA_MIRROR ]] ||
		mla_die "no Debian mirror for '$code' found in the machine's apt sources (set MLA_VM_MIRROR)"
}

# Suites that make up SUITE as a release: stable releases get their point
# updates and security updates too (the kernel is usually newest there).
mla_suite_lines() {
	local suite=$1 opt="[signed-by=$MLA_VM_KEYRING]"
	echo "deb $opt $MLA_MIRROR $suite main"
	case $suite in
	sid | unstable | experimental | *-backports) return ;;
	esac
	echo "deb $opt $MLA_MIRROR $suite-updates main"
	if [[ -n $MLA_SECURITY_MIRROR ]]; then
		echo "deb $opt $MLA_SECURITY_MIRROR $suite-security main"
	fi
}

# Prepare a private apt configuration for SUITE under the cache and set the
# array MLA_APT to the apt options that select it.
mla_apt_setup() {
	local suite=$1 dir
	dir=$MLA_VM_CACHE/apt/$suite
	mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial"
	mla_find_mirrors
	mla_suite_lines "$suite" >"$dir/sources.list"
	# shellcheck disable=SC2034 # used by the scripts that source this
	MLA_APT=(
		-o "Dir::Etc::SourceList=$dir/sources.list"
		-o "Dir::Etc::SourceParts=/dev/null"
		-o "Dir::State::Lists=$dir/lists"
		-o "Dir::Cache=$dir/cache"
		# The machine's pinning is about its own packages, not these.
		-o "Dir::Etc::Preferences=/dev/null"
		-o "Dir::Etc::PreferencesParts=/dev/null"
		# Only the binary package indexes are needed: skip translations.
		-o "Acquire::Languages=none"
		# Downloads land in a root-owned temporary directory.
		-o "APT::Sandbox::User=root"
	)
}

# Read KEY from the "label suite" list: prints the suite or fails.
mla_label_suite() {
	awk -v l="$1" '!/^[ \t]*(#|$)/ && $1 == l { print $2; found = 1; exit }
		END { exit !found }' "$MLA_VM_DIR/kernels.list"
}

# Labels of kernels.list, restricted to MLA_VM_KERNELS (space or comma
# separated) when it is set.
mla_labels() {
	local l want=" ${MLA_VM_KERNELS:-} "
	want=${want//,/ }
	while read -r l; do
		if [[ -z ${MLA_VM_KERNELS:-} || $want == *" $l "* ]]; then
			echo "$l"
		fi
	done < <(awk '!/^[ \t]*(#|$)/ { print $1 }' "$MLA_VM_DIR/kernels.list")
}

# A cache entry is complete when every file boot and mkinitramfs need is
# there, including each module named in modules.order.
mla_cache_complete() {
	local d=$1 f
	for f in vmlinuz config release package modules.order; do
		[[ -s $d/$f ]] || return 1
	done
	while read -r f; do
		[[ -s $d/modules/$f ]] || return 1
	done <"$d/modules.order"
}
