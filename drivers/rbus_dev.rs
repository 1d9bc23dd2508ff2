// SPDX-License-Identifier: GPL-2.0

//! The generic user-mode child driver, as spidev and i2c-dev are: it gives each bound child a
//! char device, `/dev/rbus-<bus>-<addr>`, whose files are request channels (see
//! `include/uapi/linux/rbus.h`).
//!
//! It binds to `rbus,user` children, and to any other through `driver_override`; unbinding it
//! and binding a kernel driver switches the child back, with no reload. Each open file is a
//! [`Client`] of the child's request queue. Device events reach every open file as records.

use kernel::{
    device::Core,
    ioctl::{
        _IOC_DIR,
        _IOC_NR,
        _IOC_SIZE,
        _IOC_TYPE, //
    },
    prelude::*,
    sync::aref::ARef,
    uaccess::{
        UserPtr,
        UserSlice, //
    },
};

#[path = "../rust/rbus/mod.rs"]
pub mod rbus;

use rbus::{
    calls::Bus,
    chardev::{
        CharDev,
        FileOps,
        PollTable, //
    },
    events::{
        Events,
        Publication, //
    },
    requests::{
        Client,
        ClientRef, //
    },
    uapi,
};

/// The largest struct an ioctl may pass, as for `clone3()` and `openat2()`: a later version may
/// grow up to a page, and a larger struct is `E2BIG` whatever it holds.
const STRUCT_MAX: usize = kernel::page::PAGE_SIZE;

crate::rbus_device_table!(
    ID_TABLE,
    <UserDriver as rbus::Driver>::IdInfo,
    [("rbus,user", ())]
);

/// The char device's data: the child whose queue files open.
struct Channel {
    dev: ARef<rbus::Device>,
}

/// The files of the char device: each open file owns a [`Client`] of the child's request queue,
/// and nothing else, so it needs no allocation of its own.
struct OpenFile;

impl OpenFile {
    /// `RBUS_IOC_SUBMIT`: the bus core checks every request, then queues them. Inline in
    /// `ioctl`, on the round trip's path.
    #[inline(always)]
    fn submit(client: &Client, arg: usize, size: usize, nonblock: bool) -> Result<isize> {
        let submit: uapi::Submit = uapi::read_struct(
            &mut UserSlice::new(UserPtr::from_addr(arg), size).reader(),
            size,
        )?;
        if submit.reserved != 0 {
            return Err(EINVAL);
        }
        let reqs = usize::try_from(submit.reqs).map_err(|_| EFAULT)?;
        let queued = client.submit_user(
            UserPtr::from_addr(reqs),
            submit.count,
            submit.req_size,
            nonblock,
        )?;
        Ok(isize::try_from(queued).unwrap_or(isize::MAX))
    }

    /// `RBUS_IOC_CANCEL`.
    fn cancel(client: &Client, arg: usize, size: usize) -> Result<isize> {
        let cancel: uapi::Cancel = uapi::read_struct(
            &mut UserSlice::new(UserPtr::from_addr(arg), size).reader(),
            size,
        )?;
        if cancel.reserved != 0 {
            return Err(EINVAL);
        }
        client.cancel(cancel.id)?;
        Ok(0)
    }

    /// `RBUS_IOC_INFO`: a larger struct gets zeroes beyond this version's.
    fn info(client: &Client, arg: usize, size: usize) -> Result<isize> {
        let known = core::mem::size_of::<uapi::Info>();
        if size < known {
            return Err(EINVAL);
        }
        let info = client.info()?;
        let mut writer = UserSlice::new(UserPtr::from_addr(arg), size).writer();
        writer.write(&info)?;
        let zeroes = [0u8; 64];
        let mut rest = size - known;
        while rest > 0 {
            let n = rest.min(zeroes.len());
            writer.write_slice(&zeroes[..n])?;
            rest -= n;
        }
        Ok(0)
    }
}

impl FileOps for OpenFile {
    type Data = Channel;
    type Ptr = Client;

    fn open(data: &Channel) -> Result<Client> {
        Client::open(&data.dev)
    }

    fn read(client: ClientRef<'_>, buf: UserPtr, len: usize, nonblock: bool) -> Result<usize> {
        client.read_user(buf, len, nonblock)
    }

    fn ioctl(client: ClientRef<'_>, cmd: u32, arg: usize, nonblock: bool) -> Result<isize> {
        // The size in the number is the caller's struct: it may be another version's, so a
        // command is known by its type, number and direction.
        let size = _IOC_SIZE(cmd);
        let is = |known: u32| {
            _IOC_TYPE(cmd) == uapi::IOC_MAGIC
                && _IOC_DIR(cmd) == _IOC_DIR(known)
                && _IOC_NR(cmd) == _IOC_NR(known)
        };
        if !(is(uapi::IOC_INFO) || is(uapi::IOC_SUBMIT) || is(uapi::IOC_CANCEL)) {
            return Err(ENOTTY);
        }
        if size > STRUCT_MAX {
            return Err(E2BIG);
        }
        if is(uapi::IOC_INFO) {
            Self::info(&client, arg, size)
        } else if is(uapi::IOC_SUBMIT) {
            Self::submit(&client, arg, size, nonblock)
        } else {
            Self::cancel(&client, arg, size)
        }
    }

    fn poll(client: ClientRef<'_>, table: &PollTable<'_>) -> u32 {
        client.poll(table)
    }
}

/// Forwards device events to the open files.
struct EventForwarder {
    dev: ARef<rbus::Device>,
}

#[vtable]
impl Events for EventForwarder {
    fn event(&self, kind: u32, seq: u64, payload: u64) {
        self.dev.post_event(kind, seq, payload);
    }
}

/// A child bound to the user-mode driver.
struct UserDriver {
    // Drop order: no new open, then no more events; the bus core then revokes the open files.
    _cdev: CharDev<OpenFile>,
    _events: Option<Publication<EventForwarder>>,
}

impl rbus::Driver for UserDriver {
    type IdInfo = ();
    type Data<'bound> = Self;
    const ID_TABLE: rbus::IdTable<Self::IdInfo> = &ID_TABLE;

    fn probe<'bound>(
        dev: &'bound rbus::Device<Core<'_>>,
        _info: Option<&'bound Self::IdInfo>,
    ) -> impl PinInit<Self, Error> + 'bound {
        Self::new(dev)
    }
}

impl UserDriver {
    fn new(dev: &rbus::Device<Core<'_>>) -> Result<Self> {
        // Every event kind, for user space to filter. A controller without events is fine.
        let events = match Bus::new(dev).and_then(|bus| bus.subscribe(!0)) {
            Ok(()) => Some(Publication::new(
                dev,
                Ok::<_, Error>(EventForwarder { dev: dev.into() }),
            )?),
            Err(_) => None,
        };
        let cdev = CharDev::new(
            dev,
            kernel::module::this_module::<crate::LocalModule>(),
            Ok::<_, Error>(Channel { dev: dev.into() }),
        )?;
        Ok(Self {
            _cdev: cdev,
            _events: events,
        })
    }
}

crate::module_rbus_driver! {
    type: UserDriver,
    name: "rbus_dev",
    authors: ["rbus developers"],
    description: "rbus generic user-mode child driver: a request channel per child",
    license: "GPL",
}
