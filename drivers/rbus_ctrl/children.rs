// SPDX-License-Identifier: GPL-2.0

//! The set of children of one controller: bounded, one per address.

use super::sim::{
    SimChild,
    LATENCY_MAX_US, //
};
use crate::rbus::{
    self,
    srcu::SrcuFast, //
};
use core::fmt;
use kernel::{
    device::{
        self,
        property::FwNode, //
    },
    new_mutex,
    prelude::*,
    sync::{
        Arc,
        Mutex, //
    },
    time::{
        Instant,
        Monotonic, //
    },
};

/// The compatible of an I2C tunnel child, which gets an I2C segment behind it.
const TUNNEL_COMPATIBLE: &CStr = c"rbus,i2c";

/// The most events a storm raises per child in one round of the ticker; beyond the rate that
/// sustains, a storm runs flat out.
const STORM_BATCH: u64 = 1024;

/// The fastest storm, in events per second.
pub(crate) const STORM_RATE_MAX: u32 = 1_000_000;

/// A child's event storm: `kind` events at `rate` per second since `start`.
struct Storm {
    kind: u32,
    rate: u32,
    start: Instant<Monotonic>,
    raised: u64,
}

impl Storm {
    /// The number of events due now.
    fn due(&mut self) -> u64 {
        let ns = u64::try_from(self.start.elapsed().as_nanos()).unwrap_or(0);
        let want = u64::from(self.rate).saturating_mul(ns) / 1_000_000_000;
        let due = want.saturating_sub(self.raised);
        if due > STORM_BATCH {
            // Too far behind: give up the backlog rather than build it up.
            self.start = Instant::now();
            self.raised = 0;
            return STORM_BATCH;
        }
        self.raised += due;
        due
    }
}

/// A registered child, its address, its simulated device, the sequence number of its last
/// event, the events the bus took and its storm, if one runs.
struct Child {
    addr: u32,
    seq: u64,
    /// Events the bus took: delivered, queued for a suspended child, or dropped by it. The bus
    /// counts the outcomes; this count is the device's own, for the tests to balance them.
    raised: u64,
    storm: Option<Storm>,
    sim: Arc<SimChild>,
    /// `None` while a delete unregisters the child: the entry keeps its address taken.
    reg: Option<rbus::Registration<SimChild>>,
}

impl Child {
    /// Raises an event of `kind` if the child subscribed to it, with the next sequence number.
    /// Returns `ENOMSG` if it did not subscribe and `ENODEV` if its driver receives no events or
    /// it is being deleted.
    fn raise(&mut self, kind: u32, payload: u64) -> Result {
        if !self.sim.subscribed(kind) {
            return Err(ENOMSG);
        }
        let reg = self.reg.as_ref().ok_or(ENODEV)?;
        self.seq += 1;
        reg.dispatch_event(kind, self.seq, payload)?;
        self.raised += 1;
        Ok(())
    }
}

/// The number of 64-bit words in a set of addresses.
const ADDR_WORDS: usize = (rbus::ADDR_MAX as usize + 1).div_ceil(64);

/// The children of one controller, and their addresses.
struct Set {
    /// In the order they were added.
    list: KVec<Child>,
    /// A bit for each address in `list`: an add finds a taken address without a search, which
    /// costs at every add as many comparisons as there are children.
    addrs: [u64; ADDR_WORDS],
}

impl Set {
    /// The index of the word of `addr` in `addrs`, and its bit.
    fn bit(addr: u32) -> (usize, u64) {
        // CAST: `u32` to `usize` is lossless on every architecture Linux supports.
        (addr as usize / 64, 1 << (addr % 64))
    }

    /// Whether a child has `addr`, or is being deleted from it.
    fn has(&self, addr: u32) -> bool {
        let (word, bit) = Self::bit(addr);
        self.addrs.get(word).is_some_and(|word| word & bit != 0)
    }

    /// Sets or clears the bit of `addr`; nothing above [`rbus::ADDR_MAX`], which no child has.
    fn mark(&mut self, addr: u32, taken: bool) {
        let (word, bit) = Self::bit(addr);
        if let Some(word) = self.addrs.get_mut(word) {
            if taken {
                *word |= bit;
            } else {
                *word &= !bit;
            }
        }
    }

