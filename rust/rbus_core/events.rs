// SPDX-License-Identifier: GPL-2.0

//! Bus-to-child calls: the table a child driver publishes, and the queue of events that wait
//! for a suspended child.
//!
//! C header: [`include/linux/rbus.h`](../../include/linux/rbus.h)
//!
//! Child drivers live in other modules, in Rust or in C, so they publish and unpublish through
//! `rbus_child_publish()` and `rbus_child_unpublish()`, which `rust/exports.c` exports. The
//! table is read inside a read-side section of the controller's SRCU-fast domain, `ssp`:
//! unpublishing clears it, then waits for that domain's grace period, so once it returns no call
//! into the table is running and none can start. The bus type unpublishes whatever table is left
//! before a driver's `remove`.

use super::stats::Counter;
use crate::rbus::ffi;
use kernel::{
    bindings,
    prelude::*,
    sync::{
        atomic::{
            Atomic,
            Relaxed,
            Release, //
        },
        lock::spinlock::SpinLockIrqGuard,
        Mutex,
        SpinLockIrq, //
    }, //
};

use core::ptr;

/// The events of a child that wait for its resume, locked.
///
/// # Invariants
///
/// `rdev` is a valid child whose `queue_lock` the guard holds, for `'a`.
pub(crate) struct Queue<'a> {
    rdev: *mut ffi::rbus_device,
    _guard: SpinLockIrqGuard<'a, ()>,
}

impl<'a> Queue<'a> {
    /// Locks the queue of `rdev`, with interrupts off, as `spin_lock_irqsave()` would.
    ///
    /// # Safety
    ///
    /// `rdev` must be a valid child for `'a`.
    pub(crate) unsafe fn lock(rdev: *mut ffi::rbus_device) -> Self {
        // SAFETY: By the safety requirements `rdev` is valid for `'a`, and `rbus_device_add()`
        // initialized its queue lock before it handed the child out.
        let lock = unsafe { SpinLockIrq::<()>::from_raw(&raw mut (*rdev).queue_lock) };

        // INVARIANT: `rdev` is valid for `'a`, and its queue lock held until the guard drops.
        Self {
            rdev,
            _guard: lock.lock(),
        }
    }

    /// The number of events waiting.
    pub(crate) fn len(&self) -> c_uint {
        // SAFETY: By the type invariants `rdev` is valid and its queue lock, which protects the
        // queue, held.
        unsafe { (*self.rdev).queue_len }
    }

    /// Drops every event waiting, and returns how many there were.
    fn clear(&mut self) -> c_uint {
        // SAFETY: By the type invariants `rdev` is valid and its queue lock, which protects the
        // queue, held.
        let len = unsafe { &mut (*self.rdev).queue_len };
        core::mem::take(len)
    }
}

/// Drops the events waiting for `rdev`'s resume, counting each as dropped: the child is
/// unbinding.
///
/// # Safety
///
/// `rdev` must be a valid child.
unsafe fn flush(rdev: *mut ffi::rbus_device) {
    // SAFETY: By the safety requirements `rdev` is valid.
    let mut queue = unsafe { Queue::lock(rdev) };
    let dropped = queue.clear();

    // SAFETY: By the safety requirements `rdev` is valid.
    unsafe { Counter::EventsDropped.add(rdev, dropped.into()) };
}

/// The published table of `rdev`, as an atomic pointer.
///
/// # Safety
///
/// `rdev` must be a valid child for `'a`.
unsafe fn child_ops<'a>(rdev: *mut ffi::rbus_device) -> &'a Atomic<*const ffi::rbus_child_ops> {
    // SAFETY: By the safety requirements `rdev` is valid for `'a`, and so is its `child_ops`.
    // Every access to it while the child lives is atomic: the ones here, and none in C.
    unsafe { Atomic::from_ptr(&raw mut (*rdev).child_ops) }
}

/// The lock that serializes publishing and unpublishing on `rdev`.
///
/// # Safety
///
/// `rdev` must be a valid child for `'a`.
unsafe fn ops_lock<'a>(rdev: *mut ffi::rbus_device) -> &'a Mutex<()> {
    // SAFETY: By the safety requirements `rdev` is valid for `'a`, and `rbus_device_add()`
    // initialized its `ops_lock` before it handed the child out.
    unsafe { Mutex::from_raw(&raw mut (*rdev).ops_lock) }
}

