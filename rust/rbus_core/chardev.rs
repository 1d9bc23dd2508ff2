// SPDX-License-Identifier: GPL-2.0

//! The char devices of user-mode drivers: the class `rbus-dev` and its device numbers.
//!
//! C header: [`rust/rbus_glue.h`](../../rust/rbus_glue.h)
//!
//! The char devices themselves are still in `rust/rbus_chardev.c`.

use crate::rbus::ffi;
use kernel::{
    error::to_result,
    prelude::*, //
};

use core::sync::atomic::{
    AtomicBool,
    Ordering, //
};

/// Set while a [`Class`] exists.
static REGISTERED: AtomicBool = AtomicBool::new(false);

/// The class `rbus-dev` and the device numbers of its char devices, which exist while it lives.
///
/// # Invariants
///
/// While a [`Class`] exists, `rbus_chardev_init()` has succeeded, `rbus_chardev_exit()` has not
/// run since, and no other [`Class`] exists.
pub(crate) struct Class(());

impl Class {
    /// Registers the class. Returns `EBUSY` if it is already registered.
    pub(crate) fn new() -> Result<Self> {
        if REGISTERED.swap(true, Ordering::AcqRel) {
            return Err(EBUSY);
        }

        // SAFETY: `REGISTERED` was false, so the class is not registered.
        if let Err(e) = to_result(unsafe { ffi::rbus_chardev_init() }) {
            REGISTERED.store(false, Ordering::Release);
            return Err(e);
        }

        // INVARIANT: registered above, and `REGISTERED` keeps out any other instance.
        Ok(Self(()))
    }
}

impl Drop for Class {
    fn drop(&mut self) {
        // SAFETY: By the type invariants the class is registered, by this instance only.
        unsafe { ffi::rbus_chardev_exit() };
        REGISTERED.store(false, Ordering::Release);
    }
}
