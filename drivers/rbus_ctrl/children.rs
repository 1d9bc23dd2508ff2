// SPDX-License-Identifier: GPL-2.0

//! The set of children of one controller: bounded, one per address.

use super::sim::SimChild;
use crate::rbus::{
    self,
    srcu::SrcuFast, //
};
use kernel::{
    device::{
        self,
        property::FwNode, //
    },
    new_mutex,
    prelude::*,
    sync::{
        aref::ARef,
        Arc,
        Mutex, //
    },
};

/// A registered child, its address, its simulated device and the sequence number of its last
/// event.
struct Child {
    addr: u32,
    seq: u64,
    sim: Arc<SimChild>,
    reg: rbus::Registration<SimChild>,
}

/// The children of one controller.
#[pin_data(PinnedDrop)]
pub(crate) struct Children {
    dev: ARef<device::Device>,
    nr: rbus::BusNumber,
    max: usize,
    /// The domain of every bus-to-child call on this controller: one grace period covers all
    /// children.
    srcu: Arc<SrcuFast>,
    /// Serializes adds and deletes: the duplicate, bound and list updates are one step.
    #[pin]
    list: Mutex<KVec<Child>>,
}

impl Children {
    /// An empty set for controller `dev`, holding at most `max` children.
    pub(crate) fn new(dev: &device::Device, max: usize) -> impl PinInit<Self, Error> + '_ {
        pin_init::pin_init_scope(move || {
            let nr = rbus::BusNumber::new()?;
            let srcu = Arc::pin_init(SrcuFast::new(), GFP_KERNEL)?;
            Ok(try_pin_init!(Self {
                dev: dev.into(),
                nr,
                max,
                srcu,
                list <- new_mutex!(KVec::new()),
            }? Error))
        })
    }

    /// The controller's bus number.
    pub(crate) fn bus_nr(&self) -> u32 {
        self.nr.get()
    }

    /// Adds the child `<nr>-<addr>`. Returns `EBUSY` if the address is taken, `ENOSPC` if the
    /// controller is full, and `EINVAL` for a bad address or compatible.
    pub(crate) fn add(&self, addr: u32, compatible: &CStr, fwnode: Option<&FwNode>) -> Result {
        let mut list = self.list.lock();
        if list.iter().any(|child| child.addr == addr) {
            return Err(EBUSY);
        }
        if list.len() >= self.max {
            return Err(ENOSPC);
        }
        let sim = Arc::pin_init(SimChild::new(), GFP_KERNEL)?;
        let reg = rbus::Registration::new(
            &self.dev,
            &self.nr,
            addr,
            compatible,
            fwnode,
            Some(&self.srcu),
            Some(sim.clone()),
        )?;
        list.push(
            Child {
                addr,
                seq: 0,
                sim,
                reg,
            },
            GFP_KERNEL,
        )?;
        Ok(())
    }

    /// Removes the child at `addr`, unbinding its driver first. Returns `ENOENT` if there is
    /// none.
    pub(crate) fn delete(&self, addr: u32) -> Result {
        let mut list = self.list.lock();
        let index = list
            .iter()
            .position(|child| child.addr == addr)
            .ok_or(ENOENT)?;
        // Unregistered under the lock, so an add of the same address waits for it.
        drop(list.remove(index).map_err(|_| ENOENT)?);
        Ok(())
    }

    /// Raises an event of `kind` at the child at `addr`, numbered by the child's own sequence.
    /// Returns `ENOENT` if there is no such child, `ENOMSG` if it did not subscribe to `kind` and
    /// `ENODEV` if its driver receives no events.
    pub(crate) fn raise(&self, addr: u32, kind: u32, payload: u64) -> Result {
        let mut list = self.list.lock();
        let child = list
            .iter_mut()
            .find(|child| child.addr == addr)
            .ok_or(ENOENT)?;
        if !child.sim.subscribed(kind) {
            return Err(ENOMSG);
        }
        child.seq += 1;
        child.reg.dispatch_event(kind, child.seq, payload)
    }

    /// The number of children.
    pub(crate) fn len(&self) -> usize {
        self.list.lock().len()
    }
}

#[pinned_drop]
impl PinnedDrop for Children {
    fn drop(self: Pin<&mut Self>) {
        // Teardown mirrors setup: the newest child goes first.
        let mut list = self.list.lock();
        while let Some(child) = list.pop() {
            drop(child);
        }
    }
}
