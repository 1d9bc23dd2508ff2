// SPDX-License-Identifier: GPL-2.0

//! A test child driver for the ops table: binds to `rbus,test` children, checks every
//! child-to-bus call in `probe` (it refuses to bind if one misbehaves), and counts every event it
//! receives, and every *violation*: an event callback running once its `unbind` began, or an
//! event older than the one before it.
//!
//! A correct bus unpublishes the callbacks and waits for running ones before `unbind`, so the
//! violation count must stay zero. An event's payload, if non-zero, makes the callback sleep that
//! many microseconds, which widens the window a broken teardown leaves open.
//!
//! Every event callback also calls the bus (a register read that may resume the controller), so
//! an event storm keeps the children calling while the tests tear children and controllers down.
//! Such a call cannot fail while the child is bound; a failure counts in `call_errors`.
//!
//! The counts are module-wide, so they survive unbind, and are shown in debugfs under
//! `rbus_test_child/`: `received`, `violations` and `call_errors`.
//!
//! Each bound child also has a write-only sysfs file `call`: writing `wait` reads a register with
//! the sleeping flavour, `try` with the `try_` flavour; the write fails with the call's errno.
//! Writing `request` submits an asynchronous transfer to the child's request queue, as a kernel
//! driver may, and waits for its record: the write fails with its status, or `EIO` for a wrong
//! answer.

use core::sync::atomic::{
    AtomicBool,
    AtomicU64,
    Ordering, //
};
use kernel::{
    debugfs,
    device::Core,
    driver,
    prelude::*,
    sync::Arc,
    time::{
        delay::fsleep,
        Delta, //
    },
    InPlaceModule, //
};

#[path = "../rust/rbus/mod.rs"]
pub mod rbus;

use rbus::{
    calls::Bus,
    events::{
        Events,
        Publication, //
    },
    requests::Client,
    sysfs::{
        DeviceAttribute,
        Store, //
    },
    uapi,
};

/// Events received by any instance.
static RECEIVED: AtomicU64 = AtomicU64::new(0);
/// Event callbacks that ran after their instance's `unbind` began.
static VIOLATIONS: AtomicU64 = AtomicU64::new(0);
/// Child-to-bus calls from an event callback that failed.
static CALL_ERRORS: AtomicU64 = AtomicU64::new(0);

/// The longest sleep an event may ask for, in microseconds.
const MAX_SLEEP_US: u64 = 100_000;
/// The event kind the driver leaves unsubscribed, so tests can see subscription work.
const UNSUBSCRIBED_KIND: u32 = 31;

crate::rbus_device_table!(
    ID_TABLE,
    <TestChild as rbus::Driver>::IdInfo,
    [("rbus,test", ())]
);

/// The event state of one bound child.
struct Receiver {
    bus: Arc<Bus>,
    unbinding: AtomicBool,
    /// The sequence number of the last event: each must be newer.
    last_seq: AtomicU64,
}

#[vtable]
impl Events for Receiver {
    fn event(&self, _kind: u32, seq: u64, payload: u64) {
        self.check();
        // Events arrive in order, also those that waited for a resume.
        if self.last_seq.swap(seq, Ordering::Relaxed) >= seq {
            VIOLATIONS.fetch_add(1, Ordering::Relaxed);
        }
        RECEIVED.fetch_add(1, Ordering::Relaxed);
        if self.bus.reg_read(0).is_err() {
            CALL_ERRORS.fetch_add(1, Ordering::Relaxed);
        }
        if payload > 0 {
            let us = payload.min(MAX_SLEEP_US);
            fsleep(Delta::from_micros(i64::try_from(us).unwrap_or(0)));
            self.check();
        }
    }
}

