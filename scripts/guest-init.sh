#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# /init of the rbus guest. The job comes from the kernel command line
# (rbus_job=check|run|shell). Serial ports:
#   ttyS0  console: kernel log and everything below
#   ttyS1  test results (KTAP), ended by RBUS-RESULTS-END
#   ttyS2  dmesg and the kmemleak report, ended by RBUS-DMESG-END

export PATH=/sbin:/usr/sbin:/bin:/usr/bin

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t debugfs debugfs /sys/kernel/debug
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
echo '$MODALIAS=.* 0:0 0660 @[ "$ACTION" = add ] && modprobe -q "$MODALIAS"' >/etc/mdev.conf
mdev -d -f </dev/null >/dev/null 2>&1 &

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
	echo "RBUS-RESULTS-BEGIN" >/dev/ttyS1
	(cd /kselftest && ./run_kselftest.sh "$@") 2>&1 | tee /dev/ttyS1
	run_extra_tests 2>&1 | tee /dev/ttyS1
	echo "RBUS-RESULTS-END" >/dev/ttyS1
	{
		dmesg
		echo "RBUS-KMEMLEAK-BEGIN"
		kmemleak_report
		echo "RBUS-DMESG-END"
	} >/dev/ttyS2
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
probe) ;;
*) setsid cttyhack sh ;;
esac

echo "RBUS-GUEST-DONE"
poweroff -f
