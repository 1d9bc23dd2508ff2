# SPDX-License-Identifier: GPL-2.0
#
# rbus: out-of-tree Rust kernel modules, their QEMU guest and their tests.
#
#   make            build the modules (and, without KDIR, the cached kernel) and
#                   the user-space tools (tools/: the rbus library, rbusctl)
#   make check      boot QEMU, run every test, fail on a failed test or a splat
#   make check T=<test program>
#                   build what is needed, boot, run only that program (or a
#                   space-separated list of them) and judge the splats
#   make run        boot QEMU and walk through /sys/bus/rbus
#   make shell      boot QEMU with a shell on this terminal (rbusctl by hand)
#   make bench      per-call cost against refscale, on a kernel without lockdep
#   make check KASAN=1
#                   the same suite on a second cached kernel with generic KASAN,
#                   built with LLVM=-19
#
# KDIR=<tree> uses another Rust-enabled kernel build tree. RBUS_CACHE (default
# ~/.cache/rbus) holds the tools, the kernel source and the cached kernel.

SHELL := /bin/bash
RBUS_CACHE ?= $(HOME)/.cache/rbus
export T RBUS_CACHE KDIR EXTRA_TESTS RBUS_BREAK RBUS_STRESS_CYCLES RBUS_I2C_CYCLES RBUS_CHECK_TIMEOUT \
	RBUS_CHANNEL_REQUESTS RBUS_FUZZ_OPS RBUS_FUZZ_SEED

BUILD := $(CURDIR)/build

# KASAN=1 selects the KASAN kernel. Rust needs a clang-built kernel for KASAN,
# so its modules are built with LLVM=-19 too.
ifeq ($(KASAN),1)
FLAVOR := --kasan
export LLVM := -19
endif
export KASAN

ifeq ($(KDIR),)
KDIR_CMD := $(CURDIR)/scripts/kernel.sh $(FLAVOR) --kdir
KERNEL_DEP := kernel
else
KDIR_CMD := echo $(KDIR)
KERNEL_DEP := setup
endif

# Sets $kdir (the build tree) and $ksrc (its source tree) for a recipe line.
ENV := . $(RBUS_CACHE)/env.sh && kdir=$$($(KDIR_CMD)) && \
	ksrc=$$(readlink -f $$kdir/source 2>/dev/null || echo $$kdir)

