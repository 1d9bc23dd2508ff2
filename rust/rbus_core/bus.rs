// SPDX-License-Identifier: GPL-2.0

//! The `rbus` bus type: it matches children with drivers, announces children to user space, and
//! binds and unbinds them.
//!
//! C header: [`include/linux/device/bus.h`](srctree/include/linux/device/bus.h)
//!
//! The `struct bus_type` is a Rust static. Children and drivers join the bus through the
//! functions of `device.rs` and `driver.rs`, so no C code refers to it.

use super::{
    device::{
        self,
        compatible,
        to_rbus_device, //
    },
    events,
    power,
    queue::{
        self,
        Queue, //
    },
    stats,
    table::Table, //
};
use crate::rbus::ffi;
use kernel::{
    bindings,
    error::to_result,
    prelude::*,
    str::as_char_ptr_in_const_context, //
};

use core::{
    ptr,
    sync::atomic::{
        AtomicBool,
        Ordering, //
    },
};

/// The driver whose embedded `struct device_driver` is `drv`.
///
/// # Safety
///
/// `drv` must be a driver of the `rbus` bus. Every such driver is the `driver` member of a
/// `struct rbus_driver`: only `rbus_driver_register()` puts drivers on the bus.
unsafe fn to_rbus_driver(drv: *const bindings::device_driver) -> *const ffi::rbus_driver {
    // CAST: `container_of!` takes a `*mut`; nothing is written through it.
    let drv = drv.cast_mut();

    // SAFETY: By the safety requirements `drv` is the `driver` member of a `struct rbus_driver`.
    unsafe { kernel::container_of!(drv, ffi::rbus_driver, driver) }
}

/// The entry of the id table `id` that lists `compatible`, or null.
///
/// # Safety
///
/// `id` must be null or the id table of a registered driver: entries up to one with an empty
/// compatible.
unsafe fn match_id(
    mut id: *const ffi::rbus_device_id,
    compatible: &CStr,
) -> *const ffi::rbus_device_id {
    while !id.is_null() {
        // SAFETY: By the safety requirements `id` points to an entry of the table, which nothing
        // writes to while the driver is registered.
        let entry: &[u8; ffi::COMPATIBLE_SIZE] = unsafe { &(*id).compatible };

        // An entry without its NUL would not match a compatible, which has one.
        match CStr::from_bytes_until_nul(entry) {
            Ok(c) if c.is_empty() => break,
            Ok(c) if c == compatible => return id,
            _ => {}
        }

        // SAFETY: `id` is not the table's last entry, which has an empty compatible.
        id = unsafe { id.add(1) };
    }
    ptr::null()
}

extern "C" fn match_callback(
    dev: *mut bindings::device,
    drv: *const bindings::device_driver,
) -> c_int {
    // SAFETY: The driver core matches a valid device with a valid driver.
    let ret = unsafe { ffi::rbus_helper_device_match_driver_override(dev, drv) };
    // When `driver_override` is set, only bind to the matching driver.
    if ret >= 0 {
        return ret;
    }

    // SAFETY: The driver core matches devices and drivers of this bus, which stay valid and
    // registered for the call.
    let id = unsafe {
        match_id(
            (*to_rbus_driver(drv)).id_table,
            compatible(to_rbus_device(dev)),
        )
    };
    c_int::from(!id.is_null())
}

extern "C" fn uevent_callback(
    dev: *const bindings::device,
    env: *mut bindings::kobj_uevent_env,
) -> c_int {
    // CAST: `to_rbus_device()` takes a `*mut`; nothing is written through it.
    let dev = dev.cast_mut();

    // SAFETY: The driver core only sends uevents of a valid device of this bus.
    let compatible = unsafe { compatible(to_rbus_device(dev)) };

    // SAFETY: `env` is the uevent's environment, and `%s` takes a NUL-terminated string.
    unsafe {
        bindings::add_uevent_var(
            env,
            c"MODALIAS=rbus:%s".as_char_ptr(),
            compatible.as_char_ptr(),
        )
    }
}

