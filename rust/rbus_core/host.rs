// SPDX-License-Identifier: GPL-2.0

//! Controller hosts: the device `rbus<nr>` between a controller and its children, which carries
//! the controller's runtime PM.
//!
//! C header: [`rust/rbus_glue.h`](../../rust/rbus_glue.h)
//!
//! Controllers live in other modules, so they add and remove their host through
//! `rbus_host_add()` and `rbus_host_unregister()`, which `rust/exports.c` exports. The
//! child-to-bus calls (`calls.rs`) read the host's `suspended` flag inside a read-side section of
//! the host's own SRCU-fast domain, `calls_srcu`, and resume a suspended host first.

use super::table::Table;
use crate::rbus::ffi;
use kernel::{
    alloc::flags::{
        __GFP_ZERO,
        GFP_KERNEL, //
    },
    bindings,
    error::to_result,
    prelude::*,
    str::as_char_ptr_in_const_context,
    sync::atomic::{
        Atomic,
        Relaxed, //
    }, //
};

/// The host whose embedded `struct device` is `dev`.
///
/// # Safety
///
/// `dev` must be the `dev` member of a `struct rbus_host`: a device of [`HOST_TYPE`], which only
/// `rbus_host_add()` gives out.
unsafe fn to_rbus_host(dev: *mut bindings::device) -> *mut ffi::rbus_host {
    // SAFETY: By the safety requirements `dev` is the `dev` member of a `struct rbus_host`.
    unsafe { kernel::container_of!(dev, ffi::rbus_host, dev) }
}

/// Sets the host's `suspended` flag, which child-to-bus calls read without a lock.
///
/// # Safety
///
/// `host` must be a valid host.
unsafe fn set_suspended(host: *mut ffi::rbus_host, suspended: bool) {
    // SAFETY: By the safety requirements `host` is valid, so its flag is. Every other access to
    // it is atomic too: the calls read it with `READ_ONCE()`, and only this function writes it.
    unsafe { Atomic::from_ptr(&raw mut (*host).suspended) }.store(suspended, Relaxed);
}

/// Runtime suspend, the controller's D0 exit: sets the flag, then waits out the child-to-bus
/// calls that started before it. From then on a call resumes the host first, or fails with
/// `-EAGAIN` if it may not sleep. The domain is this host's alone: calls on other controllers
/// are not waited for.
extern "C" fn runtime_suspend_callback(dev: *mut bindings::device) -> c_int {
    // SAFETY: The PM core suspends a registered device, and only hosts have this device type.
    unsafe { set_suspended(to_rbus_host(dev), true) };

    // SAFETY: The host's domain lives from `rbus_host_add()` to its release. Runtime PM
    // callbacks run in process context, outside any of its read-side sections.
    unsafe { bindings::synchronize_srcu(&raw mut (*to_rbus_host(dev)).calls_srcu) };
    0
}

/// Runtime resume, the controller's D0 entry: calls go through again.
extern "C" fn runtime_resume_callback(dev: *mut bindings::device) -> c_int {
    // SAFETY: The PM core resumes a registered device, and only hosts have this device type.
    unsafe { set_suspended(to_rbus_host(dev), false) };
    0
}

/// Frees the host once its last reference is gone.
extern "C" fn release_callback(dev: *mut bindings::device) {
    // SAFETY: The driver core releases a device of this type when its last reference is gone,
    // so nothing uses the host any more: no call is in its domain, which a call enters only
    // with a reference on a child, whose parent the host is. `rbus_host_add()` allocated the
    // host as a `KBox`, and initialized the domain before the device.
    unsafe {
        let host = to_rbus_host(dev);
        bindings::cleanup_srcu_struct(&raw mut (*host).calls_srcu);
        drop(KBox::from_raw(host));
    }
}

/// The runtime PM of a host: `RUNTIME_PM_OPS()` with no idle callback.
static PM_OPS: Table<bindings::dev_pm_ops> = Table::new(bindings::dev_pm_ops {
    runtime_suspend: Some(runtime_suspend_callback),
    runtime_resume: Some(runtime_resume_callback),
    ..pin_init::zeroed()
});

/// The device type of every host.
static HOST_TYPE: Table<bindings::device_type> = Table::new(bindings::device_type {
    name: as_char_ptr_in_const_context(c"rbus_host"),
    pm: PM_OPS.as_ptr(),
    release: Some(release_callback),
    ..pin_init::zeroed()
});

