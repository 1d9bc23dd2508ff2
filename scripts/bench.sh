#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make bench`: the per-call cost of the ops table against refscale, and the
# request channel against a pipe, in one boot of the benchmark kernel (scripts/bench.config: no lockdep, KFENCE,
# kmemleak or Rust debug assertions). Builds that kernel once, then the
# modules against it in build/bench/src, so the tree's own build for
# `make check` is left alone. Prints the table of scripts/bench-report.py.

set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
RBUS_CACHE=${RBUS_CACHE:-$HOME/.cache/rbus}
export RBUS_CACHE
out="$top/build/bench"
src="$out/src"

"$top/scripts/setup.sh"
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
# The channel and I2C benchmarks are static user-space programs, run from
# /extra-tests.
mkdir -p "$out/extra"
for b in rbus_channel_bench rbus_i2c_bench; do
	gcc -Wall -Wextra -Werror -O2 -static -isystem "$top/include/uapi" \
		"$top/bench/$b.c" -o "$out/extra/$b"
done
RBUS_MODULES_DIR="$src" "$top/scripts/mkinitramfs.sh" "$out/initramfs.cpio.gz" "$kdir" - - \
	"$out/extra"
make -s --no-print-directory -C "$top" ssdt

echo "bench: booting the guest (a few minutes under TCG)"
rc=0
"$top/scripts/run-guest.sh" bench "$kdir/arch/x86/boot/bzImage" "$out/initramfs.cpio.gz" \
	"$top/build/rbus-ssdt.aml" "$out" 1800 || rc=$?
[ $rc -eq 0 ] || { echo "bench: guest failed ($rc), see $out/console.log"; exit 1; }
"$top/scripts/bench-report.py" "$out/results.log"
