// SPDX-License-Identifier: GPL-2.0

//! Bus-to-child calls: the table a child driver publishes, the dispatch of each event into it,
//! and the queue of events that wait for a suspended child.
//!
//! C header: [`include/linux/rbus.h`](../../include/linux/rbus.h)
//!
//! Child drivers live in other modules, in Rust or in C, so they publish and unpublish through
//! `rbus_child_publish()` and `rbus_child_unpublish()`, which `rust/exports.c` exports, and
//! controllers raise events through `rbus_event_dispatch()`, whose fast path is inline in
//! `rust/rbus_glue.h`, as `srcu_read_lock_fast()` is, for its cost; it calls the slow path here.
//! The table is read inside a read-side section of the controller's SRCU-fast domain, `ssp`:
//! unpublishing clears it, then waits for that domain's grace period, so once it returns no call
//! into the table is running and none can start. The bus type unpublishes whatever table is left
//! before a driver's `remove`.
//! A controller about to remove all its children revokes every table first
//! (`rbus_child_revoke()`): each revoke clears the table and notes the grace period that must
//! pass, and each unbind then waits for it unless it is over, so the controller's unbind waits
//! for one grace period, not one per child.
//!
//! A suspended child gets no call: runtime suspend sets its `suspended` flag, then waits out the
//! calls that started before. The dispatch's fast path reads one pointer, `active_ops`: the
//! table while the child is not suspended, else null, which the queue lock keeps in step with
//! both (`Queue::set_table()` and `Queue::set_suspended()` are its only writers); anything else
//! takes the slow path, which reads the table and the flag themselves. While the flag is set, events wait in the child's queue, up to
//! `RBUS_EVENT_QUEUE_DEPTH`, and the ones that find it full are counted as dropped. Resume
//! delivers the queue in order under `resume_lock`, with `resuming` set: a dispatch that finds
//! it set waits for that lock, then delivers, so no event overtakes a queued one.

