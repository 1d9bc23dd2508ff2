// SPDX-License-Identifier: GPL-2.0

//! The bus as sysfs shows it: controllers, children, drivers and counters,
//! and the files that add, remove, bind and unbind children.
//!
//! - Children are `/sys/bus/rbus/devices/<bus>-<addr>`, with `compatible`,
//!   `address`, `driver_override`, their counters and `power/`.
//! - A controller is a device bound to the `rbus_ctrl` platform driver; its
//!   host `rbus<N>` (bus `N`) is the children's parent and has the files
//!   `new_device` and `delete_device`.
//! - A child bound to `rbus_dev` has a char device `rbus-<name>` in class
//!   `rbus-dev`, `/dev/rbus-<name>`; one bound to `rbus_i2c` has an I2C
//!   adapter `i2c-<N>` below it.

use core::fmt;
use core::str::FromStr;
use std::collections::BTreeMap;
use std::fs;
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

use crate::error::{Errno, Error, Result};

/// The highest child address: 10 bits, as i2c's 10-bit addressing.
pub const ADDR_MAX: u32 = 0x3ff;

/// A child's name, `<bus>-<addr>` with the address as four hex digits: `0-0040`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ChildName {
    /// The controller's bus number.
    pub bus: u32,
    /// The address on the bus, at most [`ADDR_MAX`].
    pub addr: u32,
}

impl ChildName {
    /// The child `addr` on bus `bus`.
    pub fn new(bus: u32, addr: u32) -> Result<Self> {
        if addr > ADDR_MAX {
            return Err(Error::new(
                format!("child address {addr:#x}: above {ADDR_MAX:#x}"),
                Errno::INVAL,
            ));
        }
        Ok(Self { bus, addr })
    }

    /// The child's char device when bound to `rbus_dev`: `/dev/rbus-<name>`.
    pub fn channel_path(self) -> PathBuf {
        PathBuf::from(format!("/dev/rbus-{self}"))
    }
}

impl fmt::Display for ChildName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{:04x}", self.bus, self.addr)
    }
}

impl FromStr for ChildName {
    type Err = Error;

    /// Parses `<bus>-<addr>`: a decimal bus number and 1 to 4 hex digits (`0-0040`, `0-40`).
    fn from_str(s: &str) -> Result<Self> {
        let bad = || {
            Error::new(
                format!("child name {s:?}: not <bus>-<hex address> such as 0-0040"),
                Errno::INVAL,
            )
        };
        let (bus, addr) = s.split_once('-').ok_or_else(bad)?;
        let digits = |t: &str, radix| !t.is_empty() && t.chars().all(|c| c.is_digit(radix));
        if !digits(bus, 10) || !digits(addr, 16) || addr.len() > 4 {
            return Err(bad());
        }
        let bus = bus.parse().map_err(|_| bad())?;
        let addr = u32::from_str_radix(addr, 16).map_err(|_| bad())?;
        Self::new(bus, addr).map_err(|_| bad())
    }
}

/// A child's counters, one sysfs file each.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    /// Child-to-bus calls.
    pub calls: u64,
    /// Events delivered to the child's callback.
    pub events_delivered: u64,
    /// Events that waited for a suspended child.
    pub events_deferred: u64,
    /// Events lost to a full queue while suspended.
    pub events_dropped: u64,
    /// Events waiting now.
    pub events_pending: u64,
    /// Requests submitted to the child's queue.
    pub requests_submitted: u64,
    /// Requests completed with status 0.
    pub requests_completed: u64,
    /// Requests cancelled (by cancel or close).
    pub requests_cancelled: u64,
    /// Requests failed with another error.
    pub requests_failed: u64,
    /// Requests in flight now.
    pub requests_in_flight: u64,
    /// Device events that open channels missed.
    pub channel_events_dropped: u64,
}

impl Counters {
    /// The names of the counters' files, in the order of the fields.
    pub const NAMES: [&'static str; 11] = [
        "calls",
        "events_delivered",
        "events_deferred",
        "events_dropped",
        "events_pending",
        "requests_submitted",
        "requests_completed",
        "requests_cancelled",
        "requests_failed",
        "requests_in_flight",
        "channel_events_dropped",
    ];

