#!/bin/bash
# mkinitramfs.sh LABEL PAYLOAD_DIR OUT.cpio.gz
#
# Build the guest's initramfs: static busybox with its applet links, /init
# (init.sh), the modules of kernel LABEL from $MLA_VM_CACHE/LABEL with
# modules.order, and the contents of PAYLOAD_DIR under /payload (programs
# and a /payload/run.sh that /init runs). A dynamically linked program
# brings the host's libraries it needs, at the same paths (copy_libs).
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

usage() { echo "usage: $MLA_PROG LABEL PAYLOAD_DIR OUT.cpio.gz" >&2; exit 2; }

# The guest has no libc: busybox must be the static build.
find_busybox() {
	local bb
	for bb in ${MLA_VM_BUSYBOX:-} /bin/busybox /usr/bin/busybox; do
		[[ -x $bb ]] || continue
		if ! ldd "$bb" >/dev/null 2>&1; then
			echo "$bb"
			return 0
		fi
	done
	mla_die "no statically linked busybox found: install busybox-static"
}

# Root file system skeleton. Only /bin/sh links to busybox here: /init
# creates the other applet links at boot ("busybox --install -s"), which is
# much faster than several hundred ln processes.
make_skeleton() {
	local bb=$1
	mkdir -p "$STAGE"/{bin,dev,proc,sys,tmp,run,root,etc,lib/modules,payload,usr}
	ln -s bin "$STAGE/sbin"
	ln -s ../bin "$STAGE/usr/bin"
	ln -s ../bin "$STAGE/usr/sbin"
	cp "$bb" "$STAGE/bin/busybox"
	ln -s busybox "$STAGE/bin/sh"
	# The kernel opens /dev/console before /init runs; without the node
	# /init would start with no stdio (init.sh repairs that after mounting
	# devtmpfs, so a failing mknod, e.g. not as root, is only a warning).
	mknod -m 600 "$STAGE/dev/console" c 5 1 2>/dev/null ||
		mla_log "warning: cannot create /dev/console node (not root?)"
	install -m 755 "$MLA_VM_DIR/init.sh" "$STAGE/init"
}

copy_kernel_files() {
	local entry=$MLA_VM_CACHE/$LABEL
	mla_cache_complete "$entry" ||
		mla_die "$LABEL: no complete kernel in $entry: run fetch-kernel.sh $LABEL SUITE first"
	cp "$entry"/modules/*.ko "$STAGE/lib/modules/"
	cp "$entry/modules.order" "$entry/modules.top" "$STAGE/lib/modules/"
	echo "$LABEL" >"$STAGE/etc/mla-label"
	cp "$entry/release" "$STAGE/etc/mla-release"
}

# The shared libraries of ELF file $1 (ldd: the host's, at their paths).
copy_libs_of() {
	local lib
	for lib in $(ldd "$1" 2>/dev/null | grep -o '/[^ ]*'); do
		[[ -e $STAGE$lib ]] && continue
		mkdir -p "$STAGE$(dirname "$lib")"
		cp -L "$lib" "$STAGE$lib"
	done
}

# Dynamically linked payload programs (rdma-core's libibverbs cannot be
# linked statically: it loads its providers with dlopen): their libraries,
# and for libibverbs the soft-RoCE provider and its driver file.
copy_libs() {
	local f prov=/usr/lib/x86_64-linux-gnu/libibverbs
	for f in "$STAGE"/payload/*; do
		[[ -f $f && -x $f ]] && ldd "$f" >/dev/null 2>&1 || continue
		copy_libs_of "$f"
	done
	[[ -e $STAGE/lib/x86_64-linux-gnu/libibverbs.so.1 ]] || return 0
	[[ -f $prov/librxe-rdmav34.so && -f /etc/libibverbs.d/rxe.driver ]] ||
		mla_die "libibverbs without its rxe provider: apt-get install ibverbs-providers"
	mkdir -p "$STAGE$prov" "$STAGE/etc/libibverbs.d"
	cp "$prov/librxe-rdmav34.so" "$STAGE$prov/"
	cp /etc/libibverbs.d/rxe.driver "$STAGE/etc/libibverbs.d/"
	copy_libs_of "$prov/librxe-rdmav34.so"
}

copy_payload() {
	cp -a "$PAYLOAD/." "$STAGE/payload/"
	[[ -f $STAGE/payload/run.sh ]] || mla_log "warning: $PAYLOAD has no run.sh: the guest will only report facts"
	copy_libs
}

# newc cpio with root ownership, sorted for a reproducible archive.
pack() {
	mkdir -p "$(dirname "$OUTFILE")"
	(cd "$STAGE" && find . -print0 | LC_ALL=C sort -z |
		cpio --null --create --format=newc --owner=0:0 --quiet) |
		gzip -6 -n >"$OUTFILE.tmp"
	mv "$OUTFILE.tmp" "$OUTFILE"
}

main() {
	[[ $# -eq 3 ]] || usage
	LABEL=$1 PAYLOAD=$2 OUTFILE=$3
	[[ -d $PAYLOAD ]] || mla_die "payload directory '$PAYLOAD' does not exist"
	mla_need cpio cpio
	mla_need gzip gzip
	local bb t
	t=$(mla_now)
	bb=$(find_busybox)
	STAGE=$(mktemp -d "${TMPDIR:-/tmp}/mla-initramfs.XXXXXX")
	trap 'rm -rf "$STAGE"' EXIT
	make_skeleton "$bb"
	copy_kernel_files
	copy_payload
	pack
	mla_log "$LABEL: $OUTFILE ($(du -k "$OUTFILE" | cut -f1) kB) in $(mla_elapsed "$t")s"
}

main "$@"
