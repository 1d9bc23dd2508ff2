// SPDX-License-Identifier: GPL-2.0

//! A minimal rbus child driver: binds to `rbus,demo` children and logs at debug level.

use kernel::{
    device::Core,
    prelude::*,
    sync::aref::ARef, //
};

#[path = "../rust/rbus/mod.rs"]
pub mod rbus;

crate::rbus_device_table!(
    ID_TABLE,
    <Demo as rbus::Driver>::IdInfo,
    [("rbus,demo", ())]
);

/// A bound demo child.
struct Demo {
    dev: ARef<rbus::Device>,
}

impl rbus::Driver for Demo {
    type IdInfo = ();
    type Data<'bound> = Self;
    const ID_TABLE: rbus::IdTable<Self::IdInfo> = &ID_TABLE;

    fn probe<'bound>(
        dev: &'bound rbus::Device<Core<'_>>,
        _info: Option<&'bound Self::IdInfo>,
    ) -> impl PinInit<Self, Error> + 'bound {
        dev_dbg!(dev.as_ref(), "bound at {:#05x}\n", dev.address());
        Ok(Self { dev: dev.into() })
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        dev_dbg!(self.dev.as_ref(), "unbound\n");
    }
}

crate::module_rbus_driver! {
    type: Demo,
    name: "rbus_demo",
    authors: ["rbus developers"],
    description: "Minimal rbus child driver",
    license: "GPL",
}
