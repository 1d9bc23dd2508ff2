// SPDX-License-Identifier: GPL-2.0

//! The rbus controller: a platform driver that enumerates child devices.
//!
//! The controller is described by firmware: a DT node, or on x86 an ACPI `Device` with
//! `_HID "PRP0001"` and a `compatible` in `_DSD`; one OF match table serves both. Its child nodes
//! carry `reg` (the address) and `compatible`, read through the fwnode API so DT, ACPI and software
//! nodes are handled by the same code.

use kernel::{
    device::{
        self,
        property::FwNode,
        Core, //
    },
    of,
    platform,
    prelude::*,
    str::CString, //
};

#[path = "../rust/rbus/mod.rs"]
pub mod rbus;

kernel::of_device_table!(
    OF_TABLE,
    <Controller as platform::Driver>::IdInfo,
    [(of::DeviceId::new(c"rbus,sim-controller"), ())]
);

/// A bound controller.
struct Controller {
    // Drop order matters: children are unregistered before the bus number is freed.
    _children: KVec<rbus::Registration>,
    _nr: rbus::BusNumber,
}

impl Controller {
    /// Registers the child described by firmware node `node`.
    fn add_child(
        dev: &device::Device<device::Bound>,
        nr: &rbus::BusNumber,
        node: &FwNode,
    ) -> Result<rbus::Registration> {
        let addr: u32 = node.property_read(c"reg").required_by(dev)?;
        let compatible: CString = node.property_read(c"compatible").required_by(dev)?;

        rbus::Registration::new(dev, nr, addr, &compatible, Some(node))
    }
}

impl platform::Driver for Controller {
    type IdInfo = ();
    type Data<'bound> = Self;
    const OF_ID_TABLE: Option<of::IdTable<Self::IdInfo>> = Some(&OF_TABLE);

    fn probe<'bound>(
        pdev: &'bound platform::Device<Core<'_>>,
        _info: Option<&'bound Self::IdInfo>,
    ) -> impl PinInit<Self, Error> + 'bound {
        let dev = pdev.as_ref();
        let nr = rbus::BusNumber::new()?;
        let mut children = KVec::new();

        for node in dev
            .fwnode()
            .into_iter()
            .flat_map(|fwnode| fwnode.children())
        {
            // Bad firmware data costs that child only, not the controller.
            match Self::add_child(dev, &nr, &node) {
                Ok(child) => children.push(child, GFP_KERNEL)?,
                Err(e) => dev_warn!(
                    dev,
                    "skipping child node {}: error {}\n",
                    node.display_name(),
                    e.to_errno()
                ),
            }
        }

        dev_dbg!(dev, "bus {} with {} children\n", nr.get(), children.len());
        Ok(Self {
            _children: children,
            _nr: nr,
        })
    }
}

kernel::module_platform_driver! {
    type: Controller,
    name: "rbus_ctrl",
    authors: ["rbus developers"],
    description: "rbus controller over simulated hardware",
    license: "GPL",
}
