// SPDX-License-Identifier: GPL-2.0

//! A controller's handlers of its host's files `new_device` and `delete_device`.
//!
//! C header: [`rust/rbus_glue.h`](../rbus_glue.h)
//!
//! The files belong to the host (`rbus<nr>`), like i2c's to an adapter: they exist as soon as the
//! host does. A controller implements [`Control`] and publishes it with
//! [`ControlRegistration::new`]. Dropping the registration revokes
//! the handlers and waits for a write in progress; from then on writes fail with `ENODEV`. A
//! controller so drops it before the children its handlers add, and the host after both.

use super::{
    ffi,
    Host, //
};
use core::{
    marker::PhantomData,
    ptr::NonNull, //
};
use kernel::{
    bindings,
    error::from_result,
    ffi::{
        c_char,
        c_int,
        c_void, //
    },
    prelude::*,
    sync::Arc, //
};

/// Handles writes to a host's files. Each runs in process context, one at a time per host, and
/// may sleep. Returning `Ok(())` accepts the whole write.
pub trait Control: Send + Sync {
    /// Handles a write to `new_device`, of at most one page.
    fn new_device(&self, input: &[u8]) -> Result;

    /// Handles a write to `delete_device`, of at most one page.
    fn delete_device(&self, input: &[u8]) -> Result;
}

/// Handlers published on a host.
///
/// # Invariants
///
/// `host` came from `rbus_host_add()`, and `self` holds a reference on its device. Its published
/// handlers are [`ControlVtable::<C>::OPS`] with the context `Arc::as_ptr(&self.control)`, until
/// `self` is dropped.
pub struct ControlRegistration<C: Control> {
    host: NonNull<ffi::rbus_host>,
    control: Arc<C>,
}

impl<C: Control> ControlRegistration<C> {
    /// Publishes `control` as the handlers of `host`'s files. A host has one set of handlers:
    /// a controller publishes once, and never drops the registration from a handler.
    pub fn new(host: &Host, control: Arc<C>) -> Self {
        let raw = host.as_raw();
        // SAFETY: `host` is registered, so its device is valid; the reference is dropped in
        // `drop`.
        unsafe { bindings::get_device(&raw mut (*raw.as_ptr()).dev) };

        // SAFETY: `host` is registered. `OPS` is static, and the context is the `C` that `self`
        // keeps alive until `drop` revokes the handlers; `C` is `Send + Sync`.
        unsafe {
            ffi::rbus_host_set_control(
                raw.as_ptr(),
                &ControlVtable::<C>::OPS,
                Arc::as_ptr(&control).cast_mut().cast(),
            )
        };

        // INVARIANT: a reference was taken and the handlers published above.
        Self { host: raw, control }
    }

    /// The published handlers.
    pub fn control(&self) -> &Arc<C> {
        &self.control
    }
}

impl<C: Control> Drop for ControlRegistration<C> {
    fn drop(&mut self) {
        // Test-only: `make check RBUS_BREAK=attr` must go red when the files keep reaching a
        // controller that is tearing down.
        if !cfg!(rbus_break = "attr") {
            // SAFETY: By the type invariants the host is valid. Revoking is allowed after its
            // unregistration, and waits for the write in progress; `self.control` is dropped
            // after.
            unsafe {
                ffi::rbus_host_set_control(
                    self.host.as_ptr(),
                    core::ptr::null(),
                    core::ptr::null_mut(),
                )
            };
        }

        // SAFETY: By the type invariants `self` holds this reference.
        unsafe { bindings::put_device(&raw mut (*self.host.as_ptr()).dev) };
    }
}

// SAFETY: The registration holds a counted reference on the host's device and an `Arc<C>` with
// `C: Send + Sync`; revoking is allowed from any thread.
unsafe impl<C: Control> Send for ControlRegistration<C> {}

// SAFETY: Through a shared reference, only `control` is reached, and `C` is `Sync`.
unsafe impl<C: Control> Sync for ControlRegistration<C> {}

/// The C table of a [`Control`] implementation.
struct ControlVtable<C: Control>(PhantomData<C>);

impl<C: Control> ControlVtable<C> {
    const OPS: ffi::rbus_control_ops = ffi::rbus_control_ops {
        new_device: Some(Self::new_device),
        delete_device: Some(Self::delete_device),
    };

    /// The input of a write: `len` bytes at `buf`.
    ///
    /// # Safety
    ///
    /// `buf` must be NULL or valid for reads of `len` bytes for `'a`.
    unsafe fn input<'a>(buf: *const c_char, len: usize) -> &'a [u8] {
        if buf.is_null() {
            return &[];
        }
        // SAFETY: By the safety requirements.
        unsafe { core::slice::from_raw_parts(buf.cast::<u8>(), len) }
    }

    /// # Safety
    ///
    /// `ctx` must be the context published with this table, and `buf` as for [`Self::input`].
    unsafe extern "C" fn new_device(ctx: *mut c_void, buf: *const c_char, len: usize) -> c_int {
        // SAFETY: By the type invariants of `ControlRegistration`, `ctx` is a live `C` while the
        // table is published, which it is during the write that calls this.
        let control = unsafe { &*ctx.cast_const().cast::<C>() };
        // SAFETY: By the safety requirements.
        let input = unsafe { Self::input(buf, len) };
        from_result(|| control.new_device(input).map(|()| 0))
    }

    /// # Safety
    ///
    /// As for [`Self::new_device`].
    unsafe extern "C" fn delete_device(ctx: *mut c_void, buf: *const c_char, len: usize) -> c_int {
        // SAFETY: As in `new_device`.
        let control = unsafe { &*ctx.cast_const().cast::<C>() };
        // SAFETY: By the safety requirements.
        let input = unsafe { Self::input(buf, len) };
        from_result(|| control.delete_device(input).map(|()| 0))
    }
}
