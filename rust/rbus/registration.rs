// SPDX-License-Identifier: GPL-2.0

//! Registration of rbus child devices, used by controllers.
//!
//! C header: [`rust/rbus_glue.h`](../rbus_glue.h)

use super::{
    calls::{
        Hardware,
        HwVtable,
        NoHardware, //
    },
    ffi,
    srcu::SrcuFast, //
};
use core::ptr::NonNull;
use kernel::{
    bindings,
    device::{
        self,
        property::FwNode, //
    },
    error::{
        from_err_ptr,
        to_result, //
    },
    ffi::{
        c_int,
        c_ulong, //
    },
    prelude::*,
    sync::Arc, //
};

/// A controller's bus number, the `<bus-nr>` in child names like `0-002a`.
///
/// # Invariants
///
/// `self.0` was allocated by `rbus_bus_nr_alloc()` and is freed on drop.
pub struct BusNumber(c_int);

impl BusNumber {
    /// Allocates the lowest free bus number.
    pub fn new() -> Result<Self> {
        // SAFETY: `rbus_core` is live. Another module links against the exported symbol, which
        // holds `rbus_core` from its `init` to its `exit`; in `rbus_core` itself only the KUnit
        // tests get here, and they run once `init` has returned.
        let nr = unsafe { ffi::rbus_bus_nr_alloc() };
        if nr < 0 {
            return Err(Error::from_errno(nr));
        }

        // INVARIANT: allocated above.
        Ok(Self(nr))
    }

    /// The number.
    pub fn get(&self) -> u32 {
        self.0.unsigned_abs()
    }
}

impl Drop for BusNumber {
    fn drop(&mut self) {
        // SAFETY: By the type invariants `self.0` was allocated and not freed yet, and
        // `rbus_core` is live, as in `new`.
        unsafe { ffi::rbus_bus_nr_free(self.0) };
    }
}

/// The host of a controller: the device `rbus<nr>` between the controller and its children. It
/// carries the controller's runtime PM (`power/control`, autosuspend): a child-to-bus call
/// resumes a suspended host, or fails with `EAGAIN` in its `try_` flavour.
///
/// A controller drops its children's [`Registration`]s before its host.
///
/// # Invariants
///
/// `host` was returned by `rbus_host_add()` for `nr` and is not unregistered yet.
pub struct Host {
    host: NonNull<ffi::rbus_host>,
    nr: BusNumber,
}

impl Host {
    /// Registers the host of controller `parent`, numbered `nr`.
    pub fn new(parent: &device::Device, nr: BusNumber) -> Result<Self> {
        // CAST: `device::Device` is a transparent wrapper of `struct device`.
        let parent = core::ptr::from_ref(parent)
            .cast::<bindings::device>()
            .cast_mut();
        // SAFETY: `parent` is a valid device; the host takes its own reference.
        let host = from_err_ptr(unsafe { ffi::rbus_host_add(parent, nr.0) })?;

        // INVARIANT: `rbus_host_add()` returned a registered host for `nr`.
        Ok(Self {
            host: NonNull::new(host).ok_or(ENOMEM)?,
            nr,
        })
    }

    /// The bus number.
    pub fn bus_nr(&self) -> u32 {
        self.nr.get()
    }

    /// The raw host, registered while `self` lives.
    pub(crate) fn as_raw(&self) -> NonNull<ffi::rbus_host> {
        self.host
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        // SAFETY: By the type invariants the host is registered, and this is its only
        // unregistration.
        unsafe { ffi::rbus_host_unregister(self.host.as_ptr()) };
    }
}

// SAFETY: `Host` only holds a pointer to a refcounted device, which may be unregistered from any
// thread.
unsafe impl Send for Host {}

// SAFETY: Through a shared reference, `Host` only gives out its bus number.
unsafe impl Sync for Host {}

/// A child device registered on a controller.
///
/// Dropping it unregisters the device, unbinding its driver first. A controller keeps its
/// registrations in its driver data, so its children are gone before it finishes unbinding.
///
/// Unregistering waits for a grace period of the host's domain, for the child-to-bus calls still
/// running. A controller that removes many children at once calls [`Registration::remove`] on
/// each, and then drops them: the first drop waits, and its grace period covers the others.
///
/// # Invariants
///
/// `rdev` is a device returned by `rbus_device_add()` and holds the reference it returned. While
/// `removed` is `None` the device is not removed yet; once `Some`, `rbus_device_del()` removed it
/// and returned that cookie. If `srcu` is set, the device's bus-to-child calls use that domain,
/// which lives at least as long as `self`. If `hw` is set, it is the context of the device's
/// child-to-bus calls.
pub struct Registration<H: Hardware = NoHardware> {
    rdev: NonNull<ffi::rbus_device>,
    removed: Option<c_ulong>,
    // Dropped after `rdev` is unregistered, which waits for every call into them.
    _srcu: Option<Arc<SrcuFast>>,
    _hw: Option<Arc<H>>,
}

