#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# scripts/select-tests.sh LIST [TEST...]: keep only the named test programs in
# a kselftest-list.txt (`make check T=...`). Without names it keeps them all.
# A name that matches no program is an error, and the list is left alone.

set -euo pipefail

list=$1
shift
[ $# -gt 0 ] || exit 0
# One T="a b" arrives as one word from make.
set -- $*

keep=()
for t in "$@"; do
	t=$(basename "$t")
	grep -qx "rbus:$t" "$list" || {
		echo "select-tests: no test program named '$t'; there are:" >&2
		sed 's/^rbus:/  /' "$list" >&2
		exit 1
	}
	keep+=("rbus:$t")
done
printf '%s\n' "${keep[@]}" >"$list"
