// SPDX-License-Identifier: GPL-2.0

//! Runtime PM of the children: their D0 exit and entry.
//!
//! C header: [`include/linux/pm_runtime.h`](srctree/include/linux/pm_runtime.h)
//!
//! A child's power state covers both of its interfaces. On suspend its request queue goes
//! first, and refuses while the controller holds requests; then its events start to wait
//! (`events.rs`). On resume the events that waited go first, then the requests (`queue.rs`).

use super::{
    device::to_rbus_device,
    events,
    queue::Queue,
    trace, //
};
use crate::rbus::ffi;
use kernel::{
    bindings,
    prelude::*, //
};

/// Runtime suspend of a child, its D0 exit.
pub(crate) extern "C" fn runtime_suspend_callback(dev: *mut bindings::device) -> c_int {
    // SAFETY: The PM core suspends a registered device of this bus, whose runtime PM
    // `rbus_device_unregister()` disables before it unregisters the device.
    let rdev = unsafe { to_rbus_device(dev) };

    // SAFETY: `rdev` is a registered child.
    let ret = match unsafe { Queue::of(rdev) }.suspend() {
        Ok(()) => {
            // SAFETY: `rdev` is a registered child, and this may sleep.
            unsafe { events::suspend(rdev) };
            0
        }
        Err(e) => e.to_errno(),
    };
    // SAFETY: `dev` is registered.
    unsafe { trace::runtime_suspend(dev, ret) };
    ret
}

/// Runtime resume of a child, its D0 entry.
pub(crate) extern "C" fn runtime_resume_callback(dev: *mut bindings::device) -> c_int {
    // SAFETY: The PM core resumes a registered device of this bus, whose runtime PM
    // `rbus_device_unregister()` disables before it unregisters the device.
    let rdev = unsafe { to_rbus_device(dev) };

    // SAFETY: `rdev` is a registered child, `dev` its device, and runtime PM callbacks run in
    // process context.
    unsafe {
        events::resume(rdev);
        Queue::of(rdev).resume(rdev);
        trace::runtime_resume(dev, 0);
    }
    0
}

/// Resumes a child and holds it active: see `rbus_device_pm_get()` in `include/linux/rbus.h`.
///
/// # Safety
///
/// `rdev` must be a valid child: once unregistered, its runtime PM is disabled and this fails.
#[no_mangle]
unsafe extern "C" fn rbus_device_pm_get(rdev: *mut ffi::rbus_device) -> c_int {
    // SAFETY: By the safety requirements `rdev` is valid, and so is its device.
    unsafe { ffi::rbus_helper_pm_runtime_resume_and_get(&raw mut (*rdev).dev) }
}

/// Drops a hold of `rbus_device_pm_get()`: see `rbus_device_pm_put()` in
/// `include/linux/rbus.h`.
///
/// # Safety
///
/// `rdev` must be a child held active by `rbus_device_pm_get()`.
#[no_mangle]
unsafe extern "C" fn rbus_device_pm_put(rdev: *mut ffi::rbus_device) {
    // SAFETY: By the safety requirements `rdev` is valid, and this drops its hold.
    unsafe {
        let dev = &raw mut (*rdev).dev;
        ffi::rbus_helper_pm_runtime_mark_last_busy(dev);
        ffi::rbus_helper_pm_runtime_put_autosuspend(dev);
    }
}
