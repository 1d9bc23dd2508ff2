#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Load bench/rbus_bench.c once with few loops, and run
# bench/rbus_channel_bench.c and bench/rbus_i2c_bench.c once, on the debug
# kernel, with the I2C tunnel's adapter: the benchmarks of
# `make bench` must print every figure and leave no splat (judged by
# `make check`'s log check). Their numbers mean nothing here.

. "$(dirname "$0")/../kselftest/ktap_helpers.sh"

ktap_print_header
ktap_set_plan 4

modprobe rbus_core || { ktap_skip_all "rbus modules not installed"; exit "$KSFT_SKIP"; }

# The tunnel child of the second controller, and its adapter.
modprobe rbus_ctrl && modprobe rbus_i2c
i=0
until adapter=$(ls -d /sys/bus/platform/devices/PRP0001:01/rbus*/*-0060/i2c-* 2>/dev/null) ||
	[ $i -ge 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
i2c=${adapter##*i2c-}

# The lines after this mark are this run's; the kernel log stays whole for
# `make check`'s log check.
mark="rbus_bench_smoke: start $$"
echo "$mark" >/dev/kmsg
bench_log() { dmesg | sed -n "/$mark/,\$p" | grep rbus_bench; }
if modprobe rbus_bench loops=1000 nruns=1 i2c_adapter="${i2c:--1}"; then
	ktap_test_pass "rbus_bench loads and measures"
else
	ktap_test_fail "rbus_bench loads and measures"
fi

# Six calls, 1 and 2 callers, and two I2C cases, 1 caller, one run each.
lines=$(bench_log | grep -c 'rbus_bench: [a-z0-9-]* callers=[12] run=1 ns=[0-9]*\.[0-9]*$')
if [ "$lines" -eq 14 ] && bench_log | grep -q 'rbus_bench: done'; then
	ktap_test_pass "rbus_bench printed all 14 figures"
else
	ktap_print_msg "$(bench_log)"
	ktap_test_fail "rbus_bench printed all 14 figures ($lines)"
fi
rmmod rbus_bench

# The request channel against a pipe, on a child at 0x50 bound to rbus_dev.
modprobe rbus_ctrl && modprobe rbus_dev
host=$(ls -d /sys/bus/platform/devices/PRP0001:00/rbus*)
echo "0x50 rbus,user" >$host/new_device
nr=$(basename "$host")
node=$(printf '/dev/rbus-%d-%04x' "${nr#rbus}" 0x50)
i=0
while [ ! -e "$node" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
out=$("$(dirname "$0")/rbus_channel_bench" "$node" 64 1)
lines=$(echo "$out" | grep -c 'rbus_channel_bench: [a-z_0-9]* run=0 ns=[0-9]*\.[0-9]*$')
if [ "$lines" -eq 7 ]; then
	ktap_test_pass "rbus_channel_bench printed all 7 figures"
else
	ktap_print_msg "$out"
	ktap_test_fail "rbus_channel_bench printed all 7 figures ($lines)"
fi
echo 0x50 >$host/delete_device

# The tunnel from user space: I2C_RDWR on /dev/i2c-N, and a bare syscall.
out=$("$(dirname "$0")/rbus_i2c_bench" "/dev/i2c-$i2c" 64 1)
lines=$(echo "$out" | grep -c 'rbus_i2c_bench: [a-z_0-9]* run=1 ns=[0-9]*\.[0-9]*$')
if [ "$lines" -eq 2 ]; then
	ktap_test_pass "rbus_i2c_bench printed both figures"
else
	ktap_print_msg "$out"
	ktap_test_fail "rbus_i2c_bench printed both figures ($lines)"
fi

ktap_finished
