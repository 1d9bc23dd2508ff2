// SPDX-License-Identifier: GPL-2.0

//! The rbus controller: a platform driver that enumerates child devices.
//!
//! The controller is described by firmware: a DT node, or on x86 an ACPI `Device` with
//! `_HID "PRP0001"` and a `compatible` in `_DSD`; one OF match table serves both. Its child nodes
//! carry `reg` (the address) and `compatible`, read through the fwnode API so DT, ACPI and software
//! nodes are handled by the same code. A platform device named `rbus_ctrl` binds by name, which is
//! how a software-node controller is registered.
//!
//! Children are also added and removed at run time through the files `new_device` and
//! `delete_device` of the controller's host, `rbus<nr>`, as through an i2c adapter's.

use kernel::{
    debugfs,
    device::{
        self,
        property::FwNode,
        Core, //
    },
    of,
    platform,
    prelude::*,
    str::CString,
    sync::Arc,
    uaccess::UserSliceReader, //
};

#[path = "../rust/rbus/mod.rs"]
pub mod rbus;

#[path = "rbus_ctrl/children.rs"]
mod children;
#[path = "rbus_ctrl/control.rs"]
mod control;
#[path = "rbus_ctrl/i2c_sim.rs"]
mod i2c_sim;
#[path = "rbus_ctrl/sim.rs"]
mod sim;

use children::Children;
use rbus::{
    ticker::{
        Tick,
        Ticker, //
    },
    ControlRegistration,
};

/// The range of the `max_children` parameter.
const MAX_CHILDREN_RANGE: core::ops::RangeInclusive<u32> = 1..=4096;

kernel::of_device_table!(
    OF_TABLE,
    <Controller as platform::Driver>::IdInfo,
    [(of::DeviceId::new(c"rbus,sim-controller"), ())]
);

/// The longest write to the debugfs files `raise` and `storm`.
const WRITE_MAX: usize = 64;

/// The simulated device's event source: a storm ticker that raises the events due every jiffy,
/// in process context, as a threaded interrupt handler would.
struct EventSource(Arc<Children>);

impl Tick for EventSource {
    fn tick(&self) -> Option<kernel::time::Jiffies> {
        self.0.storm_tick().then_some(1)
    }
}

/// A bound controller.
#[pin_data]
struct Controller {
    // Drop order matters: the control files go first, so no write is in progress when the
    // ticker is cancelled, and then the last reference to `_children` goes and takes every child
    // with it, then the host. The host's files are revoked first of all: no write adds a child
    // once the children are being torn down.
    _control: ControlRegistration<Children>,
    #[pin]
    _raise: debugfs::File<Arc<Children>>,
    #[pin]
    _storm: debugfs::File<Arc<Ticker<EventSource>>>,
    #[pin]
    _raised: debugfs::File<Arc<Children>>,
    #[pin]
    _requests: debugfs::File<Arc<Children>>,
    #[pin]
    _temperature: debugfs::File<Arc<Children>>,
    _debugfs: debugfs::Dir,
    _ticker: Arc<Ticker<EventSource>>,
    _children: Arc<Children>,
}

impl Controller {
    /// Registers the child described by firmware node `node`.
    fn add_fw_child(dev: &device::Device, children: &Children, node: &FwNode) -> Result {
        let addr: u32 = node.property_read(c"reg").required_by(dev)?;
        let compatible: CString = node.property_read(c"compatible").required_by(dev)?;

        children.add(addr, &compatible, Some(node))
    }
}

/// Reads a whole write to a debugfs control file into `buf`.
fn read_write<'a>(buf: &'a mut [u8; WRITE_MAX], reader: &mut UserSliceReader) -> Result<&'a [u8]> {
    let len = reader.len();
    if len > WRITE_MAX {
        return Err(EINVAL);
    }
    reader.read_slice(&mut buf[..len])?;
    Ok(&buf[..len])
}

/// Writes to the debugfs file `raise`, see [`control::raise`].
fn raise_write(children: &Arc<Children>, reader: &mut UserSliceReader) -> Result {
    let mut buf = [0u8; WRITE_MAX];
    control::raise(children, read_write(&mut buf, reader)?)
}

