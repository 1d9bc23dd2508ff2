#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot the guest under QEMU and run one job.
#
#   run-guest.sh JOB BZIMAGE INITRAMFS SSDT_AML OUTDIR [TIMEOUT_S]
#
# SSDT_AML may name several tables, separated by commas, loaded in that order
# (make bench adds the scaling benchmark's controllers after the first).
#
# Writes OUTDIR/console.log (ttyS0), OUTDIR/results.log (ttyS1) and
# OUTDIR/dmesg.log (ttyS2). Exits 0 when the guest powered off by itself,
# 124 when it had to be killed at the timeout.

set -euo pipefail

job=$1 kernel=$2 initrd=$3 ssdt=$4 outdir=$5 limit=${6:-900}
mkdir -p "$outdir"
rm -f "$outdir"/{console,results,dmesg}.log

accel=(-accel tcg,thread=multi)
# KVM guests hang on some hosts: use KVM only if a short probe boots. The
# probe result is kept for the session in RBUS_ACCEL.
if [ -z "${RBUS_ACCEL:-}" ] && [ -w /dev/kvm ]; then
	if timeout 20 qemu-system-x86_64 -accel kvm -m 256 -nographic -no-reboot \
		-kernel "$kernel" -initrd "$initrd" \
		-append "console=ttyS0 rbus_job=probe panic=-1" 2>/dev/null |
		grep -q RBUS-GUEST-DONE; then
		RBUS_ACCEL=kvm
	fi
fi
[ "${RBUS_ACCEL:-tcg}" = kvm ] && accel=(-accel kvm)

cmdline="console=ttyS0 rbus_job=$job panic=-1 oops=panic loglevel=7 log_buf_len=16M"
cmdline+=" kfence.sample_interval=10"
# Freed slab objects are poisoned, so a use after free reads 0x6b bytes and
# faults, instead of reading stale values that still work: KFENCE catches
# only the allocations it samples.
cmdline+=" slub_debug=P"
# Test knobs reach the guest's init, and so the tests, as environment.
[ -n "${RBUS_STRESS_CYCLES:-}" ] && cmdline+=" RBUS_STRESS_CYCLES=$RBUS_STRESS_CYCLES"
[ -n "${RBUS_I2C_CYCLES:-}" ] && cmdline+=" RBUS_I2C_CYCLES=$RBUS_I2C_CYCLES"
[ -n "${RBUS_CHANNEL_REQUESTS:-}" ] && cmdline+=" RBUS_CHANNEL_REQUESTS=$RBUS_CHANNEL_REQUESTS"
[ -n "${RBUS_FUZZ_OPS:-}" ] && cmdline+=" RBUS_FUZZ_OPS=$RBUS_FUZZ_OPS"
[ -n "${RBUS_FUZZ_SEED:-}" ] && cmdline+=" RBUS_FUZZ_SEED=$RBUS_FUZZ_SEED"
[ -n "${RBUS_KSFT_TIMEOUT:-}" ] && cmdline+=" RBUS_KSFT_TIMEOUT=$RBUS_KSFT_TIMEOUT"
[ -n "${RBUS_BENCH_LOOPS:-}" ] && cmdline+=" RBUS_BENCH_LOOPS=$RBUS_BENCH_LOOPS"
[ -n "${RBUS_BENCH_RUNS:-}" ] && cmdline+=" RBUS_BENCH_RUNS=$RBUS_BENCH_RUNS"

tables=()
IFS=, read -ra ssdts <<<"$ssdt"
for table in "${ssdts[@]}"; do
	tables+=(-acpitable "file=$table")
done

rc=0
timeout --foreground -k 10 "$limit" qemu-system-x86_64 \
	"${accel[@]}" -smp 2 -m 1024 -nographic -no-reboot \
	-kernel "$kernel" -initrd "$initrd" -append "$cmdline" \
	"${tables[@]}" \
	-serial "file:$outdir/console.log" \
	-serial "file:$outdir/results.log" \
	-serial "file:$outdir/dmesg.log" \
	-monitor none -display none </dev/null || rc=$?

exit "$rc"
