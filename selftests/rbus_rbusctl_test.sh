#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# rbusctl drives the bus. First exactly the README's steps for a new user:
# list the bus, add a user-mode child, do a transfer, watch events, remove
# it; each step is checked against sysfs, the simulated device's answer (the
# bytes written, inverted and repeated) and the events raised in debugfs.
# Then the other commands, the Rust twins of the README's example, the I2C
# adapter of the tunnel child, and bad input: a child that does not exist,
# malformed bytes and a device removed mid-watch each give one line on
# stderr and a non-zero exit, never a panic or a hang.

DIR=$(cd "$(dirname "$0")" && pwd)
. "$DIR/../kselftest/ktap_helpers.sh"

ktap_print_header

command -v rbusctl >/dev/null || ktap_exit_fail_msg "rbusctl is not installed in the guest"
for m in rbus_ctrl rbus_dev rbus_demo; do
	modprobe "$m" || { ktap_skip_all "module $m not installed"; exit "$KSFT_SKIP"; }
done
modprobe rbus_i2c

ktap_set_plan 18

CTRL=/sys/bus/platform/devices/PRP0001:00
TUNNEL_CTRL=/sys/bus/platform/devices/PRP0001:01
DEVICES=/sys/bus/rbus/devices
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

bus_of() {
	h=$(ls -d "$1"/rbus[0-9]* 2>/dev/null | head -n1)
	echo "${h##*/rbus}"
}
nr=$(bus_of "$CTRL")
[ -n "$nr" ] || ktap_exit_fail_msg "no host under $CTRL"
host=$CTRL/rbus$nr
debug=/sys/kernel/debug/rbus$nr
child=$(printf '%d-%04x' "$nr" 0x40)
other=$(printf '%d-%04x' "$nr" 0x41)
# Leftovers of an earlier run.
for a in 0x40 0x41; do echo "$a" >"$host/delete_device" 2>/dev/null; done

fail() {
	ktap_print_msg "$*"
	return 1
}

# rbusctl ARGS...: runs it, bounded, with stdout in $T/out, stderr in $T/err,
# and its status in $rc.
rbusctl() {
	timeout 60 /usr/bin/rbusctl "$@" >"$T/out" 2>"$T/err"
	rc=$?
}

# The value of "key" in pretty-printed JSON on stdin: the first line
# `"key": value` (strings without their quotes).
jget() {
	sed -n -e "s/^ *\"$1\": \"\(.*\)\",\{0,1\}\$/\1/p" \
		-e "s/^ *\"$1\": \([^\"{[][^,]*\),\{0,1\}\$/\1/p" | head -n1
}

# The value of "key" in one-line JSON on stdin.
jline() {
	sed -n "s/.*\"$1\":\"\{0,1\}\([^\",}]*\).*/\1/p"
}

# The object of child $1 in the output of `rbusctl --json list`, $T/out.
jchild() {
	awk -v n="\"name\": \"$1\"," 'index($0, n) { on = 1 } on { print } on && /^    }/ { exit }' "$T/out"
}

