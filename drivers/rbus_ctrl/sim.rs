// SPDX-License-Identifier: GPL-2.0

//! The simulated hardware behind each child: a register file, a mailbox that answers transfers
//! and requests, and the event kinds the child subscribed to. Behind a tunnel child (`rbus,i2c`)
//! an I2C segment answers the transfers instead (`i2c_sim.rs`).
//!
//! Requests complete after the child's configured latency, from its ticker, or inline in the
//! submit call at zero latency. A configured fault fails every request with that errno when it
//! would have completed, so a cancel or a removal races a failing request as it races one that
//! succeeds. A configured stall keeps the ticker busy that long before each answer, as a device
//! that is slow to hand its answer over does: it holds the ticker mid-run while the child is
//! removed.

use super::i2c_sim::I2cSegment;
use crate::rbus::{
    calls::Hardware,
    requests::HwRequest,
    ticker::{
        Tick,
        Ticker, //
    }, //
};
use core::sync::atomic::{
    AtomicU32,
    Ordering, //
};
use kernel::{
    new_spinlock,
    prelude::*,
    sync::SpinLock,
    time::{
        delay::fsleep,
        msecs_to_jiffies,
        Delta,
        Instant,
        Jiffies,
        Monotonic, //
    },
};

/// Registers per child.
pub(crate) const REGS: usize = 16;

/// The most requests a child holds: the bus core's queue depth.
const IN_FLIGHT_MAX: usize = 256;

/// The longest simulated latency or stall, in microseconds: ten seconds.
pub(crate) const LATENCY_MAX_US: u32 = 10_000_000;

/// Answers a transaction: the bytes written, inverted and repeated to fill the read.
#[inline]
fn answer(tx: &[u8], rx: &mut [u8]) -> Result {
    if tx.is_empty() && !rx.is_empty() {
        return Err(EINVAL);
    }
    // Up to the length written, a word at a time, as arrays: a byte loop costs under TCG, and so
    // does a call, which is what `copy_from_slice()` of a word is at `-Os`.
    let n = rx.len().min(tx.len());
    let (head, rest) = rx.split_at_mut(n);
    let (words, tail) = head.as_chunks_mut::<8>();
    let (from, from_tail) = tx.split_at(n).0.as_chunks::<8>();
    for (i, word) in words.iter_mut().enumerate() {
        if let Some(src) = from.get(i) {
            *word = (!u64::from_ne_bytes(*src)).to_ne_bytes();
        }
    }
    // The iterators below are calls at `-Os`, even with nothing to do.
    if !tail.is_empty() {
        for (byte, t) in tail.iter_mut().zip(from_tail) {
            *byte = !t;
        }
    }
    // Beyond it, the answer repeats from the start; no division per byte either.
    if !rest.is_empty() {
        for (byte, t) in rest.iter_mut().zip(tx.iter().cycle()) {
            *byte = !t;
        }
    }
    Ok(())
}

/// A request waiting out the latency, and the fault it fails with (zero for none), as configured
/// when it was submitted.
struct Pending {
    due: Instant<Monotonic>,
    req: HwRequest,
    fault: u32,
}

/// The requests one child holds, oldest first, and how long the ticker stalls before each answer.
#[pin_data]
pub(crate) struct InFlight {
    /// Room for [`IN_FLIGHT_MAX`] requests once a latency is set, so that a submit, which must
    /// not sleep, never allocates; none before: at zero latency requests complete inline, and
    /// the room, 6 KiB, would be most of a child's memory.
    #[pin]
    list: SpinLock<KVec<Pending>>,
    /// In microseconds.
    stall_us: AtomicU32,
}

impl InFlight {
    /// Makes room for [`IN_FLIGHT_MAX`] requests, unless there is.
    fn reserve(&self) -> Result {
        if self.list.lock().capacity() >= IN_FLIGHT_MAX {
            return Ok(());
        }
        // Allocated unlocked, as it may sleep; the requests already held move over.
        let mut room = KVec::with_capacity(IN_FLIGHT_MAX, GFP_KERNEL)?;
        let mut list = self.list.lock();
        if list.capacity() < IN_FLIGHT_MAX {
            for pending in list.drain_all() {
                // There is room for all: the list holds at most `IN_FLIGHT_MAX`, as the bus
                // core's queue does. A request that found none would complete with `EIO`.
                let _ = room.push_within_capacity(pending);
            }
            *list = room;
        }
        Ok(())
    }
}

/// Completes the requests that are due; the child's ticker.
pub(crate) struct Completer(Pin<KBox<InFlight>>);

impl Tick for Completer {
    fn tick(&self) -> Option<Jiffies> {
        let now = Instant::now();
        loop {
            let next = {
                let mut list = self.0.list.lock();
                let wait = list.first().map(|first| first.due - now);
                match wait {
                    Some(wait) if wait.as_nanos() > 0 => {
                        let ms = u32::try_from(wait.as_millis_ceil()).unwrap_or(u32::MAX);
                        return Some(msecs_to_jiffies(ms));
                    }
                    Some(_) => list.remove(0).ok(),
                    None => return None,
                }
            };
            if let Some(pending) = next {
                let stall = self.0.stall_us.load(Ordering::Relaxed);
                if stall != 0 {
                    fsleep(Delta::from_micros(i64::from(stall)));
                }
                complete(pending.req, pending.fault);
            }
        }
    }
}

