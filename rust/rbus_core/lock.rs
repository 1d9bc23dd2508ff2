// SPDX-License-Identifier: GPL-2.0

//! The request queue's spinlock: a `spinlock_t` behind 7.3's [`Lock`], locked with two calls.
//!
//! C header: [`include/linux/spinlock.h`](srctree/include/linux/spinlock.h)
//!
//! A section of 7.3's [`kernel::sync::SpinLock`] is eight calls in an out-of-tree module at
//! `-Os`: `Opaque::get()` three times, whose instance for `spinlock_t` the `kernel` crate compiled
//! and a module shares, the helpers `rust_helper_spin_lock()`, `rust_helper_spin_assert_is_held()`
//! and `rust_helper_spin_unlock()`, and the `_raw_spin_lock()` and `_raw_spin_unlock()` they call.
//! Under TCG each call and return costs tens of nanoseconds, and a round trip of the request
//! channel takes the queue's lock three times. A [`FastSpinLock`] is the same `spinlock_t`,
//! initialized by the same helper with a lock class of its own, so lockdep sees a spinlock, and
//! [`LockedBy`](kernel::sync::LockedBy) works with it as with any [`Lock`]; but its state is a
//! type of this crate, whose `Opaque::get()` is compiled here and inlined, and its backend calls
//! `_raw_spin_lock()` and `_raw_spin_unlock()` itself, which is all `spin_lock()` and
//! `spin_unlock()` are on a kernel without `PREEMPT_RT` that does not inline them. Elsewhere it
//! calls the kernel's helpers, as [`kernel::sync::SpinLock`] does. The lockdep assertion of a new
//! guard is only called on a kernel with lockdep, the only one on which it does anything.
//!
//! It disables neither interrupts nor bottom halves, as `spin_lock()` does not, nor did the
//! [`kernel::sync::SpinLock`] it replaces.

use kernel::{
    bindings,
    prelude::*,
    sync::lock::{
        Backend,
        Lock, //
    }, //
};

/// A spinlock whose sections make two calls: see the module documentation.
pub(crate) type FastSpinLock<T> = Lock<T, FastSpinLockBackend>;

/// A `spinlock_t`, as a type of this crate: see the module documentation.
#[repr(transparent)]
pub(crate) struct RawSpinLock(bindings::spinlock_t);

/// The backend of [`FastSpinLock`].
pub(crate) struct FastSpinLockBackend;

/// `spin_lock()` and `spin_unlock()` where they are calls of `_raw_spin_lock()` and
/// `_raw_spin_unlock()`: not on `PREEMPT_RT`, whose `spinlock_t` is another lock, nor where the
/// kernel inlines them and exports neither.
#[cfg(all(
    CONFIG_UNINLINE_SPIN_UNLOCK,
    not(CONFIG_INLINE_SPIN_LOCK),
    not(CONFIG_PREEMPT_RT)
))]
mod ops {
    use super::RawSpinLock;
    use kernel::bindings;

    /// The lock's `raw_spinlock_t`, as `spinlock_check()` gives it.
    #[inline(always)]
    fn raw(ptr: *mut RawSpinLock) -> *mut bindings::raw_spinlock_t {
        // CAST: `RawSpinLock` is `repr(transparent)` over `spinlock_t`, which without
        // `PREEMPT_RT` begins with its `raw_spinlock_t`, `rlock` (with lockdep, in a union with
        // padding and the lockdep map): `&lock->rlock` is the lock's own address.
        ptr.cast()
    }

    /// `spin_lock()`.
    ///
    /// # Safety
    ///
    /// `ptr` must be an initialized lock.
    #[inline(always)]
    pub(super) unsafe fn lock(ptr: *mut RawSpinLock) {
        // SAFETY: By the safety requirements; this is what `spin_lock()` calls.
        unsafe { bindings::_raw_spin_lock(raw(ptr)) }
    }

    /// `spin_unlock()`.
    ///
    /// # Safety
    ///
    /// The caller must own the lock `ptr`.
    #[inline(always)]
    pub(super) unsafe fn unlock(ptr: *mut RawSpinLock) {
        // SAFETY: By the safety requirements; this is what `spin_unlock()` calls.
        unsafe { bindings::_raw_spin_unlock(raw(ptr)) }
    }
}

/// `spin_lock()` and `spin_unlock()` elsewhere: the kernel's helpers, as
/// [`kernel::sync::SpinLock`] calls them.
#[cfg(not(all(
    CONFIG_UNINLINE_SPIN_UNLOCK,
    not(CONFIG_INLINE_SPIN_LOCK),
    not(CONFIG_PREEMPT_RT)
)))]
mod ops {
    use super::RawSpinLock;
    use kernel::bindings;

    /// `spin_lock()`.
    ///
    /// # Safety
    ///
    /// `ptr` must be an initialized lock.
    #[inline(always)]
    pub(super) unsafe fn lock(ptr: *mut RawSpinLock) {
        // SAFETY: By the safety requirements; `RawSpinLock` is a `spinlock_t`.
        unsafe { bindings::spin_lock(ptr.cast()) }
    }

    /// `spin_unlock()`.
    ///
    /// # Safety
    ///
    /// The caller must own the lock `ptr`.
    #[inline(always)]
    pub(super) unsafe fn unlock(ptr: *mut RawSpinLock) {
        // SAFETY: As above.
        unsafe { bindings::spin_unlock(ptr.cast()) }
    }
}

// SAFETY: The lock is a `spinlock_t`, locked and unlocked as `spin_lock()` and `spin_unlock()`
// do, so only one CPU owns it between `lock` and `unlock`; `relock` is the default, `lock`.
unsafe impl Backend for FastSpinLockBackend {
    type State = RawSpinLock;
    type GuardState = ();

    unsafe fn init(ptr: *mut Self::State, name: *const c_char, key: *mut bindings::lock_class_key) {
        // SAFETY: By the safety requirements `ptr` is valid for writes, and `name` and `key` live
        // forever; `Self::State` is a `spinlock_t`.
        unsafe { bindings::__spin_lock_init(ptr.cast(), name, key) }
    }

    #[inline(always)]
    unsafe fn lock(ptr: *mut Self::State) -> Self::GuardState {
        // SAFETY: By the safety requirements the lock is initialized.
        unsafe { ops::lock(ptr) }
    }

    unsafe fn try_lock(ptr: *mut Self::State) -> Option<Self::GuardState> {
        // SAFETY: By the safety requirements the lock is initialized.
        if unsafe { bindings::spin_trylock(ptr.cast()) } != 0 {
            Some(())
        } else {
            None
        }
    }

    #[inline(always)]
    unsafe fn unlock(ptr: *mut Self::State, _guard_state: &Self::GuardState) {
        // SAFETY: By the safety requirements the caller owns the lock.
        unsafe { ops::unlock(ptr) }
    }

    #[inline(always)]
    unsafe fn assert_is_held(_ptr: *mut Self::State) {
        // SAFETY: By the safety requirements the lock is initialized.
        #[cfg(CONFIG_LOCKDEP)]
        unsafe {
            bindings::spin_assert_is_held(_ptr.cast())
        }
    }
}