    /// The counters as `(name, value)`, in the order of [`Counters::NAMES`].
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, u64)> {
        let values = [
            self.calls,
            self.events_delivered,
            self.events_deferred,
            self.events_dropped,
            self.events_pending,
            self.requests_submitted,
            self.requests_completed,
            self.requests_cancelled,
            self.requests_failed,
            self.requests_in_flight,
            self.channel_events_dropped,
        ];
        Self::NAMES.into_iter().zip(values)
    }

    fn read(dir: &Path) -> Result<Self> {
        let mut v = [0u64; 11];
        for (slot, name) in v.iter_mut().zip(Self::NAMES) {
            *slot = read_u64(&dir.join(name))?;
        }
        let [calls, events_delivered, events_deferred, events_dropped, events_pending, requests_submitted, requests_completed, requests_cancelled, requests_failed, requests_in_flight, channel_events_dropped] =
            v;
        Ok(Self {
            calls,
            events_delivered,
            events_deferred,
            events_dropped,
            events_pending,
            requests_submitted,
            requests_completed,
            requests_cancelled,
            requests_failed,
            requests_in_flight,
            channel_events_dropped,
        })
    }
}

/// A client device on a tunnel child's I2C adapter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct I2cClient {
    /// The client's device name: `<adapter>-<addr>` (`3-0050`) for one added by address,
    /// `i2c-<firmware node>` (`i2c-PRP0001:02`) for one firmware enumerated.
    pub device: String,
    /// Its 7-bit address, when its name shows it.
    pub address: Option<u16>,
    /// Its `name` (the chip: `24c02`, `lm75`).
    pub name: String,
    /// The driver bound to it.
    pub driver: Option<String>,
}

/// The I2C adapter a tunnel child (`rbus_i2c`) registered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct I2cAdapter {
    /// Its number: `/dev/i2c-<N>`, `/sys/bus/i2c/devices/i2c-<N>`.
    pub number: u32,
    /// Its `name`: `rbus-i2c <child>`.
    pub name: String,
    /// The clients on it.
    pub clients: Vec<I2cClient>,
}

/// A child device of the bus.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Child {
    /// Its name.
    pub name: ChildName,
    /// Its sysfs directory, `/sys/bus/rbus/devices/<name>`.
    pub path: PathBuf,
    /// Its compatible string.
    pub compatible: String,
    /// The driver bound to it.
    pub driver: Option<String>,
    /// Its `driver_override`, when set.
    pub driver_override: Option<String>,
    /// Its runtime PM status (`active`, `suspended`...), when the kernel has runtime PM.
    pub runtime_status: Option<String>,
    /// Its runtime PM control: `on` (never suspends) or `auto`.
    pub runtime_control: Option<String>,
    /// Its counters.
    pub counters: Counters,
    /// Its char device, when bound to `rbus_dev`.
    pub channel: Option<PathBuf>,
    /// Its I2C adapter, when bound to `rbus_i2c`.
    pub i2c_adapter: Option<I2cAdapter>,
}

/// A bus controller and its host `rbus<N>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Controller {
    /// The controller device's name (`PRP0001:00`, `rbus_ctrl`).
    pub device: String,
    /// Its driver.
    pub driver: Option<String>,
    /// The bus number, `N` of the host `rbus<N>`.
    pub bus: u32,
    /// The host's sysfs directory, which holds `new_device` and `delete_device`.
    pub host: PathBuf,
    /// The host's runtime PM status: the controller's D0 state.
    pub runtime_status: Option<String>,
    /// The number of children on the bus.
    pub children: usize,
}

impl Controller {
    /// The host's name, `rbus<N>`.
    pub fn host_name(&self) -> String {
        format!("rbus{}", self.bus)
    }
}

/// The bus in sysfs, below a root directory (`/`, or a copy of a tree for tests).
#[derive(Clone, Debug)]
pub struct Sysfs {
    root: PathBuf,
}

impl Default for Sysfs {
    fn default() -> Self {
        Self::new()
    }
}

impl Sysfs {
    /// The running system's sysfs.
    pub fn new() -> Self {
        Self::with_root("/")
    }

