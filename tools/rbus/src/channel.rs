// SPDX-License-Identifier: GPL-2.0

//! A child's request channel: an open `/dev/rbus-<bus>-<addr>`.
//!
//! Each open file is a channel of its own. Submitting returns at once;
//! completions and device events come back as [`Record`]s from
//! [`Channel::read`]. See `include/uapi/linux/rbus.h`.

use core::ffi::c_void;
use core::fmt;
use core::marker::PhantomData;
use core::time::Duration;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::path::{Path, PathBuf};

use rustix::event::{PollFd, PollFlags, Timespec};
use rustix::fs::{Mode, OFlags};
use rustix::ioctl::{Getter, Ioctl, IoctlOutput, Opcode, Setter};

use crate::error::{Errno, Error, Result};
use crate::sysfs::ChildName;
use crate::uapi;

/// The records one [`Channel::read`] takes at most.
const READ_MAX: usize = 64;

/// One request: write some bytes, then read some back (`RBUS_OP_TRANSFER`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    raw: uapi::rbus_req,
}

impl Request {
    /// A transfer with the caller's `id`, writing `write` and reading `read_len` bytes back.
    ///
    /// Fails with `EINVAL` when either is over [`uapi::DATA_MAX`] bytes. The kernel also refuses
    /// a read with nothing to write; that is left to it.
    pub fn transfer(id: u64, write: &[u8], read_len: usize) -> Result<Self> {
        if write.len() > uapi::DATA_MAX || read_len > uapi::DATA_MAX {
            return Err(Error::new(
                format!(
                    "request {id}: {} bytes to write and {read_len} to read, at most {} each",
                    write.len(),
                    uapi::DATA_MAX
                ),
                Errno::INVAL,
            ));
        }
        let mut raw = uapi::rbus_req::ZERO;
        raw.id = id;
        raw.op = uapi::OP_TRANSFER;
        raw.tx_len = write.len() as u32;
        raw.rx_len = read_len as u32;
        raw.tx[..write.len()].copy_from_slice(write);
        Ok(Self { raw })
    }

    /// The caller's id, returned in the request's completion.
    pub fn id(&self) -> u64 {
        self.raw.id
    }

    /// The bytes to write.
    pub fn write(&self) -> &[u8] {
        &self.raw.tx[..self.raw.tx_len as usize]
    }

    /// How many bytes to read back.
    pub fn read_len(&self) -> usize {
        self.raw.rx_len as usize
    }
}

/// A completed request's record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Completion {
    /// The request's id.
    pub id: u64,
    /// 0 or a negative errno: `-ECANCELED`, `-ENODEV`, `-EIO`...
    pub status: i32,
    /// The bytes read back.
    pub data: Vec<u8>,
}

impl Completion {
    /// The bytes read back, or the errno the request failed with.
    pub fn result(&self) -> core::result::Result<&[u8], Errno> {
        match self.status {
            0 => Ok(&self.data),
            s => Err(Errno::from_raw_os_error(s.saturating_neg())),
        }
    }
}

/// A device event's record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Event {
    /// The child's own sequence number of the event, from 1.
    pub seq: u64,
    /// The event kind.
    pub kind: u32,
    /// The event payload.
    pub payload: u64,
}

/// What `read()` returns: one record per completed request or device event.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Record {
    /// A request completed, cancelled or failed.
    Completion(Completion),
    /// The device raised an event.
    Event(Event),
    /// A record type this library does not know, from a newer kernel.
    Unknown {
        /// The record's type.
        record_type: u32,
        /// The record's id.
        id: u64,
    },
}

impl Record {
    fn from_raw(raw: &uapi::rbus_record) -> Self {
        match raw.type_ {
            uapi::RECORD_COMPLETION => {
                // The kernel never says more than DATA_MAX; a bad length must not panic.
                let len = (raw.len as usize).min(uapi::DATA_MAX);
                Record::Completion(Completion {
                    id: raw.id,
                    status: raw.status,
                    data: raw.data[..len].to_vec(),
                })
            }
            uapi::RECORD_EVENT => Record::Event(Event {
                seq: raw.id,
                kind: raw.kind,
                payload: raw.payload,
            }),
            record_type => Record::Unknown {
                record_type,
                id: raw.id,
            },
        }
    }
}

