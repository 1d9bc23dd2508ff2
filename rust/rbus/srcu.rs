// SPDX-License-Identifier: GPL-2.0

//! SRCU-fast: sleepable RCU whose readers touch only per-CPU counters.
//!
//! C header: [`include/linux/srcu.h`](srctree/include/linux/srcu.h)
//!
//! `kernel::sync::Srcu` wraps classic `srcu_read_lock()`, whose read side has a full memory
//! barrier. [`SrcuFast`] wraps `init_srcu_struct_fast()` and `srcu_read_lock_fast()` (7.3's C
//! API, not yet wrapped upstream), whose read side has none: the hot path of rbus's bus-to-child
//! calls shares no cache line between CPUs. The price is paid by [`SrcuFast::synchronize`].
//!
//! `srcu_read_lock_fast()` and `srcu_read_unlock_fast()` are `static inline`, which Rust can only
//! call through C helpers; under TCG each such call and its return cost more than the whole read
//! side (see the README's "Per-call cost"). Without lockdep and `CONFIG_PROVE_RCU`, their bodies
//! are a load and a per-CPU increment each, which [`read_lock_fast`] and [`read_unlock_fast`]
//! repeat inline on x86-64. With either debug option the helpers run the C functions whole, so a
//! debug kernel keeps lockdep's view of every read-side section of rbus.

#[cfg(not(srcu_fast_inline))]
use super::ffi;
use kernel::{
    bindings,
    error::to_result,
    prelude::*,
    sync::LockClassKey,
    types::{
        NotThreadSafe,
        Opaque, //
    },
};

/// `srcu_read_lock_fast()`, inline where it can be: see the [module documentation](self).
///
/// # Safety
///
/// `ssp` must point to an `srcu_struct` initialized by `init_srcu_struct_fast()`, only ever
/// read-locked with `srcu_read_lock_fast()`, that stays valid until the matching
/// [`read_unlock_fast`]. The section must end in the task that began it.
#[inline(always)]
pub unsafe fn read_lock_fast(ssp: *mut bindings::srcu_struct) -> *mut bindings::srcu_ctr {
    #[cfg(not(srcu_fast_inline))]
    // SAFETY: By the safety requirements.
    return unsafe { ffi::rbus_helper_srcu_read_lock_fast(ssp) };

    #[cfg(srcu_fast_inline)]
    {
        use super::percpu;
        use core::{
            mem::offset_of,
            sync::atomic::{
                compiler_fence,
                AtomicPtr,
                Ordering::{
                    Relaxed,
                    SeqCst, //
                }, //
            }, //
        };

        // `READ_ONCE(ssp->srcu_ctrp)`: the grace-period machinery flips it with a
        // `WRITE_ONCE()`, and a reader may use either of its two counters.
        //
        // SAFETY: By the safety requirements `ssp` is valid; every other access to `srcu_ctrp`
        // is a marked one of the SRCU core.
        let scp = unsafe { AtomicPtr::from_ptr(&raw mut (*ssp).srcu_ctrp) }.load(Relaxed);

        // `this_cpu_inc(scp->srcu_locks.counter)`, as `__srcu_read_lock_fast()` does without
        // `CONFIG_NEED_SRCU_NMI_SAFE`. One instruction, so it is an RCU reader of its own, on
        // which the SRCU-fast grace period relies instead of a full barrier. `scp` is a per-CPU
        // pointer, an offset: the field's offset is added to it as to a number.
        //
        // SAFETY: `scp` is a per-CPU pointer to one of the domain's `srcu_ctr`s, whose counters
        // only per-CPU operations write; the domain lives until the section ends.
        unsafe {
            percpu::this_cpu_inc(
                scp.wrapping_byte_add(offset_of!(bindings::srcu_ctr, srcu_locks))
                    .cast(),
            )
        };

        // `barrier()`: the section's accesses stay after the increment.
        compiler_fence(SeqCst);
        scp
    }
}

/// `srcu_read_unlock_fast()`, inline where it can be: see the [module documentation](self).
///
/// # Safety
///
/// `scp` must be what [`read_lock_fast`] returned for `ssp` in this task, not yet passed here.
#[inline(always)]
pub unsafe fn read_unlock_fast(ssp: *mut bindings::srcu_struct, scp: *mut bindings::srcu_ctr) {
    #[cfg(not(srcu_fast_inline))]
    // SAFETY: By the safety requirements.
    unsafe {
        ffi::rbus_helper_srcu_read_unlock_fast(ssp, scp)
    };

    #[cfg(srcu_fast_inline)]
    {
        use super::percpu;
        use core::{
            mem::offset_of,
            sync::atomic::{
                compiler_fence,
                Ordering::SeqCst, //
            }, //
        };

        let _ = ssp;
        // `barrier()`: the section's accesses stay before the decrement's increment.
        compiler_fence(SeqCst);

        // `this_cpu_inc(scp->srcu_unlocks.counter)`, as `__srcu_read_unlock_fast()` does; this
        // CPU's may differ from the lock's, which the grace period sums over every CPU.
        //
        // SAFETY: By the safety requirements `scp` is a per-CPU pointer to one of the live
        // domain's `srcu_ctr`s, whose counters only per-CPU operations write.
        unsafe {
            percpu::this_cpu_inc(
                scp.wrapping_byte_add(offset_of!(bindings::srcu_ctr, srcu_unlocks))
                    .cast(),
            )
        };
    }
}

