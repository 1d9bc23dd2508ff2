#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Load bench/rbus_bench.c once with few loops, on the debug kernel: the
# microbenchmark of `make bench` must print every figure and leave no splat
# (judged by `make check`'s log check). Its numbers mean nothing here.

. "$(dirname "$0")/../kselftest/ktap_helpers.sh"

ktap_print_header
ktap_set_plan 2

modprobe rbus_core || { ktap_skip_all "rbus modules not installed"; exit "$KSFT_SKIP"; }

dmesg -c >/dev/null
if modprobe rbus_bench loops=1000 nruns=1; then
	ktap_test_pass "rbus_bench loads and measures"
else
	ktap_test_fail "rbus_bench loads and measures"
fi

# Six calls, 1 and 2 callers, one run each.
lines=$(dmesg | grep -c 'rbus_bench: [a-z-]* callers=[12] run=1 ns=[0-9]*\.[0-9]*$')
if [ "$lines" -eq 12 ] && dmesg | grep -q 'rbus_bench: done'; then
	ktap_test_pass "rbus_bench printed all 12 figures"
else
	ktap_print_msg "$(dmesg | grep rbus_bench)"
	ktap_test_fail "rbus_bench printed all 12 figures ($lines)"
fi
rmmod rbus_bench

ktap_finished