/// What `RBUS_IOC_INFO` says of a channel's child.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Info {
    /// The interface version, [`uapi::UAPI_VERSION`] for this library.
    pub version: u32,
    /// The controller's bus number.
    pub bus: u32,
    /// The child's address on it.
    pub addr: u32,
    /// The most requests the child holds at once, over all its channels.
    pub queue_depth: u32,
    /// The most requests one submit takes.
    pub submit_max: u32,
    /// The most bytes a request writes or reads.
    pub data_max: u32,
    /// The size of a record, as the kernel was built.
    pub record_size: u32,
    /// The child's compatible string.
    pub compatible: String,
}

/// What a cancel achieved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cancel {
    /// The request's record carries `-ECANCELED`.
    Cancelled,
    /// It had completed already (`EALREADY`); its record is delivered as it is.
    AlreadyCompleted,
}

/// What [`Channel::poll`] found.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Readiness {
    /// A record is ready to read (`POLLIN`).
    pub readable: bool,
    /// The child's queue has room (`POLLOUT`).
    pub writable: bool,
    /// The device is gone or its driver unbound (`POLLHUP`): read what is left, then close.
    pub hangup: bool,
}

/// An open request channel of a child bound to `rbus_dev`.
pub struct Channel {
    fd: OwnedFd,
    path: PathBuf,
}

impl fmt::Debug for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Channel")
            .field("path", &self.path)
            .field("fd", &self.fd.as_raw_fd())
            .finish()
    }
}

/// `RBUS_IOC_SUBMIT`: its result is the number of requests queued.
struct Submit<'a> {
    arg: uapi::rbus_submit,
    _reqs: PhantomData<&'a [uapi::rbus_req]>,
}

// SAFETY: `RBUS_IOC_SUBMIT` takes a `struct rbus_submit`, which `arg` is, and reads `count`
// requests of `req_size` bytes at `reqs`, which point into the slice borrowed for `'a`. The
// kernel writes to neither, and its return value is the number queued.
unsafe impl Ioctl for Submit<'_> {
    type Output = usize;

    const IS_MUTATING: bool = false;

    fn opcode(&self) -> Opcode {
        uapi::IOC_SUBMIT
    }

    fn as_ptr(&mut self) -> *mut c_void {
        (&raw mut self.arg).cast()
    }

    unsafe fn output_from_ptr(out: IoctlOutput, _: *mut c_void) -> rustix::io::Result<usize> {
        usize::try_from(out).map_err(|_| Errno::INVAL)
    }
}

impl Channel {
    /// Opens the channel of a child by name (`0-0040`), by char device name (`rbus-0-0040`)
    /// or by path (anything with a `/`), blocking.
    pub fn open(dev: &str) -> Result<Self> {
        Self::open_path(channel_path(dev)?, false)
    }

    /// Opens the channel of the child `name`: `/dev/rbus-<name>`.
    pub fn open_child(name: ChildName, nonblocking: bool) -> Result<Self> {
        Self::open_path(name.channel_path(), nonblocking)
    }