    /// The sysfs below `root`, which stands for `/`.
    pub fn with_root(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    fn path(&self, abs: &str) -> PathBuf {
        self.root.join(abs.trim_start_matches('/'))
    }

    /// `/sys/bus/rbus`: it exists once `rbus_core` is loaded.
    pub fn bus_dir(&self) -> PathBuf {
        self.path("/sys/bus/rbus")
    }

    /// The sysfs directory of child `name`.
    pub fn child_dir(&self, name: ChildName) -> PathBuf {
        self.path(&format!("/sys/bus/rbus/devices/{name}"))
    }

    /// The names of the children, in order. Fails with `ENOENT` if there is no bus.
    pub fn child_names(&self) -> Result<Vec<ChildName>> {
        let bus = self.bus_dir();
        if !bus.exists() {
            return Err(Error::new(
                format!(
                    "no rbus bus: {} is missing (is rbus_core loaded? modprobe rbus_ctrl)",
                    bus.display()
                ),
                Errno::NOENT,
            ));
        }
        let dir = self.path("/sys/bus/rbus/devices");
        let mut names: Vec<ChildName> = list_dir(&dir)?
            .iter()
            .filter_map(|n| n.parse().ok())
            .collect();
        names.sort();
        Ok(names)
    }

    /// Whether child `name` exists.
    pub fn has_child(&self, name: ChildName) -> bool {
        self.child_dir(name).exists()
    }

    /// Child `name`, read afresh. Fails with `ENOENT`, naming its directory, if there is none.
    pub fn child(&self, name: ChildName) -> Result<Child> {
        let dir = self.child_dir(name);
        if !dir.exists() {
            return Err(Error::new(
                format!("no child {name} ({})", dir.display()),
                Errno::NOENT,
            ));
        }
        let driver = link_name(&dir.join("driver"));
        let override_ = read_attr(&dir.join("driver_override"))
            .ok()
            .filter(|s| !s.is_empty() && s != "(null)");
        let class_dev = self.path(&format!("/sys/class/rbus-dev/rbus-{name}"));
        let channel = class_dev
            .exists()
            .then(|| self.path(&format!("/dev/rbus-{name}")));
        Ok(Child {
            name,
            compatible: read_attr(&dir.join("compatible"))?,
            driver,
            driver_override: override_,
            runtime_status: read_attr(&dir.join("power/runtime_status")).ok(),
            runtime_control: read_attr(&dir.join("power/control")).ok(),
            counters: Counters::read(&dir)?,
            channel,
            i2c_adapter: self.i2c_adapter(&dir)?,
            path: dir,
        })
    }

    /// Every child, in name order. A child removed while being read is left out.
    pub fn children(&self) -> Result<Vec<Child>> {
        let mut children = Vec::new();
        for name in self.child_names()? {
            match self.child(name) {
                Ok(c) => children.push(c),
                Err(_) if !self.has_child(name) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(children)
    }

    fn i2c_adapter(&self, dir: &Path) -> Result<Option<I2cAdapter>> {
        let Some(number) = list_dir(dir)?
            .iter()
            .find_map(|n| n.strip_prefix("i2c-")?.parse::<u32>().ok())
        else {
            return Ok(None);
        };
        let adir = dir.join(format!("i2c-{number}"));
        let mut clients = Vec::new();
        for entry in list_dir(&adir).unwrap_or_default() {
            let cdir = adir.join(&entry);
            // Clients are the adapter's children on the i2c bus; a nested adapter is not one.
            if link_name(&cdir.join("subsystem")).as_deref() != Some("i2c")
                || host_number(&entry.replacen("i2c-", "rbus", 1)).is_some()
            {
                continue;
            }
            // `<adapter>-<addr>` for a client added by address; a firmware-enumerated one
            // is named after its firmware node (`i2c-PRP0001:02`) and shows no address.
            let address = entry
                .strip_prefix(&format!("{number}-"))
                .and_then(|a| u16::from_str_radix(a, 16).ok());
            clients.push(I2cClient {
                name: read_attr(&cdir.join("name")).unwrap_or_default(),
                driver: link_name(&cdir.join("driver")),
                device: entry,
                address,
            });
        }
        clients.sort_by(|a, b| a.device.cmp(&b.device));
        Ok(Some(I2cAdapter {
            number,
            name: read_attr(&adir.join("name")).unwrap_or_default(),
            clients,
        }))
    }

    /// The controllers, by bus number: the devices bound to `rbus_ctrl`, and the parents of
    /// the hosts of every child (controllers of other drivers).
    pub fn controllers(&self) -> Result<Vec<Controller>> {
        let mut hosts: BTreeMap<u32, PathBuf> = BTreeMap::new();
        let ctrl_driver = self.path("/sys/bus/platform/drivers/rbus_ctrl");
        for entry in list_dir(&ctrl_driver).unwrap_or_default() {
            let dev = ctrl_driver.join(&entry);
            if !dev.is_dir() || entry == "module" {
                continue;
            }
            for sub in list_dir(&dev).unwrap_or_default() {
                if let Some(bus) = host_number(&sub) {
                    hosts.entry(bus).or_insert_with(|| dev.join(&sub));
                }
            }
        }
        let names = self.child_names()?;
        for name in &names {
            if hosts.contains_key(&name.bus) {
                continue;
            }
            if let Ok(real) = fs::canonicalize(self.child_dir(*name)) {
                if let Some(host) = real.parent() {
                    hosts.insert(name.bus, host.to_path_buf());
                }
            }
        }
        let mut controllers = Vec::new();
        for (bus, host) in hosts {
            let Some(dev) = host.parent() else { continue };
            controllers.push(Controller {
                device: dev
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                driver: link_name(&dev.join("driver")),
                bus,
                runtime_status: read_attr(&host.join("power/runtime_status")).ok(),
                children: names.iter().filter(|n| n.bus == bus).count(),
                host: fs::canonicalize(&host).unwrap_or(host),
            });
        }
        Ok(controllers)
    }

    /// The controller of bus `bus`. Fails with `ENOENT` if there is none.
    pub fn controller(&self, bus: u32) -> Result<Controller> {
        let all = self.controllers()?;
        let known: Vec<String> = all.iter().map(Controller::host_name).collect();
        all.into_iter().find(|c| c.bus == bus).ok_or_else(|| {
            let known = if known.is_empty() {
                "none is bound".to_string()
            } else {
                format!("there are {}", known.join(", "))
            };
            Error::new(
                format!("no controller with bus {bus} ({known})"),
                Errno::NOENT,
            )
        })
    }

    /// Adds child `name` with `compatible` through its host's `new_device`.
    pub fn add(&self, name: ChildName, compatible: &str) -> Result<()> {
        let host = self.controller(name.bus)?.host;
        write_attr(
            &host.join("new_device"),
            &format!("{:#x} {compatible}", name.addr),
        )
    }

    /// Removes child `name` through its host's `delete_device`.
    pub fn remove(&self, name: ChildName) -> Result<()> {
        let host = self.controller(name.bus)?.host;
        write_attr(&host.join("delete_device"), &format!("{:#x}", name.addr))
    }

    /// Binds child `name` to `driver` (the driver's `bind` file).
    pub fn bind(&self, name: ChildName, driver: &str) -> Result<()> {
        let drv = self.path(&format!("/sys/bus/rbus/drivers/{driver}"));
        if !drv.exists() {
            return Err(Error::new(
                format!(
                    "no rbus driver {driver} ({}); is its module loaded?",
                    drv.display()
                ),
                Errno::NOENT,
            ));
        }
        write_attr(&drv.join("bind"), &name.to_string())
    }

    /// Unbinds child `name` from its driver (the driver's `unbind` file). Fails with `ENODEV`
    /// if it has none.
    pub fn unbind(&self, name: ChildName) -> Result<()> {
        let dir = self.child_dir(name);
        let Some(driver) = link_name(&dir.join("driver")) else {
            if !dir.exists() {
                return Err(Error::new(
                    format!("no child {name} ({})", dir.display()),
                    Errno::NOENT,
                ));
            }
            return Err(Error::new(
                format!("unbinding {name}: no driver is bound"),
                Errno::NODEV,
            ));
        };
        let file = self.path(&format!("/sys/bus/rbus/drivers/{driver}/unbind"));
        write_attr(&file, &name.to_string())
    }

    /// Sets (`Some`) or clears (`None`) child `name`'s `driver_override`.
    pub fn set_driver_override(&self, name: ChildName, driver: Option<&str>) -> Result<()> {
        write_attr(
            &self.child_dir(name).join("driver_override"),
            driver.unwrap_or("\n"),
        )
    }

    /// Asks the bus to find child `name` a driver (`drivers_probe`).
    pub fn probe(&self, name: ChildName) -> Result<()> {
        write_attr(&self.path("/sys/bus/rbus/drivers_probe"), &name.to_string())
    }
}

/// The bus number of a host directory's name, `rbus<N>`.
fn host_number(name: &str) -> Option<u32> {
    let n = name.strip_prefix("rbus")?;
    if n.is_empty() || !n.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    n.parse().ok()
}

/// The entries of a directory, sorted; `ENOENT` names it.
fn list_dir(dir: &Path) -> Result<Vec<String>> {
    let err = |e: &std::io::Error| Error::from_io(format!("listing {}", dir.display()), e);
    let mut names = Vec::new();
    for entry in fs::read_dir(dir).map_err(|e| err(&e))? {
        let entry = entry.map_err(|e| err(&e))?;
        names.push(entry.file_name().to_string_lossy().into_owned());
    }
    names.sort();
    Ok(names)
}

/// The last component of a symlink's target (a `driver` link), if it is one.
fn link_name(link: &Path) -> Option<String> {
    let target = fs::read_link(link).ok()?;
    Some(target.file_name()?.to_string_lossy().into_owned())
}

/// Reads a sysfs attribute without its trailing newline.
pub fn read_attr(path: &Path) -> Result<String> {
    let mut s = fs::read_to_string(path)
        .map_err(|e| Error::from_io(format!("reading {}", path.display()), &e))?;
    if s.ends_with('\n') {
        s.pop();
    }
    Ok(s)
}

/// Reads a number from a sysfs attribute: decimal, or hex with `0x`.
pub fn read_u64(path: &Path) -> Result<u64> {
    let s = read_attr(path)?;
    let t = s.trim();
    let v = match t.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => t.parse(),
    };
    v.map_err(|_| {
        Error::new(
            format!("reading {}: {s:?} is not a number", path.display()),
            Errno::PROTO,
        )
    })
}

/// Writes `value` to a sysfs attribute in one `write()`, as sysfs wants it.
pub fn write_attr(path: &Path, value: &str) -> Result<()> {
    let shown = value.trim_end_matches('\n');
    let err =
        |e: &std::io::Error| Error::from_io(format!("writing {shown:?} to {}", path.display()), e);
    let mut file = fs::OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(|e| err(&e))?;
    match file.write(value.as_bytes()) {
        Ok(n) if n == value.len() => Ok(()),
        Ok(_) => Err(err(&std::io::Error::from(ErrorKind::WriteZero))),
        Err(e) => Err(err(&e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn child_names() {
        let n: ChildName = "0-0040".parse().unwrap();
        assert_eq!(n, ChildName { bus: 0, addr: 0x40 });
        assert_eq!(n.to_string(), "0-0040");
        assert_eq!(
            "12-3ff".parse::<ChildName>().unwrap().to_string(),
            "12-03ff"
        );
        for bad in [
            "",
            "0",
            "0-",
            "-40",
            "a-40",
            "0-0400",
            "0-00040",
            "0-zz",
            "0-+4",
            "0 -40",
            "0-40 ",
            "99999999999-1",
        ] {
            let e = bad.parse::<ChildName>().unwrap_err();
            assert_eq!(e.errno(), Errno::INVAL, "{bad:?}");
        }
    }

    #[test]
    fn host_numbers() {
        assert_eq!(host_number("rbus0"), Some(0));
        assert_eq!(host_number("rbus12"), Some(12));
        assert_eq!(host_number("rbus"), None);
        assert_eq!(host_number("rbus_ctrl"), None);
        assert_eq!(host_number("rbus-dev"), None);
    }
}