# The answer of the simulated device: the bytes written ("12 34"), inverted
# and repeated to fill the read of $2 bytes.
answer() {
	set -- $1 "$2"
	n=$(($# - 1))
	eval len=\${$#}
	out=
	i=0
	while [ $i -lt "$len" ]; do
		eval b=\${$((i % n + 1))}
		out="$out $(printf '%02x' $((~0x$b & 0xff)))"
		i=$((i + 1))
	done
	echo "${out# }"
}

driver_of() {
	l=$(readlink "$DEVICES/$1/driver" 2>/dev/null) && echo "${l##*/}"
}

counter() {
	cat "$DEVICES/$1/$2"
}

# The events the simulated device raised to the child at $1 (debugfs raised).
raised() {
	awk -v a="$(printf '0x%03x' "$1")" '$1 == a { print $2 }' "$debug/raised"
}

# Waits up to 5 s for process $1 to hold the char device $2 open.
wait_open() {
	i=0
	while [ $i -lt 50 ]; do
		for fd in /proc/"$1"/fd/*; do
			[ "$(readlink "$fd" 2>/dev/null)" = "$2" ] && return 0
		done
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# Waits up to $2 seconds for process $1 to end; its status in $wrc.
wait_exit() {
	i=0
	while kill -0 "$1" 2>/dev/null && [ $i -lt $(($2 * 10)) ]; do
		sleep 0.1
		i=$((i + 1))
	done
	if kill -0 "$1" 2>/dev/null; then
		kill -9 "$1"
		wait "$1"
		wrc=hung
		return 1
	fi
	wait "$1"
	wrc=$?
}

# A failure: status $1, exactly one line on stderr ($2, default $T/err)
# starting with "rbusctl: " and holding each further argument, no panic.
one_line_error() {
	want=$1
	shift
	err=$T/err
	if [ "${1:-}" = --err ]; then
		err=$2
		shift 2
	fi
	[ "$rc" = "$want" ] || fail "exit status $rc, not $want: $(cat "$err")" || return 1
	[ "$(wc -l <"$err")" -eq 1 ] || fail "not one line: $(cat "$err")" || return 1
	grep -q '^rbusctl: ' "$err" || fail "no rbusctl: prefix: $(cat "$err")" || return 1
	! grep -q panicked "$err" || fail "panicked: $(cat "$err")" || return 1
	for s in "$@"; do
		grep -qF -- "$s" "$err" || fail "'$s' not in: $(cat "$err")" || return 1
	done
}

step() {
	name=$1
	shift
	if "$@"; then
		ktap_test_pass "$name"
	else
		ktap_test_fail "$name"
	fi
}

# README step 1: rbusctl list.
list_human() {
	rbusctl list
	[ $rc = 0 ] || fail "rbusctl list: $rc: $(cat "$T/err")" || return 1
	for h in /sys/bus/platform/drivers/rbus_ctrl/*/rbus[0-9]*; do
		[ -d "$h" ] || continue
		grep -q "  ${h##*/}  *${h##*/rbus}  " "$T/out" || fail "no host ${h##*/}" || return 1
	done
	for d in "$DEVICES"/*; do
		[ -e "$d" ] || continue
		c=${d##*/}
		drv=$(driver_of "$c")
		grep -q "^$c  *$(cat "$d/address")  *$(cat "$d/compatible")  *${drv:--}  " "$T/out" ||
			fail "no line for $c: $(cat "$T/out")" || return 1
	done
}

list_json() {
	rbusctl --json list
	[ $rc = 0 ] || fail "rbusctl --json list: $rc" || return 1
	n=0
	for d in "$DEVICES"/*; do
		[ -e "$d" ] || continue
		c=${d##*/}
		n=$((n + 1))
		jchild "$c" >"$T/child"
		[ "$(jget address <"$T/child")" = "$(($(cat "$d/address")))" ] || fail "$c address" || return 1
		[ "$(jget compatible <"$T/child")" = "$(cat "$d/compatible")" ] || fail "$c compatible" || return 1
		drv=$(driver_of "$c")
		[ "$(jget driver <"$T/child")" = "${drv:-null}" ] || fail "$c driver" || return 1
		[ "$(jget runtime_status <"$T/child")" = "$(cat "$d/power/runtime_status")" ] ||
			fail "$c runtime_status" || return 1
		for k in calls events_delivered requests_submitted requests_completed; do
			[ "$(jget $k <"$T/child")" = "$(counter "$c" $k)" ] || fail "$c $k" || return 1
		done
	done
	[ "$(grep -c '^      "name": ' "$T/out")" = "$n" ] || fail "not $n children" || return 1
	jget device <"$T/out" | grep -qx 'PRP0001:0[01]' || fail "no controller" || return 1
}

# README step 2: rbusctl add --wait <child> rbus,user.
add_user_child() {
	rbusctl add --wait "$child" rbus,user
	[ $rc = 0 ] || fail "add: $rc: $(cat "$T/err")" || return 1
	[ "$(cat "$T/out")" = "added $child (rbus,user): driver rbus_dev, channel /dev/rbus-$child" ] ||
		fail "add printed: $(cat "$T/out")" || return 1
	[ "$(driver_of "$child")" = rbus_dev ] || fail "driver $(driver_of "$child")" || return 1
	[ -c "/dev/rbus-$child" ] || fail "no /dev/rbus-$child"
}

info_json() {
	rbusctl --json info "$child"
	[ $rc = 0 ] || fail "info: $rc: $(cat "$T/err")" || return 1
	j=$T/out
	[ "$(jget name <"$j")" = "$child" ] || fail "name" || return 1
	[ "$(jget bus <"$j")" = "$nr" ] || fail "bus" || return 1
	[ "$(jget address <"$j")" = 64 ] || fail "address" || return 1
	[ "$(jget driver_override <"$j")" = null ] || fail "driver_override" || return 1
	[ "$(jget runtime_control <"$j")" = "$(cat "$DEVICES/$child/power/control")" ] ||
		fail "runtime_control" || return 1
	[ "$(jget channel <"$j")" = "/dev/rbus-$child" ] || fail "channel" || return 1
	for k in $(ls "$DEVICES/$child" | grep -E '^(calls|events_|requests_|channel_events_)'); do
		[ "$(jget "$k" <"$j")" = "$(counter "$child" "$k")" ] || fail "counter $k" || return 1
	done
	# RBUS_IOC_INFO, against the header's limits and the child's own numbers.
	sed -n '/"channel_info"/,/}/p' "$j" >"$T/ci"
	[ "$(jget bus <"$T/ci")" = "$nr" ] && [ "$(jget address <"$T/ci")" = 64 ] &&
		[ "$(jget compatible <"$T/ci")" = rbus,user ] && [ "$(jget version <"$T/ci")" = 1 ] &&
		[ "$(jget data_max <"$T/ci")" = 64 ] && [ "$(jget submit_max <"$T/ci")" = 256 ] &&
		[ "$(jget record_size <"$T/ci")" = 96 ] && [ "$(jget queue_depth <"$T/ci")" = 256 ] ||
		fail "channel_info: $(cat "$T/ci")"
}

# README step 3: rbusctl transfer <child> --write "12 34" --read 4.
transfer() {
	sub=$(counter "$child" requests_submitted)
	done_=$(counter "$child" requests_completed)
	rbusctl transfer "$child" --write "12 34" --read 4
	[ $rc = 0 ] || fail "transfer: $rc: $(cat "$T/err")" || return 1
	[ "$(cat "$T/out")" = "$(answer "12 34" 4)" ] ||
		fail "read back '$(cat "$T/out")', not '$(answer "12 34" 4)'" || return 1
	[ "$(counter "$child" requests_submitted)" = $((sub + 1)) ] &&
		[ "$(counter "$child" requests_completed)" = $((done_ + 1)) ] ||
		fail "counters did not count one request" || return 1
	rbusctl --json transfer "$child" --write 0x01,0x80,0xff --read 7
	[ $rc = 0 ] || fail "json transfer: $rc" || return 1
	[ "$(jline data <"$T/out")" = "$(answer "01 80 ff" 7)" ] &&
		[ "$(jline status <"$T/out")" = 0 ] && [ "$(jline len <"$T/out")" = 7 ] &&
		[ "$(jline type <"$T/out")" = completion ] || fail "json: $(cat "$T/out")"
}

# README step 4: rbusctl watch <child>, and events raised in debugfs. A
# script's background job ignores SIGINT, so SIGTERM stands for Ctrl-C.
watch_events() {
	before=$(raised 0x40)
	delivered=$(counter "$child" events_delivered)
	/usr/bin/rbusctl watch "$child" >"$T/watch" 2>"$T/watch.err" &
	pid=$!
	wait_open $pid "/dev/rbus-$child" || { kill -9 $pid; fail "watch did not open the channel"; return 1; }
	for ev in "3 77" "5 0" "7 123456789"; do
		echo "0x40 $ev" >"$debug/raise" || fail "raise $ev" || return 1
	done
	i=0
	while [ "$(grep -c '^event' "$T/watch")" -lt 3 ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	kill -TERM $pid
	wait_exit $pid 5 || fail "watch did not stop" || return 1
	[ "$wrc" = 143 ] || fail "watch ended with $wrc: $(cat "$T/watch.err")" || return 1
	after=$(raised 0x40)
	[ "$after" = $((before + 3)) ] || fail "raised $before -> $after" || return 1
	[ "$(counter "$child" events_delivered)" = $((delivered + 3)) ] || fail "events_delivered" || return 1
	{
		printf '%-10s  %6s  %4s  %7s  %s\n' RECORD ID/SEQ KIND PAYLOAD "STATUS  DATA"
		printf '%-10s  %6s  %4s  %7s\n' event $((before + 1)) 3 77 event $((before + 2)) 5 0 \
			event $((after)) 7 123456789
	} >"$T/want"
	cmp -s "$T/want" "$T/watch" || fail "watch printed: $(cat "$T/watch") wanted: $(cat "$T/want")"
}

watch_json_count() {
	seq0=$(raised 0x40)
	/usr/bin/rbusctl --json watch "$child" --count 2 >"$T/watch" 2>"$T/watch.err" &
	pid=$!
	wait_open $pid "/dev/rbus-$child" || { kill -9 $pid; fail "watch did not open the channel"; return 1; }
	echo "0x40 9 1" >"$debug/raise" && echo "0x40 2 65535" >"$debug/raise" || fail "raise" || return 1
	wait_exit $pid 10 || fail "watch --count 2 did not end" || return 1
	[ "$wrc" = 0 ] || fail "exit $wrc: $(cat "$T/watch.err")" || return 1
	printf '{"type":"event","seq":%d,"kind":9,"payload":1}\n{"type":"event","seq":%d,"kind":2,"payload":65535}\n' \
		$((seq0 + 1)) $((seq0 + 2)) >"$T/want"
	cmp -s "$T/want" "$T/watch" || fail "watch printed: $(cat "$T/watch")" || return 1
	# With --submit, the batch's completions come in the stream too.
	printf '12 read 2\nff read 1\n' >"$T/batch"
	rbusctl --json watch "$child" --submit "$T/batch" --count 2
	[ $rc = 0 ] || fail "watch --submit: $rc: $(cat "$T/err")" || return 1
	printf '{"type":"completion","id":1,"status":0,"error":null,"len":2,"data":"%s"}\n{"type":"completion","id":2,"status":0,"error":null,"len":1,"data":"%s"}\n' \
		"$(answer 12 2)" "$(answer ff 1)" >"$T/want"
	sort "$T/out" | cmp -s "$T/want" - || fail "watch --submit printed: $(cat "$T/out")"
}

submit_batch() {
	sub=$(counter "$child" requests_submitted)
	printf '# three requests\n12 34 read 4\nff read 1\n\n01 02 03 read 64\n' >"$T/batch"
	timeout 60 /usr/bin/rbusctl --json submit "$child" <"$T/batch" >"$T/out" 2>"$T/err"
	rc=$?
	[ $rc = 0 ] || fail "submit: $rc: $(cat "$T/err")" || return 1
	[ "$(jline id <"$T/out" | tr '\n' ' ')" = "1 2 3 " ] || fail "ids: $(cat "$T/out")" || return 1
	[ "$(sed -n 1p "$T/out" | jline data)" = "$(answer "12 34" 4)" ] &&
		[ "$(sed -n 2p "$T/out" | jline data)" = "$(answer ff 1)" ] &&
		[ "$(sed -n 3p "$T/out" | jline data)" = "$(answer "01 02 03" 64)" ] ||
		fail "answers: $(cat "$T/out")" || return 1
	[ "$(counter "$child" requests_submitted)" = $((sub + 3)) ] || fail "requests_submitted" || return 1
	rbusctl submit "$child" "$T/batch"
	[ $rc = 0 ] || fail "submit from a file: $rc" || return 1
	[ "$(sed -n 1p "$T/out")" = "ID  STATUS  LEN  DATA" ] &&
		[ "$(sed -n 3p "$T/out")" = " 2  ok        1  $(answer ff 1)" ] || fail "table: $(cat "$T/out")"
}

stats() {
	rbusctl --json stats "$child"
	[ $rc = 0 ] || fail "stats: $rc" || return 1
	for k in $(ls "$DEVICES/$child" | grep -E '^(calls|events_|requests_|channel_events_)'); do
		[ "$(jline "$k" <"$T/out")" = "$(counter "$child" "$k")" ] || fail "stats $k" || return 1
	done
	rbusctl stats "$child" --interval 0.2 --count 2
	[ $rc = 0 ] || fail "stats --interval: $rc" || return 1
	grep -q '^totals:$' "$T/out" && grep -q '^change over 0.2 s' "$T/out" &&
		[ "$(grep -c "^$child " "$T/out")" = 2 ] || fail "stats printed: $(cat "$T/out")"
}

# The README's example in C, and its Rust twins, print the same.
hello_twins() {
	"$DIR/rbus_hello" "/dev/rbus-$child" >"$T/c" 2>&1 || fail "rbus_hello: $(cat "$T/c")" || return 1
	printf 'request 1: ok, 4 bytes: %s\nrequest 2: ok, 1 bytes: %s\n' "$(answer "12 34" 4)" \
		"$(answer ff 1)" >"$T/want"
	cmp -s "$T/want" "$T/c" || fail "rbus_hello printed: $(cat "$T/c")" || return 1
	for twin in rbus-hello rbus-hello-async; do
		timeout 30 "$twin" "/dev/rbus-$child" >"$T/rs" 2>&1 || fail "$twin: $(cat "$T/rs")" || return 1
		cmp -s "$T/c" "$T/rs" || fail "$twin printed: $(cat "$T/rs")" || return 1
	done
}

# The library's cancel, on a request the slowed simulated device holds.
library_cancel() {
	cancelled=$(counter "$child" requests_cancelled)
	echo "0x40 2000000 0" >"$debug/requests" || fail "slowing the device" || return 1
	timeout 30 rbus-cancel "/dev/rbus-$child" >"$T/out" 2>&1
	rc=$?
	echo "0x40 0 0" >"$debug/requests"
	[ $rc = 0 ] || fail "rbus-cancel: $rc: $(cat "$T/out")" || return 1
	printf 'cancel 7: Cancelled\nrequest 7: Operation canceled (ECANCELED)\ncancel 99: No such file or directory (ENOENT)\n' >"$T/want"
	cmp -s "$T/want" "$T/out" || fail "rbus-cancel printed: $(cat "$T/out")" || return 1
	[ "$(counter "$child" requests_cancelled)" = $((cancelled + 1)) ] || fail "requests_cancelled"
}

user_switch() {
	rbusctl add --wait "$other" rbus,demo
	[ $rc = 0 ] && [ "$(driver_of "$other")" = rbus_demo ] || fail "add $other: $(cat "$T/err")" || return 1
	rbusctl user "$other"
	[ $rc = 0 ] || fail "user: $rc: $(cat "$T/err")" || return 1
	[ "$(driver_of "$other")" = rbus_dev ] && [ -c "/dev/rbus-$other" ] &&
		[ "$(cat "$DEVICES/$other/driver_override")" = rbus_dev ] || fail "not switched" || return 1
	rbusctl transfer "$other" --write 5a --read 2
	[ "$(cat "$T/out")" = "$(answer 5a 2)" ] || fail "transfer after user: $(cat "$T/out")" || return 1
	rbusctl user --off "$other"
	[ $rc = 0 ] || fail "user --off: $rc: $(cat "$T/err")" || return 1
	[ "$(driver_of "$other")" = rbus_demo ] && [ ! -e "/dev/rbus-$other" ] &&
		[ "$(cat "$DEVICES/$other/driver_override")" = "(null)" ] || fail "not back" || return 1
	rbusctl unbind "$other"
	[ $rc = 0 ] && [ -z "$(driver_of "$other")" ] || fail "unbind: $(cat "$T/err")" || return 1
	rbusctl bind "$other" rbus_demo
	[ $rc = 0 ] && [ "$(driver_of "$other")" = rbus_demo ] || fail "bind: $(cat "$T/err")" || return 1
	rbusctl remove "$other"
	[ $rc = 0 ] && [ ! -e "$DEVICES/$other" ] || fail "remove: $(cat "$T/err")"
}

tunnel_adapter() {
	tnr=$(bus_of "$TUNNEL_CTRL")
	tunnel=$(printf '%d-%04x' "$tnr" 0x60)
	i=0
	until adapter=$(ls -d "$DEVICES/$tunnel"/i2c-* 2>/dev/null) || [ $i -ge 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ -n "$adapter" ] || fail "no adapter under $tunnel" || return 1
	anr=${adapter##*i2c-}
	rbusctl --json info "$tunnel"
	[ $rc = 0 ] || fail "info $tunnel: $rc: $(cat "$T/err")" || return 1
	sed -n '/"i2c_adapter"/,$p' "$T/out" >"$T/a"
	[ "$(jget number <"$T/a")" = "$anr" ] && [ "$(jget device <"$T/a")" = "/dev/i2c-$anr" ] &&
		[ "$(jget name <"$T/a")" = "$(cat "$adapter/name")" ] || fail "adapter: $(cat "$T/a")" || return 1
	# Its clients, as sysfs has them: at24's EEPROM and lm75's sensor from firmware.
	n=0
	for c in "$adapter"/*; do
		[ "$(readlink "$c/subsystem" 2>/dev/null)" != "" ] || continue
		[ "$(basename "$(readlink "$c/subsystem")")" = i2c ] || continue
		case ${c##*/} in i2c-[0-9]*) continue ;; esac
		n=$((n + 1))
		grep -qx "  *\"device\": \"${c##*/}\"," "$T/a" &&
			grep -qx "  *\"name\": \"$(cat "$c/name")\"," "$T/a" ||
			fail "client ${c##*/} ($(cat "$c/name")) not in: $(cat "$T/a")" || return 1
	done
	[ $n -ge 2 ] && [ "$(grep -c '^ *"device": ' "$T/a")" = $((n + 1)) ] ||
		fail "$n clients in sysfs: $(cat "$T/a")" || return 1
	rbusctl list
	grep -q "^$tunnel .*  i2c-$anr\$" "$T/out" || fail "list: $(grep "^$tunnel" "$T/out")"
}

no_such_child() {
	[ ! -e "$DEVICES/$nr-03ff" ] || fail "$nr-03ff exists" || return 1
	rbusctl info "$nr-03ff"
	one_line_error 1 "no child $nr-03ff" "$DEVICES/$nr-03ff" "(ENOENT)" || return 1
	rbusctl transfer "$nr-03ff" --write 12 --read 1
	one_line_error 1 "transfer on $nr-03ff: no child" || return 1
	rbusctl remove "$nr-03ff"
	one_line_error 1 "rbus$nr/delete_device" "(ENOENT)" || return 1
	rbusctl add "$child" rbus,user
	one_line_error 1 "rbus$nr/new_device" "Device or resource busy (EBUSY)" || return 1
	rbusctl watch foo
	one_line_error 2 '"foo" is not a child'
}

malformed_input() {
	sub=$(counter "$child" requests_submitted)
	rbusctl transfer "$child" --write zz --read 1
	one_line_error 2 'bad byte "zz"' || return 1
	rbusctl transfer "$child" --write "12 345" --read 1
	one_line_error 2 'bad byte "345"' || return 1
	rbusctl transfer "$child" --write 12 --read 65
	one_line_error 2 "65 is not in 0..=64" || return 1
	printf '12 read 1\n12 3g\n' >"$T/batch"
	rbusctl submit "$child" "$T/batch"
	one_line_error 2 "line 2: bad byte \"3g\"" || return 1
	# The kernel's own refusal: a read with nothing to write.
	rbusctl transfer "$child" --write "" --read 4
	one_line_error 1 "RBUS_IOC_SUBMIT" "Invalid argument (EINVAL)" || return 1
	[ "$(counter "$child" requests_submitted)" = "$sub" ] || fail "a bad request was counted"
}

# README step 5, with a watch running: the removal ends it with one line.
remove_mid_watch() {
	/usr/bin/rbusctl watch "$child" >"$T/watch" 2>"$T/watch.err" &
	pid=$!
	wait_open $pid "/dev/rbus-$child" || { kill -9 $pid; fail "watch did not open the channel"; return 1; }
	rbusctl remove "$child"
	[ $rc = 0 ] && [ "$(cat "$T/out")" = "removed $child" ] || fail "remove: $(cat "$T/err")" || return 1
	[ ! -e "$DEVICES/$child" ] && [ ! -e "/dev/rbus-$child" ] || fail "still there" || return 1
	wait_exit $pid 10 || fail "watch hung after the removal" || return 1
	rc=$wrc
	one_line_error 1 --err "$T/watch.err" "watch $child: the device is gone" "No such device (ENODEV)"
}

removed_twice() {
	rbusctl remove "$child"
	one_line_error 1 "writing \"0x40\" to " "rbus$nr/delete_device" "No such file or directory (ENOENT)"
}

step "README step 1: rbusctl list shows every controller and child" list_human
step "rbusctl --json list matches sysfs" list_json
step "README step 2: rbusctl add --wait makes a user-mode child with its channel" add_user_child
step "rbusctl --json info matches sysfs and RBUS_IOC_INFO" info_json
step "README step 3: rbusctl transfer reads the simulated device's answer" transfer
step "README step 4: rbusctl watch shows the events raised in debugfs" watch_events
step "rbusctl watch --count and --submit stream events and completions as JSON" watch_json_count
step "rbusctl submit runs a batch from stdin and from a file" submit_batch
step "rbusctl stats matches the sysfs counters, once and at an interval" stats
step "rbus-hello and rbus-hello-async print what the C rbus_hello prints" hello_twins
step "the library cancels a pending request: one record, -ECANCELED" library_cancel
step "rbusctl user, bind and unbind switch a child's driver" user_switch
step "rbusctl info and list show the I2C adapter of the tunnel child" tunnel_adapter
step "a child that does not exist: one line, exit 1" no_such_child
step "malformed bytes and batches: one line, exit 2, nothing submitted" malformed_input
step "README step 5: rbusctl remove mid-watch ends the watch with one line, exit 1" remove_mid_watch
step "removing it again names delete_device and ENOENT, exit 1" removed_twice
step "rbusctl --help lists the exit status" sh -c 'rbusctl --help | grep -q "^Exit status:"'

ktap_finished