    /// The child at `addr`.
    fn find(&mut self, addr: u32) -> Option<&mut Child> {
        if !self.has(addr) {
            return None;
        }
        self.list.iter_mut().find(|child| child.addr == addr)
    }
}

/// The children of one controller.
#[pin_data(PinnedDrop)]
pub(crate) struct Children {
    /// Dropped after every child, in `PinnedDrop`.
    host: rbus::Host,
    max: usize,
    /// The domain of every bus-to-child call on this controller: one grace period covers all
    /// children.
    srcu: Arc<SrcuFast>,
    /// Serializes adds and deletes: the duplicate, bound and set updates are one step.
    ///
    /// Held across a child's registration, but not across its unregistration, which waits for
    /// the child's callbacks and calls to return, and for its driver's `remove`: an I2C tunnel's
    /// waits for every open `/dev/i2c-N` to close, whose holder may be writing a debugfs file
    /// that takes this lock. A delete takes the child's registration out under the lock and
    /// leaves the entry, so the address stays taken, then unregisters the child unlocked and
    /// removes the entry. Never held across the drop of a [`SimChild`] either, which waits for
    /// its ticker's round.
    #[pin]
    set: Mutex<Set>,
}

impl Children {
    /// An empty set for controller `dev`, holding at most `max` children.
    pub(crate) fn new(dev: &device::Device, max: usize) -> impl PinInit<Self, Error> + '_ {
        pin_init::pin_init_scope(move || {
            let host = rbus::Host::new(dev, rbus::BusNumber::new()?)?;
            let srcu = Arc::pin_init(crate::new_srcu_fast!(), GFP_KERNEL)?;
            Ok(try_pin_init!(Self {
                host,
                max,
                srcu,
                set <- new_mutex!(Set {
                    list: KVec::new(),
                    addrs: [0; ADDR_WORDS],
                }),
            }? Error))
        })
    }

    /// The controller's host.
    pub(crate) fn host(&self) -> &rbus::Host {
        &self.host
    }

    /// The controller's bus number.
    pub(crate) fn bus_nr(&self) -> u32 {
        self.host.bus_nr()
    }

    /// Adds the child `<nr>-<addr>`. Returns `EBUSY` if the address is taken, `ENOSPC` if the
    /// controller is full, and `EINVAL` for a bad address or compatible.
    pub(crate) fn add(&self, addr: u32, compatible: &CStr, fwnode: Option<&FwNode>) -> Result {
        let mut set = self.set.lock();
        if set.has(addr) {
            return Err(EBUSY);
        }
        if set.list.len() >= self.max {
            return Err(ENOSPC);
        }
        let sim = Arc::pin_init(SimChild::new(compatible == TUNNEL_COMPATIBLE), GFP_KERNEL)?;
        let reg = rbus::Registration::new(
            &self.host,
            addr,
            compatible,
            fwnode,
            Some(&self.srcu),
            Some(sim.clone()),
        )?;
        set.list.push(
            Child {
                addr,
                seq: 0,
                raised: 0,
                storm: None,
                sim,
                reg: Some(reg),
            },
            GFP_KERNEL,
        )?;
        set.mark(addr, true);
        Ok(())
    }

    /// Removes the child at `addr`, unbinding its driver first. Returns `ENOENT` if there is
    /// none, or another delete of it is under way.
    pub(crate) fn delete(&self, addr: u32) -> Result {
        let reg = self
            .set
            .lock()
            .find(addr)
            .and_then(|child| child.reg.take())
            .ok_or(ENOENT)?;
        // Unlocked: the driver's `remove` may wait for user space (see `set`). The device keeps
        // no reference to the simulated device once unregistered.
        drop(reg);
        let sim = {
            let mut set = self.set.lock();
            let index = set
                .list
                .iter()
                .position(|child| child.addr == addr)
                .ok_or(ENOENT)?;
            let child = set.list.remove(index).map_err(|_| ENOENT)?;
            set.mark(addr, false);
            child.sim
        };
        // The last reference: its drop cancels the simulated device's ticker and waits for a
        // running round. Not under `set`, which the storm ticker's rounds take.
        drop(sim);
        Ok(())
    }

    /// Raises an event of `kind` at the child at `addr`, numbered by the child's own sequence.
    /// Returns `ENOENT` if there is no such child, `ENOMSG` if it did not subscribe to `kind` and
    /// `ENODEV` if its driver receives no events.
    pub(crate) fn raise(&self, addr: u32, kind: u32, payload: u64) -> Result {
        self.set
            .lock()
            .find(addr)
            .ok_or(ENOENT)?
            .raise(kind, payload)
    }

    /// Raises `kind` events at the child at `addr` at `rate` per second from the ticker, or
    /// stops its storm for a zero `rate`. Returns `ENOENT` if there is no such child and `EINVAL`
    /// for a kind above 31 or a rate above [`STORM_RATE_MAX`].
    pub(crate) fn set_storm(&self, addr: u32, kind: u32, rate: u32) -> Result {
        if kind >= u32::BITS || rate > STORM_RATE_MAX {
            return Err(EINVAL);
        }
        let mut set = self.set.lock();
        let child = set.find(addr).ok_or(ENOENT)?;
        child.storm = (rate > 0).then(|| Storm {
            kind,
            rate,
            start: Instant::now(),
            raised: 0,
        });
        Ok(())
    }

    /// Raises the events of every storm that are due; the storm ticker's work. Events a child
    /// did not subscribe to, or that find no driver, are not raised. Returns whether any storm
    /// runs.
    pub(crate) fn storm_tick(&self) -> bool {
        let mut set = self.set.lock();
        let mut any = false;
        for child in set.list.iter_mut() {
            let Some(storm) = child.storm.as_mut() else {
                continue;
            };
            any = true;
            let (kind, due) = (storm.kind, storm.due());
            for _ in 0..due {
                // Payload 0: the callback does not sleep. A refused event is not an error here.
                let _ = child.raise(kind, 0);
            }
        }
        any
    }

    /// Writes `"<addr> <raised>"` for each child, one a line: the events the bus took.
    pub(crate) fn write_raised(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for child in self.set.lock().list.iter() {
            writeln!(f, "{:#05x} {}", child.addr, child.raised)?;
        }
        Ok(())
    }

    /// Sets the request latency and stall, in microseconds, and the fault errno of the child at
    /// `addr`. Returns `ENOENT` if there is no such child, `EINVAL` for a latency or stall
    /// above ten seconds or an errno above 4095, and `ENOMEM` if the simulated device finds no
    /// room for the requests a latency makes it hold.
    pub(crate) fn set_requests(
        &self,
        addr: u32,
        latency_us: u32,
        fault: u32,
        stall_us: u32,
    ) -> Result {
        if latency_us > LATENCY_MAX_US || stall_us > LATENCY_MAX_US || fault > 4095 {
            return Err(EINVAL);
        }
        self.set
            .lock()
            .find(addr)
            .ok_or(ENOENT)?
            .sim
            .configure(latency_us, fault, stall_us)
    }

    /// Sets the temperature of the sensor behind the tunnel child at `addr`, in millidegrees
    /// Celsius. Returns `ENOENT` if there is no such child, `ENODEV` if it is no tunnel child and
    /// `EINVAL` outside the sensor's range.
    pub(crate) fn set_temperature(&self, addr: u32, millicelsius: i32) -> Result {
        self.set
            .lock()
            .find(addr)
            .ok_or(ENOENT)?
            .sim
            .set_temperature(millicelsius)
    }

    /// The number of children.
    pub(crate) fn len(&self) -> usize {
        self.set.lock().list.len()
    }
}

#[pinned_drop]
impl PinnedDrop for Children {
    fn drop(self: Pin<&mut Self>) {
        // Out of the lock first: each child's drop cancels its simulated device's ticker, and
        // nothing that waits for a work item runs under a lock that work of its class may take.
        let mut list = core::mem::take(&mut self.set.lock().list);
        // Teardown mirrors setup: the newest child goes first. Each step is taken for every child
        // before the next, so each waits for one grace period per controller, not one per child:
        // every child's event callbacks are revoked before the first unbind waits for them; every
        // child is removed before the first drop waits for the calls into the simulated devices.
        for child in list.iter().rev() {
            if let Some(reg) = child.reg.as_ref() {
                reg.revoke_events();
            }
        }
        for child in list.iter_mut().rev() {
            if let Some(reg) = child.reg.as_mut() {
                reg.remove();
            }
        }
        while let Some(child) = list.pop() {
            drop(child);
        }
    }
}
