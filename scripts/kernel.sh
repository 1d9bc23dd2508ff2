#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the guest kernel once and cache it.
#
#   scripts/kernel.sh --kdir    print the build directory, build nothing
#   scripts/kernel.sh           build it unless the cache already holds it
#   scripts/kernel.sh --bench [--kdir]
#                               the same for the benchmark kernel: no lockdep,
#                               KFENCE, kmemleak or Rust debug assertions,
#                               and refscale (scripts/bench.config on top)
#   scripts/kernel.sh --kasan [--kdir]
#                               the same for the KASAN kernel: the check
#                               kernel plus generic KASAN (scripts/kasan.config),
#                               built with LLVM=-19 (Rust needs clang for KASAN)
#
# The build lives in $RBUS_CACHE/build/<version>-<hash>, where the hash covers
# the config fragments and the Rust toolchain, so a changed fragment rebuilds
# and an unchanged one does not. scripts/setup.sh must have run first.

set -euo pipefail

RBUS_CACHE=${RBUS_CACHE:-$HOME/.cache/rbus}
top=$(cd "$(dirname "$0")/.." && pwd)
src="$RBUS_CACHE/src/linux-source-7.3"
fragments=("$top/scripts/guest.config" "$top/selftests/config")
llvm=()
case "${1:-}" in
--bench)
	fragments+=("$top/scripts/bench.config")
	shift ;;
--kasan)
	fragments+=("$top/scripts/kasan.config")
	llvm=(LLVM=-19)
	shift ;;
esac

die() { printf 'kernel: error: %s\n' "$*" >&2; exit 1; }

[ -f "$RBUS_CACHE/env.sh" ] || die "run scripts/setup.sh first"
# shellcheck source=/dev/null
. "$RBUS_CACHE/env.sh"
[ -f "$src/Makefile" ] || die "no kernel source in $src; run scripts/setup.sh"

version=$(make -s -C "$src" kernelversion)
hash=$( { cat "${fragments[@]}"; rustc --version; bindgen --version; echo "${llvm[@]}"; } |
	sha256sum | cut -c1-12)
out="$RBUS_CACHE/build/$version-$hash"
if [ ${#llvm[@]} -gt 0 ] && [ "${1:-}" != --kdir ]; then
	command -v clang-19 >/dev/null ||
		die "clang-19 not found; run KASAN=1 scripts/setup.sh"
fi

if [ "${1:-}" = --kdir ]; then
	echo "$out"
	exit 0
fi

mkdir -p "$RBUS_CACHE/build"
exec 9>"$RBUS_CACHE/build/.lock"
flock 9

if [ -f "$out/.rbus-built" ]; then
	echo "kernel: $version cached in $out"
	exit 0
fi

echo "kernel: building $version in $out (about 6 min on 2 cores)"
rm -rf "$out"
mkdir -p "$out"
log="$out/build.log"
make -C "$src" O="$out" "${llvm[@]}" tinyconfig >"$log" 2>&1 || die "tinyconfig failed, see $log"
"$src/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" "${fragments[@]}" \
	>>"$log" 2>&1 || die "merge_config failed, see $log"
make -C "$src" O="$out" "${llvm[@]}" olddefconfig >>"$log" 2>&1 || die "olddefconfig failed, see $log"

# Kconfig silently drops an option whose dependencies are not met; refuse to
# build a kernel that lacks one of ours (a missing CONFIG_BUG blinds the
# splat check).
# A later fragment overrides an earlier one, "is not set" included.
lost=$(sed -n -e 's/^\(CONFIG_[A-Z0-9_]*\)=.*/&/p' \
	-e 's/^# \(CONFIG_[A-Z0-9_]*\) is not set$/&/p' "${fragments[@]}" |
	awk '{ n = $0; sub(/^# /, "", n); sub(/[= ].*/, "", n); want[n] = $0 }
	     END { for (n in want) print want[n] }' |
	while read -r want; do
		case $want in
		"# "*) name=${want#\# }; name=${name%% *}
		       ! grep -q "^$name=" "$out/.config" || echo "$want" ;;
		*) grep -qx "$want" "$out/.config" || echo "$want" ;;
		esac
	done)
[ -z "$lost" ] || die "options did not survive olddefconfig: $(echo $lost)"

make -C "$src" O="$out" "${llvm[@]}" -j"$(nproc)" all >>"$log" 2>&1 ||
	{ tail -n 30 "$log" >&2; die "kernel build failed, see $log"; }
touch "$out/.rbus-built"
echo "kernel: built $version in $out"
