// SPDX-License-Identifier: GPL-2.0

//! Bus numbers: a controller's is the `<bus>` in its children's names (`0-002a`).
//!
//! C header: [`include/linux/idr.h`](srctree/include/linux/idr.h)
//!
//! The numbers come from an IDA, the lowest free one first, from 0. Controllers live in other
//! modules, so they take and return numbers through `rbus_bus_nr_alloc()` and
//! `rbus_bus_nr_free()`, which `rust/exports.c` exports.

use super::ida::StaticIda;
use kernel::prelude::*;

use core::sync::atomic::{
    AtomicBool,
    Ordering, //
};

/// The IDA of the bus numbers, in a `static` so the exported functions reach it.
static IDA: StaticIda = StaticIda::new();

/// Set while a [`BusNumbers`] exists.
static LIVE: AtomicBool = AtomicBool::new(false);

/// The bus numbers' lifetime: the module keeps one from before its bus registers until after
/// it unregisters.
///
/// # Invariants
///
/// While a [`BusNumbers`] exists, [`IDA`] is initialized and no other [`BusNumbers`] exists.
pub(crate) struct BusNumbers(());

impl BusNumbers {
    /// Initializes the IDA. Returns `EBUSY` if it is already in use.
    pub(crate) fn new() -> Result<Self> {
        if LIVE.swap(true, Ordering::AcqRel) {
            return Err(EBUSY);
        }

        // SAFETY: `LIVE` was false, so the IDA is not initialized and nobody uses it: numbers are
        // only allocated and freed while the module is live, after its `init` returned.
        unsafe { IDA.init() };

        // INVARIANT: initialized above, and `LIVE` keeps out any other instance.
        Ok(Self(()))
    }
}

impl Drop for BusNumbers {
    fn drop(&mut self) {
        // SAFETY: By the type invariants the IDA is initialized. The module is going: every
        // module that took a number has been unloaded, so no call is running or can start.
        unsafe { IDA.destroy() };
        LIVE.store(false, Ordering::Release);
    }
}

/// Allocates a controller's bus number, the lowest free one.
///
/// Returns the number, or a negative errno: `-ENOMEM`, or `-ENOSPC` once every number is taken.
///
/// # Safety
///
/// `rbus_core` must be live: its `init` has returned and its `exit` has not begun. A module that
/// calls this through the exported symbol holds a reference on `rbus_core`, so it is.
#[no_mangle]
unsafe extern "C" fn rbus_bus_nr_alloc() -> c_int {
    // SAFETY: By the safety requirements the module is live, so a `BusNumbers` keeps the IDA
    // initialized. `ida_alloc()` asks for the range `0..=~0`, as here; the IDA never gives out
    // more than `INT_MAX`.
    match unsafe { IDA.alloc_range(0, u32::MAX) } {
        Ok(nr) => nr as c_int,
        Err(e) => e.to_errno(),
    }
}

/// Frees a number from `rbus_bus_nr_alloc()`.
///
/// # Safety
///
/// `rbus_core` must be live, as for `rbus_bus_nr_alloc()`, and `nr` must be a number it
/// returned that was not freed since.
#[no_mangle]
unsafe extern "C" fn rbus_bus_nr_free(nr: c_int) {
    // `ida_free()` ignores a negative id, and so does this.
    let Ok(nr) = u32::try_from(nr) else {
        return;
    };

    // SAFETY: By the safety requirements the IDA is initialized and `nr` allocated.
    unsafe { IDA.free(nr) };
}
