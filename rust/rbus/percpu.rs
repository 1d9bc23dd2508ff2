// SPDX-License-Identifier: GPL-2.0

//! Per-CPU counters: `this_cpu_add()` and `this_cpu_inc()`, inline.
//!
//! C header: [`include/linux/percpu-defs.h`](srctree/include/linux/percpu-defs.h)
//!
//! 7.3's Rust has no per-CPU operations, and `this_cpu_add()` is a macro, so the bus core called
//! it through a C helper, `rbus_helper_this_cpu_add()`. Under TCG that call and its return cost
//! several times the addition (see the README's "Per-call cost"). On x86-64, `this_cpu_add()` is
//! one instruction, an addition to memory through the `%gs` segment, which holds this CPU's
//! per-CPU offset (`arch/x86/include/asm/percpu.h`); this module emits the same instruction.
//! Elsewhere it calls the helper.

#[cfg(not(all(CONFIG_X86_64, CONFIG_SMP)))]
use super::ffi;

/// Adds `n` to this CPU's copy of the per-CPU `u64` at `ptr`, as C's `this_cpu_add()` does.
///
/// One instruction, as in C: neither preemption nor an interrupt can come between its read and
/// its write, so the caller needs neither disabled. It is not atomic against other CPUs, which
/// write only their own copies.
///
/// # Safety
///
/// `ptr` must be a per-CPU pointer (C's `__percpu`: an offset, not an address) to a `u64`, from
/// the per-CPU allocator or a per-CPU variable, that stays allocated for the call. Every write to
/// its copies must be a per-CPU operation such as this one.
#[inline(always)]
pub unsafe fn this_cpu_add(ptr: *mut u64, n: u64) {
    #[cfg(all(CONFIG_X86_64, CONFIG_SMP))]
    // SAFETY: By the safety requirements `ptr` is a per-CPU pointer to a `u64`, so `%gs:(ptr)` is
    // this CPU's copy, which only per-CPU operations write: `addq` is `this_cpu_add()`'s own
    // instruction for a `u64` (`percpu_add_op()`). It touches no stack and no other memory; it
    // sets the flags, which `asm!` assumes clobbered.
    unsafe {
        core::arch::asm!(
            "addq {n}, %gs:({ptr})",
            ptr = in(reg) ptr,
            n = in(reg) n,
            options(att_syntax, nostack),
        )
    };

    #[cfg(not(all(CONFIG_X86_64, CONFIG_SMP)))]
    // SAFETY: By the safety requirements `ptr` is a per-CPU pointer to a `u64`.
    unsafe {
        ffi::rbus_helper_this_cpu_add(ptr, n)
    };
}

/// Adds one to this CPU's copy of the per-CPU `u64` at `ptr`, as C's `this_cpu_inc()` does: one
/// instruction that needs no register for the one, as [`this_cpu_add`] does for its `n`.
///
/// # Safety
///
/// As for [`this_cpu_add`].
#[inline(always)]
pub unsafe fn this_cpu_inc(ptr: *mut u64) {
    #[cfg(all(CONFIG_X86_64, CONFIG_SMP))]
    // SAFETY: As in `this_cpu_add()`: `incq` is `this_cpu_inc()`'s own instruction for a `u64`
    // (`percpu_add_op()` with a constant 1).
    unsafe {
        core::arch::asm!(
            "incq %gs:({ptr})",
            ptr = in(reg) ptr,
            options(att_syntax, nostack),
        )
    };

    #[cfg(not(all(CONFIG_X86_64, CONFIG_SMP)))]
    // SAFETY: By the safety requirements `ptr` is a per-CPU pointer to a `u64`.
    unsafe {
        ffi::rbus_helper_this_cpu_add(ptr, 1)
    };
}
