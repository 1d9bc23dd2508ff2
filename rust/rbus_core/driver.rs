// SPDX-License-Identifier: GPL-2.0

//! Child drivers: their registration on the bus.
//!
//! C header: [`include/linux/rbus.h`](../../include/linux/rbus.h)
//!
//! Child drivers live in other modules, in Rust or in C, so they register through
//! `rbus_driver_register()` and `rbus_driver_unregister()`, which `rust/exports.c` exports. The
//! bus type (`bus.rs`) matches, probes and removes the drivers registered here.

use super::bus::BUS_TYPE;
use crate::rbus::ffi;
use kernel::{
    bindings,
    prelude::*, //
};

/// Registers a child driver: see `rbus_driver_register()` in `include/linux/rbus.h`.
///
/// Returns `-EINVAL` for a driver built with another `struct rbus_driver` layout (`size` is the
/// caller's `sizeof`), or without `id_table` or `probe`.
///
/// # Safety
///
/// `drv` must be valid, and not registered; unless `size` differs from this core's
/// `struct rbus_driver`, it and `name` must stay valid until `rbus_driver_unregister()` returns.
/// `owner` must be the module of `drv`, or null for built-in code.
#[no_mangle]
unsafe extern "C" fn rbus_driver_register(
    drv: *mut ffi::rbus_driver,
    size: usize,
    owner: *mut bindings::module,
    name: *const c_char,
) -> c_int {
    // A driver built against another layout has its members elsewhere: read none of them.
    if size != size_of::<ffi::rbus_driver>() {
        return EINVAL.to_errno();
    }

    // SAFETY: By the safety requirements `drv` is valid, and its layout is this core's.
    let (id_table, probe) = unsafe { ((*drv).id_table, (*drv).probe) };
    if id_table.is_null() || probe.is_none() {
        return EINVAL.to_errno();
    }

    // SAFETY: `drv` is valid and not registered, so nothing else reads its driver yet. The bus
    // is registered while the module lives, which a module linked against this symbol keeps
    // live; `name` outlives the registration, by the safety requirements.
    unsafe {
        let driver = &raw mut (*drv).driver;
        (*driver).name = name;
        (*driver).owner = owner;
        (*driver).bus = BUS_TYPE.as_ptr();
        bindings::driver_register(driver)
    }
}

/// Unregisters a child driver, unbinding every device bound to it first: see
/// `rbus_driver_unregister()` in `include/linux/rbus.h`.
///
/// # Safety
///
/// `drv` must have been registered by `rbus_driver_register()`, and not unregistered since.
#[no_mangle]
unsafe extern "C" fn rbus_driver_unregister(drv: *mut ffi::rbus_driver) {
    // SAFETY: By the safety requirements the driver is registered.
    unsafe { bindings::driver_unregister(&raw mut (*drv).driver) };
}
