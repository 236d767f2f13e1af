# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Helpers of the guest-side test runners (kmod/tests/run-in-guest,
# kmod/tests/reliability/run-in-guest), sourced, not executed.  Each check
# prints one "ok"/"FAIL" line and counts into $passed/$failed, which the
# runner's last line "N passed, N failed" reports.  The runner sets MOD
# (module name) and DEV (device node) before using loaded and wait_dev.

passed=0
failed=0
# Tries of 0.1 s for the device node to appear after insmod (udev-less guest:
# devtmpfs creates it asynchronously).
DEV_WAIT_TRIES=50

ok() { passed=$((passed + 1)); echo "ok   $*"; }
bad() { failed=$((failed + 1)); echo "FAIL $*"; }
# check WHAT CMD...: ok WHAT if CMD succeeds, else FAIL WHAT.
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }
loaded() { [ -d "/sys/module/$MOD" ]; }
wait_dev() {
	local i
	for i in $(seq $DEV_WAIT_TRIES); do
		[ -c "$DEV" ] && return 0
		sleep 0.1
	done
	return 1
}
