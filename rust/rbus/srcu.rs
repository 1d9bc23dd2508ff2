// SPDX-License-Identifier: GPL-2.0

//! SRCU-fast: sleepable RCU whose readers touch only per-CPU counters.
//!
//! C header: [`include/linux/srcu.h`](srctree/include/linux/srcu.h)
//!
//! `kernel::sync::Srcu` wraps classic `srcu_read_lock()`, whose read side has a full memory
//! barrier. [`SrcuFast`] wraps `init_srcu_struct_fast()` and `srcu_read_lock_fast()` (7.3's C
//! API, not yet wrapped upstream), whose read side has none: the hot path of rbus's bus-to-child
//! calls shares no cache line between CPUs. The price is paid by [`SrcuFast::synchronize`].

use super::ffi;
use kernel::{
    bindings,
    error::to_result,
    prelude::*,
    types::{
        NotThreadSafe,
        Opaque, //
    },
};

/// An SRCU-fast domain.
///
/// # Invariants
///
/// `inner` is a valid `srcu_struct` initialized by `init_srcu_struct_fast()`, pinned until
/// `PinnedDrop` cleans it up, and only ever read-locked with `srcu_read_lock_fast()`.
#[pin_data(PinnedDrop)]
pub struct SrcuFast {
    #[pin]
    inner: Opaque<bindings::srcu_struct>,
}

impl SrcuFast {
    /// Creates a domain.
    pub fn new() -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            // INVARIANT: on success the C initializer leaves a valid SRCU-fast domain, pinned
            // from here on.
            inner <- Opaque::try_ffi_init(|ptr: *mut bindings::srcu_struct| {
                // SAFETY: `ptr` points to pinned, uninitialized memory for a `srcu_struct`.
                to_result(unsafe { ffi::rbus_helper_init_srcu_struct_fast(ptr) })
            }),
        })
    }

    /// The raw `srcu_struct`, for the bus core's C readers.
    pub(crate) fn as_raw(&self) -> *mut bindings::srcu_struct {
        self.inner.get()
    }

    /// Enters a read-side critical section, which lasts as long as the guard.
    ///
    /// The section may sleep. Leaking the guard makes [`SrcuFast::synchronize`] and the drop of
    /// `self` wait forever.
    #[inline]
    pub fn read_lock(&self) -> Guard<'_> {
        // SAFETY: By the type invariants `inner` is a valid SRCU-fast domain.
        let scp = unsafe { ffi::rbus_helper_srcu_read_lock_fast(self.inner.get()) };

        // INVARIANT: `scp` was returned by `srcu_read_lock_fast()` on this domain.
        Guard {
            srcu: self,
            scp,
            _not_send: NotThreadSafe,
        }
    }

    /// Waits until every read-side critical section that started before the call has ended.
    ///
    /// Sleeps. Must not be called from a read-side critical section of the same domain, nor
    /// with a lock held that a reader of it may take.
    pub fn synchronize(&self) {
        // SAFETY: By the type invariants `inner` is a valid SRCU domain.
        unsafe { bindings::synchronize_srcu(self.inner.get()) };
    }
}

#[pinned_drop]
impl PinnedDrop for SrcuFast {
    fn drop(self: Pin<&mut Self>) {
        let ptr = self.inner.get();

        // A reader still active here can only be a leaked guard. Waiting for it, possibly
        // forever, is less harmful than freeing a domain a reader still uses; dropping may sleep
        // anyway, for `srcu_barrier()`.
        if kernel::warn_on!(
            // SAFETY: By the type invariants `ptr` is a valid SRCU domain.
            unsafe { bindings::srcu_readers_active(ptr) }
        ) {
            // SAFETY: By the type invariants `ptr` is a valid SRCU domain.
            unsafe { bindings::synchronize_srcu(ptr) };
        }

        // SAFETY: By the type invariants `ptr` is a valid SRCU domain; `srcu_barrier()` waits
        // for callbacks, after which nothing refers to it and it may be cleaned up.
        unsafe {
            bindings::srcu_barrier(ptr);
            bindings::cleanup_srcu_struct(ptr);
        }
    }
}

// SAFETY: An `srcu_struct` may be used and freed from any thread.
unsafe impl Send for SrcuFast {}

// SAFETY: An `srcu_struct` may be used concurrently from any thread.
unsafe impl Sync for SrcuFast {}

/// An active SRCU-fast read-side critical section.
///
/// # Invariants
///
/// `scp` is the cookie `srcu_read_lock_fast()` returned for `srcu`, not yet passed to
/// `srcu_read_unlock_fast()`.
#[must_use = "the read-side critical section ends when the guard is dropped"]
pub struct Guard<'a> {
    srcu: &'a SrcuFast,
    scp: *mut bindings::srcu_ctr,
    _not_send: NotThreadSafe,
}

impl Drop for Guard<'_> {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: By the type invariants `scp` came from `srcu_read_lock_fast()` on this domain
        // and is released exactly once, here.
        unsafe { ffi::rbus_helper_srcu_read_unlock_fast(self.srcu.inner.get(), self.scp) };
    }
}
