// SPDX-License-Identifier: GPL-2.0

//! Registration of the `rbus` bus type.
//!
//! C header: [`include/linux/device/bus.h`](srctree/include/linux/device/bus.h)
//!
//! The `struct bus_type` itself is a static in `rust/rbus_glue.c`, as the style of C buses has it.
//! Only the `rbus_core` module includes this file.

use crate::rbus::ffi;
use core::sync::atomic::{
    AtomicBool,
    Ordering, //
};
use kernel::{
    error::to_result,
    prelude::*, //
};

/// Set while the bus type is registered; a `struct bus_type` can be registered only once.
static REGISTERED: AtomicBool = AtomicBool::new(false);

/// The registration of the `rbus` bus type: `/sys/bus/rbus` exists while it lives.
///
/// # Invariants
///
/// While a [`Registration`] exists, the bus type is registered and no other [`Registration`]
/// exists.
pub struct Registration(());

impl Registration {
    /// Registers the bus type. Returns `EBUSY` if it is already registered.
    pub fn new() -> Result<Self> {
        if REGISTERED.swap(true, Ordering::AcqRel) {
            return Err(EBUSY);
        }

        // SAFETY: `REGISTERED` was false, so the bus type is not registered.
        if let Err(e) = to_result(unsafe { ffi::rbus_bus_register() }) {
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
        unsafe { ffi::rbus_bus_unregister() };
        REGISTERED.store(false, Ordering::Release);
    }
}
