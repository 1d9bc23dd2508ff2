#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Run the benchmarks of `make bench` once each, with few loops, on the debug
# kernel: bench/rbus_bench.c (loaded with a "rbus,bench-target" child to
# bind and the I2C tunnel's adapter) and bench/rbus_user_bench.c (on a
# child bound to rbus_dev and on the adapter's /dev/i2c-N), and
# bench/rbus_scale_bench.c (a few children). Each must print
# every figure and leave no splat (judged by `make check`'s log check).
# Their numbers mean nothing here.

. "$(dirname "$0")/../kselftest/ktap_helpers.sh"

ktap_print_header
ktap_set_plan 5

modprobe rbus_core || { ktap_skip_all "rbus modules not installed"; exit "$KSFT_SKIP"; }

# The tunnel child of the second controller, and its adapter.
modprobe rbus_ctrl && modprobe rbus_i2c && modprobe rbus_dev
i=0
until adapter=$(ls -d /sys/bus/platform/devices/PRP0001:01/rbus*/*-0060/i2c-* 2>/dev/null) ||
	[ $i -ge 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
i2c=${adapter##*i2c-}
host=$(ls -d /sys/bus/platform/devices/PRP0001:00/rbus*)
nr=$(basename "$host")
nr=${nr#rbus}

# Prints the cases of $2 (lines) missing from $1 (names, "case" or
# "case/batch"), with $3 callers.
missing() {
	for c in $1; do
		case $c in
		*/*) pat="rbus_bench: ${c%/*} batch=${c#*/} callers=$3 run=1 ns=[0-9]*\.[0-9]*\$" ;;
		*) pat="rbus_bench: $c callers=$3 run=1 ns=[0-9]*\.[0-9]*\$" ;;
		esac
		echo "$2" | grep -q "$pat" || echo "$c"
	done
}

# The lines after this mark are this run's; the kernel log stays whole for
# `make check`'s log check.
mark="rbus_bench_smoke: start $$"
echo "$mark" >/dev/kmsg
bench_log() { dmesg | sed -n "/$mark/,\$p" | grep rbus_bench; }
# A child of the simulated controller for the kernel child driver in
# rbus_bench, which times both interfaces on it.
echo "0x51 rbus,bench-target" >$host/new_device
if modprobe rbus_bench loops=1000 nruns=1 i2c_adapter="${i2c:--1}"; then
	ktap_test_pass "rbus_bench loads and measures"
else
	ktap_test_fail "rbus_bench loads and measures"
fi

log=$(bench_log)
gone=$(missing "bare srcu-fast exported inlined protected protected-rust reg-read transfer queue-transfer
		i2c-direct i2c-kernel" "$log" 1)
gone="$gone$(missing "bare srcu-fast exported inlined protected protected-rust reg-read" "$log" 2)"
if [ -z "$gone" ] && echo "$log" | grep -q 'rbus_bench: done'; then
	ktap_test_pass "rbus_bench printed every figure"
else
	ktap_print_msg "$log"
	ktap_test_fail "rbus_bench printed every figure (missing: $gone)"
fi
rmmod rbus_bench
echo 0x51 >$host/delete_device

# User space: the channel on a child at 0x50 bound to rbus_dev, and the
# tunnel through /dev/i2c-N.
echo "0x50 rbus,user" >$host/new_device
node=$(printf '/dev/rbus-%d-%04x' "$nr" 0x50)
i=0
while [ ! -e "$node" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
if out=$("$(dirname "$0")/rbus_user_bench" -c "$node" -i "/dev/i2c-$i2c" 64 1); then
	ktap_test_pass "rbus_user_bench runs"
else
	ktap_test_fail "rbus_user_bench runs"
fi
gone=$(missing "syscall pipe eventfd close-pipe round-trip batch/1 batch/4 batch/16 batch/64 batch/256
		close-channel info-ioctl read-empty i2c-rdwr" "$out" 1)
if [ -z "$gone" ]; then
	ktap_test_pass "rbus_user_bench printed every figure"
else
	ktap_print_msg "$out"
	ktap_test_fail "rbus_user_bench printed every figure (missing: $gone)"
fi
echo 0x50 >$host/delete_device

# The scaling benchmark on the first controller, with two and four children
# no driver binds, and the bind that enumerates its firmware children: four
# figures per size and two for the bind, in the format of every benchmark.
format='^rbus_bench: [a-z-]+( [a-z_]+=[^ ]+)* run=[0-9]+ (ns|bytes)=[0-9.]+$'
bench="$(dirname "$0")/rbus_scale_bench"
out=$("$bench" scale 1 rbus,bench PRP0001:00 2 4 && "$bench" firmware 1 PRP0001:00)
lines=$(echo "$out" | grep -cE "$format")
if [ "$lines" -eq 10 ] && [ "$(echo "$out" | wc -l)" -eq 10 ]; then
	ktap_test_pass "rbus_scale_bench printed all 10 figures"
else
	ktap_print_msg "$out"
	ktap_test_fail "rbus_scale_bench printed all 10 figures ($lines)"
fi

ktap_finished
