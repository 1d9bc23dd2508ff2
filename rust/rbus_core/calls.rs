// SPDX-License-Identifier: GPL-2.0

//! Child-to-bus calls: the table `rbus_query_interface()` fills, and the protection of every call.
//!
//! C header: [`include/linux/rbus.h`](../../include/linux/rbus.h)
//!
//! Like a KMDF bus interface, the table holds one reference on its context, the child, taken by
//! `rbus_query_interface()` (InterfaceReference) and dropped by its `put` (InterfaceDereference).
//! Each call runs the controller's implementation inside a read-side section of its host's
//! SRCU-fast domain, `calls_srcu`, with the host active:
//!
//! - Removing a child clears its `hw` and then waits for that domain's grace period, so the
//!   controller may free the calls' context once `rbus_device_unregister()` returns. A call that
//!   finds `hw` cleared fails with `-ENODEV` and touches nothing of the controller's.
//! - Suspending a host sets its `suspended` flag and then waits for the same grace period, so a
//!   call only reads the flag. A call that finds it set resumes the host outside the read-side
//!   section, since the suspend waits for that section, and holds it active until it ends; with
//!   `RBUS_CALL_NOWAIT` it fails with `-EAGAIN` instead.
//!
//! - A call stores nothing of the host's: each counts itself in its child's per-CPU `calls`
//!   counter, and the host's autosuspend reads those counts to tell whether it was busy
//!   (`host.rs`).
//!
//! Each host has its own domain, so one controller's suspend or child removal never waits for
//! the calls of another.

use super::{
    stats::Counter,
    trace::{
        self,
        Op, //
    }, //
};
use crate::rbus::{
    ffi,
    srcu, //
};
use kernel::{
    bindings,
    prelude::*, //
};

// `kernel::sync::atomic` calls an out-of-line C helper for every access in 7.3, which tripled
// the cost of a call (see the README's per-call figures); `core`'s atomics compile to the plain
// loads and stores that `READ_ONCE()` and `WRITE_ONCE()` are, and are as sound.
use core::{
    mem::ManuallyDrop,
    sync::atomic::{
        AtomicBool,
        AtomicPtr,
        Ordering::{
            Acquire,
            Relaxed, //
        }, //
    }, //
};

/// A child-to-bus call in progress: ends when dropped.
///
/// # Invariants
///
/// `rdev` is a valid child whose `hw` was set when the call began, inside a read-side section of
/// its host's `calls_srcu` entered with `scp`. `hw` is the table read then, valid until the call
/// ends. If `held`, the call holds a reference and a runtime PM usage count of the host.
pub(crate) struct Call {
    rdev: *mut ffi::rbus_device,
    host: *mut ffi::rbus_host,
    scp: *mut bindings::srcu_ctr,
    hw: *const ffi::rbus_hw_ops,
    held: bool,
}

/// Why a call could not enter its read-side section.
enum Refused {
    /// The child is removed.
    Removed,
    /// The host is suspended.
    Suspended,
}

impl Call {
    /// Begins a call on `rdev`: see the module documentation. `flags` may hold
    /// `RBUS_CALL_NOWAIT`.
    ///
    /// Fails with `ENODEV` once the child is removed, with `EAGAIN` if the host is suspended
    /// and `flags` has `RBUS_CALL_NOWAIT`, or with the error of its resume.
    ///
    /// # Safety
    ///
    /// `rdev` must be a valid child for the duration of the call.
    // Inlined, as is the rest of the fast path: under TCG every call and return costs more than
    // the protection itself. Resuming the host is out of line, so that the fast path keeps few
    // registers to save.
    #[inline(always)]
    pub(crate) unsafe fn begin(rdev: *mut ffi::rbus_device, flags: u32) -> Result<Self> {
        // SAFETY: By the safety requirements `rdev` is valid, and it holds a reference on its host
        // until its release, even once removed.
        let host = unsafe { (*rdev).host };
        // SAFETY: By the safety requirements `rdev` is valid, and so is its host, as above.
        match unsafe { Self::enter(rdev, host, false) } {
            Ok(call) => Ok(call),
            Err(Refused::Removed) => Err(ENODEV),
            // SAFETY: As above.
            Err(Refused::Suspended) => unsafe { Self::resume_and_begin(rdev, host, flags) },
        }
    }

