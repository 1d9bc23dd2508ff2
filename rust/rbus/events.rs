// SPDX-License-Identifier: GPL-2.0

//! Bus-to-child calls: device events a child driver receives.
//!
//! C header: [`include/linux/rbus.h`](../../include/linux/rbus.h)
//!
//! A child driver implements [`Events`] and publishes it with a [`Publication`] in `probe`. The
//! bus core calls [`Events::event`] inside an SRCU-fast read-side critical section of the
//! controller's domain. On unbind the core unpublishes the table and waits for the grace period
//! before the driver's `unbind`, so once that runs, no event callback is running and none can
//! start.
//!
//! # Lock order
//!
//! An event callback may sleep, but it must never take `device_lock()` of any device, nor any
//! lock the driver holds while a [`Publication`] is dropped: unbind holds `device_lock()` while it
//! waits for running callbacks to end, so such a callback would deadlock. Lockdep checks this.

use super::{
    ffi,
    Device, //
};
use kernel::{
    device,
    error::to_result,
    ffi::c_void,
    prelude::*,
    sync::aref::ARef, //
};

/// The event callbacks of a child driver.
#[vtable]
pub trait Events: Send + Sync {
    /// A device event of `kind` with sequence number `seq` and `payload`. May sleep; see the
    /// module's lock-order rule.
    fn event(&self, kind: u32, seq: u64, payload: u64);
}

/// The published event callbacks of a bound child.
///
/// Dropping it unpublishes them and waits until no callback is running.
///
/// # Invariants
///
/// `ops` is published on `dev` with `context` pointing to `data`, until `drop`.
pub struct Publication<T: Events> {
    dev: ARef<Device>,
    ops: KBox<ffi::rbus_child_ops>,
    // Freed only after `drop` unpublished and synchronized.
    data: Pin<KBox<T>>,
}

impl<T: Events> Publication<T> {
    /// Publishes `data`'s callbacks on `dev`.
    ///
    /// Returns `EOPNOTSUPP` if the controller raises no events, `EBUSY` if another table is
    /// published, and `ENOMEM`.
    pub fn new(dev: &Device<device::Bound>, data: impl PinInit<T, Error>) -> Result<Self> {
        let data = KBox::pin_init(data, GFP_KERNEL)?;
        let ops = KBox::new(
            ffi::rbus_child_ops {
                size: core::mem::size_of::<ffi::rbus_child_ops>() as u32,
                version: ffi::RBUS_OPS_VERSION,
                context: core::ptr::from_ref::<T>(&data).cast_mut().cast(),
                get: None,
                put: None,
                event: Some(Self::event_callback),
            },
            GFP_KERNEL,
        )?;

        // SAFETY: `dev` is a valid, bound child, and `ops` stays valid and unchanged until `drop`
        // unpublishes it.
        to_result(unsafe { ffi::rbus_child_publish(dev.as_raw(), &*ops) })?;

        // INVARIANT: published above, with `context` pointing to `data`.
        Ok(Self {
            dev: ARef::from(&**dev),
            ops,
            data,
        })
    }

    /// The driver's event state.
    pub fn data(&self) -> &T {
        &self.data
    }

    extern "C" fn event_callback(context: *mut c_void, kind: u32, seq: u64, payload: u64) {
        // SAFETY: The bus core passes the `context` of a published table, which points to the
        // pinned `data` of a `Publication` that lives until it unpublished and synchronized.
        let data = unsafe { &*context.cast::<T>() };
        data.event(kind, seq, payload);
    }
}

impl<T: Events> Drop for Publication<T> {
    fn drop(&mut self) {
        // SAFETY: By the type invariants `ops` was published on `dev`; after this returns no
        // callback into `data` is running, so `data` may be freed.
        unsafe { ffi::rbus_child_unpublish(self.dev.as_raw(), &*self.ops) };
    }
}

// SAFETY: The table is only read by the bus core, and `T` is `Send`.
unsafe impl<T: Events> Send for Publication<T> {}

// SAFETY: Shared references only reach `T`, which is `Sync`.
unsafe impl<T: Events> Sync for Publication<T> {}