    /// Opens the channel at `path`, with `O_NONBLOCK` if `nonblocking`.
    pub fn open_path(path: impl AsRef<Path>, nonblocking: bool) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        let mut flags = OFlags::RDWR | OFlags::CLOEXEC;
        if nonblocking {
            flags |= OFlags::NONBLOCK;
        }
        let fd = rustix::fs::open(&path, flags, Mode::empty())
            .map_err(|e| Error::new(format!("opening {}", path.display()), e))?;
        Ok(Self { fd, path })
    }

    /// A channel of an already open file descriptor (one passed by a parent process, say),
    /// known as `path` in errors.
    pub fn from_fd(fd: OwnedFd, path: impl Into<PathBuf>) -> Self {
        Self {
            fd,
            path: path.into(),
        }
    }

    /// The path the channel was opened at.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Makes `read()` and `submit()` wait (`false`) or fail with `EAGAIN` (`true`).
    pub fn set_nonblocking(&self, nonblocking: bool) -> Result<()> {
        let err = |e| Error::new(format!("setting O_NONBLOCK on {}", self.path.display()), e);
        let mut flags = rustix::fs::fcntl_getfl(&self.fd).map_err(err)?;
        flags.set(OFlags::NONBLOCK, nonblocking);
        rustix::fs::fcntl_setfl(&self.fd, flags).map_err(err)
    }

    /// The child's bus, address, limits and compatible (`RBUS_IOC_INFO`).
    pub fn info(&self) -> Result<Info> {
        // SAFETY: `RBUS_IOC_INFO` writes one `struct rbus_info`, which `rbus_info` mirrors.
        let getter = unsafe { Getter::<{ uapi::IOC_INFO }, uapi::rbus_info>::new() };
        // SAFETY: The getter holds room for what the kernel writes.
        let raw = unsafe { rustix::ioctl::ioctl(&self.fd, getter) }
            .map_err(|e| self.error("RBUS_IOC_INFO", e))?;
        let len = raw
            .compatible
            .iter()
            .position(|&b| b == 0)
            .unwrap_or(raw.compatible.len());
        Ok(Info {
            version: raw.version,
            bus: raw.bus,
            addr: raw.addr,
            queue_depth: raw.queue_depth,
            submit_max: raw.submit_max,
            data_max: raw.data_max,
            record_size: raw.record_size,
            compatible: String::from_utf8_lossy(&raw.compatible[..len]).into_owned(),
        })
    }

    /// Submits one request; it is queued, or the call fails.
    pub fn submit_one(&self, request: &Request) -> Result<()> {
        self.submit(core::slice::from_ref(request)).map(|_| ())
    }

    /// Submits a batch of 1 to [`uapi::SUBMIT_MAX`] requests and returns how many were queued.
    ///
    /// Every request is checked before any is queued (`EINVAL` for a bad one, and nothing is
    /// queued). When the child's queue is full a blocking channel waits for room; a
    /// non-blocking one queues what fits, or fails with `EAGAIN` if nothing does.
    pub fn submit(&self, requests: &[Request]) -> Result<usize> {
        let raw: Vec<uapi::rbus_req> = requests.iter().map(|r| r.raw).collect();
        let count =
            u32::try_from(raw.len()).map_err(|_| self.error("RBUS_IOC_SUBMIT", Errno::INVAL))?;
        let submit = Submit {
            arg: uapi::rbus_submit {
                reqs: raw.as_ptr() as u64,
                count,
                req_size: size_of::<uapi::rbus_req>() as u32,
                reserved: 0,
            },
            _reqs: PhantomData,
        };
        // SAFETY: `submit` points at `raw`, which lives until the call returns.
        unsafe { rustix::ioctl::ioctl(&self.fd, submit) }
            .map_err(|e| self.error(&format!("RBUS_IOC_SUBMIT of {count} requests"), e))
    }

    /// Cancels request `id` of this channel (`RBUS_IOC_CANCEL`).
    ///
    /// Fails with `ENOENT` when this channel has no such request pending or unread.
    pub fn cancel(&self, id: u64) -> Result<Cancel> {
        let arg = uapi::rbus_cancel { id, reserved: 0 };
        // SAFETY: `RBUS_IOC_CANCEL` reads one `struct rbus_cancel`, which `rbus_cancel` mirrors.
        let setter = unsafe { Setter::<{ uapi::IOC_CANCEL }, uapi::rbus_cancel>::new(arg) };
        // SAFETY: The setter holds what the kernel reads.
        match unsafe { rustix::ioctl::ioctl(&self.fd, setter) } {
            Ok(()) => Ok(Cancel::Cancelled),
            Err(Errno::ALREADY) => Ok(Cancel::AlreadyCompleted),
            Err(e) => Err(self.error(&format!("RBUS_IOC_CANCEL of request {id}"), e)),
        }
    }

    /// Reads the records that are ready, up to 64.
    ///
    /// A blocking channel waits for the first; a non-blocking one returns none when none is
    /// ready. Once the device is gone, the records left come first, then `ENODEV`.
    pub fn read(&self) -> Result<Vec<Record>> {
        let mut raw = [uapi::rbus_record::ZERO; READ_MAX];
        let bytes = loop {
            match rustix::io::read(&self.fd, uapi::as_bytes_mut(&mut raw)) {
                Ok(n) => break n,
                Err(Errno::INTR) => continue,
                Err(Errno::AGAIN) => return Ok(Vec::new()),
                Err(e) => return Err(self.error("read", e)),
            }
        };
        let size = size_of::<uapi::rbus_record>();
        if bytes % size != 0 {
            return Err(self.error(
                &format!("read of {bytes} bytes, not whole records"),
                Errno::PROTO,
            ));
        }
        Ok(raw[..bytes / size].iter().map(Record::from_raw).collect())
    }

    /// Waits up to `timeout` (`None`: for ever) until a record is ready, or the queue has room
    /// if `writable` is asked too, or the device is gone.
    pub fn poll(&self, writable: bool, timeout: Option<Duration>) -> Result<Readiness> {
        let mut flags = PollFlags::IN;
        if writable {
            flags |= PollFlags::OUT;
        }
        let timeout = match timeout {
            Some(t) => Some(Timespec::try_from(t).map_err(|_| self.error("poll", Errno::INVAL))?),
            None => None,
        };
        let mut fds = [PollFd::new(&self.fd, flags)];
        loop {
            match rustix::event::poll(&mut fds, timeout.as_ref()) {
                Ok(_) => break,
                Err(Errno::INTR) => continue,
                Err(e) => return Err(self.error("poll", e)),
            }
        }
        let revents = fds[0].revents();
        if revents.contains(PollFlags::NVAL) {
            return Err(self.error("poll", Errno::BADF));
        }
        Ok(Readiness {
            readable: revents.contains(PollFlags::IN),
            writable: revents.contains(PollFlags::OUT),
            hangup: revents.intersects(PollFlags::HUP | PollFlags::ERR),
        })
    }

    fn error(&self, what: &str, errno: Errno) -> Error {
        Error::new(format!("{what} on {}", self.path.display()), errno)
    }
}

