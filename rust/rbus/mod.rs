// SPDX-License-Identifier: GPL-2.0

//! Safe abstractions for the rbus bus.
//!
//! C headers: [`include/linux/rbus.h`](../../include/linux/rbus.h) and
//! [`rust/rbus_glue.h`](../rbus_glue.h)
//!
//! Out-of-tree modules only get `--extern kernel`, so these files are compiled into each module
//! that uses them (`#[path = "../rust/rbus/mod.rs"] mod rbus;`). Only C symbols exported by the
//! `rbus_core` module cross module boundaries; no Rust type does.

pub mod calls;
pub mod chardev;
mod control;
mod device;
mod driver;
pub mod events;
#[doc(hidden)]
pub mod ffi;
pub mod i2c_adapter;
pub mod i2c_frame;
pub mod percpu;
mod registration;
pub mod requests;
pub mod srcu;
pub mod sysfs;
pub mod ticker;
pub mod tracepoint;
pub mod uapi;

pub use control::{
    Control,
    ControlRegistration, //
};
pub use device::{
    Device,
    PmActive, //
};
pub use driver::{
    Adapter,
    DeviceId,
    Driver,
    IdTable, //
};
pub use registration::{
    BusNumber,
    Host,
    Registration, //
};

/// The highest child address: addresses are 10 bits wide, like i2c's 10-bit addressing.
pub const ADDR_MAX: u32 = ffi::RBUS_ADDR_MAX;