impl<H: Hardware> Registration<H> {
    /// Creates and registers the child `<nr>-<addr>` under `host`. With `srcu`, its driver may
    /// publish bus-to-child calls, which run in read-side sections of that domain.
    ///
    /// With `hw`, its child-to-bus calls reach that implementation until the registration is
    /// dropped.
    ///
    /// Returns `EINVAL` for an address above [`super::ADDR_MAX`] or an empty or oversize
    /// compatible, and `EBUSY` if the address is taken on this bus.
    pub fn new(
        host: &Host,
        addr: u32,
        compatible: &CStr,
        fwnode: Option<&FwNode>,
        srcu: Option<&Arc<SrcuFast>>,
        hw: Option<Arc<H>>,
    ) -> Result<Self> {
        let fwnode = fwnode.map_or(core::ptr::null_mut(), |node| {
            // CAST: `FwNode` is a transparent wrapper of `struct fwnode_handle`.
            core::ptr::from_ref(node)
                .cast::<bindings::fwnode_handle>()
                .cast_mut()
        });
        let ssp = srcu.map_or(core::ptr::null_mut(), |srcu| srcu.as_raw());
        let (hw_ops, hw_ctx) = match &hw {
            Some(hw) => (
                core::ptr::from_ref::<ffi::rbus_hw_ops>(&HwVtable::<H>::OPS),
                Arc::as_ptr(hw).cast_mut().cast(),
            ),
            None => (core::ptr::null(), core::ptr::null_mut()),
        };

        // SAFETY: `host` is registered, `compatible` is NUL-terminated, `fwnode` is NULL or
        // a valid node, `ssp` is NULL or a valid SRCU-fast domain and `hw_ctx` NULL or a live
        // `H`, both of which the returned registration keeps alive until the device is
        // unregistered; the bus core copies the string and takes its own references.
        let rdev = from_err_ptr(unsafe {
            ffi::rbus_device_add(
                host.host.as_ptr(),
                addr,
                compatible.as_char_ptr(),
                fwnode,
                ssp,
                hw_ops,
                hw_ctx,
            )
        })?;

        // INVARIANT: `rbus_device_add()` returned a registered device; `srcu` and `hw` are kept.
        Ok(Self {
            rdev: NonNull::new(rdev).ok_or(ENOMEM)?,
            removed: None,
            _srcu: srcu.cloned(),
            _hw: hw,
        })
    }

    /// Stops the bus-to-child calls into the child's driver ahead of the child's removal, without
    /// waiting for the calls still running: the unbind that removing the child does waits for
    /// them, unless a grace period passed since. The driver cannot publish again until it is
    /// unbound.
    ///
    /// Revoking every child before removing any makes their unbinds wait for one grace period of
    /// the controller's domain, not one each.
    pub fn revoke_events(&self) {
        if self.removed.is_none() {
            // SAFETY: By the type invariants the device is registered.
            unsafe { ffi::rbus_child_revoke(self.rdev.as_ptr()) };
        }
    }

    /// Removes the child now, unbinding its driver first, as the drop does, but leaves the wait
    /// for its running child-to-bus calls to the drop. Its address is free again once this
    /// returns. Calling it again does nothing.
    ///
    /// Removing every child before dropping any makes the first drop wait for one grace period
    /// that covers them all: a controller's unbind then waits once, not once per child.
    pub fn remove(&mut self) {
        if self.removed.is_none() {
            // SAFETY: By the type invariants the device is registered and not removed yet.
            let cookie = unsafe { ffi::rbus_device_del(self.rdev.as_ptr()) };
            // INVARIANT: removed above, with this cookie.
            self.removed = Some(cookie);
        }
    }

    /// The raw child, for the KUnit tests of the abstractions.
    #[doc(hidden)]
    pub fn as_raw(&self) -> *mut ffi::rbus_device {
        self.rdev.as_ptr()
    }

    /// Delivers an event to the child's driver, if it published its calls: the protected
    /// bus-to-child call. May sleep if the driver's callback does.
    ///
    /// Returns `ENODEV` when no driver has published, or once the child is removed.
    pub fn dispatch_event(&self, kind: u32, seq: u64, payload: u64) -> Result {
        if self.removed.is_some() {
            return Err(ENODEV);
        }
        // SAFETY: By the type invariants the device is registered.
        to_result(unsafe {
            ffi::rbus_helper_event_dispatch(self.rdev.as_ptr(), kind, seq, payload)
        })
    }
}

impl<H: Hardware> Drop for Registration<H> {
    fn drop(&mut self) {
        match self.removed {
            // SAFETY: By the type invariants the device is registered and not removed, and this
            // is its only unregistration; the reference is this registration's.
            None => unsafe { ffi::rbus_device_unregister(self.rdev.as_ptr()) },
            // SAFETY: By the type invariants `rbus_device_del()` removed the device and returned
            // `cookie`; the reference is this registration's. `hw` and `srcu` go after this
            // returns, when no call into them is running.
            Some(cookie) => unsafe { ffi::rbus_device_put(self.rdev.as_ptr(), cookie) },
        }
    }
}

// SAFETY: The registration only holds a pointer to a refcounted device, which may be unregistered
// from any thread.
unsafe impl<H: Hardware> Send for Registration<H> {}

// SAFETY: Through a shared reference, `Registration` only dispatches events and revokes its
// driver's callbacks, which the bus core allows from any thread concurrently: the revoke takes the
// child's `ops_lock`.
unsafe impl<H: Hardware> Sync for Registration<H> {}
