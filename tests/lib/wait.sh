# shellcheck shell=sh
# SPDX-License-Identifier: GPL-2.0
# Sourced by the shell tests, on the host (bash) and in the guest (busybox
# sh, where it is copied into the payload): keep it POSIX.

# mla_wait_file PATH TENTHS [TEST]: until `test TEST PATH` holds (TEST -e,
# exists, by default; -s, not empty, for a file being written), at most
# TENTHS tenths of a second. Fails if it never held.
mla_wait_file() {
	_mla_i=0
	while ! test "${3:--e}" "$1"; do
		[ "$_mla_i" -lt "$2" ] || return 1
		sleep 0.1
		_mla_i=$((_mla_i + 1))
	done
}