    /// Enters the read-side section of the call on `rdev` and counts it, unless the child is
    /// removed, or the host suspended and not `held`.
    ///
    /// # Safety
    ///
    /// `rdev` must be a valid child for the duration of the call, and `host` its host. If
    /// `held`, the caller holds a reference and a runtime PM usage count of the host, which pass
    /// to the call.
    #[inline(always)]
    unsafe fn enter(
        rdev: *mut ffi::rbus_device,
        host: *mut ffi::rbus_host,
        held: bool,
    ) -> core::result::Result<Self, Refused> {
        // SAFETY: By the safety requirements the host is valid; `calls_srcu` lives as long as it.
        let ssp = unsafe { &raw mut (*host).calls_srcu };
        // SAFETY: The host's domain is an SRCU-fast one, initialized from `rbus_host_add()` to
        // its release; the section ends in this task, before the call returns.
        let scp = unsafe { srcu::read_lock_fast(ssp) };
        // `srcu_dereference()`: the removal clears `hw` before it waits for the domain.
        //
        // SAFETY: `rdev` is valid, and every access to `hw` while the child is added is atomic.
        // CAST: `*const T` and `*mut T` have the same layout.
        let hw =
            unsafe { AtomicPtr::from_ptr((&raw mut (*rdev).hw).cast::<*mut ffi::rbus_hw_ops>()) }
                .load(Acquire);
        if hw.is_null() {
            // SAFETY: Entered above with `scp`.
            unsafe { srcu::read_unlock_fast(ssp, scp) };
            return Err(Refused::Removed);
        }
        // SAFETY: The host is valid, and only its runtime PM callbacks write the flag, with an
        // atomic store.
        let suspended = unsafe { AtomicBool::from_ptr(&raw mut (*host).suspended) }.load(Relaxed);
        // Test-only: `make check RBUS_BREAK=skip-pm` must go red.
        if held || cfg!(rbus_break = "skip-pm") || !suspended {
            // SAFETY: `rdev` is valid.
            unsafe { Counter::Calls.inc(rdev) };
            // INVARIANT: inside the read-side section with `hw` set, holding the host if `held`.
            return Ok(Self {
                rdev,
                host,
                scp,
                hw,
                held,
            });
        }
        // SAFETY: Entered above with `scp`.
        unsafe { srcu::read_unlock_fast(ssp, scp) };
        Err(Refused::Suspended)
    }

    /// Begins a call on `rdev` whose host is suspended: resumes the host, outside the read-side
    /// section, since its suspend waits for that section, and holds it active for the call; or,
    /// with `RBUS_CALL_NOWAIT` in `flags`, fails with `EAGAIN`.
    ///
    /// # Safety
    ///
    /// As for [`Call::enter`], without `held`.
    #[cold]
    #[inline(never)]
    unsafe fn resume_and_begin(
        rdev: *mut ffi::rbus_device,
        host: *mut ffi::rbus_host,
        flags: u32,
    ) -> Result<Self> {
        if flags & ffi::RBUS_CALL_NOWAIT != 0 {
            return Err(EAGAIN);
        }
        // SAFETY: The host is valid; the reference keeps it so while the call resumes it outside
        // the read-side section, and `resume_and_get` may sleep here.
        let ret = unsafe {
            bindings::get_device(&raw mut (*host).dev);
            ffi::rbus_helper_pm_runtime_resume_and_get(&raw mut (*host).dev)
        };
        if ret < 0 {
            // SAFETY: The reference taken above.
            unsafe { bindings::put_device(&raw mut (*host).dev) };
            return Err(Error::from_errno(ret));
        }

        // SAFETY: By the safety requirements; the reference and the usage count taken above
        // pass to the call.
        match unsafe { Self::enter(rdev, host, true) } {
            Ok(call) => Ok(call),
            // Held, the host counts as active: only the child's removal refuses.
            Err(_) => {
                Self::unhold(host);
                Err(ENODEV)
            }
        }
    }

    /// The controller's table.
    #[inline(always)]
    pub(crate) fn hw(&self) -> &ffi::rbus_hw_ops {
        // SAFETY: By the type invariants `hw` is valid until the call ends.
        unsafe { &*self.hw }
    }

    /// The context of the controller's table.
    #[inline(always)]
    pub(crate) fn ctx(&self) -> *mut c_void {
        // SAFETY: By the type invariants `rdev` is valid; `hw_ctx` is written before the child is
        // added and never changes.
        unsafe { (*self.rdev).hw_ctx }
    }

    /// Drops the host's usage count and reference that a call took to resume it.
    fn unhold(host: *mut ffi::rbus_host) {
        // SAFETY: The caller holds a reference and a usage count of the valid `host`.
        unsafe {
            ffi::rbus_helper_pm_runtime_put_autosuspend(&raw mut (*host).dev);
            bindings::put_device(&raw mut (*host).dev);
        }
    }
}

