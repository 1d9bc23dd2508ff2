#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# /init of the rbus guest. The job comes from the kernel command line
# (rbus_job=check|run|bench|shell). Serial ports:
#   ttyS0  console: kernel log and everything below
#   ttyS1  test results (KTAP), ended by RBUS-RESULTS-END
#   ttyS2  dmesg, the kmemleak report and lockdep's state, ended by
#          RBUS-DMESG-END

export PATH=/sbin:/usr/sbin:/bin:/usr/bin

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t debugfs debugfs /sys/kernel/debug
# The rbus trace events (include/trace/events/rbus.h) and rbus_trace_test.
mount -t tracefs tracefs /sys/kernel/tracing
mount -t tmpfs tmpfs /tmp
mkdir -p /dev/pts /run
# devtmpfs has no /dev/fd or /dev/std*; the kselftest runner logs to /dev/stdout.
ln -s /proc/self/fd /dev/fd
ln -s /proc/self/fd/0 /dev/stdin
ln -s /proc/self/fd/1 /dev/stdout
ln -s /proc/self/fd/2 /dev/stderr
exec </dev/console >/dev/console 2>&1

KMEMLEAK=/sys/kernel/debug/kmemleak

# Module autoload: mdev listens for uevents on netlink and runs modprobe for
# each MODALIAS, as udev does. The kernel has no uevent helper.
# mdev runs `@` commands for every action but "remove", "bind" and "unbind"
# included; only "add" may load a module, or rmmod would be undone at once.
#
# `mdev -d` first scans /sys as `mdev -s` does, which takes seconds under
# TCG; run it in the foreground of a background job so boot goes on. During
# that scan ACTION is unset, so the rule loads nothing.
#
# devtmpfs owns /dev: "!" keeps mdev from creating or deleting nodes. A late
# "remove" of a char device would otherwise delete the node of a new device
# of the same name.
cat >/etc/mdev.conf <<'EOF'
$MODALIAS=.* 0:0 0660 ! @[ "$ACTION" = add ] && modprobe -q "$MODALIAS"
.* 0:0 0660 !
EOF
mdev -d -f </dev/null >/dev/null 2>&1 &

# The detectors' proof (selftests/modules/rbus_canary.c): a tagged leak the
# final scan must list and a tagged WARN the log must hold. Automatic scans
# are off, so only the scans below report, over the whole run.
arm_canaries() {
	echo scan=off >$KMEMLEAK
	insmod "/lib/modules/$(uname -r)/extra/rbus_canary.ko" && rmmod rbus_canary
}

# kmemleak only reports objects older than 5 s; scan twice, as its
# documentation advises, so transient references do not hide a leak. The end
# marker says the scans and the report all succeeded: the log checker fails a
# run without it.
kmemleak_report() {
	sleep 6
	echo scan >$KMEMLEAK && echo scan >$KMEMLEAK && cat $KMEMLEAK &&
		echo "RBUS-KMEMLEAK-SCANNED"
}

# Lockdep's own word that it was validating until the end: debug_locks drops
# to 0 when lockdep turns itself off.
lockdep_state() {
	sed -n 's/^ *debug_locks: */RBUS-LOCKDEP debug_locks /p' /proc/lockdep_stats
}