impl AsFd for Channel {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl AsRawFd for Channel {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

/// The char device of `dev`: a path as it is, `rbus-<name>` or a child name under `/dev`.
pub fn channel_path(dev: &str) -> Result<PathBuf> {
    if dev.contains('/') {
        return Ok(PathBuf::from(dev));
    }
    if let Some(name) = dev.strip_prefix("rbus-") {
        return Ok(name.parse::<ChildName>()?.channel_path());
    }
    Ok(dev.parse::<ChildName>()?.channel_path())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn request_limits() {
        let r = Request::transfer(7, &[1, 2], 4).unwrap();
        assert_eq!((r.id(), r.write(), r.read_len()), (7, &[1u8, 2][..], 4));
        assert!(Request::transfer(1, &[0; 64], 64).is_ok());
        let e = Request::transfer(1, &[0; 65], 1).unwrap_err();
        assert_eq!(e.errno(), Errno::INVAL);
        assert_eq!(
            Request::transfer(1, &[1], 65).unwrap_err().errno(),
            Errno::INVAL
        );
    }

    #[test]
    fn records_decode() {
        let mut raw = uapi::rbus_record::ZERO;
        raw.type_ = uapi::RECORD_COMPLETION;
        raw.id = 9;
        raw.len = 3;
        raw.data[..3].copy_from_slice(&[0xed, 0xcb, 0xed]);
        let Record::Completion(c) = Record::from_raw(&raw) else {
            panic!("not a completion");
        };
        assert_eq!(c.result(), Ok(&[0xed, 0xcb, 0xed][..]));

        raw.status = -125;
        raw.len = 1000;
        let Record::Completion(c) = Record::from_raw(&raw) else {
            panic!("not a completion");
        };
        assert_eq!(c.result(), Err(Errno::CANCELED));
        assert_eq!(c.data.len(), uapi::DATA_MAX);

        let mut raw = uapi::rbus_record::ZERO;
        raw.type_ = uapi::RECORD_EVENT;
        raw.id = 4;
        raw.kind = 3;
        raw.payload = 77;
        assert_eq!(
            Record::from_raw(&raw),
            Record::Event(Event {
                seq: 4,
                kind: 3,
                payload: 77
            })
        );
        raw.type_ = 99;
        assert_eq!(
            Record::from_raw(&raw),
            Record::Unknown {
                record_type: 99,
                id: 4
            }
        );
    }

    #[test]
    fn paths_of_names() {
        assert_eq!(
            channel_path("0-0040").unwrap(),
            PathBuf::from("/dev/rbus-0-0040")
        );
        assert_eq!(
            channel_path("rbus-1-60").unwrap(),
            PathBuf::from("/dev/rbus-1-0060")
        );
        assert_eq!(channel_path("./x").unwrap(), PathBuf::from("./x"));
        assert_eq!(channel_path("zz").unwrap_err().errno(), Errno::INVAL);
    }

    #[test]
    fn opening_a_missing_node_names_it() {
        let e = Channel::open("/nonexistent/rbus-0-0040").unwrap_err();
        assert_eq!(e.errno(), Errno::NOENT);
        assert_eq!(
            e.to_string(),
            "opening /nonexistent/rbus-0-0040: No such file or directory (ENOENT)"
        );
    }

    /// A record as the kernel writes it, through a pipe standing for the char device.
    pub(crate) fn pipe_with_record(raw: uapi::rbus_record) -> (Channel, std::io::PipeWriter) {
        use std::io::Write;
        let (reader, mut writer) = std::io::pipe().unwrap();
        let mut records = [raw];
        writer.write_all(uapi::as_bytes_mut(&mut records)).unwrap();
        (Channel::from_fd(OwnedFd::from(reader), "pipe"), writer)
    }

    #[test]
    fn read_and_poll_whole_records() {
        let mut raw = uapi::rbus_record::ZERO;
        raw.type_ = uapi::RECORD_EVENT;
        raw.id = 1;
        raw.kind = 3;
        raw.payload = 77;
        let (ch, writer) = pipe_with_record(raw);
        ch.set_nonblocking(true).unwrap();
        let ready = ch.poll(false, Some(Duration::from_secs(1))).unwrap();
        assert!(ready.readable && !ready.hangup);
        let records = ch.read().unwrap();
        assert_eq!(
            records,
            [Record::Event(Event {
                seq: 1,
                kind: 3,
                payload: 77
            })]
        );
        // Nothing ready on a non-blocking channel: no records, no error.
        assert_eq!(ch.read().unwrap(), []);
        assert!(!ch.poll(false, Some(Duration::ZERO)).unwrap().readable);
        drop(writer);
        assert!(ch.poll(false, Some(Duration::from_secs(1))).unwrap().hangup);
    }

    #[test]
    fn a_torn_record_is_an_error() {
        use std::io::Write;
        let (reader, mut writer) = std::io::pipe().unwrap();
        writer.write_all(&[0; 10]).unwrap();
        let ch = Channel::from_fd(OwnedFd::from(reader), "pipe");
        let e = ch.read().unwrap_err();
        assert_eq!(e.errno(), Errno::PROTO);
        assert_eq!(
            e.to_string(),
            "read of 10 bytes, not whole records on pipe: Protocol error (EPROTO)"
        );
    }

    #[test]
    fn ioctls_on_another_file_fail_with_its_errno() {
        let (ch, _writer) = pipe_with_record(uapi::rbus_record::ZERO);
        assert_eq!(ch.info().unwrap_err().errno(), Errno::NOTTY);
        let req = Request::transfer(1, &[1], 1).unwrap();
        let e = ch.submit_one(&req).unwrap_err();
        assert_eq!(e.errno(), Errno::NOTTY);
        assert!(e
            .to_string()
            .starts_with("RBUS_IOC_SUBMIT of 1 requests on pipe: "));
        assert_eq!(ch.cancel(1).unwrap_err().errno(), Errno::NOTTY);
    }

    #[test]
    fn ioctl_numbers_match_the_header_encoding() {
        use rustix::ioctl::opcode;
        assert_eq!(uapi::IOC_INFO, opcode::read::<uapi::rbus_info>(0xb9, 0));
        assert_eq!(
            uapi::IOC_SUBMIT,
            opcode::write::<uapi::rbus_submit>(0xb9, 1)
        );
        assert_eq!(
            uapi::IOC_CANCEL,
            opcode::write::<uapi::rbus_cancel>(0xb9, 2)
        );
    }
}