impl Call {
    /// Runs `f` with the controller's table and its context, then ends the call, as dropping it
    /// does, but inline: at the kernel's `opt-level=s` the drop glue of `Call` stays a function
    /// of its own, one more call and return on every call.
    #[inline(always)]
    fn run(self, f: impl FnOnce(&ffi::rbus_hw_ops, *mut c_void) -> c_int) -> c_int {
        let ret = f(self.hw(), self.ctx());
        let mut call = ManuallyDrop::new(self);
        call.release();
        ret
    }

    /// Ends the call, as dropping it does, but inline, as [`Call::run`] does.
    #[inline(always)]
    pub(crate) fn end(self) {
        let mut call = ManuallyDrop::new(self);
        call.release();
    }

    /// Leaves the read-side section and the host. Only [`Call::run`], [`Call::end`] and the drop
    /// call it, once.
    #[inline(always)]
    fn release(&mut self) {
        let host = self.host;
        // SAFETY: By the type invariants the section was entered with `scp` on this domain.
        unsafe { srcu::read_unlock_fast(&raw mut (*host).calls_srcu, self.scp) };
        if self.held {
            Self::unhold(host);
        }
    }
}

impl Drop for Call {
    fn drop(&mut self) {
        self.release();
    }
}

/// What a call finds in place of the controller's table when the child is removed or the host
/// suspended: a table with no calls, so that one test of the call it picks covers those two cases
/// and a controller without that call.
static NO_CALLS: ffi::rbus_hw_ops = ffi::rbus_hw_ops {
    transfer: None,
    reg_read: None,
    reg_write: None,
    subscribe: None,
    submit: None,
};

/// Runs the controller's implementation of call `op` on the child `context`, which `pick`
/// takes from its table, as `call` says, then traces the call once it ended. A controller
/// without that call gets `-EOPNOTSUPP`.
///
/// The fast path, a child in place and its host active, is [`Call::begin`] and [`Call::run`]
/// spelt out with one branch: under TCG every branch ends a translation block, which costs more
/// than the loads. The rest takes [`with_call_slow`].
///
/// # Safety
///
/// `context` must be the context of a table `rbus_query_interface()` filled, whose reference the
/// caller holds.
#[inline(always)]
unsafe fn with_call<F: Copy>(
    context: *mut c_void,
    op: Op,
    flags: u32,
    pick: impl Fn(&ffi::rbus_hw_ops) -> Option<F>,
    call: impl Fn(F, *mut c_void) -> c_int,
) -> c_int {
    let rdev = context.cast::<ffi::rbus_device>();
    // SAFETY: By the safety requirements `context` is a child, which the table's reference keeps
    // valid, and which holds a reference on its host.
    let host = unsafe { (*rdev).host };
    // SAFETY: The host is valid; `calls_srcu` lives as long as it.
    let ssp = unsafe { &raw mut (*host).calls_srcu };
    // SAFETY: The host's domain is an SRCU-fast one, initialized from `rbus_host_add()` to its
    // release; the section ends in this function.
    let scp = unsafe { srcu::read_lock_fast(ssp) };
    // As in `Call::enter()`: `srcu_dereference()`, and the flag only runtime PM writes.
    //
    // SAFETY: `rdev` is valid, and every access to `hw` while the child is added is atomic.
    // CAST: `*const T` and `*mut T` have the same layout.
    let hw = unsafe { AtomicPtr::from_ptr((&raw mut (*rdev).hw).cast::<*mut ffi::rbus_hw_ops>()) }
        .load(Acquire);
    // SAFETY: The host is valid, and only its runtime PM callbacks write the flag, atomically.
    let suspended = unsafe { AtomicBool::from_ptr(&raw mut (*host).suspended) }.load(Relaxed);
    // Test-only: `make check RBUS_BREAK=skip-pm` must go red.
    let suspended = suspended && !cfg!(rbus_break = "skip-pm");
    // A select, not a branch: `|` evaluates both tests.
    let table = if hw.is_null() | suspended {
        &NO_CALLS
    } else {
        // SAFETY: `hw` is set, so valid until the section ends (the type invariants of `Call`).
        unsafe { &*hw }
    };
    // A traced call takes the slow path too, which traces it: tested before the call, so that
    // nothing but the section is left to keep across it.
    if let Some(f) = pick(table).filter(|_| !trace::call_enabled()) {
        // SAFETY: `rdev` is valid.
        unsafe { Counter::Calls.inc(rdev) };
        // SAFETY: `hw_ctx` is written before the child is added and never changes.
        let ret = call(f, unsafe { (*rdev).hw_ctx });
        // SAFETY: The section entered above with `scp` ends.
        unsafe { srcu::read_unlock_fast(ssp, scp) };
        return ret;
    }
    // SAFETY: Entered above with `scp`.
    unsafe { srcu::read_unlock_fast(ssp, scp) };
    // SAFETY: As above.
    unsafe { with_call_slow(rdev, op, flags, pick, call) }
}

