#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Report the KUnit suites of the rbus modules as kselftest results. KUnit runs
# a module's suites when it loads and logs KTAP to the kernel log and to
# /sys/kernel/debug/kunit/<suite>/results; each case
# becomes one result here, and a suite that never ran is a failure.

. "$(dirname "$0")/../kselftest/ktap_helpers.sh"

# suite:module
SUITES="rbus_abstractions:rbus_core"

ktap_print_header

for entry in $SUITES; do
	module=${entry#*:}
	modprobe "$module" || { ktap_skip_all "module $module not installed"; exit "$KSFT_SKIP"; }
done

cases=$(mktemp)
for entry in $SUITES; do
	suite=${entry%%:*}
	# The last run of the suite: from its "# Subtest:" line to its own result,
	# in KUnit's debugfs file, which a long run cannot scroll away as it does
	# the kernel log's copy.
	results=/sys/kernel/debug/kunit/$suite/results
	if [ -r "$results" ]; then cat "$results"; else dmesg | sed 's/^\[[^]]*\] //'; fi |
	awk -v s="$suite" '
		$0 ~ "^    # Subtest: " s "$" { n = 0; delete lines; on = 1; next }
		on && $0 ~ "^(not )?ok [0-9]+ " s "$" { on = 0; done = 1; next }
		on && /^    (not )?ok [0-9]+ / { lines[n++] = $0 }
		END {
			if (!done) { print "MISSING " s; exit }
			for (i = 0; i < n; i++) print s ": " lines[i]
		}' >>"$cases"
done

ktap_set_plan "$(wc -l <"$cases")"
while read -r line; do
	case "$line" in
	MISSING*) ktap_test_fail "suite ${line#MISSING } did not run" ;;
	*"    not ok "*|*": not ok "*) ktap_test_fail "$(echo "$line" | sed 's/ *not ok [0-9]* / /')" ;;
	*"# SKIP"*) ktap_test_skip "$(echo "$line" | sed 's/ *ok [0-9]* / /')" ;;
	*) ktap_test_pass "$(echo "$line" | sed 's/ *ok [0-9]* / /')" ;;
	esac
done <"$cases"
rm -f "$cases"

ktap_finished
