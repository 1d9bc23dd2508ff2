// SPDX-License-Identifier: GPL-2.0

//! rbus child devices.
//!
//! C header: [`include/linux/rbus.h`](../../include/linux/rbus.h)

use super::ffi;
use core::{
    marker::PhantomData,
    ptr::{
        addr_of_mut,
        NonNull, //
    },
};
use kernel::{
    bindings,
    device,
    error::to_result,
    prelude::*,
    sync::aref::AlwaysRefCounted,
    types::Opaque, //
};

/// A child device on an rbus controller.
///
/// # Invariants
///
/// A [`Device`] instance represents a valid `struct rbus_device` created by `rbus_device_add()`.
#[repr(transparent)]
pub struct Device<Ctx: device::DeviceContext = device::Normal>(
    Opaque<ffi::rbus_device>,
    PhantomData<Ctx>,
);

impl<Ctx: device::DeviceContext> Device<Ctx> {
    pub(crate) fn as_raw(&self) -> *mut ffi::rbus_device {
        self.0.get()
    }

    /// The raw `struct device` embedded in this child.
    fn as_raw_dev(&self) -> *mut bindings::device {
        // SAFETY: By the type invariants `self.as_raw()` is a valid `struct rbus_device`, whose
        // first member is the embedded `struct device`.
        unsafe { addr_of_mut!((*self.as_raw()).dev) }
    }

    /// The child's address on its controller, at most [`super::ADDR_MAX`].
    pub fn address(&self) -> u32 {
        // SAFETY: By the type invariants `self.as_raw()` is a valid `struct rbus_device`.
        unsafe { ffi::rbus_device_addr(self.as_raw()) }
    }

    /// Resumes the child and holds it active until the returned guard is dropped, as a driver
    /// does around I/O it carries for others. Sleeps.
    pub fn pm_active(&self) -> Result<PmActive<'_, Ctx>> {
        // SAFETY: By the type invariants `self.as_raw()` is a valid child. Once it is
        // unregistered, its runtime PM is disabled and the PM core refuses with an error.
        to_result(unsafe { ffi::rbus_device_pm_get(self.as_raw()) })?;
        // INVARIANT: held above.
        Ok(PmActive { dev: self })
    }

    /// Gives a device event to every open request channel of the child (see
    /// [`super::requests`]): a user-mode driver forwards events this way. Does not sleep.
    pub fn post_event(&self, kind: u32, seq: u64, payload: u64) {
        // SAFETY: By the type invariants `self.as_raw()` is a valid `struct rbus_device`.
        unsafe { ffi::rbus_device_post_event(self.as_raw(), kind, seq, payload) };
    }
}

/// A child held active by [`Device::pm_active`]; dropping it lets the child suspend again.
///
/// # Invariants
///
/// `dev` is held active by one `rbus_device_pm_get()` that this guard owns.
pub struct PmActive<'a, Ctx: device::DeviceContext> {
    dev: &'a Device<Ctx>,
}

impl<Ctx: device::DeviceContext> Drop for PmActive<'_, Ctx> {
    fn drop(&mut self) {
        // SAFETY: By the type invariants the child is held, and this drops the hold.
        unsafe { ffi::rbus_device_pm_put(self.dev.as_raw()) };
    }
}

// SAFETY: `Device` is a transparent wrapper of a type that doesn't depend on its generic argument.
kernel::impl_device_context_deref!(unsafe { Device });
kernel::impl_device_context_into_aref!(Device);

impl<Ctx: device::DeviceContext> AsRef<device::Device<Ctx>> for Device<Ctx> {
    fn as_ref(&self) -> &device::Device<Ctx> {
        // SAFETY: `as_raw_dev()` is the valid `struct device` embedded in `self`, which keeps a
        // reference to it for as long as the returned reference lives.
        unsafe { device::Device::from_raw(self.as_raw_dev()) }
    }
}

// SAFETY: Instances of `Device` are always reference-counted through the embedded `struct device`.
unsafe impl AlwaysRefCounted for Device {
    fn inc_ref(&self) {
        // SAFETY: The existence of a shared reference guarantees that the refcount is non-zero.
        unsafe { bindings::get_device(self.as_raw_dev()) };
    }

    unsafe fn dec_ref(obj: NonNull<Self>) {
        // CAST: `Device` is a transparent wrapper of `struct rbus_device`, whose first member is
        // the embedded `struct device`.
        let dev = obj.as_ptr().cast::<bindings::device>();

        // SAFETY: The safety requirements guarantee that the refcount is non-zero.
        unsafe { bindings::put_device(dev) }
    }
}

// SAFETY: A `Device` is always reference-counted and can be released from any thread.
unsafe impl Send for Device {}

// SAFETY: `Device` can be shared among threads because all methods of `Device` (i.e. `Device<Normal>)
// are thread safe.
unsafe impl Sync for Device {}
