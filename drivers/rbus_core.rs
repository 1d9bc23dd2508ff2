// SPDX-License-Identifier: GPL-2.0

//! The rbus bus core.
//!
//! Registers the `rbus` bus type and hands out bus numbers. Controller and child driver modules
//! reach it through the functions it exports: those of `rust/rbus_glue.c`, and those of the Rust
//! files in `rust/rbus_core/` that `rust/exports.c` exports. That code works on the kernel's raw
//! structures, so it lives under `rust/` with the rest of the code that needs it; this root is
//! safe Rust.

use kernel::prelude::*;

#[path = "../rust/rbus/mod.rs"]
pub mod rbus;

#[path = "../rust/rbus_core/bus.rs"]
mod bus;
#[path = "../rust/rbus_core/bus_nr.rs"]
mod bus_nr;
#[path = "../rust/rbus_core/calls.rs"]
mod calls;
#[path = "../rust/rbus_core/chardev.rs"]
mod chardev;
#[path = "../rust/rbus_core/device.rs"]
mod device;
#[path = "../rust/rbus_core/driver.rs"]
mod driver;
#[path = "../rust/rbus_core/events.rs"]
mod events;
#[path = "../rust/rbus_core/host.rs"]
mod host;
#[path = "../rust/rbus_core/ida.rs"]
mod ida;
#[path = "../rust/rbus_core/lock.rs"]
mod lock;
#[path = "../rust/rbus_core/power.rs"]
mod power;
#[path = "../rust/rbus_core/queue.rs"]
mod queue;
#[path = "../rust/rbus_core/stats.rs"]
mod stats;
#[path = "../rust/rbus_core/table.rs"]
mod table;
#[path = "../rust/rbus_core/trace.rs"]
mod trace;
#[path = "../rust/rbus_core/wait.rs"]
mod wait;

#[path = "../rust/rbus/tests.rs"]
mod kunit;

module! {
    type: RbusCore,
    name: "rbus_core",
    authors: ["rbus developers"],
    description: "rbus bus core",
    license: "GPL",
}

struct RbusCore {
    // Fields drop in declaration order, the reverse of `init`: the char devices' class, then the
    // bus, then its numbers.
    _chardev: chardev::Class,
    _bus: bus::Registration,
    _bus_nrs: bus_nr::BusNumbers,
}

impl kernel::Module for RbusCore {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let bus_nrs = bus_nr::BusNumbers::new()?;
        let bus = bus::Registration::new()?;

        Ok(Self {
            _chardev: chardev::Class::new()?,
            _bus: bus,
            _bus_nrs: bus_nrs,
        })
    }
}