/// Completes `req` with the mailbox's answer, written in the request's own buffer, or with
/// `fault` if it is non-zero.
#[inline(always)]
fn complete(mut req: HwRequest, fault: u32) {
    if fault != 0 {
        let errno = i32::try_from(fault).unwrap_or(5);
        req.complete(Err(Error::from_errno(-errno)));
        return;
    }
    let (tx, rx) = req.buffers();
    let result = answer(tx, rx).map(|()| rx.len());
    req.complete_in_place(result);
}

/// One child's simulated device.
#[pin_data]
pub(crate) struct SimChild {
    /// A spinlock: the bus core calls [`Hardware`] from contexts that must not sleep.
    #[pin]
    regs: SpinLock<[u32; REGS]>,
    /// Subscribed event kinds: bit `n` for kind `n`.
    mask: AtomicU32,
    /// The request latency, in microseconds.
    latency_us: AtomicU32,
    /// The errno every request submitted from now on fails with, or zero.
    fault: AtomicU32,
    /// The I2C segment behind a tunnel child, which its transfers reach instead of the mailbox.
    /// A spinlock, as for `regs`.
    i2c: Option<Pin<KBox<SpinLock<I2cSegment>>>>,
    /// Dropped first: it stops the ticker, then completes what is left with `EIO`.
    #[pin]
    completer: Ticker<Completer>,
}

impl SimChild {
    /// A device with zeroed registers, no subscription, no latency and no fault; with an I2C
    /// segment behind it if `i2c`.
    pub(crate) fn new(i2c: bool) -> impl PinInit<Self, Error> {
        pin_init::pin_init_scope(move || {
            let i2c = if i2c {
                Some(KBox::pin_init(
                    new_spinlock!(I2cSegment::new(), "SimChild::i2c"),
                    GFP_KERNEL,
                )?)
            } else {
                None
            };
            let in_flight = KBox::pin_init(
                try_pin_init!(InFlight {
                    list <- new_spinlock!(KVec::new()),
                    stall_us: AtomicU32::new(0),
                }? Error),
                GFP_KERNEL,
            )?;
            Ok::<_, Error>(try_pin_init!(Self {
                regs <- new_spinlock!([0; REGS]),
                mask: AtomicU32::new(0),
                latency_us: AtomicU32::new(0),
                fault: AtomicU32::new(0),
                i2c,
                completer <- crate::new_ticker!(Completer(in_flight)),
            }? Error))
        })
    }

    /// Whether the child subscribed to events of `kind`.
    pub(crate) fn subscribed(&self, kind: u32) -> bool {
        kind < u32::BITS && self.mask.load(Ordering::Relaxed) & (1 << kind) != 0
    }

    /// Sets the temperature of the sensor behind a tunnel child, in millidegrees Celsius.
    /// Returns `ENODEV` if the child has no I2C segment, and `EINVAL` outside the sensor's range.
    pub(crate) fn set_temperature(&self, millicelsius: i32) -> Result {
        self.i2c
            .as_ref()
            .ok_or(ENODEV)?
            .lock()
            .set_temperature(millicelsius)
    }

    /// Sets the request latency, the errno every request fails with (zero for none) and the
    /// ticker's stall before each answer of a request that waited out the latency.
    pub(crate) fn configure(&self, latency_us: u32, fault: u32, stall_us: u32) -> Result {
        if latency_us != 0 {
            self.completer.data().0.reserve()?;
        }
        // Released after the room is made: a submit that reads the latency finds the room.
        self.latency_us.store(latency_us, Ordering::Release);
        self.fault.store(fault, Ordering::Relaxed);
        self.completer
            .data()
            .0
            .stall_us
            .store(stall_us, Ordering::Relaxed);
        Ok(())
    }
}

impl Hardware for SimChild {
    fn transfer(&self, tx: &[u8], rx: &mut [u8]) -> Result {
        match &self.i2c {
            Some(segment) => segment.lock().transfer(tx, rx),
            None => answer(tx, rx),
        }
    }

    fn reg_read(&self, reg: u32) -> Result<u32> {
        let regs = self.regs.lock();
        regs.get(reg as usize).copied().ok_or(EINVAL)
    }

    fn reg_write(&self, reg: u32, val: u32) -> Result {
        let mut regs = self.regs.lock();
        *regs.get_mut(reg as usize).ok_or(EINVAL)? = val;
        Ok(())
    }

    fn subscribe(&self, mask: u32) -> Result {
        self.mask.store(mask, Ordering::Relaxed);
        Ok(())
    }

    /// At zero latency the request completes here, inline; otherwise the ticker completes it
    /// once due. A fault fails it then, not before. Inline in the bus core's call of it, as
    /// `complete()` is here: under TCG each call costs tens of nanoseconds, and a batch makes one
    /// a request.
    #[inline(always)]
    fn submit(&self, req: HwRequest) {
        let latency = self.latency_us.load(Ordering::Acquire);
        let fault = self.fault.load(Ordering::Relaxed);
        if latency == 0 {
            complete(req, fault);
            return;
        }
        let due = Instant::now() + Delta::from_micros(i64::from(latency));
        // The capacity, made when the latency was set, is the queue depth: this never
        // allocates. Were it to fail, dropping the request completes it with `EIO`.
        let _ = self
            .completer
            .data()
            .0
            .list
            .lock()
            .push(Pending { due, req, fault }, GFP_ATOMIC);
        self.completer
            .start_if_idle(msecs_to_jiffies(latency.div_ceil(1000)));
    }
}