KMAKE = $(MAKE) -C $$kdir M=$(CURDIR) W=1 KCFLAGS=-Werror KRUSTFLAGS=-Dwarnings
RUST_SRCS := $(shell find drivers rust -name '*.rs' ! -name '*generated*')
C_GLUE := $(filter-out %.mod.c,$(wildcard rust/*.c rust/*.h rust/helpers/*.c rust/helpers/*.h \
	bench/*.c selftests/modules/*.c \
	examples/*.c include/linux/*.h include/trace/events/*.h include/uapi/linux/*.h))

.PHONY: all modules setup kernel clean check soak bench run fmt fmt-check lint checkpatch \
	selftests initramfs ssdt scale-ssdt dt-check uapi-check tools tools-test tools-lint tools-fmt \
	tools-fmt-check shell

all: modules tools

setup:
	@scripts/setup.sh

kernel: setup
	@scripts/kernel.sh $(FLAVOR)

# Objects built against one kernel are cleaned before building against another.
modules: $(KERNEL_DEP)
	@$(ENV) && mkdir -p $(BUILD) && \
	if [ "$$(cat $(BUILD)/kdir 2>/dev/null)" != "$$kdir" ]; then \
		$(KMAKE) clean >/dev/null && echo "$$kdir" >$(BUILD)/kdir; fi && \
	$(KMAKE) modules

lint: $(KERNEL_DEP)
	@$(ENV) && $(KMAKE) CLIPPY=1 modules

fmt:
	@$(ENV) && rustfmt --edition 2021 --config-path $$ksrc/.rustfmt.toml $(RUST_SRCS)

fmt-check:
	@$(ENV) && rustfmt --check --edition 2021 --config-path $$ksrc/.rustfmt.toml $(RUST_SRCS)

# The UAPI header compiles on its own in user space, warnings as errors.
uapi-check:
	@echo '#include <linux/rbus.h>' | \
		$(CC) -Wall -Wextra -Werror -pedantic -I include/uapi -x c -fsyntax-only -

checkpatch:
	@$(ENV) && $$ksrc/scripts/checkpatch.pl --strict --no-tree --quiet -f $(C_GLUE)

selftests: $(KERNEL_DEP)
	@mkdir -p $(BUILD)/selftests
	@$(ENV) && ksft=$$ksrc/tools/testing/selftests && \
	$(MAKE) -s -C selftests KSFT_DIR=$$ksft OUTPUT=$(BUILD)/selftests \
		KHDR_INCLUDES="-isystem $(CURDIR)/include/uapi" all && \
	rm -rf $(BUILD)/kselftest && \
	$(MAKE) -s -C selftests KSFT_DIR=$$ksft OUTPUT=$(BUILD)/selftests \
		INSTALL_PATH=$(BUILD)/kselftest/rbus install && \
	$(MAKE) -s --no-print-directory -C selftests KSFT_DIR=$$ksft \
		OUTPUT=$(BUILD)/selftests emit_tests >$(BUILD)/kselftest/kselftest-list.txt && \
	scripts/select-tests.sh $(BUILD)/kselftest/kselftest-list.txt $(T)

# The user-space tools, a cargo workspace: static binaries for the initramfs in
# build/tools/$(TOOLS_TARGET)/release (cargo's target directory is build/tools,
# set in tools/.cargo/config.toml), and rbusctl's man pages in build/tools/man
# (`man -l build/tools/man/rbusctl.1`). Cargo fetches the crates pinned in
# tools/Cargo.lock.
TOOLS_TARGET := x86_64-unknown-linux-gnu
# No incremental builds: they only help while editing, and they cost disk.
CARGO := cd tools && PATH="$(HOME)/.cargo/bin:$$PATH" CARGO_INCREMENTAL=0 cargo
# With --target, RUSTFLAGS reach the tools only, not build scripts.
tools: export RUSTFLAGS := -C target-feature=+crt-static

tools:
	@$(CARGO) build --quiet --locked --release --target $(TOOLS_TARGET) --workspace \
		--bins --examples --features rbus/tokio
	@rm -rf $(BUILD)/tools/man && mkdir -p $(BUILD)/tools/man && \
		$(BUILD)/tools/$(TOOLS_TARGET)/release/rbusctl man --dir $(BUILD)/tools/man

tools-test:
	@$(CARGO) test --quiet --locked --workspace --all-features

tools-lint:
	@$(CARGO) clippy --quiet --locked --workspace --all-targets --all-features -- -D warnings

tools-fmt:
	@$(CARGO) fmt --all

tools-fmt-check:
	@$(CARGO) fmt --all --check

dt-check: setup
	@scripts/dt-check.sh

ssdt: $(BUILD)/rbus-ssdt.aml

$(BUILD)/rbus-ssdt.aml: dt-bindings/rbus-ssdt.asl
	@mkdir -p $(BUILD)
	@iasl -p $(BUILD)/rbus-ssdt $< >/dev/null

# The scaling benchmark's controllers, one with 64 firmware children: make bench
# loads this second SSDT after the first; make check does not.
scale-ssdt: $(BUILD)/rbus-scale-ssdt.aml

$(BUILD)/rbus-scale-ssdt.aml: scripts/gen-scale-ssdt.py
	@mkdir -p $(BUILD)
	@scripts/gen-scale-ssdt.py 64 >$(BUILD)/rbus-scale-ssdt.asl
	@iasl -p $(BUILD)/rbus-scale-ssdt $(BUILD)/rbus-scale-ssdt.asl >/dev/null

initramfs: modules selftests tools
	@$(ENV) && scripts/mkinitramfs.sh $(BUILD)/initramfs.cpio.gz $$kdir \
		$$ksrc/tools/testing/selftests $(BUILD)/kselftest/rbus $(EXTRA_TESTS)

check:
	@scripts/check.sh

# The stress tests at 2,500 cycles each, the I2C removal test at 1,000 (1.5-2 s
# a cycle) and 1,000,000 fuzzer calls, not part of CI: about two hours of guest
# time under TCG (README, Reliability, Soak, has the measured run).
soak:
	@RBUS_STRESS_CYCLES=2500 RBUS_I2C_CYCLES=1000 RBUS_FUZZ_OPS=1000000 RBUS_FUZZ_SEED=random RBUS_KSFT_TIMEOUT=14400 \
		RBUS_CHECK_TIMEOUT=21600 scripts/check.sh

# Per-call cost against refscale on the benchmark kernel; not part of CI.
bench:
	@scripts/bench.sh

run: initramfs ssdt
	@$(ENV) && scripts/run-guest.sh run $$kdir/arch/x86/boot/bzImage \
		$(BUILD)/initramfs.cpio.gz $(BUILD)/rbus-ssdt.aml $(BUILD)/run 300; \
	rc=$$?; sed -n '/^== modprobe/,/RBUS-GUEST-DONE/p' $(BUILD)/run/console.log; \
	echo "== full console log: $(BUILD)/run/console.log"; exit $$rc

# The guest with a shell on this terminal and nothing run: the modules, rbusctl
# and the tests are there to try by hand. `poweroff -f` (or `exit`) leaves it.
shell: initramfs ssdt
	@$(ENV) && qemu-system-x86_64 -accel tcg,thread=multi -smp 2 -m 1024 -nographic \
		-no-reboot -kernel $$kdir/arch/x86/boot/bzImage -initrd $(BUILD)/initramfs.cpio.gz \
		-append "console=ttyS0 rbus_job=shell panic=-1" -acpitable file=$(BUILD)/rbus-ssdt.aml

clean:
	@if [ -n "$(KDIR)" ] || [ -f $(RBUS_CACHE)/env.sh ]; then \
		$(ENV) && [ -d "$$kdir" ] && $(MAKE) -C $$kdir M=$(CURDIR) clean; fi; true
	@rm -rf $(BUILD)
