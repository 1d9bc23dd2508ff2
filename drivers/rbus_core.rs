// SPDX-License-Identifier: GPL-2.0

//! The rbus bus core.
//!
//! Registers the `rbus` bus type. Controller and child driver modules reach it through the C
//! functions exported by `rust/rbus_glue.c`, which is linked into this module.

use kernel::prelude::*;

#[path = "../rust/rbus/mod.rs"]
pub mod rbus;

#[path = "../rust/rbus/bus.rs"]
pub mod bus;

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
    _bus: bus::Registration,
}

impl kernel::Module for RbusCore {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        Ok(Self {
            _bus: bus::Registration::new()?,
        })
    }
}