/// `rbus_child_publish()` in a `Result`.
///
/// # Safety
///
/// As for `rbus_child_publish()`.
unsafe fn publish(rdev: *mut ffi::rbus_device, ops: *const ffi::rbus_child_ops) -> Result {
    if ops.is_null() {
        return Err(EINVAL);
    }

    // A table of another size has its members elsewhere: read no more of it than its size, its
    // first member.
    //
    // SAFETY: By the safety requirements `ops` is a table as its caller built it, which starts
    // with its size; when that is this core's, the table has this core's layout.
    let valid = unsafe {
        usize::try_from((*ops).size) == Ok(size_of::<ffi::rbus_child_ops>())
            && (*ops).version == ffi::RBUS_OPS_VERSION
            && (*ops).event.is_some()
    };
    if !valid {
        return Err(EINVAL);
    }

    // SAFETY: By the safety requirements `rdev` is valid; `ssp` is set before the child is added
    // and never changes.
    if unsafe { (*rdev).ssp }.is_null() {
        return Err(EOPNOTSUPP);
    }

    // SAFETY: By the safety requirements `rdev` is valid for this call.
    let (_guard, child_ops) = unsafe { (ops_lock(rdev).lock(), child_ops(rdev)) };
    if !child_ops.load(Relaxed).is_null() {
        return Err(EBUSY);
    }

    // SAFETY: `ops` has this core's layout, and `get` takes its `context`, as
    // `struct rbus_child_ops` documents.
    unsafe {
        if let Some(get) = (*ops).get {
            get((*ops).context);
        }
    }

    // `rcu_assign_pointer()`: a reader that sees the pointer sees the table as it was written.
    child_ops.store(ops, Release);
    Ok(())
}

/// Publishes a child's bus-to-child calls: see `rbus_child_publish()` in `include/linux/rbus.h`.
///
/// Returns `-EINVAL` when `ops` is null, has another size or version, or no `event`,
/// `-EOPNOTSUPP` when the controller raises no events, and `-EBUSY` when a table is published.
///
/// # Safety
///
/// `rdev` must be a child bound to the caller's driver. `ops` must be null or a table the caller
/// built, which, if published, stays valid and unchanged until `rbus_child_unpublish()` returns.
#[no_mangle]
unsafe extern "C" fn rbus_child_publish(
    rdev: *mut ffi::rbus_device,
    ops: *const ffi::rbus_child_ops,
) -> c_int {
    // SAFETY: The safety requirements are `publish()`'s.
    match unsafe { publish(rdev, ops) } {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// Unpublishes the table of `rdev` if it is `ops`, or whichever is published for null; then
/// waits until no call into it is running, drops the events waiting and calls the table's `put`.
///
/// Sleeps, so it must not be called from a callback of the table, which runs inside the
/// read-side section this waits for, nor with a lock held that a callback takes.
///
/// # Safety
///
/// `rdev` must be a valid child.
unsafe fn unpublish(rdev: *mut ffi::rbus_device, ops: *const ffi::rbus_child_ops) {
    let old = {
        // SAFETY: By the safety requirements `rdev` is valid for this call.
        let (_guard, child_ops) = unsafe { (ops_lock(rdev).lock(), child_ops(rdev)) };
        let old = child_ops.load(Relaxed);
        if old.is_null() || (!ops.is_null() && old != ops) {
            return;
        }

        // `RCU_INIT_POINTER(.., NULL)`: storing null needs no ordering.
        child_ops.store(ptr::null(), Relaxed);
        old
    };

    // Test-only: `make check RBUS_BREAK=skip-sync` must go red.
    if !cfg!(rbus_break = "skip-sync") {
        // SAFETY: A table was published, so the child has a domain: publishing refuses a child
        // without one. It outlives every use of the child by a bound driver, as
        // `rbus_device_add()` requires.
        unsafe { bindings::synchronize_srcu((*rdev).ssp) };
    }

    // SAFETY: By the safety requirements `rdev` is valid.
    unsafe { flush(rdev) };

    // SAFETY: No call into `old` is running any more, and `put` drops the reference `get` took
    // when it was published, as `struct rbus_child_ops` documents.
    unsafe {
        if let Some(put) = (*old).put {
            put((*old).context);
        }
    }
}

/// Unpublishes whatever table `rdev` has, and waits until no call into it is running: the bus
/// type does so before a driver's `remove`. Sleeps.
///
/// # Safety
///
/// `rdev` must be a valid child.
pub(crate) unsafe fn unpublish_any(rdev: *mut ffi::rbus_device) {
    // SAFETY: The safety requirements are `unpublish()`'s.
    unsafe { unpublish(rdev, ptr::null()) };
}

/// Withdraws a table published by `rbus_child_publish()`: see `rbus_child_unpublish()` in
/// `include/linux/rbus.h`. Nothing happens if `ops` is not the one published; null withdraws
/// whichever is. Sleeps.
///
/// # Safety
///
/// `rdev` must be a valid child.
#[no_mangle]
unsafe extern "C" fn rbus_child_unpublish(
    rdev: *mut ffi::rbus_device,
    ops: *const ffi::rbus_child_ops,
) {
    // SAFETY: The safety requirements are `unpublish()`'s.
    unsafe { unpublish(rdev, ops) };
}