/// The rest of [`with_call`]: a removed child, a suspended host, a controller without the call,
/// or a traced call. Begins the call again, resuming the host if it must.
///
/// # Safety
///
/// As for [`with_call`], with `rdev` its context.
#[cold]
#[inline(never)]
unsafe fn with_call_slow<F: Copy>(
    rdev: *mut ffi::rbus_device,
    op: Op,
    flags: u32,
    pick: impl Fn(&ffi::rbus_hw_ops) -> Option<F>,
    call: impl Fn(F, *mut c_void) -> c_int,
) -> c_int {
    // SAFETY: By the safety requirements `rdev` is a valid child for the call.
    let ret = match unsafe { Call::begin(rdev, flags) } {
        Ok(begun) => begun.run(|hw, ctx| match pick(hw) {
            Some(f) => call(f, ctx),
            None => EOPNOTSUPP.to_errno(),
        }),
        Err(e) => e.to_errno(),
    };
    // SAFETY: As above.
    unsafe { trace::call(rdev, op, flags, ret) };
    ret
}

/// `transfer` of the table: writes `tx`, then reads into `rx`.
extern "C" fn transfer_callback(
    context: *mut c_void,
    flags: u32,
    tx: *const c_void,
    tx_len: usize,
    rx: *mut c_void,
    rx_len: usize,
) -> c_int {
    // SAFETY: Child drivers call the table with its own context. The controller checks the
    // buffers, as `struct rbus_hw_ops` requires.
    unsafe {
        with_call(
            context,
            Op::Transfer,
            flags,
            |hw| hw.transfer,
            move |f, ctx| f(ctx, tx, tx_len, rx, rx_len),
        )
    }
}

/// `reg_read` of the table.
extern "C" fn reg_read_callback(
    context: *mut c_void,
    flags: u32,
    reg: u32,
    val: *mut u32,
) -> c_int {
    // SAFETY: As in `transfer_callback()`.
    unsafe {
        with_call(
            context,
            Op::RegRead,
            flags,
            |hw| hw.reg_read,
            move |f, ctx| f(ctx, reg, val),
        )
    }
}

/// `reg_write` of the table.
extern "C" fn reg_write_callback(context: *mut c_void, flags: u32, reg: u32, val: u32) -> c_int {
    // SAFETY: As in `transfer_callback()`.
    unsafe {
        with_call(
            context,
            Op::RegWrite,
            flags,
            |hw| hw.reg_write,
            move |f, ctx| f(ctx, reg, val),
        )
    }
}

/// `subscribe` of the table.
extern "C" fn subscribe_callback(context: *mut c_void, flags: u32, mask: u32) -> c_int {
    // SAFETY: As in `transfer_callback()`.
    unsafe {
        with_call(
            context,
            Op::Subscribe,
            flags,
            |hw| hw.subscribe,
            move |f, ctx| f(ctx, mask),
        )
    }
}

/// `get` of the table: a reference on the child.
extern "C" fn get_callback(context: *mut c_void) {
    // SAFETY: The context is a child, kept valid by the reference of the caller's table.
    unsafe { bindings::get_device(&raw mut (*context.cast::<ffi::rbus_device>()).dev) };
}

/// `put` of the table: drops a reference `get` or `rbus_query_interface()` took.
extern "C" fn put_callback(context: *mut c_void) {
    // SAFETY: As in `get_callback()`; the caller gives its reference up.
    unsafe { bindings::put_device(&raw mut (*context.cast::<ffi::rbus_device>()).dev) };
}

/// Fills a child driver's table of child-to-bus calls: see `rbus_query_interface()` in
/// `include/linux/rbus.h`.
///
/// # Safety
///
/// `rdev` must be a valid child, and `ops` valid for reads and writes.
#[no_mangle]
unsafe extern "C" fn rbus_query_interface(
    rdev: *mut ffi::rbus_device,
    ops: *mut ffi::rbus_bus_ops,
) -> c_int {
    if rdev.is_null() || ops.is_null() {
        return EINVAL.to_errno();
    }
    // SAFETY: By the safety requirements `ops` is valid for reads and writes.
    let ops = unsafe { &mut *ops };
    if ops.size as usize != size_of::<ffi::rbus_bus_ops>() || ops.version != ffi::RBUS_OPS_VERSION {
        return EINVAL.to_errno();
    }
    ops.context = rdev.cast();
    ops.get = Some(get_callback);
    ops.put = Some(put_callback);
    ops.transfer = Some(transfer_callback);
    ops.reg_read = Some(reg_read_callback);
    ops.reg_write = Some(reg_write_callback);
    ops.subscribe = Some(subscribe_callback);
    get_callback(ops.context);
    0
}