run_extra_tests() {
	[ -d /extra-tests ] || return 0
	n=0
	for t in /extra-tests/*; do
		[ -f "$t" ] && [ -x "$t" ] || continue
		n=$((n + 1))
		name=$(basename "$t")
		echo "# extra test: $name"
		"$t" >/tmp/extra.out 2>&1
		rc=$?
		sed 's/^/# /' /tmp/extra.out
		case $rc in
		0) echo "ok $n extra:$name" ;;
		4) echo "ok $n extra:$name # SKIP" ;;
		*) echo "not ok $n extra:$name # exit=$rc" ;;
		esac
	done
}

job_check() {
	# A longer run (make soak) raises the runner's per-program timeout.
	set --
	[ -n "${RBUS_KSFT_TIMEOUT:-}" ] && set -- --override-timeout "$RBUS_KSFT_TIMEOUT"
	arm_canaries
	echo "RBUS-RESULTS-BEGIN" >/dev/ttyS1
	# Each program's start and end carry the guest's uptime, for the
	# per-test times check.sh prints.
	(cd /kselftest && ./run_kselftest.sh "$@") 2>&1 | awk '
		/^# selftests: |^(not )?ok [0-9]+ selftests: / {
			getline up <"/proc/uptime"; close("/proc/uptime")
			split(up, t, " "); print "# RBUS-UPTIME " t[1]
		}
		{ print; fflush() }' | tee /dev/ttyS1
	run_extra_tests 2>&1 | tee /dev/ttyS1
	echo "RBUS-RESULTS-END" >/dev/ttyS1
	{
		dmesg
		echo "RBUS-KMEMLEAK-BEGIN"
		kmemleak_report
		lockdep_state
		echo "RBUS-DMESG-END"
	} >/dev/ttyS2
}

# The benchmark kernel's job: refscale's read-side figures around
# bench/rbus_bench.c's, then bench/rbus_user_bench.c's, in one boot. Each
# section on ttyS1 starts with "RBUS-BENCH <what>": refscale's kernel log
# (its "Runs / Time(ns)" table), then lines "rbus_bench: <case> ... ns=<x>";
# scripts/bench-report.py reads them. BENCH_LOOPS and BENCH_RUNS come from
# the kernel command line (scripts/bench.sh).
BENCH_LOOPS=${RBUS_BENCH_LOOPS:-100000}
BENCH_RUNS=${RBUS_BENCH_RUNS:-5}

bench_refscale() {
	dmesg -c >/dev/null
	modprobe refscale scale_type="$1" nreaders="$2" loops=$BENCH_LOOPS \
		nruns=$BENCH_RUNS holdoff=0 shutdown_secs=0 || return
	i=0
	until dmesg | grep -q 'END OF TEST' || [ $i -ge 300 ]; do sleep 1; i=$((i + 1)); done
	sleep 1
	echo "RBUS-BENCH refscale $1 $2"
	dmesg
	rmmod refscale
}

# The number of the I2C tunnel's adapter, once rbus_i2c has registered it.
i2c_adapter() {
	modprobe rbus_ctrl && modprobe rbus_i2c || return
	i=0
	until adapter=$(ls -d /sys/bus/platform/devices/PRP0001:01/rbus*/*-0060/i2c-* 2>/dev/null) ||
		[ $i -ge 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	echo "${adapter##*i2c-}"
}

# Every refscale ruler, with 1 and 2 readers.
bench_rulers() {
	for readers in 1 2; do
		for type in srcu srcu-fast refcnt rwsem; do
			bench_refscale "$type" "$readers"
		done
	done
}

