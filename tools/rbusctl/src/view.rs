// SPDX-License-Identifier: GPL-2.0

//! What rbusctl prints: the JSON documents (the README lists their fields,
//! which only ever grow) and the human forms of the same data.

use rbus::channel::Info;
use rbus::sysfs::{Child, Controller, Counters, I2cAdapter};
use rbus::{Completion, ErrnoText, Event, Record};
use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;

/// Bytes as hex, space-separated: `ed cb ed cb`, the form `--write` takes.
pub fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A controller in `list`.
#[derive(Serialize)]
pub struct ControllerJson {
    pub device: String,
    pub driver: Option<String>,
    pub host: String,
    pub bus: u32,
    pub sysfs: String,
    pub runtime_status: Option<String>,
    pub children: usize,
}

impl From<&Controller> for ControllerJson {
    fn from(c: &Controller) -> Self {
        Self {
            device: c.device.clone(),
            driver: c.driver.clone(),
            host: c.host_name(),
            bus: c.bus,
            sysfs: c.host.display().to_string(),
            runtime_status: c.runtime_status.clone(),
            children: c.children,
        }
    }
}

/// The counters, as an object in the order of their sysfs files.
pub struct CountersJson(pub Counters);

impl Serialize for CountersJson {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(Counters::NAMES.len()))?;
        for (name, value) in self.0.iter() {
            map.serialize_entry(name, &value)?;
        }
        map.end()
    }
}

/// A client on a tunnel child's I2C adapter.
#[derive(Serialize)]
pub struct I2cClientJson {
    pub device: String,
    pub address: Option<u16>,
    pub name: String,
    pub driver: Option<String>,
}

/// A tunnel child's I2C adapter.
#[derive(Serialize)]
pub struct I2cAdapterJson {
    pub number: u32,
    pub device: String,
    pub name: String,
    pub clients: Vec<I2cClientJson>,
}

impl From<&I2cAdapter> for I2cAdapterJson {
    fn from(a: &I2cAdapter) -> Self {
        Self {
            number: a.number,
            device: format!("/dev/i2c-{}", a.number),
            name: a.name.clone(),
            clients: a
                .clients
                .iter()
                .map(|c| I2cClientJson {
                    device: c.device.clone(),
                    address: c.address,
                    name: c.name.clone(),
                    driver: c.driver.clone(),
                })
                .collect(),
        }
    }
}

/// A child, in `list`, `info` and the commands that change one.
#[derive(Serialize)]
pub struct ChildJson {
    pub name: String,
    pub bus: u32,
    pub address: u32,
    pub compatible: String,
    pub driver: Option<String>,
    pub driver_override: Option<String>,
    pub runtime_status: Option<String>,
    pub runtime_control: Option<String>,
    pub sysfs: String,
    pub channel: Option<String>,
    pub i2c_adapter: Option<I2cAdapterJson>,
    pub counters: CountersJson,
}

impl From<&Child> for ChildJson {
    fn from(c: &Child) -> Self {
        Self {
            name: c.name.to_string(),
            bus: c.name.bus,
            address: c.name.addr,
            compatible: c.compatible.clone(),
            driver: c.driver.clone(),
            driver_override: c.driver_override.clone(),
            runtime_status: c.runtime_status.clone(),
            runtime_control: c.runtime_control.clone(),
            sysfs: c.path.display().to_string(),
            channel: c.channel.as_ref().map(|p| p.display().to_string()),
            i2c_adapter: c.i2c_adapter.as_ref().map(I2cAdapterJson::from),
            counters: CountersJson(c.counters),
        }
    }
}

/// What `RBUS_IOC_INFO` says, in `info`.
#[derive(Serialize)]
pub struct ChannelInfoJson {
    pub version: u32,
    pub bus: u32,
    pub address: u32,
    pub queue_depth: u32,
    pub submit_max: u32,
    pub data_max: u32,
    pub record_size: u32,
    pub compatible: String,
}

impl From<&Info> for ChannelInfoJson {
    fn from(i: &Info) -> Self {
        Self {
            version: i.version,
            bus: i.bus,
            address: i.addr,
            queue_depth: i.queue_depth,
            submit_max: i.submit_max,
            data_max: i.data_max,
            record_size: i.record_size,
            compatible: i.compatible.clone(),
        }
    }
}

/// `info`: the child and its channel's info.
#[derive(Serialize)]
pub struct InfoJson {
    #[serde(flatten)]
    pub child: ChildJson,
    pub channel_info: Option<ChannelInfoJson>,
}

/// `list`.
#[derive(Serialize)]
pub struct ListJson {
    pub controllers: Vec<ControllerJson>,
    pub children: Vec<ChildJson>,
}

/// A record of `transfer`, `submit` and `watch`: `type` is `completion` or `event`.
#[derive(Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum RecordJson {
    Completion {
        id: u64,
        status: i32,
        error: Option<String>,
        len: usize,
        data: String,
    },
    Event {
        seq: u64,
        kind: u32,
        payload: u64,
    },
    Unknown {
        record_type: u32,
        id: u64,
    },
}

impl RecordJson {
    pub fn completion(c: &Completion) -> Self {
        Self::Completion {
            id: c.id,
            status: c.status,
            error: c.result().err().map(|e| {
                rbus::error::errno_name(e).map_or_else(|| ErrnoText(e).to_string(), str::to_string)
            }),
            len: c.data.len(),
            data: hex(&c.data),
        }
    }

    pub fn event(e: &Event) -> Self {
        Self::Event {
            seq: e.seq,
            kind: e.kind,
            payload: e.payload,
        }
    }

    pub fn of(r: &Record) -> Self {
        match r {
            Record::Completion(c) => Self::completion(c),
            Record::Event(e) => Self::event(e),
            Record::Unknown { record_type, id } => Self::Unknown {
                record_type: *record_type,
                id: *id,
            },
            // `Record` may grow; a newer kind shows as unknown.
            _ => Self::Unknown {
                record_type: 0,
                id: 0,
            },
        }
    }
}

/// A child's counters in a `stats` sample.
#[derive(Serialize)]
pub struct StatsChildJson {
    pub name: String,
    pub counters: CountersJson,
}

/// A `stats` sample.
#[derive(Serialize)]
pub struct StatsJson {
    pub elapsed_ms: u128,
    pub children: Vec<StatsChildJson>,
}

/// A completion's status for people: `ok`, or the errno's text and name.
pub fn status_text(c: &Completion) -> String {
    match c.result() {
        Ok(_) => "ok".into(),
        Err(e) => ErrnoText(e).to_string(),
    }
}

/// The column titles of `stats`, in the order of [`Counters::NAMES`].
pub const STATS_HEADER: [&str; 12] = [
    "CHILD", "CALLS", "EV-DLV", "EV-DEF", "EV-DROP", "EV-PEND", "RQ-SUB", "RQ-DONE", "RQ-CANC",
    "RQ-FAIL", "RQ-FLY", "CH-DROP",
];