/// `init_srcu_struct_fast()` with the name and lockdep class of the caller's choosing, as the
/// kernel's `__init_srcu_struct()` takes them: only a kernel with lockdep has a class to give.
///
/// # Safety
///
/// `ssp` must point to memory for a `srcu_struct`, not initialized yet, that stays in place until
/// `cleanup_srcu_struct()`.
pub unsafe fn init_srcu_struct_fast(
    ssp: *mut bindings::srcu_struct,
    name: &'static CStr,
    key: Pin<&'static LockClassKey>,
) -> c_int {
    #[cfg(CONFIG_DEBUG_LOCK_ALLOC)]
    // SAFETY: By the safety requirements; the name and the class are static.
    return unsafe { bindings::__init_srcu_struct_fast(ssp, name.as_char_ptr(), key.as_ptr()) };

    #[cfg(not(CONFIG_DEBUG_LOCK_ALLOC))]
    {
        let _ = (name, key);
        // SAFETY: By the safety requirements.
        unsafe { bindings::init_srcu_struct_fast(ssp) }
    }
}

/// Creates an [`SrcuFast`] domain whose lockdep class is this call site's, as
/// `init_srcu_struct_fast()` gives each of its call sites one: domains of different owners must
/// not share a class, or lockdep takes waiting on one for waiting on the other.
#[macro_export]
macro_rules! new_srcu_fast {
    () => {
        $crate::rbus::srcu::SrcuFast::new(
            ::kernel::c_str!(::core::concat!(::core::file!(), ":", ::core::line!())),
            ::kernel::static_lock_class!(),
        )
    };
}

/// An SRCU-fast domain.
///
/// # Invariants
///
/// `inner` is a valid `srcu_struct` initialized by `init_srcu_struct_fast()`, pinned until
/// `PinnedDrop` cleans it up (or, for one reached through [`SrcuFast::from_raw`], until its owner
/// does), and only ever read-locked with `srcu_read_lock_fast()`.
#[repr(transparent)]
#[pin_data(PinnedDrop)]
pub struct SrcuFast {
    #[pin]
    inner: Opaque<bindings::srcu_struct>,
}

impl SrcuFast {
    /// Creates a domain named `name`, whose lockdep class is `key`; see [`new_srcu_fast!`].
    pub fn new(name: &'static CStr, key: Pin<&'static LockClassKey>) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            // INVARIANT: on success the C initializer leaves a valid SRCU-fast domain, pinned
            // from here on.
            inner <- Opaque::try_ffi_init(|ptr: *mut bindings::srcu_struct| {
                // SAFETY: `ptr` points to pinned, uninitialized memory for a `srcu_struct`; the
                // name and the class are static.
                to_result(unsafe { init_srcu_struct_fast(ptr, name, key) })
            }),
        })
    }

    /// The domain at `ptr`, which another owner set up and cleans up.
    ///
    /// The bus core reaches a controller's domain this way, through the child it was given to.
    ///
    /// # Safety
    ///
    /// `ptr` must point to an `srcu_struct` initialized by `init_srcu_struct_fast()`, only ever
    /// read-locked with `srcu_read_lock_fast()`, and not cleaned up for `'a`.
    #[inline(always)]
    pub unsafe fn from_raw<'a>(ptr: *mut bindings::srcu_struct) -> &'a Self {
        // CAST: `SrcuFast` is `#[repr(transparent)]` over an `Opaque<srcu_struct>`, which has the
        // layout of an `srcu_struct`.
        //
        // SAFETY: By the safety requirements `ptr` is valid for `'a`.
        //
        // INVARIANT: By the safety requirements the domain is SRCU-fast and stays set up for
        // `'a`; a reference never drops it.
        unsafe { &*ptr.cast() }
    }

    /// The raw `srcu_struct`, for the bus core's C readers.
    pub(crate) fn as_raw(&self) -> *mut bindings::srcu_struct {
        self.raw()
    }

    /// The raw `srcu_struct`, without a call: `Opaque::get()` is not `#[inline]`, and at the
    /// kernel's `opt-level=s` a module calls the `kernel` crate's copy of it, on every read-side
    /// section.
    #[inline(always)]
    fn raw(&self) -> *mut bindings::srcu_struct {
        // CAST: `SrcuFast` is `#[repr(transparent)]` over an `Opaque<srcu_struct>`, which is
        // `#[repr(transparent)]` over the `srcu_struct`, in an `UnsafeCell` that lets C write to
        // it through a shared reference.
        core::ptr::from_ref(self).cast_mut().cast()
    }

    /// Enters a read-side critical section, which lasts as long as the guard.
    ///
    /// The section may sleep. Leaking the guard makes [`SrcuFast::synchronize`] and the drop of
    /// `self` wait forever.
    #[inline]
    pub fn read_lock(&self) -> Guard<'_> {
        // SAFETY: By the type invariants `inner` is a valid SRCU-fast domain, which the guard's
        // lifetime keeps valid until the section ends; the guard is not `Send`.
        let scp = unsafe { read_lock_fast(self.raw()) };

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
        unsafe { bindings::synchronize_srcu(self.raw()) };
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
        unsafe { read_unlock_fast(self.srcu.raw(), self.scp) };
    }
}