# Both interfaces on children of the simulated controller: a kernel child
# driver (rbus_bench binds "rbus,bench-target") and a user-mode one (a child
# bound to rbus_dev), with the I2C tunnel from the kernel and /dev/i2c-N.
# refscale's rulers are timed before and after the kernel's cases, so that
# their figures bracket them: under TCG the host's speed drifts within a
# boot, and the report takes a ruler's median over both passes.
bench_rbus() {
	i2c=$(i2c_adapter)
	modprobe rbus_dev || return
	host=$(ls -d /sys/bus/platform/devices/PRP0001:00/rbus*)
	nr=$(basename "$host")
	nr=${nr#rbus}
	bench_rulers
	echo "0x51 rbus,bench-target" >$host/new_device
	dmesg -c >/dev/null
	# As many runs as user space's: each is a few milliseconds.
	modprobe rbus_bench loops=$BENCH_LOOPS nruns=$((BENCH_RUNS * 2 + 1)) \
		i2c_adapter="${i2c:--1}"
	echo "RBUS-BENCH rbus_bench"
	dmesg
	rmmod rbus_bench
	echo 0x51 >$host/delete_device
	bench_rulers

	echo "0x50 rbus,user" >$host/new_device || return
	node=$(printf '/dev/rbus-%d-%04x' "$nr" 0x50)
	i=0
	while [ ! -e "$node" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	echo "RBUS-BENCH user"
	# As many runs as the kernel's.
	/extra-tests/rbus_user_bench -c "$node" ${i2c:+-i /dev/i2c-$i2c} \
		$BENCH_LOOPS $((BENCH_RUNS * 2 + 1))
	echo "0x50" >$host/delete_device
}

# The platform device of the controller at ACPI path $1 (\_SB_.RBF0).
acpi_controller() {
	for d in /sys/bus/platform/devices/PRP0001:*; do
		[ "$(cat "$d/firmware_node/path" 2>/dev/null)" = "$1" ] && basename "$d"
	done
}

# How the bus scales with its children (bench/rbus_scale_bench.c), on the
# controllers of make bench's second SSDT (scripts/gen-scale-ssdt.py): the
# bind of one with 64 firmware children, then 64 to 4,096 children through
# new_device, removed by their controllers' unbind; children no driver binds,
# then children bound to rbus_dev. mdev is stopped meanwhile: it would fork a
# modprobe for every child's uevent, thousands a run, and its work would
# spill into the next run and the next benchmark.
bench_scale() {
	modprobe rbus_ctrl && modprobe rbus_dev || return
	fw=$(acpi_controller '\_SB_.RBF0')
	ctrls=$(for i in 0 1 2 3; do acpi_controller "\\_SB_.RBS$i"; done | tr '\n' , | sed 's/,$//')
	mdev=$(pidof mdev)
	[ -n "$mdev" ] && kill $mdev
	echo "RBUS-BENCH scale"
	/extra-tests/rbus_scale_bench firmware $((BENCH_RUNS * 2 + 1)) "$fw"
	/extra-tests/rbus_scale_bench scale $BENCH_RUNS rbus,bench "$ctrls" 64 256 1024 4096
	/extra-tests/rbus_scale_bench scale $BENCH_RUNS rbus,user "$ctrls" 64 256 1024
	[ -n "$mdev" ] && { mdev -d -f </dev/null >/dev/null 2>&1 & }
}

job_bench() {
	echo "RBUS-RESULTS-BEGIN" >/dev/ttyS1
	{
		bench_rbus
		bench_scale
		echo "RBUS-BENCH dmesg"
		dmesg
	} >/dev/ttyS1 2>&1
	echo "RBUS-RESULTS-END" >/dev/ttyS1
}

job_run() {
	echo "== modprobe rbus_ctrl rbus_demo"
	modprobe rbus_ctrl && modprobe rbus_demo
	echo "== /sys/bus/rbus"
	ls /sys/bus/rbus
	echo "== children (name, compatible, address, driver)"
	for d in /sys/bus/rbus/devices/*; do
		[ -e "$d" ] || continue
		drv=$(basename "$(readlink "$d/driver" 2>/dev/null)" 2>/dev/null)
		echo "$(basename "$d")  $(cat "$d/compatible")  $(cat "$d/address")  ${drv:-<none>}"
	done
	echo "== controller"
	ls -l /sys/bus/platform/drivers/rbus_ctrl | grep -- '->'
	echo "== rmmod rbus_demo rbus_ctrl rbus_core"
	rmmod rbus_demo && rmmod rbus_ctrl && rmmod rbus_core && echo "clean"
	echo "== dmesg | grep rbus"
	dmesg | grep -i rbus
}

case "${rbus_job:-shell}" in
check) job_check ;;
run) job_run ;;
bench) job_bench ;;
probe) ;;
*) setsid cttyhack sh ;;
esac

echo "RBUS-GUEST-DONE"
poweroff -f