/// Writes to the debugfs file `requests`, see [`control::requests`].
fn requests_write(children: &Arc<Children>, reader: &mut UserSliceReader) -> Result {
    let mut buf = [0u8; WRITE_MAX];
    control::requests(children, read_write(&mut buf, reader)?)
}

/// Writes to the debugfs file `temperature`, see [`control::temperature`].
fn temperature_write(children: &Arc<Children>, reader: &mut UserSliceReader) -> Result {
    let mut buf = [0u8; WRITE_MAX];
    control::temperature(children, read_write(&mut buf, reader)?)
}

/// Writes to the debugfs file `storm`, see [`control::storm`].
fn storm_write(ticker: &Arc<Ticker<EventSource>>, reader: &mut UserSliceReader) -> Result {
    let mut buf = [0u8; WRITE_MAX];
    if control::storm(&ticker.data().0, read_write(&mut buf, reader)?)? {
        ticker.start(0);
    }
    Ok(())
}

impl platform::Driver for Controller {
    type IdInfo = ();
    type Data<'bound> = Self;
    const OF_ID_TABLE: Option<of::IdTable<Self::IdInfo>> = Some(&OF_TABLE);

    fn probe<'bound>(
        pdev: &'bound platform::Device<Core<'_>>,
        _info: Option<&'bound Self::IdInfo>,
    ) -> impl PinInit<Self, Error> + 'bound {
        let dev: &'bound device::Device = pdev.as_ref();

        pin_init::pin_init_scope(move || {
            let max = *module_parameters::max_children.value_ref();
            if !MAX_CHILDREN_RANGE.contains(&max) {
                dev_err!(dev, "max_children={} is outside 1..=4096\n", max);
                return Err(EINVAL);
            }
            let children = Arc::pin_init(Children::new(dev, max as usize), GFP_KERNEL)?;
            // Before the firmware's children, so the files work from the start. A write to
            // `new_device` meanwhile may take a firmware child's address, which then is skipped.
            let control = ControlRegistration::new(children.host(), children.clone());

            for node in dev
                .fwnode()
                .into_iter()
                .flat_map(|fwnode| fwnode.children())
            {
                // Bad firmware data costs that child only, not the controller. Running out of
                // memory is not the firmware's fault: the bind fails whole, as a retry should
                // find every child.
                match Self::add_fw_child(dev, &children, &node) {
                    Err(e) if e == ENOMEM => return Err(e),
                    Err(e) => dev_warn!(
                        dev,
                        "skipping child node {}: error {}\n",
                        node.display_name(),
                        e.to_errno()
                    ),
                    Ok(()) => {}
                }
            }
            dev_dbg!(
                dev,
                "bus {} with {} children\n",
                children.bus_nr(),
                children.len()
            );

            let name = CString::try_from_fmt(fmt!("rbus{}", children.bus_nr()))?;
            let dir = debugfs::Dir::new(&name);
            let ticker = Arc::pin_init(
                crate::new_ticker!(EventSource(children.clone())),
                GFP_KERNEL,
            )?;

            Ok(try_pin_init!(Self {
                _control: control,
                _raise <- dir.write_callback_file(c"raise", children.clone(), &raise_write),
                _storm <- dir.write_callback_file(c"storm", ticker.clone(), &storm_write),
                _raised <- dir.read_callback_file(c"raised", children.clone(), &|c, f| {
                    c.write_raised(f)
                }),
                _requests <- dir.write_callback_file(c"requests", children.clone(), &requests_write),
                _temperature <- dir.write_callback_file(
                    c"temperature",
                    children.clone(),
                    &temperature_write
                ),
                _debugfs: dir,
                _ticker: ticker,
                _children: children,
            }? Error))
        })
    }
}

kernel::module_platform_driver! {
    type: Controller,
    name: "rbus_ctrl",
    authors: ["rbus developers"],
    description: "rbus controller over simulated hardware",
    license: "GPL",
    params: {
        max_children: u32 {
            default: 1024,
            description: "Most children per controller, 1 to 4096",
        },
    },
}