impl Receiver {
    fn check(&self) {
        if self.unbinding.load(Ordering::Acquire) {
            VIOLATIONS.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// The `call` file of a bound child.
struct CallFile {
    bus: Arc<Bus>,
    requests: Client,
}

impl CallFile {
    /// Submits one transfer and waits for its record.
    fn request(&self) -> Result {
        let mut req = uapi::Req {
            id: 1,
            op: uapi::OP_TRANSFER,
            flags: 0,
            tx_len: 2,
            rx_len: 4,
            tx: [0; uapi::DATA_MAX],
        };
        req.tx[..2].copy_from_slice(&[0x12, 0x34]);
        self.requests.submit(&[req], false)?;
        let rec = self.requests.read(false)?;
        if rec.status != 0 {
            return Err(Error::from_errno(rec.status));
        }
        if rec.id != 1 || rec.len != 4 || rec.data[..4] != [!0x12, !0x34, !0x12, !0x34] {
            return Err(EIO);
        }
        Ok(())
    }
}

impl Store for CallFile {
    fn store(&self, input: &[u8]) -> Result {
        match input.strip_suffix(b"\n").unwrap_or(input) {
            b"wait" => self.bus.reg_read(0).map(|_| ()),
            b"try" => self.bus.try_reg_read(0).map(|_| ()),
            b"request" => self.request(),
            _ => Err(EINVAL),
        }
    }
}

/// A bound test child.
#[pin_data]
struct TestChild {
    // Drop order: the file goes, then the callbacks are unpublished; the last reference to the
    // bus handle goes with them.
    #[pin]
    _call: DeviceAttribute<CallFile>,
    events: Publication<Receiver>,
}

impl TestChild {
    /// Exercises every child-to-bus call once; any surprise is `EIO`.
    fn check_calls(bus: &Bus) -> Result {
        bus.reg_write(1, 0xabcd)?;
        if bus.reg_read(1)? != 0xabcd {
            return Err(EIO);
        }
        let mut rx = [0u8; 6];
        bus.transfer(&[1, 2, 3], &mut rx)?;
        if rx != [!1, !2, !3, !1, !2, !3] {
            return Err(EIO);
        }
        bus.subscribe(!(1 << UNSUBSCRIBED_KIND))
    }
}

impl rbus::Driver for TestChild {
    type IdInfo = ();
    type Data<'bound> = Self;
    const ID_TABLE: rbus::IdTable<Self::IdInfo> = &ID_TABLE;

    fn probe<'bound>(
        dev: &'bound rbus::Device<Core<'_>>,
        _info: Option<&'bound Self::IdInfo>,
    ) -> impl PinInit<Self, Error> + 'bound {
        pin_init::pin_init_scope(move || {
            let bus = Arc::new(Bus::new(dev)?, GFP_KERNEL)?;
            if let Err(e) = Self::check_calls(&bus) {
                dev_err!(dev.as_ref(), "child-to-bus calls failed: {:?}\n", e);
                return Err(e);
            }
            let receiver = Receiver {
                bus: bus.clone(),
                unbinding: AtomicBool::new(false),
                last_seq: AtomicU64::new(0),
            };
            Ok(try_pin_init!(Self {
                _call <- DeviceAttribute::new(
                    dev.as_ref(),
                    c"call",
                    CallFile {
                        bus,
                        requests: Client::open(dev)?,
                    }
                ),
                events: Publication::new(dev, Ok::<_, Error>(receiver))?,
            }? Error))
        })
    }

    fn unbind<'bound>(_dev: &'bound rbus::Device<Core<'_>>, this: Pin<&Self>) {
        // The bus already unpublished and waited: from here on, an event is a violation.
        this.events.data().unbinding.store(true, Ordering::Release);
    }
}

#[pin_data]
struct TestChildModule {
    // Drop order: the driver goes before the files that count its events.
    #[pin]
    _driver: driver::Registration<rbus::Adapter<TestChild>>,
    #[pin]
    _received: debugfs::File<()>,
    #[pin]
    _violations: debugfs::File<()>,
    #[pin]
    _call_errors: debugfs::File<()>,
    _debugfs: debugfs::Dir,
}

impl InPlaceModule for TestChildModule {
    fn init(module: &'static ThisModule) -> impl PinInit<Self, Error> {
        let dir = debugfs::Dir::new(c"rbus_test_child");

        try_pin_init!(Self {
            _received <- dir.read_callback_file(c"received", (), &|(): &(), f| {
                writeln!(f, "{}", RECEIVED.load(Ordering::Relaxed))
            }),
            _violations <- dir.read_callback_file(c"violations", (), &|(): &(), f| {
                writeln!(f, "{}", VIOLATIONS.load(Ordering::Relaxed))
            }),
            _call_errors <- dir.read_callback_file(c"call_errors", (), &|(): &(), f| {
                writeln!(f, "{}", CALL_ERRORS.load(Ordering::Relaxed))
            }),
            _debugfs: dir,
            _driver <- driver::Registration::new(<Self as kernel::ModuleMetadata>::NAME, module),
        })
    }
}

module! {
    type: TestChildModule,
    name: "rbus_test_child",
    authors: ["rbus developers"],
    description: "rbus test child driver: counts events and teardown violations",
    license: "GPL",
}
