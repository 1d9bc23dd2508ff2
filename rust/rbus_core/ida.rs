// SPDX-License-Identifier: GPL-2.0

//! An IDA in a `static`, for the numbers that exported functions hand out.
//!
//! C header: [`include/linux/idr.h`](srctree/include/linux/idr.h)
//!
//! `DEFINE_IDA()` initializes its lock statically, in a form that depends on the kernel's
//! configuration (spinlock debugging, lockdep), so a [`StaticIda`] starts zeroed and its owner
//! initializes it as `ida_init()` does, when its module loads, before anything allocates.

use kernel::{
    bindings,
    prelude::*,
    types::Opaque, //
};

/// `IDA_INIT_FLAGS`: what `DEFINE_IDA()` and `ida_init()` give an IDA's XArray.
const IDA_INIT_FLAGS: bindings::gfp_t =
    bindings::xa_lock_type_XA_LOCK_IRQ as bindings::gfp_t | bindings::XA_FLAGS_ALLOC;

/// A `struct ida` that starts zeroed.
pub(crate) struct StaticIda(Opaque<bindings::ida>);

// SAFETY: The IDA serializes its users itself: `ida_alloc_range()` and `ida_free()` take the
// XArray's spinlock. `init` and `destroy` are `unsafe`, and their callers keep every other use
// out while they run.
unsafe impl Sync for StaticIda {}

impl StaticIda {
    /// A zeroed IDA, to be initialized with [`StaticIda::init`].
    pub(crate) const fn new() -> Self {
        Self(Opaque::zeroed())
    }

    /// Initializes the IDA, as `ida_init()` does.
    ///
    /// # Safety
    ///
    /// The IDA must be zeroed or destroyed, and unused until this returns.
    pub(crate) unsafe fn init(&self) {
        // SAFETY: By the safety requirements nobody uses the IDA. An IDA is a `struct xarray`,
        // which `ida_init()` initializes with these flags.
        unsafe { bindings::xa_init_flags(&raw mut (*self.0.get()).xa, IDA_INIT_FLAGS) };
    }

    /// Frees what the IDA holds, as `ida_destroy()` does.
    ///
    /// # Safety
    ///
    /// The IDA must be initialized, and unused from here until the next [`StaticIda::init`].
    pub(crate) unsafe fn destroy(&self) {
        // SAFETY: By the safety requirements.
        unsafe { bindings::ida_destroy(self.0.get()) };
    }

    /// The lowest free number from `min` to `max`: `ENOSPC` once every one is taken.
    ///
    /// # Safety
    ///
    /// The IDA must be initialized.
    pub(crate) unsafe fn alloc_range(&self, min: u32, max: u32) -> Result<u32> {
        // SAFETY: By the safety requirements the IDA is initialized.
        let ret =
            unsafe { bindings::ida_alloc_range(self.0.get(), min, max, bindings::GFP_KERNEL) };
        // A negative value is an errno, any other the number.
        u32::try_from(ret).map_err(|_| Error::from_errno(ret))
    }

    /// Frees `id`.
    ///
    /// # Safety
    ///
    /// The IDA must be initialized, and `id` allocated from it and not freed since.
    pub(crate) unsafe fn free(&self, id: u32) {
        // SAFETY: By the safety requirements.
        unsafe { bindings::ida_free(self.0.get(), id) };
    }
}