extern "C" fn probe_callback(dev: *mut bindings::device) -> c_int {
    // Test-only: `make check RBUS_BREAK=warn` must go red.
    kernel::warn_on!(cfg!(rbus_break = "warn"));

    // SAFETY: The driver core probes a valid device of this bus, with the device lock held, and
    // `dev->driver` set to the registered driver of this bus being bound.
    let (rdev, drv) = unsafe { (to_rbus_device(dev), to_rbus_driver((*dev).driver)) };

    // Clients open from here until remove, or until a failed probe: none opened for one binding
    // reaches the next.
    //
    // SAFETY: `rdev` is a valid child.
    unsafe { Queue::of(rdev) }.reopen();

    // A device bound through `driver_override` may have no id entry.
    //
    // SAFETY: `drv` is registered and `rdev` valid.
    let id = unsafe { match_id((*drv).id_table, compatible(rdev)) };

    // SAFETY: `drv` is registered.
    let ret = match unsafe { (*drv).probe } {
        // SAFETY: `probe` gets a child to bind and its id entry, or null, as `struct rbus_driver`
        // documents.
        Some(probe) => unsafe { probe(rdev, id) },
        // `rbus_driver_register()` refuses a driver without `probe`.
        None => EINVAL.to_errno(),
    };
    if ret != 0 {
        // SAFETY: `rdev` is a valid child.
        unsafe { Queue::of(rdev) }.revoke();
    }
    ret
}

extern "C" fn remove_callback(dev: *mut bindings::device) {
    // SAFETY: The driver core removes a valid device of this bus, with the device lock held,
    // from the registered driver of this bus in `dev->driver`.
    let (rdev, drv) = unsafe { (to_rbus_device(dev), to_rbus_driver((*dev).driver)) };

    // Unpublish first: once the grace period has ended no bus-to-child call is running and none
    // can start, so `remove` owns the child alone.
    //
    // SAFETY: `rdev` is a valid child, and this may sleep.
    unsafe { events::unpublish_any(rdev) };

    // SAFETY: `drv` is registered.
    if let Some(remove) = unsafe { (*drv).remove } {
        // SAFETY: `remove` gets the child `probe` bound, as `struct rbus_driver` documents.
        unsafe { remove(rdev) };
    }

    // Whatever the driver left in the request queue fails with `-ENODEV`.
    //
    // SAFETY: `rdev` is a valid child.
    unsafe { Queue::of(rdev) }.revoke();
}

/// Runtime PM of the children.
static PM_OPS: Table<bindings::dev_pm_ops> = Table::new(bindings::dev_pm_ops {
    runtime_suspend: Some(power::runtime_suspend_callback),
    runtime_resume: Some(power::runtime_resume_callback),
    ..pin_init::zeroed()
});

/// The attribute groups of every child, `NULL`-terminated.
static DEV_GROUPS: Table<[*const bindings::attribute_group; 4]> = Table::new([
    device::GROUP.as_ptr(),
    stats::GROUP.as_ptr(),
    queue::GROUP.as_ptr(),
    ptr::null(),
]);

/// The `rbus` bus type.
pub(crate) static BUS_TYPE: Table<bindings::bus_type> = Table::new(bindings::bus_type {
    name: as_char_ptr_in_const_context(c"rbus"),
    dev_groups: DEV_GROUPS.get().as_ptr(),
    match_: Some(match_callback),
    uevent: Some(uevent_callback),
    probe: Some(probe_callback),
    remove: Some(remove_callback),
    pm: PM_OPS.as_ptr(),
    driver_override: true,
    ..pin_init::zeroed()
});

/// Set while the bus type is registered; a `struct bus_type` can be registered only once.
static REGISTERED: AtomicBool = AtomicBool::new(false);

/// The registration of the `rbus` bus type: `/sys/bus/rbus` exists while it lives.
///
/// # Invariants
///
/// While a [`Registration`] exists, the bus type is registered and no other [`Registration`]
/// exists.
pub(crate) struct Registration(());

impl Registration {
    /// Registers the bus type. Returns `EBUSY` if it is already registered.
    pub(crate) fn new() -> Result<Self> {
        if REGISTERED.swap(true, Ordering::AcqRel) {
            return Err(EBUSY);
        }

        // SAFETY: `REGISTERED` was false, so the bus type is not registered. It is a `static`,
        // so it outlives the registration.
        if let Err(e) = to_result(unsafe { bindings::bus_register(BUS_TYPE.as_ptr()) }) {
            REGISTERED.store(false, Ordering::Release);
            return Err(e);
        }

        // INVARIANT: registered above, and `REGISTERED` keeps out any other instance.
        Ok(Self(()))
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        // SAFETY: By the type invariants the bus type is registered, by this instance only.
        unsafe { bindings::bus_unregister(BUS_TYPE.as_ptr()) };
        REGISTERED.store(false, Ordering::Release);
    }
}
