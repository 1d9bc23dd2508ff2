#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Install everything rbus needs to build a Rust-enabled kernel and boot it in
# QEMU. Idempotent and non-interactive: every step that is already done is
# skipped. Runs as root (it calls apt-get).
#
# Environment:
#   RBUS_CACHE   where downloads and tools live (default ~/.cache/rbus)
#   KASAN=1      also install clang, lld and llvm 19 for the KASAN kernel
#
# It prints one line per step and the shell fragment to source at the end:
#   $RBUS_CACHE/env.sh   PATH and LIBCLANG_PATH for the kernel build.

set -euo pipefail

RBUS_CACHE=${RBUS_CACHE:-$HOME/.cache/rbus}
BINDGEN_VERSION=0.73.2
LIBCLANG_VERSION=18.1.1
DTSCHEMA_VERSION=2026.9
KERNEL_PKG=linux-source-7.3
KERNEL_SUITE=trixie-backports
# Source tarball, one kernel build tree and the initramfs need about this much.
MIN_FREE_GB=${RBUS_MIN_FREE_GB:-10}

step() { printf 'setup: %s\n' "$*"; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root (apt-get installs packages)"
mkdir -p "$RBUS_CACHE"

free_gb=$(df -Pk "$RBUS_CACHE" | awk 'NR == 2 { print int($4 / 1048576) }')
step "disk: ${free_gb} GiB free in $RBUS_CACHE (need ${MIN_FREE_GB})"
[ "$free_gb" -ge "$MIN_FREE_GB" ] ||
	die "only ${free_gb} GiB free under $RBUS_CACHE, the kernel build needs ${MIN_FREE_GB} GiB; free space or point RBUS_CACHE elsewhere"

# Debian packages. Only apt-get update when something is missing.
pkgs=(build-essential bc bison flex libelf-dev libssl-dev kmod cpio xz-utils
      rsync python3 busybox-static qemu-system-x86 acpica-tools
      device-tree-compiler unzip)
# 7.3's Rust needs a clang-built kernel for KASAN; Debian's default clang is 14.
[ "${KASAN:-}" = 1 ] && pkgs+=(clang-19 lld-19 llvm-19)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	step "debian packages: already installed"
else
	step "debian packages: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null || die "apt-get update failed"
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
		die "apt-get install ${missing[*]} failed"
fi

# Rust: the kernel needs the standard library's source for `core`.
export PATH="$HOME/.cargo/bin:$PATH"
command -v rustup >/dev/null || die "rustup not found; install a rustup toolchain first"
sysroot=$(rustc --print sysroot)
if [ -d "$sysroot/lib/rustlib/src/rust/library/core" ]; then
	step "rust-src: already installed"
else
	step "rust-src: rustup component add rust-src"
	rustup component add rust-src >/dev/null || die "rustup component add rust-src failed"
fi

# bindgen, pinned, installed into the cache so it never shadows anything.
bindgen="$RBUS_CACHE/tools/bin/bindgen"
if [ -x "$bindgen" ] && "$bindgen" --version 2>/dev/null | grep -q " $BINDGEN_VERSION\$"; then
	step "bindgen $BINDGEN_VERSION: already installed"
else
	step "bindgen $BINDGEN_VERSION: cargo install bindgen-cli (takes ~2 min)"
	cargo install --quiet --locked --root "$RBUS_CACHE/tools" \
		"bindgen-cli@$BINDGEN_VERSION" || die "cargo install bindgen-cli failed"
fi

# libclang >= 17 from the PyPI wheel (bookworm ships 14).
clang_dir="$RBUS_CACHE/tools/libclang-$LIBCLANG_VERSION"
# The wheel keeps the library under libclang-<v>.data/platlib/clang/native.
clang_lib() { find "$clang_dir" -name libclang.so -printf '%h\n' 2>/dev/null | head -n1; }
if [ -n "$(clang_lib)" ]; then
	step "libclang $LIBCLANG_VERSION: already unpacked"
else
	step "libclang $LIBCLANG_VERSION: pip download of the wheel"
	tmp=$(mktemp -d)
	python3 -m pip download --quiet --no-deps --only-binary=:all: \
		--platform manylinux2010_x86_64 -d "$tmp" "libclang==$LIBCLANG_VERSION" ||
		die "pip download libclang==$LIBCLANG_VERSION failed"
	rm -rf "$clang_dir"
	mkdir -p "$clang_dir"
	unzip -q "$tmp"/libclang-*.whl -d "$clang_dir"
	rm -rf "$tmp"
	[ -n "$(clang_lib)" ] || die "libclang.so not found in the libclang wheel"
fi

# dtschema for `make dt-check`, in its own virtualenv.
dtschema="$RBUS_CACHE/tools/dtschema"
if [ -x "$dtschema/bin/dt-validate" ] &&
   [ "$("$dtschema/bin/python3" -c 'import importlib.metadata as m; print(m.version("dtschema"))' 2>/dev/null)" = "$DTSCHEMA_VERSION" ]; then
	step "dtschema $DTSCHEMA_VERSION: already installed"
else
	step "dtschema $DTSCHEMA_VERSION: pip install into a virtualenv"
	rm -rf "$dtschema"
	python3 -m venv "$dtschema" || die "python3 -m venv failed"
	"$dtschema/bin/pip" install --quiet "dtschema==$DTSCHEMA_VERSION" ||
		die "pip install dtschema==$DTSCHEMA_VERSION failed"
fi

# The kernel source, through the machine's own apt mirror: a private sources
# list (same URIs, the backports suite) and a private state directory, so the
# system's apt configuration is left alone.
src_root="$RBUS_CACHE/src"
if ls -d "$src_root"/linux-source-7.3/Makefile >/dev/null 2>&1; then
	step "kernel source: already unpacked in $src_root/linux-source-7.3"
else
	step "kernel source: apt-get download $KERNEL_PKG from $KERNEL_SUITE"
	aptdir="$RBUS_CACHE/apt"
	mkdir -p "$aptdir/lists/partial" "$aptdir/archives/partial" "$aptdir/etc"
	uris=$(awk '/^URIs:/ { for (i = 2; i <= NF; i++) print $i }' \
		/etc/apt/sources.list.d/debian.sources 2>/dev/null | grep -v security | head -n1 || true)
	[ -n "$uris" ] || uris=$(awk '$1 == "deb" && $3 !~ /security/ { print $2; exit }' \
		/etc/apt/sources.list 2>/dev/null || true)
	[ -n "$uris" ] || die "no Debian mirror URI found in /etc/apt/sources.list.d/debian.sources or /etc/apt/sources.list"
	cat >"$aptdir/etc/sources.list" <<-EOF
	deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $uris $KERNEL_SUITE main
	EOF
	aptopts=(-o "Dir::Etc::SourceList=$aptdir/etc/sources.list"
		 -o "Dir::Etc::SourceParts=-" -o "Dir::State::Lists=$aptdir/lists"
		 -o "Dir::Cache=$aptdir" -o "Dir::State::status=/dev/null"
		 -o "APT::Get::List-Cleanup=0" -o "APT::Sandbox::User=root")
	apt-get "${aptopts[@]}" update -qq >/dev/null ||
		die "apt-get update of $KERNEL_SUITE failed"
	(cd "$aptdir/archives" && apt-get "${aptopts[@]}" download -qq "$KERNEL_PKG") ||
		die "apt-get download $KERNEL_PKG failed"
	deb=$(ls "$aptdir"/archives/"$KERNEL_PKG"_*.deb | head -n1)
	rm -rf "$aptdir/pkg"
	dpkg -x "$deb" "$aptdir/pkg"
	tarball=$(ls "$aptdir"/pkg/usr/src/linux-source-*.tar.xz | head -n1)
	step "kernel source: unpacking $(basename "$tarball")"
	mkdir -p "$src_root"
	tar -C "$src_root" -xf "$tarball"
	rm -rf "$aptdir/pkg" "$deb"
fi

cat >"$RBUS_CACHE/env.sh" <<EOF
# Generated by scripts/setup.sh.
export PATH="$RBUS_CACHE/tools/bin:\$HOME/.cargo/bin:\$PATH:$dtschema/bin"
export LIBCLANG_PATH="$(clang_lib)"
EOF
step "done: source $RBUS_CACHE/env.sh"
