#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Remove every rbus module in reverse load order: child drivers, then the
# controller (which removes its children first), then the bus core. Each step
# must succeed and leave sysfs consistent; the splat check of `make check`
# judges the kernel log.

. "$(dirname "$0")/../kselftest/ktap_helpers.sh"

ktap_print_header
ktap_set_plan 4

for m in rbus_core rbus_ctrl rbus_demo; do
	modprobe "$m" || { ktap_skip_all "module $m not installed"; exit "$KSFT_SKIP"; }
done

# The software-node controller and the test child driver, if tests left them.
rmmod rbus_swnode 2>/dev/null
rmmod rbus_test_child 2>/dev/null
rmmod rbus_dev 2>/dev/null
rmmod rbus_c_child 2>/dev/null
rmmod rbus_i2c 2>/dev/null
# Stop module autoload: mdev may still be working through the uevents of
# earlier tests, and its modprobe would reload a module just removed.
# Stopping mdev leaves the modprobe it may be running, so wait that out too.
killall mdev 2>/dev/null
i=0
while pidof mdev modprobe >/dev/null && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done

step() {
	name=$1
	shift
	if "$@"; then
		ktap_test_pass "$name"
	else
		ktap_test_fail "$name"
		ktap_print_msg "modules: $(cut -d' ' -f1 /proc/modules | tr '\n' ' ')"
		ktap_print_msg "devices: $(ls /sys/bus/rbus/devices 2>&1 | tr '\n' ' ')"
	fi
}

no_children_bound() {
	rmmod rbus_demo || return 1
	[ ! -d /sys/bus/rbus/drivers/rbus_demo ] || return 1
	# The devices stay; only their driver went away.
	[ -d /sys/bus/rbus/devices/0-0010 ] && [ ! -e /sys/bus/rbus/devices/0-0010/driver ]
}

no_children_left() {
	rmmod rbus_ctrl || return 1
	[ -z "$(ls /sys/bus/rbus/devices)" ]
}

bus_gone() {
	rmmod rbus_core || return 1
	[ ! -e /sys/bus/rbus ]
}

no_module_left() {
	! grep -q '^rbus_' /proc/modules
}

step "rmmod rbus_demo unbinds its devices only" no_children_bound
step "rmmod rbus_ctrl removes every child" no_children_left
step "rmmod rbus_core removes /sys/bus/rbus" bus_gone
step "no rbus module left loaded" no_module_left

ktap_finished