use super::{
    stats::Counter,
    trace::{
        self,
        Outcome, //
    }, //
};
use crate::rbus::{
    ffi,
    srcu::SrcuFast, //
};
use kernel::{
    alloc::flags::__GFP_ZERO,
    bindings,
    prelude::*,
    sync::{
        atomic::{
            Acquire,
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

/// The array of the events that wait for a child's resume.
type Events = [ffi::rbus_event; ffi::RBUS_EVENT_QUEUE_DEPTH as usize];

/// The events of a child that wait for its resume, locked.
///
/// # Invariants
///
/// `rdev` is a valid child whose `queue_lock` the guard holds, for `'a`. Its `queue` is null or
/// points to an [`Events`] that lives as long as the child.
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

    /// The array of events, if the child has one yet.
    fn events(&mut self) -> Option<&mut Events> {
        // SAFETY: By the type invariants `rdev` is valid and its queue lock, which protects the
        // queue, held; `queue` is null or points to an array that lives as long as the child.
        unsafe { (*self.rdev).queue.cast::<Events>().as_mut() }
    }

    /// Gives the child its array of events, unless it has one: the first publish does, before
    /// the table is published, so that its events can wait. The array lives as long as the child.
    ///
    /// # Safety
    ///
    /// `rdev` must be a valid child.
    unsafe fn reserve(rdev: *mut ffi::rbus_device) -> Result {
        // SAFETY: By the safety requirements `rdev` is valid.
        if unsafe { Queue::lock(rdev) }.events().is_some() {
            return Ok(());
        }
        // Zeroed, as an empty queue's array is: all zeroes are a valid `struct rbus_event`.
        let events = KBox::<Events>::new_uninit(GFP_KERNEL | __GFP_ZERO)?;
        // SAFETY: `__GFP_ZERO` zeroed it, and all zeroes are valid events.
        let events = unsafe { events.assume_init() };

        // SAFETY: By the safety requirements `rdev` is valid.
        let mut queue = unsafe { Queue::lock(rdev) };
        // Publishers are serialized by `ops_lock`, but check again all the same: a lost race
        // only frees the spare.
        if queue.events().is_none() {
            // INVARIANT: the array lives until `release()` frees it with the child.
            //
            // SAFETY: `rdev` is valid, and its queue lock held.
            unsafe { (*queue.rdev).queue = KBox::into_raw(events).cast() };
        }
        Ok(())
    }

    /// Appends `ev`; returns `false`, leaving the queue as it was, when it is full.
    fn push(&mut self, ev: ffi::rbus_event) -> bool {
        // SAFETY: By the type invariants `rdev` is valid and its queue lock, which protects the
        // queue, held.
        let (head, len) = unsafe { ((*self.rdev).queue_head, (*self.rdev).queue_len) };
        if len >= ffi::RBUS_EVENT_QUEUE_DEPTH {
            return false;
        }
        // Only a published table's events wait, and the first publish gave the child its array.
        let Some(events) = self.events() else {
            return false;
        };

        // The head is always below the depth, which is the array's length.
        let tail = head.wrapping_add(len) % ffi::RBUS_EVENT_QUEUE_DEPTH;
        // CAST: `c_uint` to `usize` is lossless on every architecture Linux supports.
        let Some(slot) = events.get_mut(tail as usize) else {
            return false;
        };
        *slot = ev;
        // SAFETY: As above.
        unsafe { (*self.rdev).queue_len += 1 };
        true
    }

    /// Takes the oldest event, if any.
    fn pop(&mut self) -> Option<ffi::rbus_event> {
        // SAFETY: By the type invariants `rdev` is valid and its queue lock, which protects the
        // queue, held.
        let (head, len) = unsafe { ((*self.rdev).queue_head, (*self.rdev).queue_len) };
        if len == 0 {
            return None;
        }

        // CAST: `c_uint` to `usize` is lossless on every architecture Linux supports.
        let ev = *self.events()?.get(head as usize)?;
        // SAFETY: As above.
        unsafe {
            (*self.rdev).queue_head = head.wrapping_add(1) % ffi::RBUS_EVENT_QUEUE_DEPTH;
            (*self.rdev).queue_len = len - 1;
        }
        Some(ev)
    }

    /// Stores `ops`, or null, as the child's table. Its only writer, which publishing and
    /// unpublishing call with `ops_lock` held.
    ///
    /// `rcu_assign_pointer()`: a reader that sees the pointer sees the table as it was written.
    fn set_table(&mut self, ops: *const ffi::rbus_child_ops) {
        // SAFETY: By the type invariants `rdev` is valid for `'a`.
        unsafe { child_ops(self.rdev) }.store(ops, Release);
        self.set_active();
    }

    /// Sets or clears the child's `suspended` flag. Its only writer: runtime suspend sets it, and
    /// resume clears it once the queue is empty.
    fn set_suspended(&mut self, suspended: bool) {
        // SAFETY: By the type invariants `rdev` is valid for `'a`.
        unsafe { self::suspended(self.rdev) }.store(suspended, Relaxed);
        self.set_active();
    }

    /// Stores in `active_ops` the table, or null while the child is suspended. Every writer of
    /// either calls it with the queue lock held, so the last one stores what both now hold.
    fn set_active(&mut self) {
        // SAFETY: By the type invariants `rdev` is valid for `'a`, and its queue lock held, which
        // the writers of both hold.
        let (ops, suspended, active) = unsafe {
            (
                child_ops(self.rdev).load(Relaxed),
                suspended(self.rdev).load(Relaxed),
                active_ops(self.rdev),
            )
        };
        // Release, as for the table itself: the table was written before it was published.
        active.store(if suspended { ptr::null() } else { ops }, Release);
    }
}

/// Frees the array of events of a released child, if it had one.
///
/// # Safety
///
/// `rdev` must be a child that nothing uses any more.
pub(crate) unsafe fn release(rdev: *mut ffi::rbus_device) {
    // SAFETY: By the safety requirements nothing else uses `rdev`.
    let events = unsafe { (*rdev).queue };
    if !events.is_null() {
        // SAFETY: A non-null `queue` came from `KBox::into_raw()` in `Queue::reserve()`, and
        // nothing uses it any more.
        drop(unsafe { KBox::from_raw(events.cast::<Events>()) });
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
    let mut dropped = 0u32;
    // One by one, for their trace events: at most `RBUS_EVENT_QUEUE_DEPTH`, on unbind.
    while let Some(ev) = queue.pop() {
        // SAFETY: By the safety requirements `rdev` is valid.
        unsafe { trace::event(rdev, &ev, Outcome::Dropped) };
        dropped += 1;
    }

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
    // Every other access to it is atomic too, or a `READ_ONCE()` (`srcu_dereference()` in
    // `rbus_event_dispatch()` and in C's benchmark).
    unsafe { Atomic::from_ptr(&raw mut (*rdev).child_ops) }
}

/// The table of `rdev` while it is not suspended, else null: what `rbus_event_dispatch()`'s
/// fast path reads. Only [`Queue::set_active`] writes it.
///
/// # Safety
///
/// `rdev` must be a valid child for `'a`.
unsafe fn active_ops<'a>(rdev: *mut ffi::rbus_device) -> &'a Atomic<*const ffi::rbus_child_ops> {
    // SAFETY: By the safety requirements `rdev` is valid for `'a`, and so is its `active_ops`.
    // Every other access to it is atomic too, or a `READ_ONCE()` (`srcu_dereference()` in
    // `rbus_event_dispatch()` and in C's benchmark).
    unsafe { Atomic::from_ptr(&raw mut (*rdev).active_ops) }
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

/// The lock resume holds while it delivers the queue of `rdev`.
///
/// # Safety
///
/// `rdev` must be a valid child for `'a`.
unsafe fn resume_lock<'a>(rdev: *mut ffi::rbus_device) -> &'a Mutex<()> {
    // SAFETY: By the safety requirements `rdev` is valid for `'a`, and `rbus_device_add()`
    // initialized its `resume_lock` before it handed the child out.
    unsafe { Mutex::from_raw(&raw mut (*rdev).resume_lock) }
}

/// The `suspended` flag of `rdev`: events wait in the queue while it is set. Suspend sets it
/// and resume clears it, through [`Queue::set_suspended`]; the slow dispatch reads it without
/// the lock.
///
/// # Safety
///
/// `rdev` must be a valid child for `'a`.
unsafe fn suspended<'a>(rdev: *mut ffi::rbus_device) -> &'a Atomic<bool> {
    // SAFETY: By the safety requirements `rdev` is valid for `'a`, and so is its flag. Every
    // other access to it is atomic too.
    unsafe { Atomic::from_ptr(&raw mut (*rdev).suspended) }
}

/// The `resuming` flag of `rdev`: set while resume delivers the queue, under `resume_lock`.
///
/// # Safety
///
/// `rdev` must be a valid child for `'a`.
unsafe fn resuming<'a>(rdev: *mut ffi::rbus_device) -> &'a Atomic<bool> {
    // SAFETY: By the safety requirements `rdev` is valid for `'a`, and so is its flag, which
    // only this file touches, always atomically.
    unsafe { Atomic::from_ptr(&raw mut (*rdev).resuming) }
}

/// The domain a child gets in `ssp` when its controller raises no events: its host's calls
/// domain, which outlives it. Nothing is ever published in it, so `rbus_event_dispatch()` finds
/// no table there and fails with `-ENODEV`, and its inline fast path needs no test of its own for
/// a child without a domain.
///
/// # Safety
///
/// `host` must be a valid host.
pub(crate) unsafe fn no_events_domain(host: *mut ffi::rbus_host) -> *mut bindings::srcu_struct {
    // SAFETY: By the safety requirements `host` is valid.
    unsafe { &raw mut (*host).calls_srcu }
}

/// The domain of `rdev`, in which its published table is read, or `None` if its controller
/// raises no events.
///
/// # Safety
///
/// `rdev` must be a child registered for `'a`: from `rbus_device_add()` until
/// `rbus_device_unregister()` returns.
#[inline(always)]
unsafe fn domain<'a>(rdev: *mut ffi::rbus_device) -> Option<&'a SrcuFast> {
    // SAFETY: By the safety requirements `rdev` is valid; `ssp` and `host` are set before the
    // child is added and never change, and the child holds a reference on its host.
    let (ssp, host) = unsafe { ((*rdev).ssp, (*rdev).host) };
    // SAFETY: As above, `host` is valid.
    if ssp == unsafe { no_events_domain(host) } {
        return None;
    }

    // SAFETY: `rbus_device_add()` requires `ssp` to be an SRCU-fast domain that stays valid until
    // `rbus_device_unregister()` returns, which by the safety requirements is after `'a`.
    Some(unsafe { SrcuFast::from_raw(ssp) })
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

    // SAFETY: By the safety requirements `rdev` is bound, so registered for this call.
    if unsafe { domain(rdev) }.is_none() {
        return Err(EOPNOTSUPP);
    }

    // SAFETY: By the safety requirements `rdev` is valid for this call.
    let (_guard, child_ops) = unsafe { (ops_lock(rdev).lock(), child_ops(rdev)) };
    // A revoked table still counts until the unbind puts it: one revoked and one published
    // would leave one for no unbind to put.
    //
    // SAFETY: `rdev` is valid, and `revoked_ops` is only touched under `ops_lock`.
    if !child_ops.load(Relaxed).is_null() || unsafe { !(*rdev).revoked_ops.is_null() } {
        return Err(EBUSY);
    }
    // The events of a suspended child wait in an array, which a child gets only now: most
    // children never publish, and the array would double their memory.
    //
    // SAFETY: By the safety requirements `rdev` is valid.
    unsafe { Queue::reserve(rdev) }?;

    // SAFETY: `ops` has this core's layout, and `get` takes its `context`, as
    // `struct rbus_child_ops` documents.
    unsafe {
        if let Some(get) = (*ops).get {
            get((*ops).context);
        }
    }

    // SAFETY: By the safety requirements `rdev` is valid.
    unsafe { Queue::lock(rdev) }.set_table(ops);
    Ok(())
}

/// Publishes a child's bus-to-child calls: see `rbus_child_publish()` in `include/linux/rbus.h`.
///
/// Returns `-EINVAL` when `ops` is null, has another size or version, or no `event`,
/// `-EOPNOTSUPP` when the controller raises no events, `-EBUSY` when a table is published, and
/// `-ENOMEM` when the first table finds no memory for the events' array.
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
    let matches =
        |table: *const ffi::rbus_child_ops| !table.is_null() && (ops.is_null() || table == ops);
    // The table, and the grace period to wait for that `rbus_child_revoke()` noted if it revoked
    // it.
    let (old, noted) = {
        // SAFETY: By the safety requirements `rdev` is valid for this call.
        let (_guard, child_ops) = unsafe { (ops_lock(rdev).lock(), child_ops(rdev)) };
        let published = child_ops.load(Relaxed);
        // SAFETY: `rdev` is valid, and `revoked_ops` is only touched under `ops_lock`.
        let revoked = unsafe { (*rdev).revoked_ops };
        if matches(published) {
            // SAFETY: `rdev` is valid.
            unsafe { Queue::lock(rdev) }.set_table(ptr::null());
            (published, None)
        } else if matches(revoked) {
            // SAFETY: As above.
            unsafe { (*rdev).revoked_ops = ptr::null() };
            // SAFETY: As above; `revoked_gp` was set with `revoked_ops`.
            (revoked, Some(unsafe { (*rdev).revoked_gp }))
        } else {
            return;
        }
    };

    // Test-only: `make check RBUS_BREAK=skip-sync` must go red.
    if !cfg!(rbus_break = "skip-sync") {
        // A table was published, so the child has a domain: publishing refuses a child without
        // one.
        //
        // SAFETY: A table was published, so the child is bound, or unbinding, and registered
        // either way: the bus unpublishes on unbind, before it unregisters the child.
        if let Some(srcu) = unsafe { domain(rdev) } {
            // A revoked table waits for the grace period its revoke noted, unless it is over: the
            // first of a controller's children to unbind waits for it, and the others, revoked
            // before that wait began, find it over.
            //
            // SAFETY: The domain is valid, and the cookie came from
            // `get_state_synchronize_srcu()` on it, in `rbus_child_revoke()`.
            let over = noted.is_some_and(|gp| unsafe {
                bindings::poll_state_synchronize_srcu(srcu.as_raw(), gp)
            });
            if !over {
                srcu.synchronize();
            }
        }
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

/// Revokes the table of `rdev` ahead of its removal, without waiting for the calls into it:
/// see `rbus_child_revoke()` in `rust/rbus_glue.h`. The unbind that follows waits for them in
/// [`unpublish`], unless a grace period passed since.
///
/// # Safety
///
/// `rdev` must be a registered child.
#[no_mangle]
unsafe extern "C" fn rbus_child_revoke(rdev: *mut ffi::rbus_device) {
    // SAFETY: By the safety requirements `rdev` is registered for this call.
    let Some(srcu) = (unsafe { domain(rdev) }) else {
        return;
    };
    // SAFETY: By the safety requirements `rdev` is valid for this call.
    let (_guard, child_ops) = unsafe { (ops_lock(rdev).lock(), child_ops(rdev)) };
    let published = child_ops.load(Relaxed);
    // SAFETY: `rdev` is valid, and `revoked_ops` is only touched under `ops_lock`; publishing
    // refuses a child with a revoked table, so there is never one revoked and one published.
    if published.is_null() || unsafe { !(*rdev).revoked_ops.is_null() } {
        return;
    }
    // SAFETY: By the safety requirements `rdev` is valid.
    unsafe { Queue::lock(rdev) }.set_table(ptr::null());
    // No grace period starts here: the domain stays idle until the first unbind waits, so
    // `synchronize_srcu()` expedites that wait, as it does for one child.
    //
    // SAFETY: As above; the domain is valid.
    unsafe {
        (*rdev).revoked_ops = published;
        (*rdev).revoked_gp = bindings::get_state_synchronize_srcu(srcu.as_raw());
    }
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

/// Calls the `event` callback of `ops` with `ev`, and counts the delivery.
///
/// # Safety
///
/// `rdev` must be a valid child, and `ops` a table read from its `child_ops` inside a read-side
/// section of its domain that lasts the call.
#[inline(always)]
unsafe fn deliver(
    rdev: *mut ffi::rbus_device,
    ops: *const ffi::rbus_child_ops,
    ev: ffi::rbus_event,
) {
    // SAFETY: By the safety requirements `rdev` is valid.
    unsafe { trace::event(rdev, &ev, Outcome::Delivered) };

    // SAFETY: By the safety requirements `ops` was published when it was read, inside a
    // read-side section that lasts the call: unpublishing it waits for that section to end
    // before it lets the table go. `event` takes its `context`, as `struct rbus_child_ops`
    // documents; publishing refused a table without it.
    unsafe {
        if let Some(event) = (*ops).event {
            event((*ops).context, ev.kind, ev.seq, ev.payload);
        }
    }

    // SAFETY: By the safety requirements `rdev` is valid.
    unsafe { Counter::EventsDelivered.inc(rdev) };
}

/// Delivers `ev` through `ops`, unless the child is suspended: then queues it, or counts it as
/// dropped when the queue is full. While resume delivers the queue, waits for it, then delivers
/// `ev` after the queued ones.
///
/// # Safety
///
/// As for `deliver()`.
#[cold]
#[inline(never)]
unsafe fn dispatch_slow(
    rdev: *mut ffi::rbus_device,
    ops: *const ffi::rbus_child_ops,
    ev: ffi::rbus_event,
) {
    // SAFETY: By the safety requirements `rdev` is valid for this call.
    let (suspended, resuming) = unsafe { (suspended(rdev), resuming(rdev)) };

    while suspended.load(Relaxed) {
        {
            // SAFETY: By the safety requirements `rdev` is valid for this call.
            let mut queue = unsafe { Queue::lock(rdev) };
            if !suspended.load(Relaxed) {
                break;
            }
            if !resuming.load(Relaxed) {
                let (counter, outcome) = if queue.push(ev) {
                    (Counter::EventsDeferred, Outcome::Deferred)
                } else {
                    (Counter::EventsDropped, Outcome::Dropped)
                };
                // SAFETY: By the safety requirements `rdev` is valid.
                unsafe {
                    counter.add(rdev, 1);
                    trace::event(rdev, &ev, outcome);
                }
                return;
            }
        }

        // Resume is delivering the queue: wait for it to end, then deliver after it.
        //
        // SAFETY: By the safety requirements `rdev` is valid for this call.
        drop(unsafe { resume_lock(rdev) }.lock());
    }

    // SAFETY: The safety requirements are `deliver()`'s.
    unsafe { deliver(rdev, ops, ev) };
}

/// The slow path of `rbus_event_dispatch()`, inline in `rust/rbus_glue.h`, which calls it when
/// it finds no active table (none is published, or the child is suspended) or the `rbus_event`
/// trace event enabled. Returns `-ENODEV` when no table is published, else `0`: see
/// [`dispatch_slow`].
///
/// # Safety
///
/// `rdev` must be a registered child, and the caller inside a read-side section of its domain
/// that lasts the call.
#[no_mangle]
unsafe extern "C" fn rbus_event_dispatch_slow(
    rdev: *mut ffi::rbus_device,
    kind: u32,
    seq: u64,
    payload: u64,
) -> c_int {
    // `srcu_dereference()`: the table as it was published, if it still is.
    //
    // SAFETY: By the safety requirements `rdev` is valid for this call.
    let ops = unsafe { child_ops(rdev) }.load(Acquire);
    if ops.is_null() {
        return ENODEV.to_errno();
    }
    let ev = ffi::rbus_event { kind, seq, payload };

    // SAFETY: By the safety requirements `rdev` is valid, and `ops` was read from its
    // `child_ops` inside the caller's read-side section, which lasts the call.
    unsafe { dispatch_slow(rdev, ops, ev) };
    0
}

/// D0 exit of the events of `rdev`: from here on they wait in the queue. Sets the flag, then
/// waits out the callbacks that started before it, so none runs until resume. Sleeps.
///
/// # Safety
///
/// `rdev` must be a registered child.
pub(crate) unsafe fn suspend(rdev: *mut ffi::rbus_device) {
    // SAFETY: By the safety requirements `rdev` is registered for this call.
    let Some(srcu) = (unsafe { domain(rdev) }) else {
        return;
    };

    // Test-only: `make check RBUS_BREAK=skip-pm` must go red.
    if cfg!(rbus_break = "skip-pm") {
        return;
    }

    // SAFETY: By the safety requirements `rdev` is valid for this call.
    unsafe { Queue::lock(rdev) }.set_suspended(true);
    srcu.synchronize();
}

/// D0 entry of the events of `rdev`: delivers the queue in order, then lets new events through.
/// Events raised meanwhile wait for the drain to end, so a steady stream cannot keep it going.
///
/// # Safety
///
/// `rdev` must be a registered child.
pub(crate) unsafe fn resume(rdev: *mut ffi::rbus_device) {
    // SAFETY: By the safety requirements `rdev` is registered for this call.
    let Some(srcu) = (unsafe { domain(rdev) }) else {
        return;
    };

    // SAFETY: By the safety requirements `rdev` is valid for this call.
    let (_resume, resuming) = unsafe { (resume_lock(rdev).lock(), resuming(rdev)) };
    resuming.store(true, Relaxed);
    {
        let _guard = srcu.read_lock();

        // `srcu_dereference()`: the table as it was published, if it still is.
        //
        // SAFETY: By the safety requirements `rdev` is valid for this call.
        let ops = unsafe { child_ops(rdev) }.load(Acquire);
        loop {
            let ev = {
                // SAFETY: By the safety requirements `rdev` is valid for this call.
                let mut queue = unsafe { Queue::lock(rdev) };
                match queue.pop() {
                    Some(ev) => ev,
                    None => {
                        // The queue is empty: new events go through from here on.
                        queue.set_suspended(false);
                        break;
                    }
                }
            };

            if ops.is_null() {
                // SAFETY: By the safety requirements `rdev` is valid.
                unsafe {
                    Counter::EventsDropped.inc(rdev);
                    trace::event(rdev, &ev, Outcome::Dropped);
                }
            } else {
                // SAFETY: `ops` was read from `child_ops` inside the read-side section `_guard`
                // holds.
                unsafe { deliver(rdev, ops, ev) };
            }
        }
    }
    resuming.store(false, Relaxed);
}
