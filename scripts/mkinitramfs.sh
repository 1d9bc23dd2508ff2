#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the guest's busybox-static initramfs.
#
#   mkinitramfs.sh OUT.cpio.gz KDIR KSFT_DIR SELFTEST_DIR [EXTRA_TESTS_DIR]
#
# It holds busybox, the rbus modules under /lib/modules/<release> (depmod'ed,
# so modprobe works) with the kernel's own modules, the kselftest runner with
# the rbus collection, optional extra tests and scripts/guest-init.sh as /init.
# KSFT_DIR "-" leaves the kselftests out. The rbus modules are looked for in
# RBUS_MODULES_DIR, by default this tree.

set -euo pipefail

out=$1 kdir=$2 ksft=$3 tests=$4 extra=${5:-}
top=$(cd "$(dirname "$0")/.." && pwd)
die() { printf 'initramfs: error: %s\n' "$*" >&2; exit 1; }

release=$(cat "$kdir/include/config/kernel.release") || die "no kernel.release in $kdir"
busybox=$(command -v busybox) || die "busybox not installed (run scripts/setup.sh)"
# busybox-static's binary: the initramfs has no C library.
ldd "$busybox" >/dev/null 2>&1 && die "$busybox is dynamically linked; install busybox-static"

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT

mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,etc,root}
cp "$busybox" "$root/bin/busybox"
for applet in $("$busybox" --list-full); do
	[ -e "$root/$applet" ] || ln -s /bin/busybox "$root/$applet"
done

# The kselftest runner calls `timeout --foreground`, which busybox lacks; the
# guest has no terminal job control for it to matter.
rm -f "$root/usr/bin/timeout"
cat >"$root/usr/bin/timeout" <<'SHIM'
#!/bin/sh
[ "$1" = --foreground ] && shift
exec /bin/busybox timeout "$@"
SHIM
chmod 0755 "$root/usr/bin/timeout"

# Modules, laid out as modules_install would, then depmod for modprobe.
moddir="$root/lib/modules/$release"
mkdir -p "$moddir/extra"
modsrc=${RBUS_MODULES_DIR:-$top}
find "$modsrc" -name '*.ko' -not -path "$modsrc/build/*" -exec cp {} "$moddir/extra/" \;
[ -n "$(ls "$moddir/extra")" ] || die "no modules built"
mkdir -p "$moddir/kernel"
find "$kdir" -name '*.ko' -exec cp {} "$moddir/kernel/" \;
cp "$kdir/modules.order" "$kdir/modules.builtin" "$kdir/modules.builtin.modinfo" "$moddir/" 2>/dev/null || true
depmod -b "$root" "$release" || die "depmod failed"

# The kselftest runner, as `make -C tools/testing/selftests install` lays it out.
if [ "$ksft" != - ]; then
	mkdir -p "$root/kselftest/kselftest" "$root/kselftest/rbus"
	cp "$ksft/run_kselftest.sh" "$root/kselftest/"
	cp "$ksft"/kselftest/{runner.sh,ktap_helpers.sh,prefix.pl} "$root/kselftest/kselftest/"
	cp -a "$tests"/. "$root/kselftest/rbus/"
	cp "$tests/../kselftest-list.txt" "$root/kselftest/kselftest-list.txt"
fi

tools=${RBUS_TOOLS_DIR:-$top/build/tools/x86_64-unknown-linux-gnu/release}
if [ -x "$tools/rbusctl" ]; then
	install -m 0755 "$tools/rbusctl" "$root/usr/bin/rbusctl"
	# Each example as rbus-<name>, `_` as `-`; cargo's hashed copies left out.
	for ex in "$tools"/examples/*; do
		name=${ex##*/}
		case $name in *-* | *.*) continue ;; esac
		[ -x "$ex" ] && install -m 0755 "$ex" "$root/usr/bin/rbus-$(echo "$name" | tr _ -)"
	done
elif [ "$ksft" != - ]; then
	die "no rbusctl in $tools (run make tools)"
fi

if [ -n "$extra" ]; then
	[ -d "$extra" ] || die "EXTRA_TESTS=$extra is not a directory"
	mkdir -p "$root/extra-tests"
	find "$extra" -maxdepth 1 -type f -perm -u+x -exec cp {} "$root/extra-tests/" \;
fi

install -m 0755 "$top/scripts/guest-init.sh" "$root/init"

(cd "$root" && find . -print0 | cpio --null -o -H newc --quiet) | gzip -1 >"$out"