/// `rbus_host_add()` in a `Result`.
///
/// # Safety
///
/// As for `rbus_host_add()`.
unsafe fn add(parent: *mut bindings::device, nr: c_int) -> Result<*mut ffi::rbus_host> {
    let host = KBox::<ffi::rbus_host>::new_uninit(GFP_KERNEL | __GFP_ZERO)?;
    // SAFETY: `__GFP_ZERO` zeroed the host, and all zeroes are a valid `struct rbus_host`: its
    // members are integers, a `bool`, pointers and options of function pointers.
    let mut host = unsafe { host.assume_init() };
    host.nr = nr;
    // Each host's domain has the lockdep class of this call site, as `init_srcu_struct_fast()`
    // gives one.
    //
    // SAFETY: The domain is zeroed, not yet initialized; the name and the class are static.
    to_result(unsafe {
        crate::rbus::srcu::init_srcu_struct_fast(
            &raw mut host.calls_srcu,
            c"&host->calls_srcu",
            kernel::static_lock_class!(),
        )
    })?;

    // From `device_initialize()` on the device's reference count owns the host, and
    // `release_callback()` frees it.
    let host = KBox::into_raw(host);
    // SAFETY: `host` is valid, and `dev` is its embedded device.
    let dev = unsafe { &raw mut (*host).dev };

    // SAFETY: `dev` is zeroed, not yet initialized. By the safety requirements `parent` is a
    // valid device, on which `device_add()` takes a reference.
    unsafe {
        bindings::device_initialize(dev);
        (*dev).parent = parent;
        (*dev).type_ = HOST_TYPE.as_ptr();
    }

    // SAFETY: `dev` is initialized, and `%d` takes an `int`.
    let ret = to_result(unsafe { bindings::dev_set_name(dev, c"rbus%d".as_char_ptr(), nr) })
        // SAFETY: `dev` is initialized and named.
        .and_then(|()| to_result(unsafe { bindings::device_add(dev) }));
    if let Err(e) = ret {
        // SAFETY: `device_initialize()` gave the only reference, which this drops: the release
        // callback frees the name and the host.
        unsafe { bindings::put_device(dev) };
        return Err(e);
    }

    // Runtime PM starts forbidden ("on" in `power/control`). Once allowed, the host suspends after
    // `RBUS_HOST_AUTOSUSPEND_MS` without calls; its children's power states are their own.
    // `RPM_ACTIVE` is 0 in an `enum rpm_status`, which bindgen makes signed; C passes it as the
    // `unsigned int` that `__pm_runtime_set_status()` takes.
    //
    // SAFETY: `dev` is registered. The status can only be set while runtime PM is disabled,
    // which it still is, so it cannot fail: `pm_runtime_set_active()`'s result goes unchecked,
    // as in C.
    unsafe {
        bindings::__pm_runtime_set_status(dev, bindings::rpm_status_RPM_ACTIVE as c_uint);
        ffi::rbus_helper_pm_suspend_ignore_children(dev, true);
        bindings::pm_runtime_set_autosuspend_delay(dev, ffi::RBUS_HOST_AUTOSUSPEND_MS as c_int);
        bindings::__pm_runtime_use_autosuspend(dev, true);
        bindings::pm_runtime_forbid(dev);
        bindings::pm_runtime_enable(dev);
    }
    Ok(host)
}

/// Registers the host of the controller `parent`, numbered `nr`: see `rbus_host_add()` in
/// `rust/rbus_glue.h`.
///
/// # Safety
///
/// `parent` must be a valid device, and `nr` a bus number from `rbus_bus_nr_alloc()` that no
/// other host has.
#[no_mangle]
unsafe extern "C" fn rbus_host_add(
    parent: *mut bindings::device,
    nr: c_int,
) -> *mut ffi::rbus_host {
    // SAFETY: By the safety requirements.
    match unsafe { add(parent, nr) } {
        Ok(host) => host,
        Err(e) => e.to_ptr(),
    }
}

/// Removes a host: see `rbus_host_unregister()` in `rust/rbus_glue.h`.
///
/// # Safety
///
/// `host` must come from `rbus_host_add()`, not be unregistered yet, and have no children left.
#[no_mangle]
unsafe extern "C" fn rbus_host_unregister(host: *mut ffi::rbus_host) {
    // SAFETY: By the safety requirements `host` is valid.
    let dev = unsafe { &raw mut (*host).dev };

    // The reverse of `rbus_host_add()`: runtime PM, then the device, whose last reference goes
    // with it unless a call still holds one.
    //
    // SAFETY: By the safety requirements `dev` is registered, and this is its only
    // unregistration.
    unsafe {
        bindings::__pm_runtime_disable(dev, true);
        bindings::__pm_runtime_use_autosuspend(dev, false);
        bindings::device_unregister(dev);
    }
}
