#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make bench`: both interfaces and their rulers, timed in each of
# BENCH_BOOTS (default 3) boots of the benchmark kernel (scripts/bench.config:
# no lockdep, KFENCE, kmemleak or Rust debug assertions). Builds that kernel
# once, then the modules against it in build/bench/src, so the tree's own
# build for `make check` is left alone. scripts/bench-report.py then prints
# the table and writes build/bench/bench.json and the plots, with
# matplotlib from a virtualenv of its own. The scaling benchmark's
# controllers come in a second SSDT.
#
# Environment: BENCH_BOOTS, RBUS_BENCH_LOOPS and RBUS_BENCH_RUNS (the
# guest's loops and runs per case, scripts/guest-init.sh).

set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
RBUS_CACHE=${RBUS_CACHE:-$HOME/.cache/rbus}
export RBUS_CACHE
out="$top/build/bench"
src="$out/src"

BENCH_BOOTS=${BENCH_BOOTS:-3}
MATPLOTLIB_VERSION=3.11.2

"$top/scripts/setup.sh"
venv="$RBUS_CACHE/tools/bench-venv"
if ! "$venv/bin/python3" -c "import matplotlib as m; assert m.__version__ == '$MATPLOTLIB_VERSION'" \
	2>/dev/null; then
	echo "bench: matplotlib $MATPLOTLIB_VERSION: pip install into a virtualenv"
	rm -rf "$venv"
	python3 -m venv "$venv"
	"$venv/bin/pip" install --quiet "matplotlib==$MATPLOTLIB_VERSION"
fi
"$top/scripts/kernel.sh" --bench
# shellcheck source=/dev/null
. "$RBUS_CACHE/env.sh"
kdir=$("$top/scripts/kernel.sh" --bench --kdir)

rm -rf "$out"
mkdir -p "$src"
# The tree as it is, committed or not, without its build products.
(cd "$top" && git ls-files -co --exclude-standard -z | tar --null -T - -cf -) | tar -C "$src" -xf -
echo "bench: building the modules for $(basename "$kdir")"
make -s -C "$kdir" M="$src" modules >"$out/build.log" 2>&1 ||
	{ cat "$out/build.log"; exit 1; }
# User space's benchmarks are static programs, run from /extra-tests.
mkdir -p "$out/extra"
for b in rbus_user_bench rbus_scale_bench; do
	gcc -Wall -Wextra -Werror -O2 -static -isystem "$top/include/uapi" \
		"$top/bench/$b.c" -o "$out/extra/$b"
done
RBUS_MODULES_DIR="$src" "$top/scripts/mkinitramfs.sh" "$out/initramfs.cpio.gz" "$kdir" - - \
	"$out/extra"
# The scaling benchmark's controllers come in a second SSDT, after the first.
make -s --no-print-directory -C "$top" ssdt scale-ssdt

logs=()
for boot in $(seq 1 "$BENCH_BOOTS"); do
	echo "bench: boot $boot of $BENCH_BOOTS (a few minutes under TCG)"
	rc=0
	"$top/scripts/run-guest.sh" bench "$kdir/arch/x86/boot/bzImage" "$out/initramfs.cpio.gz" \
		"$top/build/rbus-ssdt.aml,$top/build/rbus-scale-ssdt.aml" "$out/boot$boot" 3600 || rc=$?
	[ $rc -eq 0 ] || { echo "bench: guest failed ($rc), see $out/boot$boot/console.log"; exit 1; }
	logs+=("$out/boot$boot/results.log")
done
"$venv/bin/python3" "$top/scripts/bench-report.py" --json "$out/bench.json" --plots "$out" \
	"${logs[@]}"
